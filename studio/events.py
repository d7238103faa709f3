"""Progress events: the CLI's progress bars, `--json` output and the TUI all read these."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Literal, TextIO

from pydantic import BaseModel

Stage = Literal["voice", "align", "visual", "effects", "segment", "audio", "mux"]
STAGES: tuple[Stage, ...] = ("voice", "align", "visual", "effects", "segment", "audio", "mux")


class Event(BaseModel):
    kind: Literal["plan", "start", "progress", "done", "cached", "failed", "warning", "finished"]
    stage: Stage | None = None
    shot: str | None = None
    fraction: float | None = None
    message: str = ""
    total: int | None = None


EventSink = Callable[[Event], None]


def ignore(_: Event) -> None:
    """An event sink that drops everything."""


class JsonLines:
    """An event sink that writes each event as one JSON line.

    Render stages emit from several threads at once; `print` writes the object and its
    newline separately, so two events could share a line. One lock around whole lines keeps
    the output parseable line by line.
    """

    def __init__(self, stream: TextIO):
        self.stream = stream
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        line = event.model_dump_json(exclude_none=True) + "\n"
        with self._lock:
            self.stream.write(line)
            self.stream.flush()
