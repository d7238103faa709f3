"""Storyboard errors that point at the place in the user's file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class UserError(Exception):
    """A mistake the user can fix (a file, a setting, a missing model): the CLI and the TUI
    show its message as one line, never a traceback. Every layer's user-facing error derives
    from it."""

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a storyboard, located in its file. `message` is the whole
    sentence in the user's words ("shot 'cup' (2nd): duration must be ..."); `field` is the
    key's dotted path (`shots.1.duration`) for programs."""

    message: str
    field: str = ""
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    hint: str = ""

    def format(self, path: Path | str | None) -> str:
        where = str(path) if path else "<storyboard>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}" + (f" (hint: {self.hint})" if self.hint else "")


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st, ..."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def shot_label(index: int, shot_id: object) -> str:
    """How messages name the shot at 0-based `index`: "shot 'cup' (2nd)", or "2nd shot"
    while it has no usable id."""
    place = ordinal(index + 1)
    return f"shot {shot_id!r} ({place})" if isinstance(shot_id, str) and shot_id else f"{place} shot"


class StoryboardError(UserError):
    """A storyboard that cannot be used, with every problem found."""

    exit_code = 2

    def __init__(self, problems: list[Problem], path: Path | str | None = None):
        self.problems = problems
        self.path = path
        super().__init__("\n".join(p.format(path) for p in problems))
