"""upscale: enlarge a clip with a Lanczos filter (zscale), sharper than a plain resize."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from ..ffmpeg import ProgressCallback
from .clip import encode_clip, even, open_clip
from .registry import Options, capability


class UpscaleOptions(Options):
    factor: float = Field(2.0, gt=1, le=4, description="how many times larger each side gets")
    height: int | None = Field(None, ge=64, le=4320, description="the output height instead "
                               "(width follows the aspect)")


@capability("upscale", "Enlarge the picture (Lanczos via zscale)", "picture", UpscaleOptions,
            effect=True)
def upscale(inputs: list[Path], output: Path, options: UpscaleOptions,
            progress: ProgressCallback | None = None) -> Path:
    clip = open_clip(inputs[0], "upscale")
    scale = options.height / clip.height if options.height else options.factor
    width, height = even(clip.width * scale), even(clip.height * scale)
    return encode_clip(clip, output,
                       f"zscale=w={width}:h={height}:filter=lanczos,setsar=1,format=yuv420p",
                       progress)
