"""Rich progress bars for a render: one bar per stage, counting shots."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .events import STAGES, Event, Stage

LABELS = {"voice": "narration", "align": "word timing", "visual": "visuals",
          "effects": "effects", "segment": "segments", "audio": "sound mix", "mux": "final file"}
WHOLE_PROGRAMME: tuple[Stage, ...] = ("audio", "mux")
# Stages only some shots go through: their bar shows once the render plans them (a count).
SOME_SHOTS: tuple[Stage, ...] = ("effects",)


def subject(event: Event) -> str:
    """What a stage is working on, in words: a bare shot id ("close") reads like a status."""
    if event.stage in WHOLE_PROGRAMME:
        return "programme"
    return f"shot {event.shot}" if event.shot else ""


class RichProgress:
    """An event sink that draws per-stage progress; warnings and failures print above it."""

    def __init__(self, console: Console):
        self.console = console
        self.progress = Progress(TextColumn("{task.description:>12}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn("{task.fields[shot]}"),
                                 TimeElapsedColumn(), console=console, transient=False)
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> RichProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.__exit__(*exc)

    def handle(self, event: Event) -> None:
        if event.kind == "plan" and event.stage in self.tasks:
            self.progress.update(self.tasks[event.stage], total=event.total,
                                 visible=bool(event.total) or event.stage not in SOME_SHOTS)
            return
        if event.kind == "plan":
            for stage in STAGES:
                total = 1 if stage in WHOLE_PROGRAMME else event.total
                self.tasks[stage] = self.progress.add_task(LABELS[stage], total=total, shot="",
                                                           visible=stage not in SOME_SHOTS)
            return
        if event.kind == "warning":
            where = f"{subject(event)}: " if subject(event) else ""
            self.console.print(f"[yellow]warning:[/] {escape(where)}{escape(event.message or '')}")
            return
        if event.stage is None or event.stage not in self.tasks:
            return
        task = self.tasks[event.stage]
        if event.kind == "start":
            self.progress.update(task, shot=subject(event))
        elif event.kind == "failed":
            self.console.print(f"[red]failed:[/] {escape(subject(event))} ({event.stage}): "
                               f"{escape(event.message or '')}")
        elif event.kind in ("done", "cached"):
            self.progress.advance(task)
