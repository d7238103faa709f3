"""Renders that are never silently wrong: locked, crash-safe, reproducible, honest about bad
input."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from filelock import FileLock

from storyreel.storyboards import StoryboardError
from storyreel.storyboards.atomic import partial_name
from storyreel.studio import render as render_module
from storyreel.studio.project import Project
from storyreel.studio.render import RenderError, render
from storyreel.tools import paths
from storyreel.tools.ffmpeg import run_ffmpeg
from storyreel.tools.probe import probe
from storyreel.tools.tts import resolve_voice
from storyreel.tools.video import count_frames

STORYREEL = [sys.executable, "-c", "from storyreel.tui.cli import app; app()"]


def _partials(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if partial_name(p.name)]


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_a_render_sweeps_what_a_killed_render_left(short_project):
    cache = short_project.cache_dir
    (cache / "visual").mkdir(parents=True)
    left = [cache / "visual" / ".abc.x1y2.part.mp4", cache / "audio" / ".k.premix.part.f32",
            short_project.out_dir / ".final.q7w8.part.mp4",
            short_project.out_dir / ".join.part-3f9a" / "segments.txt"]
    for path in left:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    users_own = short_project.out_dir / ".party-notes.txt"
    users_own.write_text("mine", encoding="utf-8")

    render(short_project.storyboard_path)

    assert _partials(short_project.root) == []
    assert users_own.read_text(encoding="utf-8") == "mine"


def test_a_second_render_waits_for_the_first(short_project):
    events = []
    holder = FileLock(short_project.state_dir / "render.lock")
    holder.acquire()
    (short_project.state_dir / "render.pid").write_text("4242", encoding="utf-8")
    done = threading.Event()

    def second() -> None:
        render(short_project.storyboard_path, events=events.append)
        done.set()

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(1.5)
    waiting = [e.message for e in events if e.kind == "warning"]
    assert any("already rendering (pid 4242)" in m for m in waiting)
    assert not any(e.kind == "start" for e in events)  # no work while the other renders
    holder.release()
    thread.join(timeout=120)
    assert done.is_set()


def test_cancel_stops_a_render_waiting_for_the_lock(short_project):
    holder = FileLock(short_project.state_dir / "render.lock")
    holder.acquire()
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    with pytest.raises(render_module.RenderCancelled):
        render(short_project.storyboard_path, cancel=cancel)
    holder.release()


def _render_json(project: Project, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([*STORYREEL, "render", str(project.root), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})}, start_new_session=True)


def test_sigterm_mid_render_leaves_no_partial_file_and_no_ffmpeg(short_project):
    proc = _render_json(short_project)
    for line in proc.stdout:  # wait until ffmpeg is busy making pictures
        event = json.loads(line)
        if event.get("kind") == "start" and event.get("stage") == "segment":
            break
    os.kill(proc.pid, signal.SIGTERM)  # the render only, not its process group
    proc.wait(timeout=30)
    assert proc.returncode != 0
    time.sleep(0.5)
    children = subprocess.run(["pgrep", "-s", str(proc.pid)], capture_output=True, text=True)
    assert children.stdout.strip() == ""  # no ffmpeg outlived the render
    assert _partials(short_project.root) == []
    result = render(short_project.storyboard_path)  # and it resumes
    assert result.redone.get("voice", 0) == 0


def test_two_cold_renders_are_byte_identical(tmp_path, monkeypatch):
    outputs = []
    for name in ("a", "b"):
        monkeypatch.setenv("STORYREEL_CACHE_DIR", str(tmp_path / f"cache-{name}"))
        project = Project.create(tmp_path / name, "short")
        result = render(project.storyboard_path)
        outputs.append([_md5(result.video), *(_md5(p) for p in result.subtitles)])
    assert outputs[0] == outputs[1]


def _clip(path: Path, frames: int, fps: int = 24) -> Path:
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size=320x180:rate={fps}", "-f", "lavfi",
                "-i", "sine=frequency=330:sample_rate=48000", "-frames:v", str(frames),
                "-t", f"{frames / fps:.4f}", "-c:v", "libx264", "-g", "12", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-movflags", "+faststart", str(path)])
    return path


def test_a_truncated_clip_never_shifts_the_shots_after_it(short_project, monkeypatch):
    clip = _clip(short_project.root / "assets" / "clip.mp4", 86)
    clip.write_bytes(clip.read_bytes()[:clip.stat().st_size // 2])  # index at the front
    text = short_project.storyboard_path.read_text(encoding="utf-8")
    short_project.storyboard_path.write_text(
        text.replace("    visual: steam rising from a cup\n",
                     "    visual: steam rising from a cup\n    asset: assets/clip.mp4\n"),
        encoding="utf-8")
    with pytest.raises(StoryboardError, match="clip.mp4"):  # validate and render refuse it
        render(short_project.storyboard_path)
    # and were it cut after the checks, the render fits what decodes or names the shot
    monkeypatch.setattr(render_module, "preflight",
                        lambda board, project, *rest: resolve_voice(board, project.root))
    try:
        result = render(short_project.storyboard_path)
    except RenderError as error:  # refusing the clip with a reason is honest too
        assert "cup" in str(error)
        return
    placed = result.shots
    expected = sum(p.frames for p in placed.values()) - sum(p.tail for p in placed.values())
    assert count_frames(result.video) == expected
    info = probe(result.video)
    assert abs(info.video_duration - info.audio_duration) < 0.1


def test_an_ffmpeg_failure_is_one_line_naming_the_shot_and_file(short_project, monkeypatch):
    bad = short_project.root / "assets" / "bad.jpg"
    bad.write_text("not a picture", encoding="utf-8")
    text = short_project.storyboard_path.read_text(encoding="utf-8")
    short_project.storyboard_path.write_text(
        text.replace("    visual: steam rising from a cup\n",
                     "    visual: steam rising from a cup\n    asset: assets/bad.jpg\n"),
        encoding="utf-8")
    # validate and preflight refuse this file; here it is swapped in after the checks
    monkeypatch.setattr(render_module, "preflight",
                        lambda board, project, *rest: resolve_voice(board, project.root))
    with pytest.raises(RenderError) as failed:
        render(short_project.storyboard_path)
    line = failed.value.failures["cup"]
    assert "\n" not in line and "assets/bad.jpg" in line
    log = short_project.root / line.split("full log: ")[1].rstrip(")")
    assert "bad.jpg" in log.read_text(encoding="utf-8")


def test_cache_folder_falls_back_when_home_is_read_only(tmp_path, monkeypatch):
    blocker = tmp_path / "home-is-a-file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.delenv("STORYREEL_CACHE_DIR", raising=False)
    monkeypatch.setattr(paths.platformdirs, "user_cache_dir", lambda name: str(blocker / name))
    folder = paths.cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    assert os.access(folder, os.W_OK) and blocker not in folder.parents


def test_render_to_another_folder_writes_nothing_but_cache_in_the_project(short_project,
                                                                           tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    render(short_project.storyboard_path, elsewhere / "v.mp4")
    assert not (short_project.state_dir / "segments.txt").exists()
    assert sorted(p.name for p in elsewhere.iterdir()) == ["credits.txt", "v.ass", "v.mp4", "v.srt",
                                                           "v.vtt"]


@pytest.mark.slow
def test_renders_killed_at_random_moments_resume_to_identical_bytes():
    bench = Path(__file__).resolve().parents[1] / "bench" / "crashtest.py"
    result = subprocess.run([sys.executable, str(bench), "--cycles", "4", "--seed", "7"],
                            capture_output=True, text=True, timeout=900)
    assert "4 of 4 kill points resumed to identical bytes" in result.stdout, result.stdout
    assert result.returncode == 0


def test_emoji_only_narration_is_a_silent_shot_and_tags_are_honoured_not_shown(short_project):
    text = short_project.storyboard_path.read_text(encoding="utf-8")
    text = text.replace("narration: Hot water wakes its flavour and its colour.",
                        'narration: "\U0001F389\U0001F389"')
    text = text.replace("narration: Tea begins as a green leaf, picked by hand on a misty hill.",
                        "narration: 'Tea begins as a green leaf, <break time=\"1s\"/> picked by "
                        "hand on a misty hill.'")
    short_project.storyboard_path.write_text(text, encoding="utf-8")
    result = render(short_project.storyboard_path)
    assert result.shots["cup"].frames == 48  # two silent seconds at 24 fps
    srt = result.video.with_suffix(".srt").read_text(encoding="utf-8")
    assert "break" not in srt and "<" not in srt
    assert "picked by hand" in srt


def test_a_render_without_the_farm_never_imports_ray(short_project):
    code = ("import sys; from storyreel.studio.render import render; render(sys.argv[1]); "
            "print('ray' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code, str(short_project.root)],
                            capture_output=True, text=True, timeout=300)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr[-500:]
