"""A video's sound as a file of its own, and a video with another sound."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from ..ffmpeg import BITEXACT, ProgressCallback, run_ffmpeg
from ..probe import probe
from ..video import x264
from .audio_io import sound_codec
from .registry import CapabilityError, Options, capability

# Containers that hold AAC as it is, so a video's AAC sound is copied, not encoded again.
AAC_CONTAINERS = frozenset({".m4a", ".mp4", ".mov", ".m4v", ".mkv", ".aac"})


class ExtractAudioOptions(Options):
    """The format follows the output's suffix (.m4a copies AAC sound without re-encoding)."""


@capability("extract-audio", "the sound of a video as an audio file (.m4a keeps AAC as it "
            "is; .wav, .flac, .mp3, .opus encode)", "sound", ExtractAudioOptions,
            output_suffix=".m4a")
def extract_audio(inputs: list[Path], output: Path, options: ExtractAudioOptions,
                  progress: ProgressCallback | None = None) -> Path:
    source = inputs[0]
    info = probe(source)
    if not info.has_audio:
        raise CapabilityError(f"{source.name} has no sound")
    copy = info.audio_codec == "aac" and output.suffix.lower() in AAC_CONTAINERS
    run_ffmpeg(["-i", str(source), "-map", "0:a:0", "-vn",
                *(["-c:a", "copy"] if copy else sound_codec(output)), *BITEXACT, str(output)],
               duration=info.duration, on_progress=progress)
    return output


class ReplaceAudioOptions(Options):
    length: Literal["video", "audio", "shortest"] = Field(
        "video", description="How long the result is: the video's length (the sound cut or "
        "padded with silence), the sound's (the last frame held), or the shorter of the two")


@capability("replace-audio", "a video with another sound (inputs: the video, then the sound); "
            "the picture is copied", "sound", ReplaceAudioOptions, inputs=(2, 2))
def replace_audio(inputs: list[Path], output: Path, options: ReplaceAudioOptions,
                  progress: ProgressCallback | None = None) -> Path:
    video, sound = inputs
    picture, audio = probe(video), probe(sound)
    if not picture.has_video:
        raise CapabilityError(f"{video.name} has no picture (the video comes first, then the "
                              "sound)")
    if not audio.has_audio:
        raise CapabilityError(f"{sound.name} has no sound")
    seconds = {"video": picture.video_duration, "audio": audio.audio_duration,
               "shortest": min(picture.video_duration or 0, audio.audio_duration or 0)}
    total = seconds[options.length] or picture.duration
    hold = total - (picture.video_duration or 0)
    picture_args = ["-c:v", "copy"]
    if hold > 0:  # the sound runs on: the last frame is held, so the picture is encoded
        fps = round(picture.fps or 25)
        picture_args = ["-vf", f"tpad=stop_mode=clone:stop_duration={hold:.6f}",
                        *x264("veryfast", 18, fps * 2)]
    run_ffmpeg(["-i", str(video), "-i", str(sound), "-map", "0:v:0", "-map", "1:a:0",
                *picture_args, "-af", "apad", *sound_codec(output), "-t", f"{total:.6f}",
                *BITEXACT, str(output)], duration=total, on_progress=progress)
    return output
