"""What the picture capabilities share: a clip's facts, its frames for analysis, and the
encoder arguments every video they write is made with."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Annotated, Literal

import av
import numpy as np
from PIL import Image
from pydantic import Field

from ..ffmpeg import ProgressCallback, run_ffmpeg
from ..probe import is_image, probe
from ..video import aac, x264
from .registry import CapabilityError

# "W:H" with small whole numbers: safe to put in a filter string as it is.
Aspect = Annotated[str, Field(pattern=r"^[1-9][0-9]{0,2}:[1-9][0-9]{0,2}$",
                              description='width:height, e.g. "9:16", "1:1", "4:5"')]
# "#RRGGBB" (the "#" may be left out): safe in a filter string as it is.
HexColor = Annotated[str, Field(pattern=r"^#?[0-9a-fA-F]{6}$", description='colour, "#RRGGBB"')]
Corner = Literal["top-left", "top-right", "bottom-left", "bottom-right"]

_CONTAINERS_WITH_MOOV = {".mp4", ".mov", ".m4v"}


def need(module: str, capability: str, extra: str = "toolkit") -> ModuleType:
    """Import an optional dependency, or say in one line which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise CapabilityError(f"{capability} needs the {extra} extra: "
                              f"pip install 'storyreel[{extra}]'") from None


@dataclass(frozen=True)
class Clip:
    """A video file's facts as the picture capabilities use them."""

    path: Path
    width: int
    height: int
    fps: Fraction
    duration: float  # of the picture, seconds
    frames: int
    has_audio: bool

    @property
    def rate(self) -> str:
        """The frame rate as ffmpeg reads it exactly ("30000/1001")."""
        return f"{self.fps.numerator}/{self.fps.denominator}"


def open_clip(path: Path, capability: str) -> Clip:
    """The facts of a video input; CapabilityError when it is not one."""
    if is_image(path):
        raise CapabilityError(f"{capability}: {path.name} is a still image; it needs a video")
    try:
        info = probe(path)
        with av.open(str(path)) as container:
            stream = container.streams.video[0] if container.streams.video else None
            rate = (stream.average_rate or stream.guessed_rate) if stream else None
    except (av.error.FFmpegError, OSError) as error:
        raise CapabilityError(f"{capability}: {path.name} is not a video ({error})") from None
    if not info.has_video or not info.width or not info.height or not rate:
        raise CapabilityError(f"{capability}: {path.name} has no picture")
    fps = Fraction(rate).limit_denominator(1001)
    duration = info.video_duration or info.duration
    if duration <= 0:
        raise CapabilityError(f"{capability}: {path.name} has no length; it needs a video")
    frames = info.frames or max(1, round(duration * fps))
    return Clip(path, info.width, info.height, fps, duration, frames, info.has_audio)


def even(value: float) -> int:
    """The nearest even number of pixels at least 2 (4:2:0 video needs even sizes)."""
    return max(2, round(value / 2) * 2)


def aspect_ratio(aspect: str) -> float:
    width, height = aspect.split(":")
    return int(width) / int(height)


def video_encoding(clip: Clip, output: Path) -> list[str]:
    """Output arguments for a video made from `clip`: storyreel's H.264 settings, a keyframe
    every two seconds and the clip's frame rate."""
    keyframes = max(1, round(clip.fps * 2))
    return [*x264("fast", 18, keyframes), "-r", clip.rate, *index_first(output)]


def encode_clip(clip: Clip, output: Path, picture: str,
                progress: ProgressCallback | None = None, *, inputs: Sequence[str] = (),
                trailing: Sequence[str] = ()) -> Path:
    """Re-encode `clip` into `output` (storyreel's settings, its sound kept) with its picture
    made by `picture`: a filter chain on the clip, or, when it names `[out]`, a filter graph
    over the clip (input 0) and the extra `inputs` (input arguments) that ends in `[out]`.
    `trailing`: output arguments before the file name (e.g. a `-t` limit)."""
    if "[out]" in picture:
        picture_args = ["-filter_complex", picture, "-map", "[out]"]
    else:
        picture_args = ["-map", "0:v:0", "-vf", picture]
    run_ffmpeg(["-i", str(clip.path), *inputs, *picture_args, *keep_sound(clip),
                *video_encoding(clip, output), *trailing, str(output)],
               duration=clip.duration, on_progress=progress)
    return output


def index_first(output: Path) -> list[str]:
    """Put an MP4/MOV's index before its media, so it starts playing while still loading."""
    return ["-movflags", "+faststart"] if output.suffix.lower() in _CONTAINERS_WITH_MOOV else []


def corner_position(corner: Corner, margin: int) -> str:
    """overlay's x:y for an overlay in `corner`, `margin` pixels from the edges."""
    x = f"{margin}" if corner.endswith("left") else f"main_w-overlay_w-{margin}"
    y = f"{margin}" if corner.startswith("top") else f"main_h-overlay_h-{margin}"
    return f"x={x}:y={y}"


def keep_sound(clip: Clip, index: int = 0) -> list[str]:
    """Map input `index`'s sound unchanged (re-encoded to AAC), when it has any."""
    return ["-map", f"{index}:a:0", *aac()] if clip.has_audio else ["-an"]


def atempo(factor: float) -> str:
    """An atempo chain changing speed by `factor` (one atempo takes 0.5 to 100)."""
    steps = []
    while factor < 0.5:
        steps.append("atempo=0.5")
        factor /= 0.5
    steps.append(f"atempo={factor:.6f}")
    return ",".join(steps)


def read_frames(path: Path, width: int, height: int,
                pixel_format: Literal["gray", "rgb24"] = "gray") -> Iterator[np.ndarray]:
    """Every frame of a video, scaled to `width`x`height` for analysis."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            yield frame.to_ndarray(format=pixel_format, width=width, height=height)


def frames_at(path: Path, times: Sequence[float], width: int | None = None,
              height: int | None = None) -> list[np.ndarray]:
    """RGB frames at (or just after) each of `times` seconds, by seeking: for sampling a long
    clip without decoding all of it. An image gives itself for every time."""
    if is_image(path):
        try:
            with Image.open(path) as image:
                picture = image.convert("RGB")
        except (OSError, ValueError, Image.DecompressionBombError) as error:
            raise CapabilityError(f"{path.name} is not a usable image ({error})") from None
        if width and height:
            picture = picture.resize((width, height), Image.Resampling.LANCZOS)
        return [np.asarray(picture)] * len(times)
    found: list[np.ndarray] = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        start = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
        for seconds in times:
            target = start + seconds
            container.seek(int(target / stream.time_base), stream=stream, backward=True)
            picked = None
            for frame in container.decode(stream):
                picked = frame
                if frame.time is not None and frame.time >= target - 1e-3:
                    break
            if picked is None:
                raise CapabilityError(f"{path.name}: no frame at {seconds:.2f} s")
            found.append(picked.to_ndarray(format="rgb24", width=width, height=height))
    return found


def even_times(clip: Clip, count: int) -> list[float]:
    """`count` times spread over the clip, away from its very first and last frames."""
    return [clip.duration * (index + 0.5) / count for index in range(count)]
