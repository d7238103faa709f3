"""The selected shot: its keyframe, narration, subtitle lines and take."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static
from textual_image.widget import HalfcellImage, Image

from storyreel.studio.review import ShotReview


class ReviewPanel(Vertical):
    DEFAULT_CSS = """
    ReviewPanel { height: 1fr; }
    ReviewPanel #keyframe { height: 12; width: 1fr; }
    ReviewPanel #details { height: 1fr; }
    """

    review: reactive[ShotReview | None] = reactive(None)
    cues: reactive[tuple[str, ...]] = reactive(())
    keyframe: reactive[Path | None] = reactive(None)

    def __init__(self, graphics: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        # Terminal graphics where supported; half-blocks everywhere else (and in tests).
        self.image_class = Image if graphics else HalfcellImage

    def compose(self) -> ComposeResult:
        yield self.image_class(None, id="keyframe")
        with VerticalScroll(id="details"):
            yield Static("Select a shot.", id="text")

    def watch_keyframe(self, path: Path | None) -> None:
        self.query_one("#keyframe").image = str(path) if path else None

    def watch_review(self) -> None:
        self._refresh_text()

    def watch_cues(self) -> None:
        self._refresh_text()

    def _refresh_text(self) -> None:
        review = self.review
        if review is None:
            return
        take = f"take {review.take}" + (" (approved)" if review.approved else "")
        lines = [f"[b]{review.id}[/b]  {take}  [dim]{review.status}[/dim]", "",
                 review.narration or "[dim](no narration)[/dim]"]
        if self.cues:
            lines += ["", "[dim]subtitles:[/dim]", *self.cues]
        self.query_one("#text", Static).update("\n".join(lines))
