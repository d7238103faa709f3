"""stabilize: steady a shaky clip in two passes (libvidstab): measure the shake, then move
each frame against it along a smoothed camera path."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Literal

from pydantic import Field

from ..ffmpeg import ProgressCallback, filter_value, run_ffmpeg
from .clip import encode_clip, open_clip
from .registry import Options, capability

BORDERS = {"zoom": "optzoom=1:crop=black", "keep": "optzoom=0:crop=keep",
           "black": "optzoom=0:crop=black"}


class StabilizeOptions(Options):
    shakiness: int = Field(5, ge=1, le=10, description="how shaky the clip is: 1 a little, "
                           "10 very")
    smoothing: int = Field(15, ge=1, le=300, description="frames on each side the camera path "
                           "is averaged over: more is steadier, less keeps deliberate moves")
    borders: Literal["zoom", "keep", "black"] = Field(
        "zoom", description="the edges uncovered by the correction: zoom in so none show, keep "
        "the previous frame's pixels there, or black")


@capability("stabilize", "Remove camera shake (two-pass vidstab)", "picture", StabilizeOptions,
            effect=True)
def stabilize(inputs: list[Path], output: Path, options: StabilizeOptions,
              progress: ProgressCallback | None = None) -> Path:
    clip = open_clip(inputs[0], "stabilize")
    with tempfile.TemporaryDirectory(prefix="storyreel-stabilize-") as scratch:
        motions = filter_value(str(Path(scratch) / "motions.trf"))
        run_ffmpeg(["-i", str(clip.path), "-map", "0:v:0",
                    "-vf", f"vidstabdetect=shakiness={options.shakiness}:accuracy=15:"
                    f"result={motions}", "-f", "null", "-"], duration=clip.duration,
                   on_progress=None if progress is None else lambda done: progress(done / 2))
        steady = (f"vidstabtransform=input={motions}:smoothing={options.smoothing}:"
                  f"{BORDERS[options.borders]}:interpol=bicubic,unsharp=5:5:0.8:3:3:0.4,"
                  "format=yuv420p")
        encode_clip(clip, output, steady,
                    None if progress is None else lambda done: progress(0.5 + done / 2))
    return output
