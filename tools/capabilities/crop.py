"""crop: cut a rectangle out of the picture, turn it by quarter turns, mirror it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from ..ffmpeg import ProgressCallback
from .clip import encode_clip, open_clip
from .registry import CapabilityError, Options, capability

TURNS = {90: ["transpose=clock"], 180: ["hflip", "vflip"], 270: ["transpose=cclock"]}
FLIPS = {"horizontal": ["hflip"], "vertical": ["vflip"], "both": ["hflip", "vflip"]}


class CropOptions(Options):
    width: int | None = Field(None, ge=2, description="width of the kept area in pixels "
                              "(default: all of it); odd sizes are rounded down to even")
    height: int | None = Field(None, ge=2, description="height of the kept area in pixels "
                               "(default: all of it)")
    x: int | None = Field(None, ge=0, description="left edge of the kept area (default: centred)")
    y: int | None = Field(None, ge=0, description="top edge of the kept area (default: centred)")
    rotate: Literal[0, 90, 180, 270] = Field(0, description="clockwise turn, in degrees")
    flip: Literal["none", "horizontal", "vertical", "both"] = Field(
        "none", description="mirror the picture (after turning)")


@capability("crop", "Crop, rotate by quarter turns and flip the picture", "picture",
            CropOptions, effect=True)
def crop(inputs: list[Path], output: Path, options: CropOptions,
         progress: ProgressCallback | None = None) -> Path:
    clip = open_clip(inputs[0], "crop")
    width = (options.width or clip.width) // 2 * 2
    height = (options.height or clip.height) // 2 * 2
    x = (clip.width - width) // 2 if options.x is None else options.x
    y = (clip.height - height) // 2 if options.y is None else options.y
    if x + width > clip.width or y + height > clip.height:
        raise CapabilityError(f"crop: {width}x{height} at ({x}, {y}) does not fit in the "
                              f"{clip.width}x{clip.height} picture")
    steps = [f"crop={width}:{height}:{x}:{y}", *TURNS.get(options.rotate, []),
             *FLIPS.get(options.flip, []), "setsar=1", "format=yuv420p"]
    return encode_clip(clip, output, ",".join(steps), progress)
