"""Run the bundled static ffmpeg on argument lists, with progress and readable errors."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Sequence
from functools import cache

ProgressCallback = Callable[[float], None]


class FFmpegError(RuntimeError):
    """ffmpeg failed; the message carries the end of its error output."""


@cache
def ffmpeg_exe() -> str:
    """Path of the static ffmpeg shipped by imageio-ffmpeg (override with IMAGEIO_FFMPEG_EXE)."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def filter_value(value: str) -> str:
    """Escape a value for use inside a -filter_complex string (both escaping levels).

    Level 1 protects the option value (`\\`, `'`, `:`); level 2 protects the graph (`\\`, `'`,
    `[`, `]`, `,`, `;`). This is the only place text enters a filter string.
    """
    level1 = value.replace("\\", "\\\\").replace("'", "\\'").replace(":", "\\:")
    out = []
    for char in level1:
        if char in "\\'[],;":
            out.append("\\")
        out.append(char)
    return "".join(out)


def run_ffmpeg(args: Sequence[str], *, duration: float | None = None,
               on_progress: ProgressCallback | None = None) -> None:
    """Run ffmpeg with `args` (no shell). Reports fraction done in [0, 1] when `duration` is known."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-v", "error", "-nostats",
           "-progress", "pipe:1", *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            errors="replace")
    errors: list[str] = []
    reader = threading.Thread(target=lambda: errors.extend(proc.stderr), daemon=True)
    reader.start()
    try:
        for line in proc.stdout:
            if on_progress and duration and line.startswith("out_time_us="):
                value = line.split("=", 1)[1].strip()
                if value.isdigit():
                    on_progress(min(1.0, int(value) / 1e6 / duration))
        code = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    reader.join(timeout=5)
    if code != 0:
        tail = "".join(errors[-15:]).strip() or f"exit code {code}"
        raise FFmpegError(f"ffmpeg failed: {tail}")
