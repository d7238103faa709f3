"""`storyreel export DIR -o FILE` (and `storyreel tool otio`): the last render as an editable
timeline that re-opens with the render's clip ranges, each material on its own track."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pysubs2
import pytest
from typer.testing import CliRunner

from storyreel.studio.manifest import RenderManifest
from storyreel.studio.project import Project
from storyreel.studio.timeline_export import ExportError, export_timeline
from storyreel.tools.video import count_frames


@pytest.fixture(scope="module")
def rendered(rendered_short, tmp_path_factory) -> tuple[RenderManifest, otio.schema.Timeline]:
    project, _ = rendered_short
    path = export_timeline(project.root, tmp_path_factory.mktemp("export") / "edit.otio")
    return RenderManifest.load(project.last_render_path), otio.adapters.read_from_file(str(path))


def tracks(timeline) -> dict[str, otio.schema.Track]:
    return {track.name: track for track in timeline.tracks}


def test_the_timeline_reopens_with_the_renders_clip_ranges(rendered):
    manifest, timeline = rendered
    shots = tracks(timeline)["shots"]
    clips = [item for item in shots if isinstance(item, otio.schema.Clip)]
    dissolves = [item for item in shots if isinstance(item, otio.schema.Transition)]
    assert [clip.name for clip in clips] == [shot.id for shot in manifest.shots]
    for clip, shot in zip(clips, manifest.shots, strict=True):
        placed = shots.range_of_child(clip)
        assert placed.start_time.value == pytest.approx(shot.start * manifest.fps)
        assert clip.media_reference.available_range.duration.value == shot.frames
        assert Path(clip.media_reference.target_url.removeprefix("file://")) == shot.clip
    # each transition covers the frames two shots share; the picture ends with the video
    assert len(dissolves) == 2 and all(d.out_offset.value > 0 for d in dissolves)
    assert shots.duration().value == count_frames(manifest.output)


def test_narration_music_and_subtitles_sit_on_their_own_tracks(rendered):
    manifest, timeline = rendered
    named = tracks(timeline)
    assert [t.kind for t in timeline.tracks] == ["Video", "Video", "Audio", "Audio"]
    spoken = [item for item in named["narration"] if isinstance(item, otio.schema.Clip)]
    for clip, shot in zip(spoken, manifest.shots, strict=True):
        placed = named["narration"].range_of_child(clip)
        assert placed.start_time.to_seconds() == pytest.approx(shot.narration_start)
        assert placed.duration.to_seconds() == pytest.approx(shot.speech_seconds)
    (music,) = named["music"]
    assert Path(music.media_reference.target_url.removeprefix("file://")) == manifest.music
    cues = pysubs2.load(str(manifest.srt), format_="srt")
    titles = [item for item in named["subtitles"] if isinstance(item, otio.schema.Clip)]
    assert [t.name for t in titles] == [cue.plaintext.replace("\n", " ") for cue in cues]
    assert named["subtitles"].range_of_child(titles[0]).start_time.to_seconds() == \
        pytest.approx(cues[0].start / 1000, abs=0.01)


@pytest.mark.parametrize("suffix", [".xml", ".kdenlive"])
def test_fcp_xml_and_kdenlive_reopen_with_the_same_shots(rendered_short, rendered,
                                                         tmp_path: Path, suffix: str):
    project, _ = rendered_short
    manifest, timeline = rendered
    path = export_timeline(project.root, tmp_path / f"edit{suffix}")
    again = otio.adapters.read_from_file(str(path))
    video = next(track for track in again.tracks if track.kind == "Video")
    expected = [clip for clip in tracks(timeline)["shots"] if isinstance(clip, otio.schema.Clip)]
    found = [clip for clip in video if isinstance(clip, otio.schema.Clip)]
    assert [(c.name, c.source_range.duration.value) for c in found] == \
        [(c.name, c.source_range.duration.value) for c in expected]


def test_export_before_any_render_says_so(tmp_path: Path):
    project = Project.create(tmp_path / "new", "short")
    with pytest.raises(ExportError, match="has not been rendered yet; run `storyreel render"):
        export_timeline(project.root, tmp_path / "edit.otio")


def test_the_otio_tool_and_the_export_command_write_the_same_timeline(rendered_short,
                                                                     tmp_path: Path):
    from storyreel.tui.cli import app

    project, _ = rendered_short
    runner = CliRunner()
    tool = runner.invoke(app, ["tool", "otio", str(project.storyboard_path), "-o",
                               str(tmp_path / "tool.otio")])
    command = runner.invoke(app, ["export", str(project.root), "-o", str(tmp_path / "cli.otio")])
    assert tool.exit_code == 0 and command.exit_code == 0, tool.output + command.output
    assert (tmp_path / "tool.otio").read_text() == (tmp_path / "cli.otio").read_text()
    wrong = runner.invoke(app, ["export", str(project.root), "-o", str(tmp_path / "cut.mov")])
    assert wrong.exit_code == 1 and "cannot tell the format from cut.mov" in wrong.output


def test_footage_is_exported_as_the_shot_plays_it(short_project, tmp_path):
    """Trimmed footage is referenced as the user's own file; footage the shot slows or loops
    as a copy fitted the way the render plays it (the render keeps none)."""
    from storyreel.storyboards import dump_document, load_storyboard
    from storyreel.studio.render import render
    from storyreel.tools.ffmpeg import run_ffmpeg

    for name, seconds in (("long", 8), ("short", 3)):
        run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=s=320x180:r=25:d={seconds}", "-pix_fmt",
                    "yuv420p", str(short_project.root / "assets" / f"{name}.mp4")])
    _, doc = load_storyboard(short_project.storyboard_path)
    doc["shots"][0]["asset"], doc["shots"][0]["duration"] = "assets/long.mp4", 4
    doc["shots"][1]["asset"], doc["shots"][1]["duration"] = "assets/short.mp4", 4  # slowed
    short_project.storyboard_path.write_text(dump_document(doc))
    render(short_project.storyboard_path)
    timeline = otio.adapters.read_from_file(str(export_timeline(short_project.root,
                                                                tmp_path / "edit.otio")))
    long, slowed = [Path(clip.media_reference.target_url.removeprefix("file://"))
                    for clip in tracks(timeline)["shots"] if isinstance(clip, otio.schema.Clip)][:2]
    assert long == short_project.root / "assets" / "long.mp4"
    assert short_project.state_dir / "export" in slowed.parents
    manifest = RenderManifest.load(short_project.last_render_path)
    assert count_frames(slowed) == manifest.shots[1].frames
    assert manifest.shots[1].fit is not None and manifest.shots[1].fit.stretch > 1
