"""The Shots tab: the shot list beside the review of the selected shot, with shot keys."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message

from .review_panel import ReviewPanel
from .shots_table import ShotsTable


class ShotsPane(Horizontal):
    DEFAULT_CSS = """
    ShotsPane ShotsTable { width: 1fr; min-width: 44; }
    ShotsPane ReviewPanel { width: 1fr; min-width: 28; border-left: solid $primary; }
    """
    BINDINGS = [
        Binding("a", "approve", "Approve take"),
        Binding("g", "regenerate", "New take"),
        Binding("t", "previous_take", "Earlier take"),
        Binding("p", "play_shot", "Play shot"),
        Binding("P", "play_video", "Play video"),
    ]

    @dataclass
    class ShotAction(Message):
        action: str  # "approve", "regenerate", "previous_take", "play_shot", "play_video"
        shot_id: str | None

    def __init__(self, graphics: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.graphics = graphics

    def compose(self) -> ComposeResult:
        yield ShotsTable(id="shots")
        yield ReviewPanel(graphics=self.graphics, id="review")

    def _selected(self) -> str | None:
        table = self.query_one(ShotsTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def action_approve(self) -> None:
        self.post_message(self.ShotAction("approve", self._selected()))

    def action_regenerate(self) -> None:
        self.post_message(self.ShotAction("regenerate", self._selected()))

    def action_previous_take(self) -> None:
        self.post_message(self.ShotAction("previous_take", self._selected()))

    def action_play_shot(self) -> None:
        self.post_message(self.ShotAction("play_shot", self._selected()))

    def action_play_video(self) -> None:
        self.post_message(self.ShotAction("play_video", None))
