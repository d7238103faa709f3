"""blur-fill: fit a clip into another aspect without cropping it, filling the bars with a
blurred, enlarged copy of the clip itself (the usual way to post 16:9 footage as 9:16)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from ..ffmpeg import ProgressCallback
from .clip import Aspect, aspect_ratio, encode_clip, even, open_clip
from .registry import Options, capability


class BlurFillOptions(Options):
    aspect: Aspect = "9:16"
    height: int | None = Field(None, ge=64, le=4320,
                               description="output height in pixels (default: the clip's)")
    blur: float = Field(24, ge=1, le=200, description="blur of the background, in pixels")
    dim: float = Field(0.15, ge=0, le=1,
                       description="how much darker the background is: 0 not at all, 1 black")


@capability("blur-fill", "Letterbox to another aspect over a blurred copy of the clip",
            "picture", BlurFillOptions, effect=True)
def blur_fill(inputs: list[Path], output: Path, options: BlurFillOptions,
              progress: ProgressCallback | None = None) -> Path:
    clip = open_clip(inputs[0], "blur-fill")
    height = even(options.height or clip.height)
    width = even(height * aspect_ratio(options.aspect))
    graph = ";".join([
        "[0:v]split=2[back][front]",
        f"[back]scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},"
        f"gblur=sigma={options.blur:.3f},"
        f"colorchannelmixer=rr={1 - options.dim:.4f}:gg={1 - options.dim:.4f}:"
        f"bb={1 - options.dim:.4f}[blurred]",
        f"[front]scale={width}:{height}:force_original_aspect_ratio=decrease:"
        "force_divisible_by=2:flags=lanczos[fitted]",
        "[blurred][fitted]overlay=x=(W-w)/2:y=(H-h)/2,setsar=1,format=yuv420p[out]",
    ])
    return encode_clip(clip, output, graph, progress)
