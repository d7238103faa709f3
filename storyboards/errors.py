"""Storyboard errors that point at the place in the user's file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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


class StoryboardError(Exception):
    """A storyboard that cannot be used, with every problem found."""

    def __init__(self, problems: list[Problem], path: Path | str | None = None):
        self.problems = problems
        self.path = path
        super().__init__("\n".join(p.format(path) for p in problems))
