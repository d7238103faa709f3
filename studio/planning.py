"""Storyboard data for a new project: planned by the LLM from a brief, or from a script."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from storyreel.agent.llm import make_chat_model
from storyreel.agent.offline import storyboard_from_script
from storyreel.agent.planner import plan_storyboard


def planned_data(brief: str, model: str | None, progress: Callable[[str], None]) -> dict:
    return plan_storyboard(brief, make_chat_model(model), on_progress=progress)


def script_data(path: Path) -> dict:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise FileNotFoundError(f"cannot read script {path}: {error}") from None
    return storyboard_from_script(text)
