"""Per-shot `effects:` in the storyboard: checked against the toolkit's registry at their lines,
described in the JSON Schema, applied to the picture as a cached render stage, and fitted to the
shot's own frames."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from storyreel.storyboards import StoryboardError, load_storyboard, parse_document
from storyreel.studio.effects import apply_effects, storyboard_schema
from storyreel.studio.events import Event
from storyreel.studio.preflight import check_storyboard
from storyreel.studio.project import Project
from storyreel.studio.render import render
from storyreel.tools.ffmpeg import run_ffmpeg
from storyreel.tools.video import count_frames

SILENT = """\
# Two silent shots: no speech to make, a second each.
version: 1
title: Effects
format: {aspect: "16:9", height: 144, fps: 12}
music: {source: none}
shots:
  - id: first
    duration: 1
    visual: a red kite over green hills
    transition: cut
  - id: second
    duration: 1
    visual: a blue boat on a calm lake
    transition: cut
"""


def with_effects(effects: str) -> str:
    """The storyboard with `effects: ...` on its second shot."""
    boat = "    visual: a blue boat on a calm lake\n"
    return SILENT.replace(boat, f"{boat}    effects: {effects}\n")


def project_with(tmp_path: Path, effects: str) -> Project:
    project = Project.create(tmp_path / "fx", data=None)
    project.storyboard_path.write_text(with_effects(effects), encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """One second of moving test picture with a tone, 12 frames of 256x144."""
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=256x144:r=12:d=1", "-f", "lavfi", "-i",
                "sine=d=1", "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
                str(path)])
    return path


@pytest.mark.parametrize(("effects", "made", "said"), [
    ([("speed", {"factor": 0.5})], 24, "cut to the shot's length"),
    ([("speed", {"factor": 2.0})], 6, "its last frame is held"),
    ([("reverse", {})], 12, ""),
])
def test_an_effect_that_changes_the_length_still_gives_the_shot_its_frames(
        clip: Path, tmp_path: Path, effects, made: int, said: str):
    out = tmp_path / "out.mp4"
    applied = apply_effects(clip, effects, 12, 12, out)
    assert count_frames(out) == 12 and applied.frames_made == made and applied.sound
    assert said in applied.note if said else applied.note == ""


def test_render_applies_effects_once_and_says_when_the_length_differs(tmp_path: Path):
    project = project_with(tmp_path, "[{speed: 2}, {reverse: {}}]")
    events: list[Event] = []
    first = render(project.storyboard_path, events=events.append)
    assert first.redone["effects"] == 1  # only the shot that has effects
    assert count_frames(first.video) == 24  # both shots keep their second
    warnings = [e for e in events if e.kind == "warning" and e.shot == "second"]
    assert any("0.50 s of picture where the shot lasts 1.00 s" in e.message for e in warnings)
    events.clear()
    again = render(project.storyboard_path, events=events.append)
    assert "effects" not in again.redone  # cached like every stage
    assert any(e.kind == "cached" and e.stage == "effects" for e in events)
    assert any("0.50 s of picture" in e.message for e in events if e.kind == "warning")


def test_unknown_effects_and_bad_options_are_located_in_the_file(tmp_path: Path):
    project = project_with(tmp_path, "[{spede: 2}, {speed: {factor: 99}}, {scenes: {}}, "
                                     "{grade: ../outside.cube}, {speed: {fator: 2}}]")
    board, document = load_storyboard(project.storyboard_path)
    with pytest.raises(StoryboardError) as caught:
        check_storyboard(board, project, document)
    messages = [problem.message for problem in caught.value.problems]
    assert messages[0] == "shot 'second' (2nd): effect spede: no effect named 'spede'; did you " \
                          "mean speed?"
    assert "factor should be less than or equal to 10 (got 99)" in messages[1]
    assert "scenes is a tool but not a per-shot effect" in messages[2]
    assert "is outside the project folder" in messages[3]
    assert "no option 'fator' (options: factor, to)" in messages[4]
    line = with_effects("").splitlines().index("    effects: ") + 1
    assert {problem.line for problem in caught.value.problems} == {line}


def test_the_exported_schema_knows_each_effect_and_its_options():
    schema = storyboard_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    def accepts(effects: str) -> bool:
        return validator.is_valid(json.loads(json.dumps(parse_document(with_effects(effects)))))

    assert accepts("[{stabilize: {}}, {speed: {factor: 0.5, to: 2}}, {speed: 0.5}]")
    assert not accepts("[{spede: 2}]")
    assert not accepts("[{speed: {fator: 2}}]")
    assert not accepts("[{speed: {factor: 99}}]")
    assert not accepts("[{scenes: {}}]")  # a tool, but not a per-shot effect


def test_footage_sound_plays_as_the_effects_leave_it(tmp_path: Path):
    """Reversed footage plays its sound reversed under the picture: the mix takes the shot's
    sound from the clip the effects made, not from the footage before them."""
    from media import level_db

    project = project_with(tmp_path, "[{reverse: {}}]")
    footage = project.root / "assets" / "tone-then-quiet.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=256x144:r=12:d=1", "-f", "lavfi", "-i",
                "sine=f=440:d=0.5,apad=whole_dur=1", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                "-c:a", "aac", str(footage)])
    text = project.storyboard_path.read_text(encoding="utf-8")
    project.storyboard_path.write_text(text.replace(
        "    effects:", "    asset: assets/tone-then-quiet.mp4\n    effects:"), encoding="utf-8")
    result = render(project.storyboard_path)
    # the second shot is the second second: its tone now ends it
    assert level_db(result.video, 1.6, 1.9) > level_db(result.video, 1.1, 1.4) + 30
