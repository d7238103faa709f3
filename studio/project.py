"""A project folder: storyboard.yaml, assets/, out/, and .storyreel/ for unauthored state."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from storyreel.storyboards import example_path, new_document_text
from storyreel.storyboards.atomic import write_text_atomic
from storyreel.storyboards.errors import UserError
from storyreel.storyboards.paths import inside_project

STORYBOARD = "storyboard.yaml"


class ProjectError(UserError, ValueError):
    """A problem with the project folder or a file it refers to."""


@dataclass(frozen=True)
class Project:
    root: Path
    storyboard_path: Path

    @classmethod
    def for_storyboard(cls, path: Path | str) -> Project:
        """The project of a storyboard file, or of a folder holding storyboard.yaml."""
        path = Path(path).resolve()
        if path.is_dir():
            path = path / STORYBOARD
        return cls(root=path.parent, storyboard_path=path)

    @classmethod
    def create(cls, directory: Path | str, example: str = "coffee",
               data: dict | None = None) -> Project:
        """Make DIR with storyboard.yaml (from `data`, else an example), assets/, out/ and
        .storyreel/. `data` is validated before anything is created."""
        root = Path(directory).resolve()
        target = root / STORYBOARD
        if target.exists():
            raise ProjectError(f"{target} already exists; edit it, or choose another folder")
        text = None
        if data is not None:
            text = new_document_text(data)
        root.mkdir(parents=True, exist_ok=True)
        for sub in ("assets", "out", ".storyreel"):
            (root / sub).mkdir(exist_ok=True)
        if text is None:
            shutil.copyfile(example_path(example), target)
        else:
            write_text_atomic(target, text)
        return cls(root=root, storyboard_path=target)

    @property
    def state_dir(self) -> Path:
        return self.root / ".storyreel"

    @property
    def cache_dir(self) -> Path:
        return self.state_dir / "cache"

    @property
    def history_dir(self) -> Path:
        return self.state_dir / "history"

    @property
    def last_render_path(self) -> Path:
        """What the last render made (shots, clips, output), for the TUI and the agent."""
        return self.state_dir / "last_render.json"

    @property
    def out_dir(self) -> Path:
        return self.root / "out"

    def asset(self, relative: str, shot_id: str) -> Path:
        """Resolve a shot's asset inside the project; refuse paths that leave it."""
        path = inside_project(self.root, relative)
        if path is None:
            raise ProjectError(f"shot {shot_id!r}: asset {relative!r} is outside the project "
                               f"folder {self.root}; copy it into {self.root / 'assets'}")
        if not path.is_file():
            raise ProjectError(f"shot {shot_id!r}: asset {relative!r} not found (looked for "
                               f"{path}); put the file in {self.root / 'assets'}")
        return path
