"""speed: play a clip faster or slower by a constant factor, or ramp the speed from one factor
to another across the clip. The sound follows, pitch kept."""

from __future__ import annotations

import math
from pathlib import Path

from pydantic import Field

from ..ffmpeg import ProgressCallback, run_ffmpeg
from ..video import aac
from .clip import Clip, atempo, open_clip, video_encoding
from .registry import Options, capability

RAMP_STEP = 0.5  # seconds of sound played at one speed along a ramp (at most RAMP_STEPS steps)
RAMP_STEPS = 64


class SpeedOptions(Options):
    factor: float = Field(2.0, ge=0.1, le=10, description="speed: 2 plays twice as fast (half "
                          "as long), 0.5 half as fast; with --to, the speed at the start")
    to: float | None = Field(None, ge=0.1, le=10, description="ramp: the speed at the end, "
                             "changing steadily from --factor")


@capability("speed", "Change the speed by a factor, or ramp it from one factor to another",
            "picture", SpeedOptions, effect=True)
def speed(inputs: list[Path], output: Path, options: SpeedOptions,
          progress: ProgressCallback | None = None) -> Path:
    clip = open_clip(inputs[0], "speed")
    start, end = options.factor, options.to if options.to is not None else options.factor
    length = clip.duration
    if math.isclose(start, end):
        timing, seconds = f"(PTS-STARTPTS)/{start:.6f}", length / start
        sound = f"[0:a]{atempo(start)}[a]"
    else:
        # speed s(t) = a + (b - a) t / D over input time t; output time is the integral of 1/s
        slope = (end - start) / length
        timing = f"log(1+{slope / start:.9f}*(T-STARTT))/{slope:.9f}/TB"
        seconds = math.log(end / start) / slope
        sound = ramped_sound(clip, start, slope)
    graph = f"[0:v]setpts={timing},fps={clip.rate},format=yuv420p[v]"
    mapped = ["-an"]
    if clip.has_audio:
        graph += f";{sound}"
        mapped = ["-map", "[a]", *aac()]
    run_ffmpeg(["-i", str(clip.path), "-filter_complex", graph, "-map", "[v]", *mapped,
                *video_encoding(clip, output), "-t", f"{seconds:.6f}", str(output)],
               duration=seconds, on_progress=progress)
    return output


def ramped_sound(clip: Clip, start: float, slope: float) -> str:
    """A graph playing the sound in short pieces, each at the speed that gives it the length
    the ramp gives it (so the sound ends with the picture)."""
    steps = min(RAMP_STEPS, max(1, math.ceil(clip.duration / RAMP_STEP)))
    edges = [clip.duration * index / steps for index in range(steps + 1)]
    pieces = [f"[0:a]asplit={steps}" + "".join(f"[s{index}]" for index in range(steps))]
    for index in range(steps):
        first, last = edges[index], edges[index + 1]
        stretched = math.log((start + slope * last) / (start + slope * first)) / slope
        pieces.append(f"[s{index}]atrim={first:.6f}:{last:.6f},asetpts=PTS-STARTPTS,"
                      f"{atempo((last - first) / stretched)}[p{index}]")
    pieces.append("".join(f"[p{index}]" for index in range(steps)) + f"concat=n={steps}:v=0:a=1[a]")
    return ";".join(pieces)
