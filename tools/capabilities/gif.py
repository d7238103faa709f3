"""gif: export a clip as an animated GIF with its own optimised palette (palettegen and
paletteuse in one pass), small and without the banding of a fixed palette."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from ..ffmpeg import BITEXACT, ProgressCallback, run_ffmpeg
from .clip import open_clip
from .registry import CapabilityError, Options, capability


class GifOptions(Options):
    fps: float = Field(12, ge=1, le=50, description="frames per second: fewer make a smaller file")
    width: int | None = Field(None, ge=16, le=1920, description="width in pixels, height "
                              "following (default: the clip's, at most 480)")
    colors: int = Field(256, ge=2, le=256, description="palette size")
    dither: Literal["sierra2_4a", "floyd_steinberg", "bayer", "none"] = Field(
        "sierra2_4a", description="how colours between palette entries are mixed")
    loop: bool = Field(True, description="play again and again (--no-loop: once)")


@capability("gif", "Export an animated GIF with an optimised palette", "picture", GifOptions,
            output_suffix=".gif")
def gif(inputs: list[Path], output: Path, options: GifOptions,
        progress: ProgressCallback | None = None) -> Path:
    clip = open_clip(inputs[0], "gif")
    if output.suffix.lower() != ".gif":
        raise CapabilityError(f"gif writes a .gif file, not {output.suffix or 'no suffix'}")
    width = options.width or min(480, clip.width)
    graph = (f"[0:v]fps={options.fps:g},scale={width}:-2:flags=lanczos,split[a][b];"
             f"[a]palettegen=max_colors={options.colors}:stats_mode=diff[palette];"
             f"[b][palette]paletteuse=dither={options.dither}:diff_mode=rectangle[out]")
    run_ffmpeg(["-i", str(clip.path), "-filter_complex", graph, "-map", "[out]",
                "-loop", "0" if options.loop else "-1", *BITEXACT, str(output)],
               duration=clip.duration, on_progress=progress)
    return output
