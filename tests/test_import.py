"""`storyreel import FOOTAGE`: a long video's scenes become a project, one clip and one shot per
scene, copied without re-encoding where keyframes allow."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from typer.testing import CliRunner

from storyreel.storyboards import load_storyboard
from storyreel.studio import importer
from storyreel.studio.importer import import_footage
from storyreel.studio.preflight import check_storyboard
from storyreel.studio.project import Project
from storyreel.tools.ffmpeg import run_ffmpeg

COLOURS = ((253, 0, 0), (0, 127, 0), (0, 0, 254))  # red, green, blue as x264 gives them back


@pytest.fixture(scope="module")
def footage(tmp_path_factory) -> Path:
    """Three one-second scenes (red, green, blue) at 12 fps with a tone; keyframes at 0 s and
    1 s only, so the first scene can be copied and the others must be encoded."""
    path = tmp_path_factory.mktemp("footage") / "holiday_trip.mp4"
    inputs = [arg for colour in ("red", "green", "blue")
              for arg in ("-f", "lavfi", "-i", f"color=c={colour}:s=160x90:r=12:d=1")]
    run_ffmpeg([*inputs, "-f", "lavfi", "-i", "sine=d=3", "-filter_complex",
                "[0:v][1:v][2:v]concat=n=3:v=1:a=0[v]", "-map", "[v]", "-map", "3:a",
                "-c:v", "libx264", "-g", "1000", "-x264-params", "scenecut=0",
                "-force_key_frames", "1", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
                str(path)])
    return path


def corners(clip: Path) -> list[tuple[int, ...]]:
    """The top-left pixel of every frame."""
    with av.open(str(clip)) as container:
        return [tuple(int(v) for v in frame.to_ndarray(format="rgb24")[0, 0])
                for frame in container.decode(video=0)]


def test_each_scene_becomes_its_own_clip_and_shot(footage: Path, tmp_path: Path):
    result = import_footage(footage, tmp_path / "trip")
    assert [scene.copied for scene in result.scenes] == [True, False, False]
    for scene, colour in zip(result.scenes, COLOURS, strict=True):
        frames = corners(tmp_path / "trip" / scene.clip)
        assert len(frames) == 12 and set(frames) == {colour}  # exactly the scene, nothing else
    board, document = load_storyboard(result.project)
    assert board.title == "Holiday trip" and board.format.fps == 12
    assert [(s.id, s.asset, s.duration, s.narration) for s in board.shots] == [
        ("scene-001", "assets/holiday_trip-001.mp4", 1.0, ""),
        ("scene-002", "assets/holiday_trip-002.mp4", 1.0, ""),
        ("scene-003", "assets/holiday_trip-003.mp4", 1.0, "")]
    check_storyboard(board, Project.for_storyboard(result.project), document)  # renderable


def test_a_scene_longer_than_a_shot_may_last_becomes_several(footage: Path, tmp_path: Path,
                                                             monkeypatch):
    monkeypatch.setattr(importer, "MAX_SHOT_SECONDS", 0.5)
    result = import_footage(footage, tmp_path / "trip")
    assert [scene.frames for scene in result.scenes] == [6] * 6
    assert [round(scene.start, 3) for scene in result.scenes] == [0, 0.5, 1, 1.5, 2, 2.5]


def test_import_refuses_an_existing_project_and_a_missing_file(footage: Path, tmp_path: Path):
    from storyreel.tui.cli import app

    runner = CliRunner()
    made = runner.invoke(app, ["import", str(footage), "-o", str(tmp_path / "trip")])
    assert made.exit_code == 0 and "imported 3 scene(s)" in made.output
    again = runner.invoke(app, ["import", str(footage), "-o", str(tmp_path / "trip")])
    assert again.exit_code == 1 and "already exists" in again.output
    missing = runner.invoke(app, ["import", str(tmp_path / "none.mp4"), "-o",
                                  str(tmp_path / "other")])
    assert missing.exit_code == 1 and "not found" in missing.output
    assert not (tmp_path / "other").exists()
