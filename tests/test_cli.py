"""What the command line shows: progress rows, JSON lines for scripts, validate and doctor."""

from __future__ import annotations

import io
import json
import platform
import threading
import time
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from storyreel.studio import doctor
from storyreel.studio.events import Event, JsonLines
from storyreel.studio.progress import RichProgress
from storyreel.tools import ffmpeg
from storyreel.tui.cli import app

runner = CliRunner()


class SlowPipe(io.StringIO):
    """A stream that lets other threads run inside every write, as a full pipe does."""

    def write(self, text: str) -> int:
        time.sleep(0)
        return super().write(text)


def test_json_lines_from_many_threads_are_one_object_per_line():
    stream = SlowPipe()
    sink = JsonLines(stream)

    def emit(worker: int) -> None:
        for step in range(200):
            sink(Event(kind="progress", stage="visual", shot=f"shot-{worker}",
                       fraction=step / 200))

    workers = [threading.Thread(target=emit, args=(n,)) for n in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    lines = stream.getvalue().split("\n")
    assert lines.pop() == ""  # the output ends with a newline, and has no empty line inside
    assert len(lines) == 8 * 200
    assert {json.loads(line)["kind"] for line in lines} == {"progress"}


def test_progress_rows_name_the_shot_or_the_programme():
    console = Console(file=io.StringIO(), width=100)
    with RichProgress(console) as progress:
        progress.handle(Event(kind="plan", total=3))
        progress.handle(Event(kind="start", stage="voice", shot="close"))
        progress.handle(Event(kind="start", stage="audio", shot="all"))
        progress.handle(Event(kind="failed", stage="visual", shot="close", message="no GPU"))
    shown = console.file.getvalue()
    assert "failed: shot close (visual): no GPU" in shown
    narration = next(line for line in shown.splitlines() if "narration" in line)
    mix = next(line for line in shown.splitlines() if "sound mix" in line)
    assert "shot close" in narration and "programme" in mix and " all " not in mix


def test_validate_names_the_storyboard_it_checked(short_project, monkeypatch):
    monkeypatch.chdir(short_project.root)
    result = runner.invoke(app, ["validate", "."])
    assert result.exit_code == 0
    assert result.output.startswith(f'valid: {short_project.storyboard_path} ("Tea in Three '
                                    'Shots": 3 shots, en,')


def test_doctor_rows_say_what_is_here(monkeypatch, tmp_path: Path):
    monkeypatch.delenv("STORYREEL_MODEL", raising=False)
    monkeypatch.delenv("PEXELS_API_KEY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    rows = {row.part: row for row in doctor.rows()}
    assert all(row.ok for row in rows.values())
    assert rows["system"].status.startswith(f"Python {platform.python_version()} on ")
    assert rows["ffmpeg"].status.startswith("ffmpeg version ")
    assert rows["ffmpeg"].status.endswith("(libx264, libass, xfade, loudnorm: ok)")
    assert rows["voices"].status.startswith("piper: en_US-joe-medium (bundled)")
    assert rows["whisper"].status.startswith("whisper base (int8) at ")
    assert rows["coqui TTS"].status in ("installed", "not installed (pip install "
                                        "'storyreel[coqui]')")
    assert rows["LLM"].status == ("not configured (set STORYREEL_MODEL); rendering works "
                                  "without one")
    assert rows["pictures"].status.startswith("usable: animatic")
    assert "pexels stock (set PEXELS_API_KEY)" in rows["pictures"].status
    assert list(rows) == ["system", "ffmpeg", "voices", "coqui TTS", "whisper", "fonts", "GPU",
                          "video diffusion", "pictures", "LLM"]


def test_doctor_prints_every_row_even_when_ffmpeg_cannot_run(monkeypatch, tmp_path: Path):
    monkeypatch.delenv("STORYREEL_MODEL", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setattr(ffmpeg, "ffmpeg_exe", lambda: "/nonexistent/ffmpeg")
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0
    rows = {cells[1]: cells[2] for line in result.output.splitlines()
            if len(cells := [cell.strip() for cell in line.split("│")]) == 4}
    assert rows["ffmpeg"].startswith("failed: ") and "/nonexistent/ffmpeg" in rows["ffmpeg"]
    assert rows["voices"].startswith("piper: en_US-joe-medium (bundled)")
    assert rows["coqui TTS"] in ("installed", "not installed (pip install 'storyreel[coqui]')")
    assert rows["LLM"].startswith("not configured (set STORYREEL_MODEL)")
