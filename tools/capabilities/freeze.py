"""freeze: hold one frame of a clip still for a while, then play on (silence under the hold)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from ..ffmpeg import ProgressCallback, run_ffmpeg
from ..video import aac
from .clip import open_clip, video_encoding
from .registry import CapabilityError, Options, capability


class FreezeOptions(Options):
    at: float = Field(0.0, ge=0, description="seconds into the clip of the frame to hold")
    hold: float = Field(1.0, gt=0, le=600, description="seconds the frame is held")


@capability("freeze", "Freeze the frame at a time for some seconds", "picture", FreezeOptions,
            effect=True)
def freeze(inputs: list[Path], output: Path, options: FreezeOptions,
           progress: ProgressCallback | None = None) -> Path:
    clip = open_clip(inputs[0], "freeze")
    if options.at >= clip.duration:
        raise CapabilityError(f"freeze: {options.at:g} s is past the end of {clip.path.name} "
                              f"({clip.duration:.2f} s)")
    frame = min(round(options.at * float(clip.fps)), clip.frames - 1)
    extra = max(1, round(options.hold * float(clip.fps)))
    held = extra / float(clip.fps)
    # every frame after the held one comes `held` seconds later; fps fills the gap by
    # repeating the held frame
    graph = (f"[0:v]setpts='PTS-STARTPTS+gt(N,{frame})*{held:.6f}/TB',fps={clip.rate},"
             "format=yuv420p[v]")
    sound = ["-an"]
    if clip.has_audio:
        cut = frame / float(clip.fps)
        graph += (f";[0:a]asplit=2[before][after];[before]atrim=end={cut:.6f},"
                  f"apad=pad_dur={held:.6f}[a0];[after]atrim=start={cut:.6f},"
                  "asetpts=PTS-STARTPTS[a1];[a0][a1]concat=n=2:v=0:a=1[a]")
        sound = ["-map", "[a]", *aac()]
    run_ffmpeg(["-i", str(clip.path), "-filter_complex", graph, "-map", "[v]", *sound,
                *video_encoding(clip, output), str(output)],
               duration=clip.duration + held, on_progress=progress)
    return output
