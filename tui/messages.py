"""Messages shared by the studio's widgets (state flows up through these)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from storyreel.studio.events import Event


@dataclass
class RenderProgress(Message):
    """A render event, forwarded from the render worker."""

    event: Event


@dataclass
class RenderFinished(Message):
    """A render ended: `video` on success, else `error`."""

    video: str | None
    error: str | None = None


@dataclass
class StoryboardSaved(Message):
    """storyboard.yaml changed on disk (editor save, chat edit, regenerate)."""


@dataclass
class StillMade(Message):
    """A new keyframe still of a shot was made (`take`), or could not be (`error`)."""

    shot_id: str
    take: int | None
    error: str | None = None
