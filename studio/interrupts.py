"""SIGTERM and SIGHUP end a render the way Ctrl-C does: children stopped, partial files
removed, finished work kept."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                if hasattr(signal, name))


@contextmanager
def interrupts_stop(stop: Callable[[], None]) -> Iterator[None]:
    """While inside, SIGINT, SIGTERM and SIGHUP call `stop()` (cancel the work, kill child
    processes) and raise KeyboardInterrupt in the main thread, so cleanup runs as for Ctrl-C.
    Signals can only be handled on the main thread; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: object) -> None:
        stop()
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {number: signal.signal(number, handle) for number in SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
