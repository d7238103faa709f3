"""The studio: shots and review, the storyboard editor, chat, and render, one tab each."""

from __future__ import annotations

import random
import shutil
import subprocess
import threading

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, TabbedContent, TabPane

from storyreel.storyboards import StoryboardError, load_storyboard
from storyreel.storyboards.edits import EditError
from storyreel.studio.chat import editor_for, open_chat
from storyreel.studio.project import Project
from storyreel.studio.render import RenderCancelled, RenderError, render
from storyreel.studio.review import approve, keyframe, reviews, shot_cues
from storyreel.studio.takes import shot_takes

from ..messages import RenderFinished, RenderProgress, StoryboardSaved
from ..widgets.chat_panel import ChatPanel
from ..widgets.render_panel import RenderPanel
from ..widgets.review_panel import ReviewPanel
from ..widgets.shots_pane import ShotsPane
from ..widgets.shots_table import ShotsTable
from ..widgets.storyboard_editor import StoryboardEditor

PLAYERS = (["mpv", "--really-quiet"], ["ffplay", "-autoexit", "-loglevel", "quiet"], ["vlc"],
           ["xdg-open"])


class StudioScreen(Screen):
    BINDINGS = [
        Binding("ctrl+r", "render", "Render / cancel", priority=True),
        Binding("f1", "tab('shots')", "Shots"),
        Binding("f2", "tab('storyboard')", "Storyboard"),
        Binding("f3", "tab('chat')", "Chat"),
        Binding("f4", "tab('render')", "Render"),
    ]

    def __init__(self, project: Project, model_factory, graphics: bool = True) -> None:
        super().__init__()
        self.project = project
        self.model_factory = model_factory
        self.graphics = graphics
        self.cancel: threading.Event | None = None
        self.live: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="shots", id="tabs"):
            with TabPane("Shots", id="shots"):
                yield ShotsPane(graphics=self.graphics)
            with TabPane("Storyboard", id="storyboard"):
                yield StoryboardEditor(editor_for(self.project))
            with TabPane("Chat", id="chat"):
                yield ChatPanel(lambda: open_chat(self.project.root, self.model_factory()))
            with TabPane("Render", id="render"):
                yield RenderPanel()
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_shots()
        self.query_one(ShotsTable).focus()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """Keyboard first: switching tabs focuses the tab's main widget."""
        target = {"shots": ShotsTable, "storyboard": "#yaml", "chat": "#message"}.get(
            event.pane.id or "")
        if target is not None:
            widget = self.query_one(target)
            if not widget.disabled:
                widget.focus()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    # Shots and review -----------------------------------------------------------------

    def refresh_shots(self) -> None:
        try:
            board, _ = load_storyboard(self.project.storyboard_path)
        except StoryboardError as error:
            self.notify(f"storyboard.yaml has problems: {error}", severity="error", timeout=8,
                        markup=False)
            return
        self.title = f"storyreel: {board.title}"
        self.sub_title = self.project.root.name
        self.reviews = {r.id: r for r in reviews(self.project, board)}
        self.query_one(ShotsTable).show(list(self.reviews.values()), self.live)

    def on_shots_table_selected(self, message: ShotsTable.Selected) -> None:
        review = self.reviews.get(message.shot_id)
        panel = self.query_one(ReviewPanel)
        panel.review = review
        panel.cues = tuple(shot_cues(self.project, review)) if review else ()
        panel.keyframe = None
        panel.takes = ()
        if review and review.clip:
            self.load_keyframes(review.id, review.clip)

    @work(thread=True, exclusive=True, group="keyframe")
    def load_keyframes(self, shot_id: str, clip) -> None:
        panel = self.query_one(ReviewPanel)
        self.app.call_from_thread(setattr, panel, "keyframe", keyframe(self.project, clip))
        frames = tuple((take, keyframe(self.project, path))
                       for take, path in shot_takes(self.project, shot_id))
        self.app.call_from_thread(setattr, panel, "takes", frames)

    def on_shots_pane_shot_action(self, message: ShotsPane.ShotAction) -> None:
        review = self.reviews.get(message.shot_id) if message.shot_id else None
        if message.action == "play_video":
            self.play(self.project.out_dir / "final.mp4", 0.0)
        elif review is None:
            self.notify("no shot selected", severity="warning")
        elif message.action == "approve":
            approve(self.project, review.id, review.take)
            self.notify(f"approved take {review.take} of {review.id}")
            self.refresh_shots()
        elif message.action == "regenerate":
            seed = random.randrange(100_000)
            self.use_take(review.id, seed, f"new take {seed} for {review.id}; rendering")
        elif message.action == "previous_take":
            history = [take for take, _ in shot_takes(self.project, review.id)]
            earlier = [t for t in history if t != review.take]
            if not earlier:
                self.notify("no earlier take; press g for a new one", severity="warning")
                return
            # cycle backwards through the history, newest first
            position = history.index(review.take) if review.take in history else len(history)
            target = history[position - 1] if position > 0 else history[-1]
            self.use_take(review.id, target,
                          f"back to take {target} of {review.id}; rendering (from cache)")
        elif message.action == "play_shot":
            self.play(self.project.out_dir / "final.mp4", max(0.0, (review.start or 0) - 0.4))

    def use_take(self, shot_id: str, seed: int, message: str) -> None:
        """Make `seed` the shot's take and render (a take seen before comes from cache)."""
        try:
            editor_for(self.project).set_generator(shot_id, seed=seed)
        except EditError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self.notify(message)
        self.live[shot_id] = "queued"
        self.refresh_shots()
        self.action_render()

    def play(self, video, start: float) -> None:
        if not video.exists():
            self.notify("render first (ctrl+r)", severity="warning")
            return
        for command in PLAYERS:
            if shutil.which(command[0]):
                seek = {"mpv": [f"--start={start:.2f}"], "ffplay": ["-ss", f"{start:.2f}"]}
                subprocess.Popen([*command, *seek.get(command[0], []), str(video)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                return
        self.notify(f"no video player found (mpv, ffplay, vlc); the file is {video}", markup=False,
                    severity="warning", timeout=8)

    def on_storyboard_saved(self, _: StoryboardSaved) -> None:
        self.refresh_shots()

    # Render ---------------------------------------------------------------------------

    def action_render(self) -> None:
        if self.cancel is not None:
            self.cancel.set()
            self.notify("cancelling; finished work is kept")
            return
        self.cancel = threading.Event()
        self.query_one(RenderPanel).start(len(self.reviews))
        self.run_render(self.cancel)

    @work(thread=True, exclusive=True, group="render")
    def run_render(self, cancel: threading.Event) -> None:
        try:
            result = render(self.project.storyboard_path,
                            events=lambda e: self.post_message(RenderProgress(e)), cancel=cancel)
            self.post_message(RenderFinished(str(result.video)))
        except (RenderCancelled, RenderError, StoryboardError, OSError, RuntimeError,
                ValueError) as error:
            self.post_message(RenderFinished(None, str(error)))

    def on_render_progress(self, message: RenderProgress) -> None:
        event = message.event
        self.query_one(RenderPanel).handle(event)
        if event.kind == "warning" and event.message:
            where = f"{event.shot}: " if event.shot else ""
            self.notify(where + event.message, severity="warning", timeout=8, markup=False)
        if event.shot and event.stage and event.shot in self.reviews:
            state = {"start": f"{event.stage}...", "failed": "failed"}.get(event.kind)
            if event.kind == "progress" and event.fraction is not None:
                state = f"{event.stage} {event.fraction:.0%}"
            if state:
                self.live[event.shot] = state
                self.query_one(ShotsTable).set_status(event.shot, state)

    def on_render_finished(self, message: RenderFinished) -> None:
        self.cancel = None
        self.live = {k: v for k, v in self.live.items() if v == "failed"}
        self.query_one(RenderPanel).finish(message.video, message.error)
        if message.video:
            self.notify(f"rendered {message.video}", markup=False)
        else:
            self.notify(message.error or "render failed", severity="error", timeout=10,
                        markup=False)
        self.refresh_shots()

    def on_unmount(self) -> None:
        if self.cancel is not None:
            self.cancel.set()  # quitting mid-render leaves a project that resumes
