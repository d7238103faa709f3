"""Shared plumbing of the sound capabilities: decode a file's sound to samples, write samples
back, filter a file's sound while its picture is copied, and keep chosen time spans of a file
(picture and sound cut at the same frame boundaries)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import av
import numpy as np

from storyreel.storyboards.atomic import PART

from ..ffmpeg import BITEXACT, ProgressCallback, run_ffmpeg
from ..probe import probe
from ..speech import write_wav
from ..video import aac, x264
from .registry import CapabilityError

RATE = 48000
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi"})
EDGE_FADE = 0.005  # seconds faded at each kept span's edges, so joins never click

Span = tuple[float, float]


def decode(path: Path, channels: int = 2, rate: int = RATE) -> np.ndarray:
    """A file's sound as float32 samples, (samples, channels), resampled to `rate`.
    Raises CapabilityError when the file has no sound."""
    layout = "mono" if channels == 1 else "stereo"
    resampler = av.AudioResampler(format="flt", layout=layout, rate=rate)
    chunks: list[np.ndarray] = []
    with av.open(str(path)) as container:
        if not container.streams.audio:
            raise CapabilityError(f"{path.name} has no sound")
        for frame in container.decode(audio=0):
            chunks += [f.to_ndarray().reshape(-1, channels) for f in resampler.resample(frame)]
    chunks += [f.to_ndarray().reshape(-1, channels) for f in resampler.resample(None)]
    return np.concatenate(chunks) if chunks else np.zeros((0, channels), dtype=np.float32)


def sound_codec(output: Path) -> list[str]:
    """Encoder arguments for a sound written to `output`: 16-bit PCM in WAV, AAC in MP4-like
    files, the container's own default elsewhere (FLAC, Opus, MP3)."""
    suffix = output.suffix.lower()
    if suffix == ".wav":
        return ["-c:a", "pcm_s16le"]
    if suffix in {".m4a", ".aac", *VIDEO_SUFFIXES - {".webm"}}:
        return aac()
    return []


def write_sound(samples: np.ndarray, rate: int, output: Path,
                progress: ProgressCallback | None = None) -> Path:
    """Encode float samples, (samples, channels) in [-1, 1], into `output` (format from its
    suffix). The samples go through a temporary 16-bit WAV beside the output."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).round().astype("<i2")
    if output.suffix.lower() == ".wav":
        write_wav(output, pcm, rate)
        return output
    with tempfile.TemporaryDirectory(prefix=f".{output.stem}.{PART}-", dir=output.parent) as tmp:
        wav = Path(tmp) / "sound.wav"
        write_wav(wav, pcm, rate)
        run_ffmpeg(["-i", str(wav), *sound_codec(output), *BITEXACT, str(output)],
                   duration=len(samples) / rate, on_progress=progress)
    return output


def keeps_picture(source: Path, output: Path) -> bool:
    """Whether the result carries the source's picture: a video written to a video file."""
    return output.suffix.lower() in VIDEO_SUFFIXES and probe(source).has_video


def filter_sound(source: Path, output: Path, audio_filter: str, *,
                 picture_filter: str | None = None,
                 progress: ProgressCallback | None = None) -> Path:
    """Run `audio_filter` over the source's sound into `output`. A video written to a video
    file keeps its picture: copied as it is, or re-encoded through `picture_filter`."""
    info = probe(source)
    if not info.has_audio:
        raise CapabilityError(f"{source.name} has no sound")
    picture = ["-vn"]
    if keeps_picture(source, output):
        picture = ["-map", "0:v:0", "-c:v", "copy"]
        if picture_filter:
            fps = round(info.fps or 25)
            picture = ["-map", "0:v:0", "-vf", picture_filter, *x264("veryfast", 18, fps * 2)]
    run_ffmpeg(["-i", str(source), *picture, "-map", "0:a:0", "-af", audio_filter,
                *sound_codec(output), *BITEXACT, str(output)],
               duration=info.duration, on_progress=progress)
    return output


def keep_spans(source: Path, output: Path, spans: Sequence[Span],
               progress: ProgressCallback | None = None) -> Path:
    """Keep only `spans` (seconds) of `source`, joined in order. The sound is cut sample
    exactly (with 5 ms fades at each join); a video's picture is cut at the same times,
    snapped to its frames, so picture and sound stay together."""
    info = probe(source)
    sound = decode(source)
    picture = keeps_picture(source, output)
    fps = info.fps or 25.0
    if picture:
        spans = [(round(start * fps) / fps, round(end * fps) / fps) for start, end in spans]
    spans = [(start, end) for start, end in spans if end > start]
    if not spans:
        raise CapabilityError(f"nothing of {source.name} would be left")
    pieces = []
    fade = max(1, round(EDGE_FADE * RATE))
    for start, end in spans:
        piece = sound[round(start * RATE):round(end * RATE)].copy()
        ramp = np.linspace(0, 1, min(fade, len(piece) // 2), dtype=np.float32)[:, None]
        if len(ramp):
            piece[:len(ramp)] *= ramp
            piece[-len(ramp):] *= ramp[::-1]
        pieces.append(piece)
    joined = np.concatenate(pieces)
    if not picture:
        return write_sound(joined, RATE, output, progress)
    frames = [(round(start * fps), round(end * fps)) for start, end in spans]
    select = "+".join(f"between(n,{first},{end - 1})" for first, end in frames)
    count = sum(end - first for first, end in frames)
    with tempfile.TemporaryDirectory(prefix=f".{output.stem}.{PART}-", dir=output.parent) as tmp:
        wav, graph = Path(tmp) / "sound.wav", Path(tmp) / "picture.txt"
        write_sound(joined, RATE, wav)
        # From a file (`-/vf`): an hour of cuts is longer than one command-line argument may be.
        graph.write_text(f"select='{select}',setpts=N/FRAME_RATE/TB", encoding="utf-8")
        run_ffmpeg(["-i", str(source), "-i", str(wav), "-map", "0:v:0", "-map", "1:a:0",
                    "-/vf", str(graph), "-frames:v", str(count),
                    *x264("veryfast", 18, round(fps) * 2), *aac(), *BITEXACT, str(output)],
                   duration=count / fps, on_progress=progress)
    return output


def levels_db(mono: np.ndarray, rate: int, window: float = 0.01) -> np.ndarray:
    """RMS level (dBFS) of each `window`-second block of a mono signal."""
    block = max(1, round(window * rate))
    count = -(-len(mono) // block)
    padded = np.zeros(count * block, dtype=np.float64)
    padded[:len(mono)] = mono
    power = np.mean(padded.reshape(count, block) ** 2, axis=1)
    return 10 * np.log10(power + 1e-12)
