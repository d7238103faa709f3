"""Every mistake a user can make ends in one clear message, a non-zero exit, nothing lost."""

from __future__ import annotations

import errno
import json
import os
import pty
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyreel.storyboards import dump_document, load_storyboard
from storyreel.tools import ffmpeg
from storyreel.tools.ffmpeg import run_ffmpeg
from storyreel.tui.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def edit(project, change) -> None:
    _, doc = load_storyboard(project.storyboard_path)
    change(doc)
    project.storyboard_path.write_text(dump_document(doc))


def fail_final_write(project, monkeypatch, error: OSError) -> None:
    """Make writing the final video into out/ fail with `error` (as a full disk would)."""
    real_replace = os.replace

    def failing(src, dst):
        if str(dst).endswith(".mp4") and Path(dst).parent == project.out_dir:
            raise type(error)(error.errno, error.strerror, str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing)


def test_help_lists_every_command():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("new", "validate", "render", "schema", "doctor"):
        assert command in result.output


def test_new_makes_the_project_layout(tmp_path: Path):
    result = run("new", str(tmp_path / "film"))
    assert result.exit_code == 0
    for part in ("storyboard.yaml", "assets", "out", ".storyreel"):
        assert (tmp_path / "film" / part).exists()
    assert run("new", str(tmp_path / "film")).exit_code == 1  # never overwrites


def test_validate_reports_file_line_and_hint(tmp_path: Path):
    path = tmp_path / "storyboard.yaml"
    path.write_text("title: x\nshots:\n  - id: a\n    narraton: hello\n")
    result = run("validate", str(path))
    assert result.exit_code == 2
    assert f"{path}:4:5" in result.output and "did you mean 'narration'" in result.output
    assert "Traceback" not in result.output


def test_validate_accepts_the_examples_by_file_or_project_folder(short_project):
    assert run("validate", str(short_project.storyboard_path)).exit_code == 0
    assert run("validate", str(short_project.root)).exit_code == 0


def test_missing_asset(short_project):
    edit(short_project, lambda d: d["shots"][0].__setitem__("asset", "assets/nope.jpg"))
    result = run("render", str(short_project.storyboard_path))
    assert result.exit_code == 2 and "asset 'assets/nope.jpg' not found" in result.output


def test_asset_outside_the_project_is_refused(short_project):
    edit(short_project, lambda d: d["shots"][0].__setitem__("asset", "../../etc/passwd"))
    result = run("render", str(short_project.storyboard_path))
    assert result.exit_code == 2 and "outside the project" in result.output
    assert not (short_project.cache_dir / "voice").exists()  # caught before any work


def test_language_the_voice_cannot_speak_fails_before_any_work(short_project):
    edit(short_project, lambda d: d.__setitem__("language", "zh"))
    result = run("render", str(short_project.storyboard_path))
    assert result.exit_code == 2 and "speaks 'en_US'" in result.output
    assert not (short_project.cache_dir / "voice").exists()


def test_script_the_voice_cannot_read_fails_before_any_work(short_project):
    edit(short_project, lambda d: d["shots"][1].__setitem__("narration",
                                                            "咖啡起源于埃塞俄比亚的高原。"))
    result = run("render", str(short_project.storyboard_path))
    assert result.exit_code == 2 and "shot 'cup'" in result.output


def test_unknown_voice_says_how_to_add_one(short_project):
    edit(short_project, lambda d: d["voice"].__setitem__("voice", "de_DE-thorsten-medium"))
    result = run("render", str(short_project.storyboard_path))
    assert result.exit_code == 2 and "not installed" in result.output
    assert ".onnx.json" in result.output


def test_output_in_a_missing_folder(short_project, tmp_path: Path):
    result = run("render", str(short_project.storyboard_path), "-o",
                 str(tmp_path / "missing" / "x.mp4"))
    assert result.exit_code == 1 and "does not exist" in result.output


def test_disk_full_keeps_the_previous_video(rendered_short, monkeypatch):
    project, result = rendered_short
    before = result.video.read_bytes()
    edit(project, lambda d: d.__setitem__("title", "Tea, again"))  # new music bed => new mix
    fail_final_write(project, monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    outcome = run("render", str(project.storyboard_path))
    assert outcome.exit_code == 1 and "disk is full" in outcome.output
    assert result.video.read_bytes() == before
    assert not [p for p in project.out_dir.iterdir() if ".part" in p.name]


def test_json_events_for_scripts(short_project):
    result = run("render", str(short_project.root), "--json")  # the project folder will do
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [json.loads(line)["kind"] for line in lines][-1] == "finished"  # every line parses


def final_join_meeting(trouble: str):
    """The final join as the real ffmpeg runs it into `trouble`: "a full disk" (writing to
    /dev/full fails every write with ENOSPC) or "a broken input" (a file that is not media)."""
    def join(*args, **kwargs) -> None:
        if trouble == "a full disk":
            run_ffmpeg(["-f", "lavfi", "-i", "sine=d=1", "-f", "wav", "/dev/full"])
        else:
            run_ffmpeg(["-i", __file__, "-f", "null", "-"])
    return join


@pytest.mark.parametrize(("trouble", "message"), [
    ("a full disk", "the disk is full; free some space and render again"),
    ("a broken input", "ffmpeg failed: "),
])
def test_an_ffmpeg_failure_is_not_blamed_on_the_ffmpeg_build(rendered_short, monkeypatch,
                                                             trouble, message):
    from storyreel.studio import render

    project, _ = rendered_short
    monkeypatch.setattr(render.video, "join", final_join_meeting(trouble))
    outcome = run("render", str(project.storyboard_path))
    assert outcome.exit_code == 1 and message in outcome.output
    assert "doctor" not in outcome.output and "Traceback" not in outcome.output


def test_an_ffmpeg_that_cannot_start_points_to_doctor(rendered_short, monkeypatch):
    project, _ = rendered_short
    monkeypatch.setattr(ffmpeg, "ffmpeg_exe", lambda: "/nonexistent/ffmpeg")
    outcome = run("render", str(project.storyboard_path))
    assert outcome.exit_code == 1 and "cannot start /nonexistent/ffmpeg" in outcome.output
    assert "Run `storyreel doctor`" in outcome.output


def test_permission_error_names_the_file(rendered_short, monkeypatch):
    project, _ = rendered_short
    fail_final_write(project, monkeypatch, PermissionError(errno.EACCES, "Permission denied"))
    edit(project, lambda d: d.__setitem__("title", "Tea, denied"))
    outcome = run("render", str(project.storyboard_path))
    assert outcome.exit_code == 1 and "permission denied" in outcome.output
    assert "final.mp4" in outcome.output and "Traceback" not in outcome.output


def test_validate_checks_what_render_checks(short_project):
    edit(short_project, lambda d: d["music"].__setitem__("source", "assets/missing.ogg"))
    result = run("validate", str(short_project.storyboard_path))
    assert result.exit_code == 2 and "music file 'assets/missing.ogg'" in result.output


def test_missing_checkpoint_fails_before_any_work_and_downloads_nothing(short_project,
                                                                         tmp_path, monkeypatch):
    pytest.importorskip("diffusers", reason="diffusion extra not installed")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    edit(short_project, lambda d: d.__setitem__(
        "generator", {"name": "ltx-video", "model": "someone/not-downloaded"}))
    for command in ("validate", "render"):
        result = run(command, str(short_project.root))
        assert result.exit_code == 1 and "storyreel models pull ltx-video" in result.output
        assert "Traceback" not in result.output
    assert not (short_project.cache_dir / "voice").exists()  # no work was started
    assert not (tmp_path / "hf").exists()  # and nothing was fetched


def test_missing_diffusion_extra_says_what_to_install(short_project, monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "torch"
                        else real_find_spec(name, *args))
    edit(short_project, lambda d: d.__setitem__("generator", {"name": "wan"}))
    result = run("render", str(short_project.root))
    assert result.exit_code == 1
    assert "pip install 'storyreel[diffusion]'" in " ".join(result.output.split())
    assert "Traceback" not in result.output


@pytest.mark.parametrize("answer", [True, False])
def test_render_asks_before_fetching_a_missing_checkpoint(short_project, monkeypatch, answer):
    pytest.importorskip("diffusers", reason="diffusion extra not installed")
    import typer

    from storyreel.generators import diffusion
    from storyreel.generators.base import CheckpointMissing
    from storyreel.studio import models
    from storyreel.tui import cli

    edit(short_project, lambda d: d.__setitem__(
        "generator", {"name": "ltx-video", "model": "someone/ltx"}))
    pulled: list[str] = []
    questions: list[str] = []
    monkeypatch.setattr(diffusion, "checkpoint_on_disk", lambda model: model in pulled)
    monkeypatch.setattr(models, "download_plan", lambda repo: {"model_index.json": 1000,
                                                               "vae/weights": 7.6e9 - 1000})
    monkeypatch.setattr(models, "pull",
                        lambda repo, files: pulled.append(repo) or f"/hub/{repo}")
    monkeypatch.setattr(typer, "confirm", lambda text: questions.append(text) or answer)
    if answer:
        cli._offer_missing_checkpoints(short_project.root)
    else:
        with pytest.raises(CheckpointMissing):
            cli._offer_missing_checkpoints(short_project.root)
    assert pulled == (["someone/ltx"] if answer else [])
    assert questions == ["ltx-video needs someone/ltx, which is not on this machine. Download "
                         "it now (7.6 GB)?"]


def test_a_checkpoint_folder_is_found_relative_to_the_project(short_project):
    pytest.importorskip("diffusers", reason="diffusion extra not installed")
    edit(short_project, lambda d: d.__setitem__(
        "generator", {"name": "wan", "model": "./models/wan"}))
    result = run("validate", str(short_project.root))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{short_project.root}/models/wan is not a checkpoint folder" in \
        " ".join(result.output.split())
    (short_project.root / "models" / "wan").mkdir(parents=True)
    (short_project.root / "models" / "wan" / "model_index.json").write_text("{}")
    assert run("validate", str(short_project.root)).exit_code == 0


def test_pull_fetches_only_what_the_pipeline_loads():
    from storyreel.studio.models import pipeline_files

    index = {"_class_name": "LTXPipeline", "transformer": ["diffusers", "X"],
             "vae": ["diffusers", "Y"], "tokenizer": ["transformers", "T"],
             "safety_checker": [None, None]}
    files = {"model_index.json": 1, "README.md": 1,
             "ltx-video-2b-v0.9.safetensors": 9e9,  # the original single-file checkpoint
             "transformer/config.json": 1,
             "transformer/diffusion_pytorch_model-00001-of-00002.safetensors": 4e9,
             "transformer/diffusion_pytorch_model-00002-of-00002.safetensors": 4e9,
             "transformer/diffusion_pytorch_model.safetensors.index.json": 1,
             "transformer/diffusion_pytorch_model.fp16.safetensors": 4e9,
             "vae/diffusion_pytorch_model.safetensors": 1e9,
             "vae/diffusion_pytorch_model.bin": 1e9,
             "tokenizer/tokenizer.json": 1, "safety_checker/model.safetensors": 1e9}
    assert sorted(pipeline_files(index, files)) == [
        "model_index.json", "tokenizer/tokenizer.json", "transformer/config.json",
        "transformer/diffusion_pytorch_model-00001-of-00002.safetensors",
        "transformer/diffusion_pytorch_model-00002-of-00002.safetensors",
        "transformer/diffusion_pytorch_model.safetensors.index.json",
        "vae/diffusion_pytorch_model.safetensors"]


@pytest.fixture
def closed_port_model(monkeypatch) -> str:
    """An OpenAI-compatible model configured at a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("STORYREEL_MODEL", "openai:stub-model")
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-not-secret")
    return f"http://127.0.0.1:{port}/v1"


def test_new_with_brief_and_no_server_says_so_in_one_line(closed_port_model, tmp_path: Path):
    result = run("new", str(tmp_path / "film"), "--brief", "a minute on coffee")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith("error: the model did not answer")
    assert "OPENAI_BASE_URL" in result.output and len(result.output.splitlines()) == 1
    assert not (tmp_path / "film").exists()


@pytest.mark.parametrize("command", ["new", "chat"])
def test_openai_model_without_a_key_says_to_set_it(short_project, closed_port_model,
                                                   monkeypatch, command):
    monkeypatch.delenv("OPENAI_API_KEY")
    args = ["--brief", "coffee"] if command == "new" else []
    where = short_project.root / "film" if command == "new" else short_project.root
    result = run(command, str(where), *args)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith("error: model 'openai:stub-model' needs OPENAI_API_KEY")
    assert len(result.output.splitlines()) == 1


def test_piped_chat_stops_at_an_unreachable_model(short_project, closed_port_model):
    result = runner.invoke(app, ["chat", str(short_project.root)],
                           input="make it shorter\nthen render it\n")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.count("error: the model did not answer") == 1  # the second never sent


def test_chat_at_a_terminal_goes_on_and_exits_1_when_the_last_turn_failed(short_project,
                                                                         closed_port_model):
    controller, terminal = pty.openpty()
    try:
        chat = subprocess.Popen(
            [sys.executable, "-c", "from storyreel.tui.cli import app; app()", "chat",
             str(short_project.root)],
            stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        os.write(controller, b"make it shorter\nthen render it\n\n")
        _, errors = chat.communicate(timeout=120)
    finally:
        os.close(controller)
        os.close(terminal)
    assert chat.returncode == 1 and "Traceback" not in errors
    assert errors.count("error: the model did not answer") == 2  # both messages were tried
