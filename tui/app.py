"""The storyreel studio app: a thin shell that opens the right screen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from textual.app import App

from storyreel.studio.project import STORYBOARD, Project

from .screens.brief_screen import BriefScreen
from .screens.studio_screen import StudioScreen


class StoryreelApp(App):
    CSS_PATH = "storyreel.tcss"
    TITLE = "storyreel"

    def __init__(self, directory: Path, model_factory: Callable[[], BaseChatModel],
                 graphics: bool = True) -> None:
        super().__init__()
        self.directory = Path(directory).resolve()
        self.model_factory = model_factory
        self.graphics = graphics

    def on_mount(self) -> None:
        storyboard = self.directory / STORYBOARD
        if storyboard.exists():
            self.open_studio(Project.for_storyboard(storyboard))
        else:
            self.push_screen(BriefScreen(self.directory, self.model_factory))

    def open_studio(self, project: Project) -> None:
        studio = StudioScreen(project, self.model_factory, self.graphics)
        if isinstance(self.screen, BriefScreen):
            self.switch_screen(studio)
        else:
            self.push_screen(studio)
