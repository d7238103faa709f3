"""Progress events: the CLI's progress bars, `--json` output and the TUI all read these."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel

Stage = Literal["voice", "align", "visual", "segment", "audio", "mux"]
STAGES: tuple[Stage, ...] = ("voice", "align", "visual", "segment", "audio", "mux")


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
