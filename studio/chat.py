"""Wire the studio agent to a project: its storyboard editor and the studio's own render."""

from __future__ import annotations

from pathlib import Path

from langchain_core.language_models import BaseChatModel

import storyreel.agent.capabilities  # noqa: F401  (registers the tools that need the LLM)
from storyreel.agent.chat import StudioChat
from storyreel.agent.studio_tools import StudioContext
from storyreel.storyboards.edits import StoryboardEditor

from .project import STORYBOARD, Project
from .render import render
from .review import last_render


def editor_for(project: Project) -> StoryboardEditor:
    """Edits keep the previous version in .storyreel/history/ for undo, and wait for each
    other across programs."""
    return StoryboardEditor(project.storyboard_path, backup_dir=project.history_dir,
                            lock_path=project.state_dir / "storyboard.lock")


def render_report(project: Project) -> str:
    """Render the project (only what changed is redone) and say what was made."""
    result = render(project.storyboard_path)
    redone = ", ".join(f"{stage} {n}" for stage, n in result.redone.items()) or "nothing"
    return f"rendered {result.video} ({result.duration:.1f} s); redone: {redone}"


def status_report(project: Project) -> str:
    """The last render's file and length, and whether the storyboard changed since."""
    manifest, stale = last_render(project)
    if manifest is None:
        return "not rendered yet"
    if not manifest.output.exists():
        return f"the last render's file {manifest.output} is gone; render again"
    return (f"last render: {manifest.output} ({len(manifest.shots)} shots, about "
            f"{manifest.seconds:.0f} s of shots). "
            + ("The storyboard changed since: render to update it." if stale
               else "It is up to date with the storyboard."))


def studio_context(project: Project) -> StudioContext:
    """What the agent's tools act on: this project's storyboard, render and status."""
    return StudioContext(editor_for(project), render=lambda: render_report(project),
                         status=lambda: status_report(project))


def open_chat(project_dir: Path, model: BaseChatModel) -> StudioChat:
    project = Project.for_storyboard(Path(project_dir) / STORYBOARD)
    if not project.storyboard_path.exists():
        raise FileNotFoundError(f"{project.storyboard_path} not found; create the project with "
                                "`storyreel new DIR --brief \"...\"` first")
    return StudioChat(model, studio_context(project), project.state_dir)
