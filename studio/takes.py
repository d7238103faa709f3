"""Takes: every picture a shot has had, kept so the user can compare and go back.

A take is a seed; its clip stays in the content-addressed cache, so returning to an old take
re-renders from cache. The history is unauthored state in .storyreel/takes.json.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, TypeAdapter, ValidationError

from storyreel.storyboards.atomic import write_text_atomic

from .project import Project

KEEP = 6  # takes remembered per shot


class Take(BaseModel):
    take: int  # the seed
    clip: Path


_HISTORY = TypeAdapter(dict[str, list[Take]])


def takes_path(project: Project) -> Path:
    return project.state_dir / "takes.json"


def load_takes(project: Project) -> dict[str, list[Take]]:
    """Each shot's takes, oldest first (none when the history is missing or unreadable)."""
    try:
        return _HISTORY.validate_json(takes_path(project).read_bytes())
    except (OSError, ValidationError):
        return {}


def record_takes(project: Project, current: dict[str, tuple[int, Path]]) -> None:
    """Add each shot's current take (seed, clip) to its history, newest last."""
    history = load_takes(project)
    for shot_id, (seed, clip) in current.items():
        entries = [t for t in history.get(shot_id, []) if t.take != seed]
        entries.append(Take(take=seed, clip=clip))
        history[shot_id] = entries[-KEEP:]
    write_text_atomic(takes_path(project), _HISTORY.dump_json(history, indent=2).decode())


def shot_takes(project: Project, shot_id: str) -> list[tuple[int, Path]]:
    """(take, clip) of a shot whose clips are still on disk, oldest first."""
    return [(t.take, t.clip) for t in load_takes(project).get(shot_id, []) if t.clip.exists()]
