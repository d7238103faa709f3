"""One render per project at a time, across programs (CLI, studio, a second terminal)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from storyreel.storyboards.atomic import write_text_atomic

POLL_SECONDS = 0.5


class RenderCancelled(Exception):
    """The render was cancelled; everything finished so far stays cached."""


def _holder(pid_file: Path) -> str:
    try:
        return pid_file.read_text(encoding="utf-8").strip() or "?"
    except OSError:
        return "?"


@contextmanager
def render_lock(state_dir: Path, on_wait: Callable[[str], None],
                cancel: threading.Event) -> Iterator[None]:
    """Hold the project's render lock; while another render holds it, say so once through
    `on_wait` and wait (a cancel stops the wait). The lock is the kernel's (flock), so a
    killed render never leaves it held. A project folder nobody can write needs no lock."""
    if not os.access(state_dir, os.W_OK):
        yield
        return
    lock = FileLock(state_dir / "render.lock")
    pid_file = state_dir / "render.pid"
    try:
        lock.acquire(timeout=0)
    except Timeout:
        on_wait(f"already rendering (pid {_holder(pid_file)}); waiting for it to finish")
        while True:
            if cancel.is_set():
                raise RenderCancelled("render cancelled while waiting for the other render") from None
            try:
                lock.acquire(timeout=POLL_SECONDS)
                break
            except Timeout:
                continue
    try:
        write_text_atomic(pid_file, str(os.getpid()))
        yield
    finally:
        lock.release()
