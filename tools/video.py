"""Programme video as independent segments joined without re-encoding.

Every shot body and every transition is encoded on its own with identical settings, so after
an edit only the touched segments are encoded again and the join is a stream copy.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import av
import numpy as np

from storyreel.storyboards.atomic import atomic_path

from .ffmpeg import BITEXACT, FFmpegError, ProgressCallback, filter_value, run_ffmpeg
from .fonts import fonts_dir
from .probe import probe

XFADE = {"crossfade": "fade", "fade-black": "fadeblack", "slide-left": "slideleft",
         "slide-right": "slideright", "slide-up": "slideup", "slide-down": "slidedown"}


# x264's output depends on its thread count: a fixed count makes the same frames the same
# bytes on every machine (a render farm's shots join a local render's).
ENCODER_THREADS = 4
DRAWN_CRF, PHOTOGRAPHIC_CRF = 24, 19  # the segments' quality (see `segment_encoding`)


class FrameCountError(RuntimeError):
    """An encode made a different number of frames than it was asked for (a truncated input,
    a filter that dropped frames): using it would shift everything after it in time."""


def x264(preset: str, crf: int, keyframe_every: int) -> list[str]:
    """The one place storyreel's H.264 settings live: every clip, segment and take uses them."""
    return ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
            "-g", str(keyframe_every), "-threads", str(ENCODER_THREADS), *BITEXACT]


def nvenc(quality: int, keyframe_every: int) -> list[str]:
    """H.264 on the GPU's video engine (NVENC), for clips made on the GPU: constant quality
    `quality` (about x264's crf + 4 for the same look). NVENC's bytes depend on the driver and
    the card, unlike x264's."""
    return ["-c:v", "h264_nvenc", "-preset", "p5", "-tune", "hq", "-rc", "vbr",
            "-cq", str(quality), "-b:v", "0", "-pix_fmt", "yuv420p", "-g", str(keyframe_every),
            *BITEXACT]


@functools.cache
def nvenc_problem() -> str:
    """Why ffmpeg's h264_nvenc cannot encode on this machine ('' when it can), from one
    one-frame encode per process: no NVIDIA driver, or one older than the bundled ffmpeg
    wants ("Driver does not support the required nvenc API version")."""
    try:
        run_ffmpeg(["-f", "lavfi", "-i", "color=s=256x144:d=0.04", "-frames:v", "1",
                    *nvenc(20, 1), "-f", "null", "-"])
    except FFmpegError as error:
        said = [line.split("] ", 1)[-1] for line in error.log.splitlines() if "nvenc @" in line]
        return said[0] if said else error.summary
    return ""


def nvenc_available() -> bool:
    """Whether h264_nvenc opens here (probed once per process)."""
    return not nvenc_problem()


def aac(bitrate: str = "160k") -> list[str]:
    return ["-c:a", "aac", "-b:a", bitrate]


def segment_encoding(fps: int, photographic: bool = False) -> list[str]:
    """Encoder settings shared by every segment of a programme (they must match for a
    stream-copy join).

    Chosen by measurement (`python bench/render.py --presets`): on animatic shots superfast
    at crf 24 scores the VMAF of veryfast at crf 20 (within 0.3) on two thirds of its CPU,
    for a fifth more bytes; faster saves a sixth of the bytes on 1.7 times the CPU. On
    `photographic` pictures (footage, photos, generated video) crf 24 loses detail that
    veryfast at crf 20 keeps (VMAF 44 against 59 on noisy footage, `bench/assembly.py`):
    superfast at crf 19 scores at least the VMAF of veryfast at crf 20 on 5 s of three
    kinds of footage (grain 94.2 against 93.2, a fractal zoom 96.7 against 92.0, Life 95.6
    against 95.2) on 80% of its CPU, for 2-65% more bytes."""
    crf = PHOTOGRAPHIC_CRF if photographic else DRAWN_CRF
    return [*x264("superfast", crf, fps * 2), "-profile:v", "high", "-r", str(fps),
            "-video_track_timescale", str(fps * 1000), "-an"]


def count_frames(video: Path) -> int:
    """Frames in a file's video stream, counted from its packets (no decoding)."""
    with av.open(str(video)) as container:
        if not container.streams.video:
            return 0
        stream = container.streams.video[0]
        return sum(1 for packet in container.demux(stream) if packet.size)


def check_frames(video: Path, expected: int, what: str) -> None:
    """Raise FrameCountError unless `video` holds exactly `expected` frames."""
    found = count_frames(video)
    if found != expected:
        raise FrameCountError(f"{what} has {found} frames where {expected} were asked for")


class Fit(Protocol):
    """How a file becomes a shot's frames (`tools.footage.FootageFit` for the user's footage)."""

    def input_args(self, video: Path, first: int = 0) -> list[str]: ...

    def picture(self, first: int = 0) -> str: ...


@dataclass(frozen=True)
class Picture:
    """A shot's frames as its segments read them: a clip that holds exactly them, or the
    user's footage and the fit that makes them from it (read once, encoded once)."""

    path: Path
    fit: Fit | None = None

    def input_args(self, first: int, fps: int) -> list[str]:
        """Input arguments that start reading at frame `first`: an accurate seek from the
        nearest keyframe, instead of decoding everything before it."""
        if self.fit is not None:
            return self.fit.input_args(self.path, first)
        return (["-ss", f"{first / fps:.6f}"] if first else []) + ["-i", str(self.path)]

    def frames_from(self, first: int, fps: int, subtitles: Path | None) -> str:
        """Filters for the input `input_args(first, fps)` opens: the frames from `first` on
        with `subtitles` (shot-local times) burned in, their clock starting at zero."""
        fitted = f"{self.fit.picture(first)}," if self.fit is not None else ""
        # the shot's own clock, so shot-local subtitles line up
        shift = f"setpts=PTS+{first / fps:.6f}/TB," if first else ""
        burn = ""
        if subtitles is not None:
            burn = (f"subtitles=filename={filter_value(str(subtitles))}"
                    f":fontsdir={filter_value(str(fonts_dir()))},")
        return f"{fitted}{shift}{burn}setpts=PTS-STARTPTS,format=yuv420p"


def encode_body(picture: Picture, subtitles: Path | None, first: int, count: int, fps: int,
                out: Path, encoding: Sequence[str],
                progress: ProgressCallback | None = None) -> None:
    """Frames [first, first+count) of `picture`, with `subtitles` (shot-local times) burned
    in, encoded with `encoding` (`segment_encoding`)."""
    run_ffmpeg([*picture.input_args(first, fps), "-vf", picture.frames_from(first, fps, subtitles),
                "-frames:v", str(count), *encoding, str(out)],
               duration=count / fps, on_progress=progress)
    check_frames(out, count, f"the segment of {picture.path.name} from frame {first}")


def encode_transition(left: Picture, left_subtitles: Path | None, left_first: int,
                      right: Picture, right_subtitles: Path | None, count: int, kind: str,
                      fps: int, out: Path, encoding: Sequence[str]) -> None:
    """`count` frames blending `left` from frame `left_first` into the start of `right`,
    encoded with `encoding` (`segment_encoding`)."""
    seconds = count / fps
    # xfade wants one clock on both sides (a clip's is its file's, fitted footage's 1/fps)
    clock = f"settb=1/{fps}"
    graph = ";".join([
        f"[0:v]{left.frames_from(left_first, fps, left_subtitles)},trim=end_frame={count},"
        f"{clock}[a]",
        f"[1:v]{right.frames_from(0, fps, right_subtitles)},trim=end_frame={count},{clock}[b]",
        f"[a][b]xfade=transition={XFADE[kind]}:duration={seconds:.6f}:offset=0,"
        "format=yuv420p[out]",
    ])
    run_ffmpeg([*left.input_args(left_first, fps), *right.input_args(0, fps),
                "-filter_complex", graph, "-map", "[out]", "-frames:v", str(count), *encoding,
                str(out)])
    check_frames(out, count, f"the transition from {left.path.name} to {right.path.name}")


def _write_concat_list(parts: Sequence[Path], list_file: Path, fps: int | None = None) -> None:
    """A concat-demuxer list; quotes escaped the way that format wants. With `fps`, each part
    is given its length in whole frames: otherwise the demuxer starts the next part where the
    last one's stored end is, and an encoder may store a last frame a few ticks short, so the
    joined picture's clock would step unevenly at every join."""
    lines = []
    for part in parts:
        quoted = str(part.resolve()).replace("'", "'\\''")
        lines.append(f"file '{quoted}'")
        if fps is not None:
            lines.append(f"duration {probe(part).frames / fps:.6f}")  # from the header
    list_file.write_text("\n".join(lines) + "\n", encoding="utf-8")


def concat_copy(parts: Sequence[Path], out: Path, list_file: Path, fps: int | None = None) -> None:
    """Join clips encoded with identical settings (and, given, at `fps`), without re-encoding."""
    _write_concat_list(parts, list_file, fps)
    run_ffmpeg(["-f", "concat", "-safe", "0", "-i", str(list_file), "-c", "copy", *BITEXACT,
                str(out)])


def join(segments: Sequence[Path], audio: Path, out: Path, frames: int, fps: int) -> None:
    """Concatenate `segments` (stream copy, at `fps`) and mux `audio`, faststart, written
    atomically; the result must hold exactly `frames` frames. The concat list is a temporary
    file beside the output, so a read-only project can still render to a folder you can write."""
    with atomic_path(out) as tmp, tempfile.TemporaryDirectory(prefix=".join.part-",
                                                               dir=out.parent) as scratch:
        list_file = Path(scratch) / "segments.txt"
        _write_concat_list(segments, list_file, fps)
        run_ffmpeg(["-f", "concat", "-safe", "0", "-i", str(list_file), "-i", str(audio),
                    "-map", "0:v:0", "-map", "1:a:0", "-c", "copy", "-movflags", "+faststart",
                    *BITEXACT, str(tmp)])
        check_frames(tmp, frames, "the joined video")


def extract_frame(video: Path, seconds: float, out_png: Path) -> Path:
    """One frame as PNG (for thumbnails and reviews)."""
    run_ffmpeg(["-ss", f"{seconds:.3f}", "-i", str(video), "-frames:v", "1", str(out_png)])
    return out_png


def decode_check(video: Path) -> str:
    """Decode the whole file; returns ffmpeg's complaints (empty when clean)."""
    try:
        return run_ffmpeg(["-i", str(video), "-f", "null", "-"]).strip()
    except FFmpegError as error:
        return error.log.strip() or error.summary


def write_fitted_clip(frames: np.ndarray, source_fps: int, width: int, height: int, fps: int,
                      num_frames: int, output: Path, sound_wav: Path | None = None,
                      encoder: Literal["x264", "nvenc"] = "x264") -> None:
    """Encode model frames (uint8 RGB, (frames, height, width, 3)) as a shot's clip:
    retimed to exactly `num_frames` at `fps` (frames are blended when the rates differ),
    scaled and cropped to `width`x`height`; with `sound_wav`, if given, cut or padded to the
    same length. `encoder` nvenc only where `nvenc_available()`; the fit is the same."""
    count, source_height, source_width = frames.shape[0], frames.shape[1], frames.shape[2]
    seconds = num_frames / fps
    stretch = seconds / (count / source_fps)
    graph = (f"setpts={stretch:.6f}*PTS,"
             f"framerate=fps={fps}:interp_start=0:interp_end=255,"
             f"scale={width}:{height}:force_original_aspect_ratio=increase:"
             f"flags=lanczos,crop={width}:{height},setsar=1,"
             "tpad=stop_mode=clone:stop=-1,format=yuv420p")
    sound_input: list[str] = []
    sound_output = ["-an"]
    if sound_wav is not None:
        sound_input = ["-i", str(sound_wav)]
        sound_output = ["-map", "0:v", "-map", "1:a", "-af", f"apad,atrim=0:{seconds:.6f}",
                        *aac()]
    if frames.dtype != np.uint8:
        raise ValueError(f"write_fitted_clip takes uint8 frames, not {frames.dtype}")
    video = x264("fast", 14, fps) if encoder == "x264" else nvenc(18, fps)
    run_ffmpeg(["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{source_width}x{source_height}",
                "-r", str(source_fps), "-i", "-", *sound_input, "-vf", graph,
                "-frames:v", str(num_frames), "-r", str(fps), *video,
                *sound_output, str(output)], stdin=np.ascontiguousarray(frames).tobytes())
    check_frames(output, num_frames, "the generated clip")
