"""slowmo: slow a clip down by making the in-between frames (motion-compensated
interpolation), so slow motion stays fluid instead of repeating frames."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import Literal

from pydantic import Field

from ..ffmpeg import ProgressCallback, run_ffmpeg
from ..video import aac
from .clip import atempo, open_clip, video_encoding
from .registry import Options, capability

MODES = {"motion": "mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1", "blend": "mi_mode=blend"}


class SlowmoOptions(Options):
    factor: float = Field(2.0, ge=1.1, le=8, description="how many times slower (2: twice as "
                          "long, with twice the frames)")
    mode: Literal["motion", "blend"] = Field(
        "motion", description="motion: new frames follow the motion (sharp, slower to make); "
        "blend: cross-fade neighbouring frames (fast, softer)")


@capability("slowmo", "Slow motion with interpolated frames (minterpolate)", "picture",
            SlowmoOptions, effect=True)
def slowmo(inputs: list[Path], output: Path, options: SlowmoOptions,
           progress: ProgressCallback | None = None) -> Path:
    clip = open_clip(inputs[0], "slowmo")
    factor = Fraction(options.factor).limit_denominator(100)
    dense = clip.fps * factor
    frames = round(clip.frames * factor)
    # minterpolate makes nothing after the last frame: a few held copies of it let the clip
    # keep its last frame's full share of the new length, `frames` in all
    graph = (f"[0:v]tpad=stop_mode=clone:stop={math.ceil(factor) + 1},"
             f"minterpolate=fps={dense.numerator}/{dense.denominator}:{MODES[options.mode]},"
             f"setpts={float(factor):.6f}*(PTS-STARTPTS),format=yuv420p[v]")
    sound = ["-an"]
    if clip.has_audio:
        graph += f";[0:a]{atempo(1 / float(factor))}[a]"
        sound = ["-map", "[a]", *aac()]
    run_ffmpeg(["-i", str(clip.path), "-filter_complex", graph, "-map", "[v]", *sound,
                "-frames:v", str(frames), *video_encoding(clip, output), str(output)],
               duration=clip.duration * float(factor), on_progress=progress)
    return output
