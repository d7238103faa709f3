"""A one-shot edit redoes only what it touched, and ends in the bytes a cold render of the
edited storyboard makes."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from storyreel.storyboards import dump_document, load_storyboard
from storyreel.studio.events import Event
from storyreel.studio.manifest import RenderManifest
from storyreel.studio.preview import preview_shot
from storyreel.studio.project import Project
from storyreel.studio.render import RenderResult, render
from storyreel.tools.audio_mix import RATE, integrated_loudness
from storyreel.tools.ffmpeg import loudness
from storyreel.tools.probe import probe
from storyreel.tools.video import count_frames
from storyreel.tui.cli import app


@pytest.fixture(scope="module")
def rendered_tea(tmp_path_factory) -> Project:
    """The short example rendered once; each test edits a copy of it."""
    project = Project.create(tmp_path_factory.mktemp("incremental") / "tea", "short")
    render(project.storyboard_path)
    return project


def _copy(rendered: Project, folder: Path) -> Project:
    shutil.copytree(rendered.root, folder, symlinks=True)
    return Project.for_storyboard(folder / "storyboard.yaml")


def _edited_copy(rendered: Project, folder: Path, shot: int, key: str, value: str) -> Project:
    project = _copy(rendered, folder)
    _, doc = load_storyboard(project.storyboard_path)
    doc["shots"][shot][key] = value
    project.storyboard_path.write_text(dump_document(doc), encoding="utf-8")
    return project


def _digests(result: RenderResult) -> list[str]:
    return [hashlib.md5(p.read_bytes()).hexdigest() for p in (result.video, *result.subtitles)]


def _cold(project: Project, folder: Path, monkeypatch) -> RenderResult:
    """A render of `project`'s storyboard in a fresh project with a fresh user cache."""
    monkeypatch.setenv("STORYREEL_CACHE_DIR", str(folder / "user-cache"))
    cold = Project.create(folder / "cold", "short")
    cold.storyboard_path.write_text(project.storyboard_path.read_text(encoding="utf-8"),
                                    encoding="utf-8")
    return render(cold.storyboard_path)


# (shot, key, value, what is redone). The middle shot's body is one segment (under 4 s), and
# it touches the transitions on both sides; the short example's last transition is a cut.
EDITS = {
    "narration": (1, "narration", "Hot water slowly wakes its flavour and its colour.",
                  {"voice": 1, "visual": 1, "segment": 3, "audio": 1}),
    "camera": (1, "camera", "tilt-up", {"visual": 1, "segment": 3}),
    "transition": (0, "transition", "slide-left", {"segment": 1}),  # same length: no re-mix
}


@pytest.mark.parametrize("kind", list(EDITS))
def test_an_edit_redoes_only_its_stages_and_matches_a_cold_render(rendered_tea, tmp_path,
                                                                  monkeypatch, kind):
    shot, key, value, redone = EDITS[kind]
    project = _edited_copy(rendered_tea, tmp_path / "edited", shot, key, value)
    edited = render(project.storyboard_path)
    assert edited.redone == redone
    assert _digests(edited) == _digests(_cold(project, tmp_path, monkeypatch))


def test_a_narration_edit_decodes_only_that_shots_speech_for_the_mix(rendered_tea, tmp_path):
    project = _edited_copy(rendered_tea, tmp_path / "edited", 2, "narration",
                           "Then you sit down, hold the cup, and breathe.")
    stems = project.cache_dir / "stem"
    before = set(stems.glob("*.npy"))
    assert len(before) == 4  # three shots' speech and the music bed
    render(project.storyboard_path)
    assert len(set(stems.glob("*.npy")) - before) == 1


def test_an_edit_in_time_reuses_the_later_shots_segments(rendered_tea, tmp_path):
    """A longer first shot moves every later shot: their segments are shot-relative, so
    they are joined again, not encoded again."""
    project = _edited_copy(rendered_tea, tmp_path / "edited", 0, "narration",
                           "Tea begins as a green leaf, picked by hand on a misty hill at dawn.")
    edited = render(project.storyboard_path)
    assert edited.shots["calm"].start_frame > 0
    assert edited.redone["segment"] <= 3  # the first shot's body (halves) and its transition


def _programme(seconds: float, music: float) -> np.ndarray:
    """Stereo: tone bursts with pauses (so the gates have quiet to drop) over a chord and
    some noise at level `music`."""
    t = np.arange(round(seconds * RATE)) / RATE
    voice = 0.3 * np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 0.7 * t) > 0.2)
    noise = np.random.default_rng(5).standard_normal((len(t), 2)) * 0.05
    chord = sum(np.sin(2 * np.pi * hz * t) for hz in (220, 277, 330, 2200))
    return (voice[:, None] + music * (chord[:, None] / 4 + noise)).astype(np.float32)


@pytest.mark.parametrize("music", [0.0, 0.3, 1.0])
def test_programme_loudness_matches_ffmpegs_measurement(tmp_path, music):
    mix = _programme(8.0, music)
    raw = tmp_path / "mix.f32"
    raw.write_bytes(mix.astype("<f4").tobytes())
    measured = loudness(["-f", "f32le", "-ar", str(RATE), "-ac", "2", "-i", str(raw)])
    assert integrated_loudness(mix) == pytest.approx(measured["input_i"], abs=0.1)


def test_loudness_of_the_calibration_tone_is_minus_three(tmp_path):
    """BS.1770's check: a full-scale 997 Hz sine in one channel reads -3.01 LUFS."""
    t = np.arange(5 * RATE) / RATE
    assert integrated_loudness(np.sin(2 * np.pi * 997 * t)[:, None]) == pytest.approx(-3.01,
                                                                                     abs=0.01)
    assert integrated_loudness(np.zeros((RATE, 2))) == -70.0


def test_preview_plays_one_shot_from_the_cache_without_touching_the_video(rendered_tea,
                                                                          tmp_path):
    project = _copy(rendered_tea, tmp_path / "copy")
    final = project.out_dir / "final.mp4"
    before = final.read_bytes()
    events: list[Event] = []
    result = CliRunner().invoke(app, ["preview", str(project.root), "cup", "--no-play"])
    assert result.exit_code == 0, result.output
    path = preview_shot(project.root, "cup", events.append)
    assert str(path) in result.output.replace("\n", "")
    assert not [e for e in events if e.kind == "done"]  # all from the cache
    manifest = RenderManifest.load(project.last_render_path)
    cup = next(s for s in manifest.shots if s.id == "cup")
    assert count_frames(path) == cup.frames  # the shot with both its transitions
    info = probe(path)
    assert info.has_audio and abs(info.audio_duration - cup.frames / manifest.fps) < 0.05
    assert final.read_bytes() == before


def test_preview_of_an_edited_shot_makes_only_its_work_and_the_render_reuses_it(rendered_tea,
                                                                                 tmp_path):
    project = _edited_copy(rendered_tea, tmp_path / "edited", 1, "narration",
                           "Hot water slowly wakes its flavour and its colour.")
    made: dict[str, int] = {}

    def count(event: Event) -> None:
        if event.kind == "done" and event.stage:
            made[event.stage] = made.get(event.stage, 0) + 1

    preview_shot(project.root, "cup", count)
    assert made == {"voice": 1, "visual": 1, "segment": 3}
    assert render(project.storyboard_path).redone == {"audio": 1}  # the mix, then the join
