"""Render progress per stage, the log, where the file went, and (with keyframes) whether to
render only when every shot's still is approved."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import Label, ProgressBar, RichLog, Static, Switch

from storyreel.studio.events import STAGES, Event
from storyreel.studio.progress import LABELS


class RenderPanel(Vertical):
    DEFAULT_CSS = """
    RenderPanel .stage { height: 1; }
    RenderPanel .stage Label { width: 14; }
    RenderPanel ProgressBar { width: 1fr; }
    RenderPanel #output { height: auto; margin: 1 0; }
    RenderPanel RichLog { height: 1fr; }
    RenderPanel #only-approved { height: auto; display: none; }
    RenderPanel #only-approved Label { padding: 1 1; }
    """

    keyframes: reactive[bool] = reactive(False)  # the storyboard makes keyframe stills

    def compose(self) -> ComposeResult:
        for stage in STAGES:
            with Horizontal(classes="stage"):
                yield Label(LABELS[stage])
                yield ProgressBar(total=1, id=f"bar-{stage}", show_eta=False)
        with Horizontal(id="only-approved"):
            yield Switch(id="approved-only")
            yield Label("only approved shots (no render while a still is unapproved)")
        yield Static("Press ctrl+r to render (only what changed is redone).", id="output")
        yield RichLog(id="render-log", wrap=True, markup=True)

    def watch_keyframes(self, keyframes: bool) -> None:
        self.query_one("#only-approved").display = keyframes

    @property
    def approved_only(self) -> bool:
        """Whether the next render refuses shots whose keyframe still is not approved."""
        return self.keyframes and self.query_one("#approved-only", Switch).value

    def start(self, shots: int) -> None:
        for stage in STAGES:
            total = 1 if stage in ("audio", "mux") else shots
            self.query_one(f"#bar-{stage}", ProgressBar).update(total=total, progress=0)
        self.query_one("#output", Static).update("rendering... (ctrl+r to cancel)")

    def handle(self, event: Event) -> None:
        if event.kind == "plan" and event.stage:
            self.query_one(f"#bar-{event.stage}", ProgressBar).update(total=event.total)
        elif event.kind in ("done", "cached") and event.stage:
            self.query_one(f"#bar-{event.stage}", ProgressBar).advance(1)
        # a farm's "done" says which node did the work ("on NODE"): shown for every stage
        if event.kind == "warning" or (event.kind in ("done", "failed") and (
                event.stage not in (None, "segment") or event.message)):
            colour = {"done": "green", "failed": "red", "warning": "yellow"}[event.kind]
            self.query_one(RichLog).write(f"[{colour}]{event.kind}[/] {event.stage or ''} "
                                          f"{event.shot or ''} {escape(event.message or '')}")

    def finish(self, video: str | None, error: str | None) -> None:
        text = f"[green]rendered:[/] {escape(video)}" if video else f"[red]{escape(error or '')}[/]"
        self.query_one("#output", Static).update(text)
        self.query_one(RichLog).write(text)
