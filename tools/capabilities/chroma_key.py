"""chroma-key: replace a green (or any single-colour) screen with a background image or video."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, FilePath

from ..ffmpeg import ProgressCallback
from ..probe import is_image
from .clip import HexColor, encode_clip, open_clip
from .registry import Options, capability


class ChromaKeyOptions(Options):
    background: FilePath = Field(description="the image or video shown where the key colour "
                                 "was (a shorter video loops)")
    color: HexColor = "#00ff00"
    similarity: float = Field(0.15, ge=0.01, le=1, description="how close to the key colour a "
                              "pixel must be to vanish: raise it if the screen shows through")
    blend: float = Field(0.05, ge=0, le=1, description="softness of the edge around what is kept")


@capability("chroma-key", "Key out a green screen over a background image or video", "picture",
            ChromaKeyOptions, effect=True)
def chroma_key(inputs: list[Path], output: Path, options: ChromaKeyOptions,
               progress: ProgressCallback | None = None) -> Path:
    clip = open_clip(inputs[0], "chroma-key")
    background = options.background
    repeat = ["-loop", "1"] if is_image(background) else ["-stream_loop", "-1"]
    if not is_image(background):
        open_clip(background, "chroma-key")  # a background that is no video fails here, in words
    key = "0x" + options.color.lstrip("#")
    graph = ";".join([
        f"[1:v]scale={clip.width}:{clip.height}:force_original_aspect_ratio=increase,"
        f"crop={clip.width}:{clip.height},setsar=1,fps={clip.rate}[back]",
        f"[0:v]setpts=PTS-STARTPTS,chromakey=color={key}:similarity={options.similarity:.4f}:"
        f"blend={options.blend:.4f}[front]",
        "[back][front]overlay=shortest=1,format=yuv420p[out]",
    ])
    return encode_clip(clip, output, graph, progress, inputs=[*repeat, "-i", str(background)],
                       trailing=["-t", f"{clip.duration:.6f}"])
