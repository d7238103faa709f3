"""reverse: play a clip backwards, sound too.

ffmpeg's reverse filter holds every frame in memory, so the picture is reversed a few seconds
at a time: the last piece first, each piece encoded with the same settings, then joined
without re-encoding. The sound, small by comparison, is reversed in one go."""

from __future__ import annotations

import tempfile
from pathlib import Path

from pydantic import Field

from ..ffmpeg import BITEXACT, ProgressCallback, run_ffmpeg
from ..video import aac, concat_copy
from .clip import index_first, open_clip, video_encoding
from .registry import Options, capability


class ReverseOptions(Options):
    piece: float = Field(5.0, ge=0.5, le=60, description="seconds reversed at a time: longer "
                         "pieces need more memory (a 720p second takes about 35 MB)")


@capability("reverse", "Play the clip backwards", "picture", ReverseOptions, effect=True)
def reverse(inputs: list[Path], output: Path, options: ReverseOptions,
            progress: ProgressCallback | None = None) -> Path:
    clip = open_clip(inputs[0], "reverse")
    per_piece = max(1, round(options.piece * float(clip.fps)))
    starts = list(range(0, clip.frames, per_piece))
    with tempfile.TemporaryDirectory(prefix="storyreel-reverse-") as scratch:
        pieces = []
        for done, first in enumerate(reversed(starts)):
            count = min(per_piece, clip.frames - first)
            piece = Path(scratch) / f"piece{done:05d}{output.suffix}"
            # seek half a frame early so rounding never skips the first frame of the piece
            seek = max(0.0, (first - 0.5) / float(clip.fps))
            run_ffmpeg(["-ss", f"{seek:.6f}", "-i", str(clip.path), "-map", "0:v:0",
                        "-vf", f"setpts=PTS-STARTPTS,trim=end_frame={count},reverse,format=yuv420p",
                        "-frames:v", str(count), "-an", *video_encoding(clip, output), str(piece)])
            pieces.append(piece)
            if progress:
                progress((done + 1) / (len(starts) + 1))
        joined = Path(scratch) / f"joined{output.suffix}"
        concat_copy(pieces, joined, Path(scratch) / "pieces.txt")
        sound = ["-an"]
        if clip.has_audio:
            sound = ["-map", "1:a:0", "-af", "areverse", *aac()]
        run_ffmpeg(["-i", str(joined), "-i", str(clip.path), "-map", "0:v:0", "-c:v", "copy",
                    *sound, "-t", f"{clip.duration:.6f}", *BITEXACT, *index_first(output),
                    str(output)])
    return output
