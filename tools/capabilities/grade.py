"""grade: apply a colour look from a 3D LUT (.cube), at full or partial strength."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from pydantic import Field, FilePath

from ..ffmpeg import ProgressCallback
from .clip import encode_clip, open_clip
from .lut import Cube, identity, lut3d_filter, read_cube, write_cube
from .registry import Options, capability


class GradeOptions(Options):
    lut: FilePath = Field(description="the look: a 3D LUT in .cube format")
    intensity: float = Field(1.0, ge=0, le=1,
                             description="how much of the look: 1 full, 0.5 halfway, 0 none")


@capability("grade", "Colour-grade a clip with a .cube LUT", "picture", GradeOptions, effect=True)
def grade(inputs: list[Path], output: Path, options: GradeOptions,
          progress: ProgressCallback | None = None) -> Path:
    clip = open_clip(inputs[0], "grade")
    cube = read_cube(options.lut)  # a file ffmpeg would half-read is refused before encoding
    if options.intensity < 1:
        low, high = np.asarray(cube.domain_min), np.asarray(cube.domain_max)
        unchanged = low + identity(cube.size) * (high - low)
        cube = Cube(unchanged + (cube.table - unchanged) * options.intensity, cube.domain_min,
                    cube.domain_max)
    with tempfile.TemporaryDirectory(prefix="storyreel-grade-") as scratch:
        table = write_cube(cube, Path(scratch) / "look.cube")
        return encode_clip(clip, output, f"{lut3d_filter(table)},format=yuv420p", progress)
