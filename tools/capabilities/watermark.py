"""watermark: put a logo in a corner of every frame, with a margin and some transparency."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, FilePath

from ..ffmpeg import ProgressCallback
from ..probe import decode_check
from .clip import Corner, corner_position, encode_clip, even, open_clip
from .registry import CapabilityError, Options, capability


class WatermarkOptions(Options):
    logo: FilePath = Field(description="the logo image (a PNG with transparency works best)")
    corner: Corner = "bottom-right"
    size: float = Field(0.15, ge=0.02, le=1, description="the logo's width, as a share of the "
                        "picture's width")
    margin: float = Field(0.03, ge=0, le=0.4, description="gap to the edges, as a share of the "
                          "picture's height")
    opacity: float = Field(0.8, ge=0, le=1, description="1 solid, 0 invisible")


@capability("watermark", "Overlay a logo at a corner with margin and opacity", "picture",
            WatermarkOptions, effect=True)
def watermark(inputs: list[Path], output: Path, options: WatermarkOptions,
              progress: ProgressCallback | None = None) -> Path:
    clip = open_clip(inputs[0], "watermark")
    problem = decode_check(options.logo, "image")
    if problem:
        raise CapabilityError(f"watermark: the logo {options.logo.name} cannot be used: {problem}")
    margin = round(clip.height * options.margin)
    graph = ";".join([
        f"[1:v]format=rgba,scale={even(clip.width * options.size)}:-2:flags=lanczos,"
        f"colorchannelmixer=aa={options.opacity:.4f}[logo]",
        f"[0:v][logo]overlay={corner_position(options.corner, margin)}:format=auto,"
        "format=yuv420p[out]",
    ])
    return encode_clip(clip, output, graph, progress, inputs=["-i", str(options.logo)])
