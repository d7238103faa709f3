"""Programme video as independent segments joined without re-encoding.

Every shot body and every transition is encoded on its own with identical settings, so after
an edit only the touched segments are encoded again and the join is a stream copy.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from storyreel.storyboards.atomic import atomic_path

from .ffmpeg import ProgressCallback, filter_value, run_ffmpeg
from .fonts import fonts_dir

XFADE = {"crossfade": "fade", "fade-black": "fadeblack", "slide-left": "slideleft",
         "slide-right": "slideright", "slide-up": "slideup", "slide-down": "slidedown"}


def segment_encoding(fps: int) -> list[str]:
    """Encoder settings shared by every segment (they must match for a stream-copy join)."""
    return ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-profile:v", "high",
            "-pix_fmt", "yuv420p", "-g", str(fps * 2), "-r", str(fps),
            "-video_track_timescale", str(fps * 1000), "-an"]


def _subtitled(subtitles: Path | None) -> str:
    if subtitles is None:
        return ""
    return (f"subtitles=filename={filter_value(str(subtitles))}"
            f":fontsdir={filter_value(str(fonts_dir()))},")


def encode_body(clip: Path, subtitles: Path | None, first: int, count: int, fps: int,
                out: Path, progress: ProgressCallback | None = None) -> None:
    """Frames [first, first+count) of `clip`, with `subtitles` (clip-local times) burned in."""
    graph = (f"{_subtitled(subtitles)}trim=start_frame={first}:end_frame={first + count},"
             "setpts=PTS-STARTPTS,format=yuv420p")
    run_ffmpeg(["-i", str(clip), "-vf", graph, "-frames:v", str(count), *segment_encoding(fps),
                str(out)], duration=count / fps, on_progress=progress)


def encode_transition(left: Path, left_subtitles: Path | None, left_first: int, right: Path,
                      right_subtitles: Path | None, count: int, kind: str, fps: int,
                      out: Path) -> None:
    """`count` frames blending the end of `left` (from frame `left_first`) into `right`."""
    seconds = count / fps
    graph = ";".join([
        f"[0:v]{_subtitled(left_subtitles)}trim=start_frame={left_first}:"
        f"end_frame={left_first + count},setpts=PTS-STARTPTS,format=yuv420p[a]",
        f"[1:v]{_subtitled(right_subtitles)}trim=start_frame=0:end_frame={count},"
        "setpts=PTS-STARTPTS,format=yuv420p[b]",
        f"[a][b]xfade=transition={XFADE[kind]}:duration={seconds:.6f}:offset=0,"
        "format=yuv420p[out]",
    ])
    run_ffmpeg(["-i", str(left), "-i", str(right), "-filter_complex", graph, "-map", "[out]",
                "-frames:v", str(count), *segment_encoding(fps), str(out)])


def _write_concat_list(parts: Sequence[Path], list_file: Path) -> None:
    """A concat-demuxer list; quotes escaped the way that format wants."""
    lines = []
    for part in parts:
        quoted = str(part.resolve()).replace("'", "'\\''")
        lines.append(f"file '{quoted}'")
    list_file.write_text("\n".join(lines) + "\n", encoding="utf-8")


def concat_copy(parts: Sequence[Path], out: Path, list_file: Path) -> None:
    """Join clips encoded with identical settings, without re-encoding."""
    _write_concat_list(parts, list_file)
    run_ffmpeg(["-f", "concat", "-safe", "0", "-i", str(list_file), "-c", "copy", str(out)])


def join(segments: Sequence[Path], audio: Path, out: Path, list_file: Path) -> None:
    """Concatenate `segments` (stream copy) and mux `audio`, faststart, written atomically."""
    _write_concat_list(segments, list_file)
    with atomic_path(out) as tmp:
        run_ffmpeg(["-f", "concat", "-safe", "0", "-i", str(list_file), "-i", str(audio),
                    "-map", "0:v:0", "-map", "1:a:0", "-c", "copy", "-movflags", "+faststart",
                    str(tmp)])


def extract_frame(video: Path, seconds: float, out_png: Path) -> Path:
    """One frame as PNG (for thumbnails and reviews)."""
    run_ffmpeg(["-ss", f"{seconds:.3f}", "-i", str(video), "-frames:v", "1", str(out_png)])
    return out_png


def decode_check(video: Path) -> str:
    """Decode the whole file; returns ffmpeg's complaints (empty when clean)."""
    from .ffmpeg import ffmpeg_exe

    result = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(video), "-f", "null", "-"],
                            capture_output=True, text=True, errors="replace")
    return result.stderr.strip()
