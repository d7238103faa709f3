"""match-color: make a clip's colours match a reference clip or image, so shots from different
sources cut together.

Either the mean and spread of each channel in Lab (lightness and the two colour axes) are moved
to the reference's (Reinhard's colour transfer), or each RGB channel's histogram is mapped onto
the reference's. Both are measured on frames sampled across each input and applied as a 3D LUT
through ffmpeg's lut3d, so the whole clip changes in one consistent way."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, FilePath

from ..ffmpeg import ProgressCallback
from ..probe import is_image
from .clip import encode_clip, even_times, frames_at, need, open_clip
from .lut import Cube, identity, lut3d_filter, write_cube
from .registry import Options, capability

SAMPLES = 12
SAMPLE_SIZE = (160, 90)
LUT_SIZE = 33


class MatchColorOptions(Options):
    reference: FilePath = Field(description="the clip or image whose colours to match")
    method: Literal["lab", "histogram"] = Field(
        "lab", description="lab: match the average colour and contrast (natural); histogram: "
        "match each RGB channel's distribution exactly (stronger)")
    intensity: float = Field(1.0, ge=0, le=1, description="how far to go: 1 all the way, 0 none")


@capability("match-color", "Match a clip's colours to a reference clip or image", "picture",
            MatchColorOptions, effect=True, extra="toolkit")
def match_color(inputs: list[Path], output: Path, options: MatchColorOptions,
                progress: ProgressCallback | None = None) -> Path:
    clip = open_clip(inputs[0], "match-color")
    if is_image(options.reference):
        reference = frames_at(options.reference, [0.0], *SAMPLE_SIZE)
    else:
        other = open_clip(options.reference, "match-color")
        reference = frames_at(other.path, even_times(other, SAMPLES), *SAMPLE_SIZE)
    source = frames_at(clip.path, even_times(clip, SAMPLES), *SAMPLE_SIZE)
    pixels = [np.concatenate([frame.reshape(-1, 3) for frame in frames]).astype(np.float32) / 255
              for frames in (source, reference)]
    grid = identity(LUT_SIZE)
    transfer = lab_transfer if options.method == "lab" else histogram_transfer
    matched = transfer(grid, *pixels)
    table = grid + (matched - grid) * options.intensity
    with tempfile.TemporaryDirectory(prefix="storyreel-match-") as scratch:
        lut = write_cube(Cube(np.clip(table, 0, 1)), Path(scratch) / "match.cube")
        return encode_clip(clip, output, f"{lut3d_filter(lut)},format=yuv420p", progress)


def lab_transfer(grid: np.ndarray, source: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Each grid colour with its Lab channels moved from the source's mean and spread to the
    reference's."""
    cv2 = need("cv2", "match-color")

    def lab(rgb: np.ndarray) -> np.ndarray:
        return cv2.cvtColor(rgb.reshape(-1, 1, 3).astype(np.float32), cv2.COLOR_RGB2Lab)[:, 0]

    source_lab, reference_lab = lab(source), lab(reference)
    spread = np.maximum(source_lab.std(axis=0), 1e-3)
    moved = ((lab(grid) - source_lab.mean(axis=0)) / spread * reference_lab.std(axis=0)
             + reference_lab.mean(axis=0))
    rgb = cv2.cvtColor(moved.reshape(-1, 1, 3).astype(np.float32), cv2.COLOR_Lab2RGB)[:, 0]
    return rgb.reshape(grid.shape).astype(np.float64)


def histogram_transfer(grid: np.ndarray, source: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Each grid colour with every RGB channel mapped through the curve that turns the source's
    distribution of that channel into the reference's."""
    levels = np.linspace(0, 1, 257)
    matched = np.empty_like(grid)
    for channel in range(3):
        source_cdf = np.cumsum(np.histogram(source[:, channel], levels)[0]) / len(source)
        reference_cdf = np.cumsum(np.histogram(reference[:, channel], levels)[0]) / len(reference)
        curve = np.interp(source_cdf, reference_cdf, levels[1:])
        matched[..., channel] = np.interp(grid[..., channel], levels[1:], curve)
    return matched
