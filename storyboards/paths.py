"""Files a storyboard refers to live inside its project folder, never outside it."""

from __future__ import annotations

from pathlib import Path


def inside_project(root: Path, relative: str) -> Path | None:
    """`relative` resolved against the project `root`, or None if it leaves the folder
    (`../../etc/passwd`, an absolute path elsewhere, a symlink out). Existence is not checked."""
    root = root.resolve()
    target = (root / relative).resolve()
    return target if target.is_relative_to(root) else None
