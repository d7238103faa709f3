"""denoise: take grain and sensor noise out of a clip (hqdn3d, fast; or nlmeans, slow and
finer)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from ..ffmpeg import ProgressCallback
from .clip import encode_clip, open_clip
from .registry import Options, capability


class DenoiseOptions(Options):
    method: Literal["hqdn3d", "nlmeans"] = Field(
        "hqdn3d", description="hqdn3d: fast spatial and temporal smoothing; nlmeans: "
        "non-local means, keeps more detail, many times slower")
    strength: float = Field(1.0, gt=0, le=5, description="1 is a moderate clean-up; more "
                            "removes more noise and more fine detail")


def denoise_filter(method: str, strength: float) -> str:
    if method == "nlmeans":
        return f"nlmeans=s={1.5 * strength:.3f}:p=7:r=9"
    luma, chroma = 4 * strength, 3 * strength
    return f"hqdn3d={luma:.3f}:{chroma:.3f}:{1.5 * luma:.3f}:{1.5 * chroma:.3f}"


@capability("denoise", "Reduce noise and grain (hqdn3d or nlmeans)", "picture", DenoiseOptions,
            effect=True)
def denoise(inputs: list[Path], output: Path, options: DenoiseOptions,
            progress: ProgressCallback | None = None) -> Path:
    clip = open_clip(inputs[0], "denoise")
    return encode_clip(clip, output,
                       f"{denoise_filter(options.method, options.strength)},format=yuv420p",
                       progress)
