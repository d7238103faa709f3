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
    """One thing wrong with a storyboard, located in its file."""

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
        text = f"{where}: {self.field + ': ' if self.field else ''}{self.message}"
        return text + (f" (hint: {self.hint})" if self.hint else "")


class StoryboardError(UserError):
    """A storyboard that cannot be used, with every problem found."""

    exit_code = 2

    def __init__(self, problems: list[Problem], path: Path | str | None = None):
        self.problems = problems
        self.path = path
        super().__init__("\n".join(p.format(path) for p in problems))
