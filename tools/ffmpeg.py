"""Run the bundled static ffmpeg on argument lists: progress, readable errors, and children
that never outlive the render that started them."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from functools import cache

ProgressCallback = Callable[[float], None]

# No encoder version strings or wall-clock times in the files: same input, same bytes.
BITEXACT = ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
            "-map_metadata", "-1"]

_live: set[subprocess.Popen] = set()
_live_lock = threading.Lock()


class FFmpegError(RuntimeError):
    """ffmpeg failed. `summary` is its last meaningful line, `log` its whole error output
    (the renderer saves it to .storyreel/logs/)."""

    def __init__(self, summary: str, log: str = "", args: Sequence[str] = ()):
        self.summary, self.log, self.command = summary, log, list(args)
        super().__init__(f"ffmpeg failed: {summary}")

    @property
    def disk_full(self) -> bool:
        return "No space left on device" in self.log


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


@cache
def _die_with_parent() -> Callable[[], None] | None:
    """A pre-exec hook asking Linux to SIGKILL the child when its parent dies, so a killed
    render never leaves an ffmpeg writing on (None elsewhere)."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    prctl = libc.prctl
    set_pdeathsig = 1  # PR_SET_PDEATHSIG
    kill = int(signal.SIGKILL)

    def hook() -> None:
        prctl(set_pdeathsig, kill, 0, 0, 0)

    return hook


def stop_all() -> None:
    """Kill every ffmpeg this process started that is still running (on cancel or SIGTERM)."""
    with _live_lock:
        procs = list(_live)
    for proc in procs:
        proc.kill()


def _summary(log: str, code: int) -> str:
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith("Conversion failed")]
    return (useful or lines or [f"exit code {code}"])[-1]


def run_ffmpeg(args: Sequence[str], *, duration: float | None = None,
               on_progress: ProgressCallback | None = None,
               stdin: bytes | Iterable[bytes] | None = None, log_level: str = "error") -> str:
    """Run ffmpeg with `args` (no shell); returns its error output (the log).

    Reports the fraction done in [0, 1] when `duration` is known; `stdin` (bytes, or pieces of
    them made as ffmpeg reads) is fed to `-i -`; an error making a piece is raised here once
    ffmpeg has stopped. `log_level` other than "error" lets analysis filters (loudnorm) print
    their results.
    """
    cmd = [ffmpeg_exe(), "-hide_banner", *(["-nostdin"] if stdin is None else []), "-y",
           "-v", log_level, "-nostats", "-progress", "pipe:1", *args]
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin is not None else None,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                preexec_fn=_die_with_parent())
    except OSError as error:
        raise FFmpegError(f"cannot start {cmd[0]}: {error}", str(error), cmd) from error
    with _live_lock:
        _live.add(proc)
    errors: list[bytes] = []
    feeding: list[BaseException] = []
    readers = [threading.Thread(target=lambda: errors.extend(proc.stderr), daemon=True)]
    if stdin is not None:
        readers.append(threading.Thread(target=_feed, args=(proc, stdin, feeding), daemon=True))
    for reader in readers:
        reader.start()
    try:
        for raw in proc.stdout:
            line = raw.decode("ascii", "replace")
            if on_progress and duration and line.startswith("out_time_us="):
                value = line.split("=", 1)[1].strip()
                if value.isdigit():
                    on_progress(min(1.0, int(value) / 1e6 / duration))
        code = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        with _live_lock:
            _live.discard(proc)
    for reader in readers:
        reader.join(timeout=5)
    if feeding:
        raise feeding[0]
    log = b"".join(errors).decode("utf-8", "replace")
    if code != 0:
        raise FFmpegError(_summary(log, code), log, cmd)
    return log


def _feed(proc: subprocess.Popen, data: bytes | Iterable[bytes],
          failures: list[BaseException]) -> None:
    try:
        for piece in [data] if isinstance(data, bytes) else data:
            proc.stdin.write(piece)
    except (BrokenPipeError, ValueError):
        pass  # ffmpeg stopped reading: its exit code and log say why
    except BaseException as error:  # noqa: BLE001 - raised again by run_ffmpeg
        failures.append(error)
    finally:
        with contextlib.suppress(OSError):
            proc.stdin.close()


def ffmpeg_output(args: Sequence[str]) -> str:
    """The standard output of a quick ffmpeg query (`-version`, `-filters`)."""
    result = subprocess.run([ffmpeg_exe(), "-hide_banner", *args], capture_output=True,
                            text=True, errors="replace")
    return result.stdout


def loudness(source: str | Sequence[str]) -> dict[str, float]:
    """EBU R128 integrated loudness (`input_i`, LUFS) and true peak (`input_tp`, dBTP) of a
    file (a path, or input arguments ending in `-i PATH`), from loudnorm's JSON report."""
    inputs = ["-i", source] if isinstance(source, str) else list(source)
    log = run_ffmpeg([*inputs, "-af", "loudnorm=print_format=json", "-f", "null", "-"],
                     log_level="info")
    report = json.loads(log[log.rindex("{"):log.rindex("}") + 1])
    return {key: max(-70.0, float(report[key])) for key in ("input_i", "input_tp")}
