"""pip: picture-in-picture, a second clip inset in a corner of the first."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from ..ffmpeg import ProgressCallback
from .clip import Corner, corner_position, encode_clip, even, open_clip
from .registry import Options, capability


class PipOptions(Options):
    corner: Corner = "bottom-right"
    size: float = Field(0.3, ge=0.05, le=0.9, description="the inset's width, as a share of the "
                        "main picture's width")
    margin: float = Field(0.04, ge=0, le=0.4, description="gap to the edges, as a share of the "
                          "main picture's height")


@capability("pip", "Picture-in-picture: inset the second clip in a corner of the first",
            "picture", PipOptions, inputs=(2, 2))
def pip(inputs: list[Path], output: Path, options: PipOptions,
        progress: ProgressCallback | None = None) -> Path:
    main = open_clip(inputs[0], "pip")
    inset = open_clip(inputs[1], "pip")
    width = even(main.width * options.size)
    height = min(even(width * inset.height / inset.width), main.height)
    margin = round(main.height * options.margin)
    graph = ";".join([
        f"[1:v]setpts=PTS-STARTPTS,scale={width}:{height}:flags=lanczos,setsar=1[inset]",
        "[0:v]setpts=PTS-STARTPTS[main]",
        f"[main][inset]overlay={corner_position(options.corner, margin)}:eof_action=pass,"
        "format=yuv420p[out]",
    ])
    return encode_clip(main, output, graph, progress, inputs=["-i", str(inset.path)])
