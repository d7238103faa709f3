from __future__ import annotations

from pathlib import Path

import pytest

from storyreel.studio.project import Project
from storyreel.studio.render import RenderResult, render


@pytest.fixture
def short_project(tmp_path: Path) -> Project:
    return Project.create(tmp_path / "tea", "short")


@pytest.fixture(scope="session")
def rendered_short(tmp_path_factory) -> tuple[Project, RenderResult]:
    """The three-shot example rendered once for every test that only reads the result."""
    project = Project.create(tmp_path_factory.mktemp("render") / "tea", "short")
    return project, render(project.storyboard_path)
