"""The shot list: id, duration, narration start, generator, take, status (live in renders), and
a mark on shots whose take (keyframe still, with `keyframes:`) is approved."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message
from textual.widgets import DataTable

from storyreel.studio.review import ShotReview

COLUMNS = ("shot", "dur", "at", "gen", "take", "status")


class ShotsTable(DataTable):
    DEFAULT_CSS = """
    ShotsTable { height: 1fr; }
    """

    @dataclass
    class Selected(Message):
        shot_id: str

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for column in COLUMNS:
            self.add_column(column, key=column)

    def show(self, reviews: list[ShotReview], live: dict[str, str] | None = None) -> None:
        """Fill the table; `live` holds per-shot render stages that override the status."""
        live = live or {}
        selected = self.cursor_row
        self.clear()
        for review in reviews:
            status = live.get(review.id) or review.status
            # a still shot is approved when any of its stills is, whichever one is shown
            approved = review.approved if review.still is None else \
                review.still.approved is not None
            if approved:
                status += " ✓"
            self.add_row(review.id,
                         f"{review.duration:.1f}s" if review.duration is not None else "-",
                         f"{review.start:.1f}s" if review.start is not None else "-",
                         review.generator, str(review.take), status, key=review.id)
        if reviews:
            self.move_cursor(row=min(selected, len(reviews) - 1))

    def set_status(self, shot_id: str, status: str) -> None:
        if shot_id in self.rows:
            self.update_cell(shot_id, "status", status)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self.post_message(self.Selected(event.row_key.value))
