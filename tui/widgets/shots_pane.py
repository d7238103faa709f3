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
    class ShotMessage(Message):
        """A key pressed for the selected shot."""

        shot_id: str

    class Approve(ShotMessage):
        """Approve the shot's current take."""

    class Regenerate(ShotMessage):
        """Make a new take of the shot."""

    class PreviousTake(ShotMessage):
        """Go back to the shot's previous take."""

    class PlayShot(ShotMessage):
        """Play the video from the shot."""

    class PlayVideo(Message):
        """Play the whole video."""

    def __init__(self, graphics: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.graphics = graphics

    def compose(self) -> ComposeResult:
        yield ShotsTable(id="shots")
        yield ReviewPanel(graphics=self.graphics, id="review")

    def _for_selected(self, message: type[ShotMessage]) -> None:
        table = self.query_one(ShotsTable)
        if not table.row_count:
            self.notify("no shot selected", severity="warning")
            return
        shot_id = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self.post_message(message(shot_id))

    def action_approve(self) -> None:
        self._for_selected(self.Approve)

    def action_regenerate(self) -> None:
        self._for_selected(self.Regenerate)

    def action_previous_take(self) -> None:
        self._for_selected(self.PreviousTake)

    def action_play_shot(self) -> None:
        self._for_selected(self.PlayShot)

    def action_play_video(self) -> None:
        self.post_message(self.PlayVideo())
