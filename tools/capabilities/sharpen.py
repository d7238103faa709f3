"""sharpen: crisp up soft footage with an unsharp mask."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from ..ffmpeg import ProgressCallback, run_ffmpeg
from .clip import keep_sound, open_clip, video_encoding
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
    run_ffmpeg(["-i", str(clip.path), "-map", "0:v:0", "-vf", f"{mask},format=yuv420p",
                *keep_sound(clip), *video_encoding(clip, output), str(output)],
               duration=clip.duration, on_progress=progress)
    return output
