"""Wire the studio agent to a project: its storyboard editor and the studio's own render."""

from __future__ import annotations

from pathlib import Path

from langchain_core.language_models import BaseChatModel

from storyreel.agent.chat import StudioChat
from storyreel.agent.studio_tools import make_studio_tools
from storyreel.storyboards.edits import StoryboardEditor

from .project import STORYBOARD, Project
from .render import render
from .review import last_render


def editor_for(project: Project) -> StoryboardEditor:
    """Edits keep the previous version in .storyreel/history/ for undo, and wait for each
    other across programs."""
    return StoryboardEditor(project.storyboard_path, backup_dir=project.history_dir,
                            lock_path=project.state_dir / "storyboard.lock")


def render_for(project: Project):
    def run(shot_id: str | None = None) -> str:
        result = render(project.storyboard_path)
        redone = ", ".join(f"{stage} {n}" for stage, n in result.redone.items()) or "nothing"
        focus = f" (shot {shot_id} included)" if shot_id else ""
        return (f"rendered {result.video} ({result.duration:.1f} s){focus}; redone: {redone}")
    return run


def status_for(project: Project):
    def report() -> str:
        data, stale = last_render(project)
        if data is None:
            return "not rendered yet"
        video = Path(data["output"])
        if not video.exists():
            return f"the last render's file {video} is gone; render again"
        length = sum(s["frames"] for s in data["shots"]) / data["fps"]
        return (f"last render: {video} ({len(data['shots'])} shots, about {length:.0f} s of "
                f"shots). " + ("The storyboard changed since: render to update it." if stale
                               else "It is up to date with the storyboard."))
    return report


def open_chat(project_dir: Path, model: BaseChatModel) -> StudioChat:
    project = Project.for_storyboard(Path(project_dir) / STORYBOARD)
    if not project.storyboard_path.exists():
        raise FileNotFoundError(f"{project.storyboard_path} not found; create the project with "
                                "`storyreel new DIR --brief \"...\"` first")
    tools = make_studio_tools(editor_for(project), render_for(project), status_for(project))
    return StudioChat(model, tools, project.state_dir)
