"""`storyreel tool`: list, help from the options model, a real run, one-line mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from storyreel.tools.capabilities import all_capabilities
from storyreel.tools.ffmpeg import run_ffmpeg
from storyreel.tools.probe import probe
from storyreel.tui.cli import app

runner = CliRunner()


def tool(*args: str):
    return runner.invoke(app, ["tool", *args])


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "clip.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=1",
                "-pix_fmt", "yuv420p", "-c:v", "libx264", str(path)])
    return path


def one_line_error(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_tool_list_shows_every_tool_by_kind():
    result = tool("list")
    assert result.exit_code == 0
    for entry in all_capabilities():
        assert entry.name in result.stdout
    assert "Picture" in result.stdout
    assert "Crop to 9:16, 1:1 or 4:5, following faces or the moving subject" in result.stdout


def test_tool_help_shows_the_options_from_the_model():
    result = tool("reframe", "--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "Usage: storyreel tool reframe IN [-o OUT] [OPTIONS]" in text
    assert "--follow auto|faces|motion" in text and '[default: "auto"]' in text
    assert "--smoothing NUMBER" in text and ">= 0, <= 10" in text
    assert "pip install 'storyreel[toolkit]'" in text
    switch = " ".join(tool("gif", "--help").stdout.split())
    assert "--loop / --no-loop" in switch


def test_tool_schema_is_json_schema_for_every_tool():
    document = json.loads(tool("schema").stdout)
    assert set(document["tools"]) == {entry.name for entry in all_capabilities()}
    for described in document["tools"].values():
        jsonschema.Draft202012Validator.check_schema(described["options"])
    crop = document["tools"]["crop"]
    assert crop["effect"] and crop["options"]["properties"]["rotate"]["enum"] == [0, 90, 180, 270]


def test_running_a_tool_writes_its_output(clip: Path, tmp_path: Path):
    out = tmp_path / "turned.mp4"
    result = tool("crop", str(clip), "-o", str(out), "--width", "100", "--rotate", "90")
    assert result.exit_code == 0, result.stderr
    assert f"wrote {out}" in " ".join(result.stdout.split())
    info = probe(out)
    assert (info.width, info.height) == (180, 100)


def test_the_default_output_goes_beside_the_input(clip: Path):
    result = tool("gif", str(clip), "--fps", "5", "--no-loop")
    assert result.exit_code == 0, result.stderr
    assert (clip.parent / "clip-gif.gif").is_file()


@pytest.mark.parametrize(("args", "says"), [
    (["--factor", "-3"], "error: speed: --factor: input should be greater than or equal to 0.1 "
                         "(got -3)"),
    (["--factor", "fast"], "error: speed: --factor: input should be a valid number"),
    (["--bogus", "3"], "error: speed: no option --bogus"),
    (["--factor"], "error: speed: --factor needs a value"),
])
def test_a_bad_option_is_one_line_and_exit_2(clip: Path, tmp_path: Path, args, says):
    out = tmp_path / "out.mp4"
    result = tool("speed", str(clip), "-o", str(out), *args)
    assert result.exit_code == 2
    assert one_line_error(result).startswith(says)
    assert not out.exists()


def test_an_unusable_input_is_one_line_and_exit_2(tmp_path: Path):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    result = tool("sharpen", str(text), "-o", str(tmp_path / "out.mp4"))
    assert result.exit_code == 2
    assert "sharpen: notes.mp4 is not a video" in one_line_error(result)
    assert text.read_text() == "not a video"


def test_an_unknown_tool_is_one_line_and_exit_2():
    result = tool("sparkle", "in.mp4")
    assert result.exit_code == 2
    assert "no tool named 'sparkle'" in one_line_error(result)
