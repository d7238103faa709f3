"""sharpen: crisp up soft footage with an unsharp mask."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from ..ffmpeg import ProgressCallback
from .clip import encode_clip, open_clip
from .registry import Options, capability


class SharpenOptions(Options):
    amount: float = Field(1.0, gt=0, le=5, description="how strongly edges are lifted")
    radius: int = Field(2, ge=1, le=11, description="the width of the edges lifted, in pixels: "
                        "small for fine detail, large for overall crispness")


@capability("sharpen", "Sharpen the picture (unsharp mask)", "picture", SharpenOptions,
            effect=True)
def sharpen(inputs: list[Path], output: Path, options: SharpenOptions,
            progress: ProgressCallback | None = None) -> Path:
    clip = open_clip(inputs[0], "sharpen")
    size = 2 * options.radius + 1  # unsharp's matrix is odd, 3 to 23
    mask = f"unsharp={size}:{size}:{options.amount:.3f}:{size}:{size}:{options.amount / 2:.3f}"
    return encode_clip(clip, output, f"{mask},format=yuv420p", progress)
