"""Start a project from a brief (planned by the LLM), or from the example storyboard."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static

from storyreel.agent.planner import plan_storyboard
from storyreel.studio.project import Project


class BriefScreen(Screen):
    DEFAULT_CSS = """
    BriefScreen Vertical { padding: 1 2; }
    BriefScreen #status { margin-top: 1; height: auto; }
    """

    def __init__(self, directory: Path, model_factory) -> None:
        super().__init__()
        self.directory = directory
        self.model_factory = model_factory

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Static(f"No storyboard in [b]{self.directory.name}/[/] yet. Describe the video, "
                         "or press enter on an empty line to start from the example.")
            yield Input(placeholder="a 75-second explainer on how coffee spread, vertical",
                        id="brief")
            yield Static("", id="status")
        yield Footer()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.input.disabled = True
        self.plan(event.value.strip())

    def _status(self, text: str) -> None:
        self.app.call_from_thread(self.query_one("#status", Static).update, text)

    @work(thread=True, exclusive=True, group="plan")
    def plan(self, brief: str) -> None:
        try:
            data = None
            if brief:
                data = plan_storyboard(brief, self.model_factory(), on_progress=self._status)
            project = Project.create(self.directory, data=data)
        except Exception as error:  # show it; the user can edit the brief and try again
            self._status(f"[red]{error}[/]")
            self.app.call_from_thread(setattr, self.query_one(Input), "disabled", False)
            return
        self.app.call_from_thread(self.app.open_studio, project)
