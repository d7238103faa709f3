"""Takes: every picture a shot has had, kept so the user can compare and go back.

A take is a seed; its clip stays in the content-addressed cache, so returning to an old take
re-renders from cache. The history is unauthored state in .storyreel/takes.json.
"""

from __future__ import annotations

import json
from pathlib import Path

from storyreel.storyboards.atomic import write_text_atomic

from .project import Project

KEEP = 6  # takes remembered per shot


def takes_path(project: Project) -> Path:
    return project.state_dir / "takes.json"


def load_takes(project: Project) -> dict[str, list[dict]]:
    path = takes_path(project)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def record_takes(project: Project, current: dict[str, tuple[int, Path]]) -> None:
    """Add each shot's current take (seed, clip) to its history, newest last."""
    history = load_takes(project)
    for shot_id, (seed, clip) in current.items():
        entries = [t for t in history.get(shot_id, []) if t["take"] != seed]
        entries.append({"take": seed, "clip": str(clip)})
        history[shot_id] = entries[-KEEP:]
    write_text_atomic(takes_path(project), json.dumps(history, indent=2))


def shot_takes(project: Project, shot_id: str) -> list[tuple[int, Path]]:
    """(take, clip) of a shot whose clips are still on disk, oldest first."""
    return [(t["take"], Path(t["clip"])) for t in load_takes(project).get(shot_id, [])
            if Path(t["clip"]).exists()]
