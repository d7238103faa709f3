"""The studio: shots and review, the storyboard editor, chat, and render, one tab each."""

from __future__ import annotations

import random
import threading
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, TabbedContent, TabPane

from storyreel.storyboards import StoryboardError, load_storyboard
from storyreel.storyboards.errors import UserError
from storyreel.studio import keyframes, preview
from storyreel.studio.chat import editor_for, open_chat
from storyreel.studio.keyframes import KeyframesNotApproved
from storyreel.studio.plan_cost import ShotCost, plan_cost
from storyreel.studio.project import Project
from storyreel.studio.render import RenderCancelled, RenderError, render
from storyreel.studio.review import ShotReview, approve, keyframe, last_render, reviews, shot_cues
from storyreel.studio.takes import shot_takes

from ..messages import RenderFinished, RenderProgress, StillMade, StoryboardSaved
from ..widgets.chat_panel import ChatPanel
from ..widgets.render_panel import RenderPanel
from ..widgets.review_panel import ReviewPanel
from ..widgets.shots_pane import ShotsPane
from ..widgets.shots_table import ShotsTable
from ..widgets.yaml_editor import YamlEditor


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
        self.reviews: dict[str, ShotReview] = {}  # empty until the storyboard loads
        self.costs: dict[str, ShotCost] = {}  # a render's GPU time per shot
        self.shown: dict[str, int] = {}  # the still take the user last made (g) or picked (t)
        # one still at a time: a loaded text-to-image pipeline is not shared between threads
        self.making_still = threading.Lock()

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="shots", id="tabs"):
            with TabPane("Shots", id="shots"):
                yield ShotsPane(graphics=self.graphics)
            with TabPane("Storyboard", id="storyboard"):
                yield YamlEditor(editor_for(self.project))
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
            self.reviews = {r.id: r for r in reviews(self.project, board, self.shown)}
        except UserError as error:  # the YAML, or a cast picture the stills need is missing
            self.notify(f"storyboard.yaml has problems: {error}", severity="error", timeout=8,
                        markup=False)
            return
        try:
            self.costs = {cost.shot: cost for cost in plan_cost(self.project, board).shots}
        except UserError:  # a backend with no known speed: no estimate, nothing else lost
            self.costs = {}
        self.title = f"storyreel: {board.title}"
        self.sub_title = self.project.root.name
        self.query_one(RenderPanel).keyframes = board.keyframes is not None
        self.query_one(ShotsTable).show(list(self.reviews.values()), self.live)
        shown = self.query_one(ReviewPanel).review
        if shown is not None:
            self.show_review(shown.id)  # its take or approval may have changed

    def on_shots_table_selected(self, message: ShotsTable.Selected) -> None:
        self.show_review(message.shot_id)

    def show_review(self, shot_id: str) -> None:
        review = self.reviews.get(shot_id)
        panel = self.query_one(ReviewPanel)
        if review is None or panel.review is None or panel.review.id != review.id:
            panel.cues, panel.keyframe, panel.takes = (), None, ()  # another shot's
        panel.cost = self.costs.get(shot_id)
        panel.review = review
        if review:
            self.load_review(review)

    @work(thread=True, exclusive=True, group="review")
    def load_review(self, review: ShotReview) -> None:
        """The shot's subtitle lines, keyframe and earlier takes: parsing and ffmpeg, off the
        event loop."""
        self.app.call_from_thread(self._show, review.id, "cues",
                                  tuple(shot_cues(self.project, review)))
        if review.still is not None:  # stills are pictures already: nothing to extract
            self.app.call_from_thread(self._show, review.id, "keyframe", review.still.path)
            self.app.call_from_thread(self._show, review.id, "takes", review.still.takes)
            return
        if review.clip is None:
            return
        self.app.call_from_thread(self._show, review.id, "keyframe",
                                  keyframe(self.project, review.clip,
                                           shot_seconds=review.duration))
        frames = tuple((take, keyframe(self.project, path, shot_seconds=review.duration))
                       for take, path in shot_takes(self.project, review.id))
        self.app.call_from_thread(self._show, review.id, "takes", frames)

    def _show(self, shot_id: str, field: str, value: object) -> None:
        """Set a review detail, unless the user has moved on to another shot meanwhile."""
        for panel in self.query(ReviewPanel):  # none left when the app is closing
            if panel.review is not None and panel.review.id == shot_id:
                setattr(panel, field, value)

    def on_shots_pane_approve(self, message: ShotsPane.Approve) -> None:
        review = self.reviews.get(message.shot_id)
        if review is None:
            return
        if review.still is None:
            approve(self.project, review.id, review.take)
        elif review.still.path is None:
            self.notify("no still yet: press g", severity="warning")
            return
        else:
            try:
                keyframes.approve(self.project, review.id, review.take)
            except UserError as error:
                self.notify(str(error), severity="error", timeout=8, markup=False)
                return
        kind = "still take" if review.still else "take"
        self.notify(f"approved {kind} {review.take} of {review.id}")
        self.refresh_shots()

    def on_shots_pane_regenerate(self, message: ShotsPane.Regenerate) -> None:
        review = self.reviews.get(message.shot_id)
        if review is not None and review.still is not None:
            self._set_live(review.id, "keyframe...")
            self.make_still(review.id)
            return
        seed = random.randrange(100_000)
        self.use_take(message.shot_id, seed, f"new take {seed} for {message.shot_id}; rendering")

    @work(thread=True, group="stills")
    def make_still(self, shot_id: str) -> None:
        """A new still take of the shot: seconds of a text-to-image model, off the event loop."""
        def progress(fraction: float) -> None:
            self.app.call_from_thread(self._set_live, shot_id, f"keyframe {fraction:.0%}")

        try:
            with self.making_still:
                still = keyframes.new_take(self.project, shot_id, progress)
        except (UserError, OSError, RuntimeError, ValueError) as error:
            self.post_message(StillMade(shot_id, None, str(error)))
        else:
            self.post_message(StillMade(shot_id, still.take))

    def on_still_made(self, message: StillMade) -> None:
        self.live.pop(message.shot_id, None)
        if message.take is None:
            self.notify(message.error or "no still made", severity="error", timeout=10,
                        markup=False)
        else:
            self.shown[message.shot_id] = message.take
            self.notify(f"new still: take {message.take} of {message.shot_id} (a approves it)",
                        markup=False)
        self.refresh_shots()

    def on_shots_pane_previous_take(self, message: ShotsPane.PreviousTake) -> None:
        review = self.reviews.get(message.shot_id)
        if review is None:
            return
        history = [take for take, _ in (review.still.takes if review.still
                                        else shot_takes(self.project, review.id))]
        if not [t for t in history if t != review.take]:
            self.notify("no earlier take; press g for a new one", severity="warning")
            return
        # cycle backwards through the history, newest first
        position = history.index(review.take) if review.take in history else len(history)
        target = history[position - 1] if position > 0 else history[-1]
        if review.still is not None:  # a still made before: only shown again
            self.shown[review.id] = target
            self.refresh_shots()
            return
        self.use_take(review.id, target,
                      f"back to take {target} of {review.id}; rendering (from cache)")

    def on_shots_pane_play_shot(self, message: ShotsPane.PlayShot) -> None:
        if message.shot_id in self.reviews:
            if self.cancel is not None:
                self.notify("the preview waits for the render to finish")
            self.play_preview(message.shot_id)

    @work(thread=True, exclusive=True, group="preview")
    def play_preview(self, shot_id: str) -> None:
        """`p`: the shot alone from the cache, as `storyreel preview` builds it (an edited
        shot's own work is done first); off the event loop."""
        try:
            path = preview.preview_shot(self.project.storyboard_path, shot_id)
        except (UserError, OSError, RuntimeError, ValueError) as error:
            self.app.call_from_thread(self.notify, str(error), severity="error", markup=False)
            return
        self.app.call_from_thread(self._open, path, 0.0)

    def on_shots_pane_play_video(self, _: ShotsPane.PlayVideo) -> None:
        self.play(0.0)

    def use_take(self, shot_id: str, seed: int, message: str) -> None:
        """Make `seed` the shot's take and render (a take seen before comes from cache)."""
        self._set_live(shot_id, "queued")
        self.set_take(shot_id, seed, message)

    def _set_live(self, shot_id: str, state: str) -> None:
        """What is happening to the shot right now, shown as its status until it is done."""
        self.live[shot_id] = state
        self.query_one(ShotsTable).set_status(shot_id, state)

    @work(thread=True, group="take")
    def set_take(self, shot_id: str, seed: int, message: str) -> None:
        """The edit waits while another program edits the storyboard: off the event loop."""
        try:
            editor_for(self.project).set_generator(shot_id, seed=seed)
        except (UserError, OSError) as error:
            self.app.call_from_thread(self._take_not_set, shot_id, str(error))
        else:
            self.app.call_from_thread(self._take_set, message)

    def _take_set(self, message: str) -> None:
        self.notify(message)
        self.refresh_shots()
        self.action_render()

    def _take_not_set(self, shot_id: str, error: str) -> None:
        self.live.pop(shot_id, None)
        self.notify(error, severity="error", markup=False)
        self.refresh_shots()

    def play(self, start: float) -> None:
        """Play the last render's video from `start` seconds."""
        manifest, _ = last_render(self.project)
        if manifest is None or not manifest.output.exists():
            self.notify("render first (ctrl+r)", severity="warning")
            return
        self._open(manifest.output, start)

    def _open(self, video: Path, start: float) -> None:
        if preview.play(video, start) is None:
            self.notify(f"no video player found (mpv, ffplay, vlc); the file is {video}",
                        markup=False, severity="warning", timeout=8)

    def on_storyboard_saved(self, _: StoryboardSaved) -> None:
        self.refresh_shots()

    # Render ---------------------------------------------------------------------------

    def action_render(self) -> None:
        if self.cancel is not None:
            self.cancel.set()
            self.notify("cancelling; finished work is kept")
            return
        self.cancel = threading.Event()
        panel = self.query_one(RenderPanel)
        panel.start(len(self.reviews))
        self.run_render(self.cancel, panel.approved_only)

    @work(thread=True, exclusive=True, group="render")
    def run_render(self, cancel: threading.Event, approved_only: bool) -> None:
        try:
            result = render(self.project.storyboard_path,
                            events=lambda e: self.post_message(RenderProgress(e)), cancel=cancel,
                            approved_only=approved_only)
            self.post_message(RenderFinished(str(result.video)))
        except KeyframesNotApproved as error:  # said for the TUI, not the command line
            self.post_message(RenderFinished(None, (
                f"{len(error.shots)} shot(s) have no approved still, so nothing was rendered: "
                f"{', '.join(error.shots)}. Approve a still of each in the Shots tab (a), or "
                "switch off 'only approved shots'")))
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
                self._set_live(event.shot, state)

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
