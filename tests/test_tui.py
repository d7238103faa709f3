"""The studio app driven with Pilot: real project, CPU generator, scripted chat model."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from fake_chat import FakeToolCallingModel, call
from langchain_core.messages import AIMessage
from plans import plan
from textual.widgets import TabbedContent

from storyreel.storyboards import dump_document, load_storyboard
from storyreel.tui.app import StoryreelApp
from storyreel.tui.screens.studio_screen import StudioScreen
from storyreel.tui.widgets.render_panel import RenderPanel
from storyreel.tui.widgets.shots_table import ShotsTable
from storyreel.tui.widgets.yaml_editor import YamlEditor


def make_app(directory: Path, model: FakeToolCallingModel | None = None) -> StoryreelApp:
    return StoryreelApp(directory, lambda: model or FakeToolCallingModel(), graphics=False)


async def wait_for(pilot, condition, seconds: float = 120.0) -> None:
    """Let workers run until `condition()` holds (renders take a few seconds on CPU)."""
    for _ in range(int(seconds * 10)):
        await pilot.pause(0.1)
        if condition():
            return
    raise AssertionError("timed out waiting for the app")


def status_of(app: StoryreelApp, shot_id: str) -> str:
    table = app.screen.query_one(ShotsTable)
    return str(table.get_cell(shot_id, "status"))


def text_of(app: StoryreelApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def toasts(app: StoryreelApp) -> list[str]:
    """The notifications on screen, as the user reads them."""
    return [str(toast.render()) for toast in app.screen.query("Toast")]


async def test_create_from_a_brief(tmp_path: Path):
    model = FakeToolCallingModel(structured=[plan(shots=8)])
    app = make_app(tmp_path / "film", model)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.click("#brief")
        await pilot.press(*"coffee, 75 seconds", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, StudioScreen))
        assert app.screen.query_one(ShotsTable).row_count == 8
    board, _ = load_storyboard(tmp_path / "film" / "storyboard.yaml")
    assert board.shots[0].id == "shot-1"


async def test_edit_yaml_with_an_error_then_fix_it(short_project):
    original = short_project.storyboard_path.read_text()
    app = make_app(short_project.root)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f2")
        editor = app.screen.query_one(YamlEditor)
        broken = original.replace("camera: push-in", "camera: sideways")
        line = broken.splitlines().index("    camera: sideways") + 1
        editor.text_area.load_text(broken)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "not saved" in text_of(app, "#problems"), 10)
        assert f":{line}:" in text_of(app, "#problems")  # the line of the error
        assert editor.text_area.cursor_location[0] == line - 1  # the cursor jumps there
        assert short_project.storyboard_path.read_text() == original  # never overwritten
        editor.text_area.load_text(original.replace("camera: push-in", "camera: pan-right"))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: text_of(app, "#problems").startswith("saved"), 10)
    board, _ = load_storyboard(short_project.storyboard_path)
    assert board.shots[0].camera == "pan-right"
    assert len(list(short_project.history_dir.iterdir())) == 1


async def test_yaml_tab_follows_edits_made_elsewhere_and_never_silently_undoes_them(
        short_project):
    from storyreel.studio.chat import editor_for

    elsewhere = editor_for(short_project)  # e.g. `storyreel chat` in another terminal
    app = make_app(short_project.root)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f2")
        editor = app.screen.query_one(YamlEditor)
        elsewhere.set_fields("cup", narration="Steam curls up.")
        await wait_for(pilot, lambda: "Steam curls up." in editor.text_area.text, 5)

        mine = editor.text_area.text.replace("camera: push-in", "camera: static")
        editor.text_area.load_text(mine)  # an unsaved edit here...
        elsewhere.set_fields("calm", narration="Breathe.")  # ...and another one there
        problems = editor.query_one("#problems")
        await wait_for(pilot, lambda: "drops your edits" in str(problems.render()), 5)
        assert editor.text_area.text == mine  # the unsaved edit stays on screen
        await pilot.press("ctrl+s")  # saving now, having been told, means it
        await wait_for(pilot, lambda: short_project.storyboard_path.read_text() == mine, 10)
    kept = [p.read_text() for p in short_project.history_dir.iterdir()]
    assert any("Breathe." in text for text in kept)  # the other version is in history


async def test_brackets_in_the_narration_are_shown_as_written(short_project):
    from storyreel.studio.chat import editor_for

    editor_for(short_project).set_fields("leaves", narration="Tea [laughs] begins [b]here.",
                                         sound="wind [soft]")
    app = make_app(short_project.root)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        text = str(app.screen.query_one("#text").render())
        assert "Tea [laughs] begins [b]here." in text and "sound: wind [soft]" in text


async def test_render_warnings_are_shown_wherever_the_user_is(short_project):
    from textual.widgets import RichLog

    from storyreel.studio.events import Event
    from storyreel.tui.messages import RenderProgress

    app = make_app(short_project.root)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        warning = "ltx-2 will run on the CPU (no CUDA GPU here) [slow]"
        app.screen.post_message(RenderProgress(Event(kind="warning", message=warning)))
        await wait_for(pilot, lambda: toasts(app), 5)
        assert toasts(app) == [warning]  # seen from the Shots tab, brackets as written
        await pilot.press("f4")
        await pilot.pause(0.2)
        log = app.screen.query_one(RenderPanel).query_one(RichLog)
        assert any(warning in line.text for line in log.lines)  # and kept in the Render log


async def test_the_render_log_says_which_farm_node_made_a_shot(short_project):
    from textual.widgets import RichLog

    from storyreel.studio.events import Event
    from storyreel.tui.messages import RenderProgress

    app = make_app(short_project.root)
    async with app.run_test(size=(100, 30)) as pilot:
        for stage in ("visual", "segment"):
            app.screen.post_message(RenderProgress(Event(kind="done", stage=stage, shot="cup",
                                                         message="on gpu-node-2")))
        await pilot.press("f4")
        await pilot.pause(0.2)
        log = app.screen.query_one(RenderPanel).query_one(RichLog)
        said = [line.text for line in log.lines]
        assert "done visual cup on gpu-node-2" in said and "done segment cup on gpu-node-2" in said


async def test_render_then_regenerate_a_shot(short_project):
    app = make_app(short_project.root)
    async with app.run_test(size=(100, 30)) as pilot:
        assert status_of(app, "cup") == "not rendered"
        await pilot.press("ctrl+r")
        assert "ctrl+r to cancel" in text_of(app, "#output")
        await pilot.press("ctrl+r")  # as the panel says
        await wait_for(pilot, lambda: "cancelled" in text_of(app, "#output"), 30)
        await pilot.press("ctrl+r")  # resumes
        await wait_for(pilot, lambda: status_of(app, "calm") == "rendered")
        assert (short_project.out_dir / "final.mp4").exists()
        assert "final.mp4" in str(app.screen.query_one(RenderPanel).query_one("#output").render())
        take_before = str(app.screen.query_one(ShotsTable).get_cell("leaves", "take"))
        await pilot.press("g")  # new take of the selected (first) shot
        await pilot.pause(0.2)
        assert status_of(app, "leaves") != "rendered"  # queued / rendering
        await wait_for(pilot, lambda: status_of(app, "leaves") == "rendered")
        assert str(app.screen.query_one(ShotsTable).get_cell("leaves", "take")) != take_before
        await pilot.press("a")
        await pilot.pause(0.1)
        assert status_of(app, "leaves").endswith("✓")
        # both takes are shown side by side, and t goes back to the first (from cache)
        await wait_for(pilot, lambda: len(app.screen.query(".take")) == 2, seconds=20)
        visual_clips = len(list((short_project.cache_dir / "visual").glob("*.mp4")))
        await pilot.press("t")
        await pilot.pause(0.2)
        await wait_for(pilot, lambda: status_of(app, "leaves") == "rendered")
        assert str(app.screen.query_one(ShotsTable).get_cell("leaves", "take")) == take_before
        assert len(list((short_project.cache_dir / "visual").glob("*.mp4"))) == visual_clips


@pytest.fixture(scope="module")
def sd_turbo(tmp_path_factory) -> Path:
    """A tiny random SD-Turbo checkpoint (no download): stills in about a second on CPU."""
    pytest.importorskip("torch", reason="diffusion extra not installed")
    pytest.importorskip("diffusers", reason="diffusion extra not installed")
    from tiny_diffusers import save_tiny_sd_turbo

    return save_tiny_sd_turbo(tmp_path_factory.mktemp("checkpoints") / "sd-turbo")


def with_keyframes(project, model: str, shots: int):
    """The short example, `shots` shots long, made keyframes first: an SD-Turbo still per shot,
    moved by the camera (the stills generator)."""
    _, doc = load_storyboard(project.storyboard_path)
    doc["keyframes"] = {"name": "sd-turbo", "model": model, "steps": 1, "width": 64, "height": 64}
    doc["generator"] = {"name": "stills"}
    del doc["shots"][shots:]
    project.storyboard_path.write_text(dump_document(doc))
    return project


async def test_keyframes_first_make_a_still_approve_it_and_render_only_approved_shots(
        short_project, sd_turbo):
    from textual.widgets import RichLog

    from storyreel.studio import keyframes

    project = with_keyframes(short_project, str(sd_turbo), shots=2)
    app = make_app(project.root)

    async def new_still_approved(shot_id: str) -> None:
        await pilot.press("g")
        await wait_for(pilot, lambda: "not approved (a approves it)" in text_of(app, "#text"), 60)
        review = app.screen.reviews[shot_id]
        assert review.still.path == keyframes.keyframe_path(project, shot_id)  # on screen
        assert str(app.screen.query_one(ShotsTable).get_cell(shot_id, "take")) == str(review.take)
        assert f"new still: take {review.take} of {shot_id}" in " ".join(toasts(app))
        await pilot.press("a")
        await wait_for(pilot, lambda: status_of(app, shot_id).endswith("✓"), 10)
        assert f"still take {review.take}" in text_of(app, "#text")
        assert "approved: renders start from this still" in text_of(app, "#text")

    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: "no still yet: press g" in text_of(app, "#text"), 10)
        await new_still_approved("leaves")

        await pilot.press("f4")
        await pilot.click("#approved-only")  # only approved shots
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "nothing was rendered" in text_of(app, "#output"), 30)
        assert "1 shot(s) have no approved still" in text_of(app, "#output")
        assert text_of(app, "#output").split("rendered: ")[1].startswith("cup.")  # named
        log = app.screen.query_one(RenderPanel).query_one(RichLog)
        assert any("nothing was rendered" in line.text for line in log.lines)
        assert not (project.cache_dir / "voice").exists()  # refused before any work

        await pilot.press("f1")
        await wait_for(pilot, lambda: app.focused is app.screen.query_one(ShotsTable), 10)
        await pilot.press("down")
        await wait_for(pilot, lambda: "no still yet: press g" in text_of(app, "#text"), 10)
        await new_still_approved("cup")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "rendered:" in text_of(app, "#output"))
    assert (project.out_dir / "final.mp4").exists()


async def test_render_key_with_an_invalid_storyboard_says_what_is_wrong(short_project):
    path = short_project.storyboard_path
    path.write_text(path.read_text().replace("camera: push-in", "camera: sideways"))
    app = make_app(short_project.root)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "sideways" in text_of(app, "#output"), 10)
        assert "storyboard.yaml" in text_of(app, "#output")


async def test_review_shows_the_subtitles_of_a_render_written_elsewhere(short_project,
                                                                       tmp_path: Path):
    from storyreel.studio.render import render

    elsewhere = tmp_path / "exports" / "tea.mp4"  # `storyreel render -o exports/tea.mp4`
    elsewhere.parent.mkdir()
    render(short_project.storyboard_path, output=elsewhere)
    assert not (short_project.out_dir / "final.srt").exists()
    app = make_app(short_project.root)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "subtitles:" in text_of(app, "#text"), 20)
        cues = text_of(app, "#text").split("subtitles:")[1]
        assert "Tea begins as a green leaf" in cues and "Hot water" not in cues
        assert status_of(app, "leaves") == "rendered"


def test_a_render_from_before_subtitles_were_listed_finds_them_beside_its_video(tmp_path: Path):
    from storyreel.studio.manifest import RenderManifest

    video = tmp_path / "out" / "final.mp4"
    saved = tmp_path / "last_render.json"  # as the previous version wrote it
    saved.write_text(json.dumps({"output": str(video), "fps": 24, "shots": []}))
    assert RenderManifest.load(saved).srt == video.with_suffix(".srt")


async def test_a_new_take_waits_for_another_programs_edit_without_freezing(short_project):
    from filelock import FileLock

    from storyreel.storyboards.edits import LOCK_WAIT_SECONDS

    def seed() -> int | None:
        return load_storyboard(short_project.storyboard_path)[0].shot("leaves").generator.seed

    another_program = FileLock(short_project.state_dir / "storyboard.lock")
    app = make_app(short_project.root)
    async with app.run_test(size=(100, 30)) as pilot:
        with another_program:  # e.g. `storyreel chat` editing the storyboard
            started = time.monotonic()
            await pilot.press("g")  # new take of the first shot
            assert status_of(app, "leaves") == "queued"
            await pilot.press("f2")
            assert app.screen.query_one(TabbedContent).active == "storyboard"
            # keys still work while the edit waits (up to LOCK_WAIT_SECONDS) for the lock
            assert time.monotonic() - started < LOCK_WAIT_SECONDS / 2
            assert seed() is None
        await wait_for(pilot, lambda: seed() is not None, 15)  # then the take is made


async def test_chat_edits_the_storyboard(short_project):
    model = FakeToolCallingModel(replies=[
        AIMessage("", tool_calls=[call("set_style", style="film noir")]),
        AIMessage("The style is film noir now.")])
    app = make_app(short_project.root, model)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        assert app.screen.query_one(TabbedContent).active == "chat"
        await pilot.press(*"make it noir", "enter")
        await wait_for(pilot, lambda: load_storyboard(short_project.storyboard_path)[0].style
                       == "film noir", seconds=10)
        await asyncio.sleep(0.2)


def switch_tab(key: str):
    """A snapshot's `run_before`: press `key` and let the screen settle."""
    async def run_before(pilot) -> None:
        await pilot.press(key)
        # Switching tabs moves focus a message later, and a focused editor or input draws a
        # blinking cursor: wait for that focus, then clear it, so every run looks the same.
        target = {"f1": "ShotsTable", "f2": "#yaml", "f3": "#message"}.get(key)
        await wait_for(pilot, lambda: target is None or
                       pilot.app.focused is pilot.app.screen.query_one(target), seconds=10)
        pilot.app.screen.set_focus(None)
        await pilot.wait_for_animation()
        await pilot.pause()
    return run_before


@pytest.mark.parametrize(("key", "size"), [("f1", (80, 24)), ("f2", (80, 24)),
                                           ("f3", (80, 24)), ("f4", (80, 24)),
                                           ("f1", (160, 48))])
def test_studio_screens_look_right(snap_compare, short_project, key, size):
    assert snap_compare(make_app(short_project.root), terminal_size=size,
                        run_before=switch_tab(key))


@pytest.mark.parametrize("key", ["f1", "f4"])
def test_keyframes_screens_look_right(snap_compare, short_project, key):
    """Shots: no still yet, and a still's GPU time; Render: the only-approved switch. (No
    still is made: the hub id is never loaded.)"""
    project = with_keyframes(short_project, "stabilityai/sd-turbo", shots=3)
    assert snap_compare(make_app(project.root), terminal_size=(80, 24),
                        run_before=switch_tab(key))


def test_brief_screen_looks_right(snap_compare, tmp_path: Path):
    assert snap_compare(make_app(tmp_path / "new-film"), terminal_size=(80, 24))
