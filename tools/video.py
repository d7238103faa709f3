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


def _from_frame(clip: Path, first: int, fps: int) -> list[str]:
    """Input arguments that start decoding at frame `first` (accurate seek from the nearest
    keyframe, instead of decoding the whole clip up to it)."""
    return (["-ss", f"{first / fps:.6f}"] if first else []) + ["-i", str(clip)]


def _frames_from(first: int, fps: int, subtitles: Path | None) -> str:
    """Filters for a stream that was seeked to frame `first`: restore the clip's own clock so
    clip-local subtitles line up, burn them, then start the segment's clock at zero."""
    shift = f"setpts=PTS+{first / fps:.6f}/TB," if first else ""
    burn = ""
    if subtitles is not None:
        burn = (f"subtitles=filename={filter_value(str(subtitles))}"
                f":fontsdir={filter_value(str(fonts_dir()))},")
    return f"{shift}{burn}setpts=PTS-STARTPTS,format=yuv420p"


def encode_body(clip: Path, subtitles: Path | None, first: int, count: int, fps: int,
                out: Path, progress: ProgressCallback | None = None) -> None:
    """Frames [first, first+count) of `clip`, with `subtitles` (clip-local times) burned in."""
    run_ffmpeg([*_from_frame(clip, first, fps), "-vf", _frames_from(first, fps, subtitles),
                "-frames:v", str(count), *segment_encoding(fps), str(out)],
               duration=count / fps, on_progress=progress)


def encode_transition(left: Path, left_subtitles: Path | None, left_first: int, right: Path,
                      right_subtitles: Path | None, count: int, kind: str, fps: int,
                      out: Path) -> None:
    """`count` frames blending the end of `left` (from frame `left_first`) into `right`."""
    seconds = count / fps
    graph = ";".join([
        f"[0:v]{_frames_from(left_first, fps, left_subtitles)},"
        f"trim=end_frame={count}[a]",
        f"[1:v]{_frames_from(0, fps, right_subtitles)},trim=end_frame={count}[b]",
        f"[a][b]xfade=transition={XFADE[kind]}:duration={seconds:.6f}:offset=0,"
        "format=yuv420p[out]",
    ])
    run_ffmpeg([*_from_frame(left, left_first, fps), "-i", str(right), "-filter_complex", graph,
                "-map", "[out]", "-frames:v", str(count), *segment_encoding(fps), str(out)])


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
