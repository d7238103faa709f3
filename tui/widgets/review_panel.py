"""The selected shot: its keyframe (or keyframe still), narration, subtitle lines, take and
GPU cost."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Grid, Vertical, VerticalScroll
from textual.markup import escape
from textual.reactive import reactive
from textual.widgets import Static
from textual_image.widget import HalfcellImage, Image

from storyreel.studio.plan_cost import ESTIMATE, MEASURED_HERE, ShotCost, human_seconds
from storyreel.studio.review import ShotReview, StillReview


class ReviewPanel(Vertical):
    DEFAULT_CSS = """
    ReviewPanel { height: 1fr; }
    ReviewPanel #keyframe { height: 2fr; max-height: 16; width: 1fr; }
    ReviewPanel #takes { height: 7; grid-rows: 7; display: none; }
    ReviewPanel #takes.shown { display: block; }
    ReviewPanel .take { width: 1fr; height: 6; }
    ReviewPanel #takes Vertical { height: 7; }
    ReviewPanel .take-label { width: 1fr; height: 1; content-align: center middle; }
    ReviewPanel #details { height: 1fr; min-height: 5; }
    """

    review: reactive[ShotReview | None] = reactive(None)
    cues: reactive[tuple[str, ...]] = reactive(())
    keyframe: reactive[Path | None] = reactive(None)
    # (take, keyframe) of the shot's earlier and current takes, shown side by side
    takes: reactive[tuple[tuple[int, Path], ...]] = reactive(())
    cost: reactive[ShotCost | None] = reactive(None)  # a render's GPU time for the shot

    def __init__(self, graphics: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        # Terminal graphics where supported; half-blocks everywhere else (and in tests).
        self.image_class = Image if graphics else HalfcellImage

    def compose(self) -> ComposeResult:
        yield self.image_class(None, id="keyframe")
        yield Grid(id="takes")
        with VerticalScroll(id="details"):
            yield Static("Select a shot.", id="text")

    def watch_keyframe(self, path: Path | None) -> None:
        self.query_one("#keyframe").image = str(path) if path else None

    async def watch_takes(self, takes: tuple[tuple[int, Path], ...]) -> None:
        grid = self.query_one("#takes", Grid)
        await grid.remove_children()
        grid.set_class(len(takes) >= 2, "shown")
        if len(takes) < 2:
            return
        shown = takes[-3:]
        grid.styles.grid_size_columns = len(shown)
        current = self.review.take if self.review else None
        cells = []
        for take, frame in shown:
            label = f"[b]{take}[/b]" if take == current else str(take)
            cells.append(Vertical(self.image_class(str(frame), classes="take"),
                                  Static(label, classes="take-label")))
        await grid.mount_all(cells)

    def watch_review(self) -> None:
        self._refresh_text()

    def watch_cues(self) -> None:
        self._refresh_text()

    def watch_cost(self) -> None:
        self._refresh_text()

    def _refresh_text(self) -> None:
        review = self.review
        if review is None:
            return
        if review.still is None:
            take = f"take {review.take}" + (" (approved)" if review.approved else "")
        else:
            take = f"still take {review.take}"
        lines = [f"[b]{review.id}[/b]  {take}  [dim]{review.status}[/dim]"]
        if review.still is not None:
            lines.append(still_line(review.still, review.approved))
        if self.cost is not None and self.cost.seconds:
            lines.append(f"[dim]{cost_line(self.cost)}[/dim]")
        lines += ["", escape(review.narration) if review.narration
                  else "[dim](no narration)[/dim]"]
        if review.sound:
            lines += ["", f"[dim]sound:[/dim] {escape(review.sound)}"]
        if self.cues:
            lines += ["", "[dim]subtitles:[/dim]", *map(escape, self.cues)]
        self.query_one("#text", Static).update("\n".join(lines))


def still_line(still: StillReview, approved: bool) -> str:
    """Whether the still under review is made and approved, and what the keys do about it."""
    if still.path is None:
        return "[yellow]no still yet: press g[/yellow]"
    if approved:
        return "[green]approved[/green]: renders start from this still"
    other = f"; approved: take {still.approved}" if still.approved is not None else ""
    return f"[yellow]not approved[/yellow] (a approves it{other})"


def cost_line(cost: ShotCost) -> str:
    """'GPU: still 1 s + video 40 s (H100, estimate)': a render's GPU time for the shot."""
    parts = {"still": cost.keyframe, "video": cost.video}
    sources = {c.source for c in parts.values() if c is not None}
    where = "this GPU" if all(s.startswith(MEASURED_HERE) for s in sources) else "H100"
    return "GPU: " + " + ".join(f"{name} {human_seconds(c.seconds)}" for name, c in parts.items()
                                if c is not None) + \
        f" ({where}{', estimate' if ESTIMATE in sources else ''})"
