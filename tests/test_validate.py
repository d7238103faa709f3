"""`storyreel validate` (and every render) opens what the storyboard refers to and points at
the line that names a bad file, voice or generator, with the storyboard's exit code (2)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from storyreel.storyboards import StoryboardError, dump_document, load_storyboard
from storyreel.studio.preflight import check_storyboard, preflight
from storyreel.studio.project import Project
from storyreel.tools import probe
from storyreel.tools.ffmpeg import run_ffmpeg


def clip(path: Path, picture: bool = True, sound: bool = True, seconds: int = 1,
         flags: tuple[str, ...] = ()) -> Path:
    """A test clip."""
    args = ["-f", "lavfi", "-i", f"testsrc2=s=160x90:r=24:d={seconds}"] if picture else []
    args += ["-f", "lavfi", "-i", f"sine=d={seconds}"] if sound else []
    args += ["-pix_fmt", "yuv420p"] if picture else []
    run_ffmpeg([*args, *flags, str(path)])
    return path


def edit(project: Project, change: Callable) -> None:
    _, doc = load_storyboard(project.storyboard_path)
    change(doc)
    project.storyboard_path.write_text(dump_document(doc))


def line_of(project: Project, text: str) -> int:
    """1-based line of the first line of storyboard.yaml holding `text`."""
    lines = project.storyboard_path.read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def validate(project: Project) -> None:
    board, doc = load_storyboard(project.storyboard_path)
    check_storyboard(board, project, doc)


def problems(project: Project) -> StoryboardError:
    with pytest.raises(StoryboardError) as caught:
        validate(project)
    assert caught.value.exit_code == 2
    return caught.value


def text_file(path: Path) -> None:
    path.write_text("not a picture, just words\n")


def empty_file(path: Path) -> None:
    path.write_bytes(b"")


def truncated_video(path: Path) -> None:
    """Cut to half its bytes, as a copy stopped half way leaves it (its index was at the end)."""
    data = clip(path).read_bytes()
    path.write_bytes(data[: len(data) // 2])


def truncated_streamable_video(path: Path) -> None:
    """Cut to half its bytes with its index at the start: it still opens and plays, then stops."""
    data = clip(path, seconds=4, flags=("-movflags", "+faststart")).read_bytes()
    path.write_bytes(data[: len(data) // 2])


def sound_only_video(path: Path) -> None:
    clip(path, picture=False)


@pytest.mark.parametrize(("name", "make", "reason"), [
    ("bad.jpg", text_file, "it is not an image"),
    ("blank.png", empty_file, "the file is empty"),
    ("cut.mp4", truncated_video, "its picture does not decode"),
    ("web.mp4", truncated_streamable_video, "it is cut off: it stops at"),
    ("speech.mp4", sound_only_video, "it has no picture, only sound"),
])
def test_an_asset_that_does_not_decode_is_named_at_its_line(short_project, name, make, reason):
    make(short_project.root / "assets" / name)
    edit(short_project, lambda d: d["shots"][1].__setitem__("asset", f"assets/{name}"))
    error = problems(short_project)
    line = line_of(short_project, f"asset: assets/{name}")
    assert str(error).startswith(f"{short_project.storyboard_path}:{line}:5: shot 'cup' (2nd): "
                                 f"asset 'assets/{name}' cannot be used: {reason}")


def test_a_text_file_as_music_is_named_at_its_line(short_project):
    text_file(short_project.root / "assets" / "song.mp3")
    edit(short_project, lambda d: d["music"].__setitem__("source", "assets/song.mp3"))
    error = problems(short_project)
    assert f":{line_of(short_project, 'music:')}:" in str(error)
    assert "music file 'assets/song.mp3' cannot be used: its sound does not decode" in str(error)


def test_good_images_clips_and_music_pass(short_project):
    assets = short_project.root / "assets"
    Image.new("RGB", (64, 36), "orange").save(assets / "still.jpg")
    clip(assets / "waves.mp4")
    clip(assets / "bed.m4a", picture=False)

    def use(doc) -> None:
        doc["shots"][0]["asset"] = "assets/still.jpg"
        doc["shots"][1]["asset"] = "assets/waves.mp4"
        doc["music"]["source"] = "assets/bed.m4a"
    edit(short_project, use)
    validate(short_project)


def test_every_content_problem_is_reported_at_once_each_at_its_line(short_project):
    text_file(short_project.root / "assets" / "face.png")

    def break_it(doc) -> None:
        doc["shots"][0]["asset"] = "assets/nope.jpg"
        doc["shots"][1]["generator"] = {"name": "sora"}
        doc["shots"][2]["generator"] = {"reference_image": "assets/face.png"}
        doc["voice"]["voice"] = "de_DE-nobody-medium"
    edit(short_project, break_it)
    lines = str(problems(short_project)).splitlines()
    where = f"{short_project.storyboard_path}:"
    assert len(lines) == 4
    assert lines[0].startswith(f"{where}{line_of(short_project, 'assets/nope.jpg')}:5: shot "
                               "'leaves' (1st): asset 'assets/nope.jpg' not found")
    assert lines[1].startswith(f"{where}{line_of(short_project, 'sora')}:")
    assert "shot 'cup' (2nd): unknown generator 'sora'" in lines[1]
    assert lines[2].startswith(f"{where}{line_of(short_project, 'reference_image')}:")
    assert "generator.reference_image 'assets/face.png' cannot be used: it is not an image" \
        in lines[2]
    assert lines[3].startswith(f"{where}{line_of(short_project, 'voice:')}:1: ")
    assert "'de_DE-nobody-medium' is not installed" in lines[3]


def test_a_voice_that_cannot_speak_the_language_points_at_the_voice(short_project):
    edit(short_project, lambda d: d.__setitem__("language", "de"))
    (problem,) = problems(short_project).problems
    assert problem.line == line_of(short_project, "voice:") and "speaks 'en_US'" in problem.message


def test_a_file_is_decoded_once_until_it_changes(short_project):
    """Long footage is not decoded again on every validate and render: the verdict is kept
    by the file's name, size and modification time."""
    footage = clip(short_project.root / "assets" / "waves.mp4")
    edit(short_project, lambda d: d["shots"][1].__setitem__("asset", "assets/waves.mp4"))
    validate(short_project)
    stat = footage.stat()
    footage.write_bytes(b"\0" * stat.st_size)  # same size and time: taken as the file seen
    os.utime(footage, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    validate(short_project)
    os.utime(footage, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # edited
    assert "'assets/waves.mp4' cannot be used" in str(problems(short_project))


def test_a_cast_members_reference_image_is_checked_at_its_line(short_project):
    text = short_project.storyboard_path.read_text(encoding="utf-8")
    text = text.replace("shots:\n", "cast:\n  - id: lin\n    description: a tea picker\n"
                        "    reference: assets/lin.png\nshots:\n", 1)
    short_project.storyboard_path.write_text(text, encoding="utf-8")
    (short_project.root / "assets" / "lin.png").write_bytes(b"")
    board, document = load_storyboard(short_project.storyboard_path)
    with pytest.raises(StoryboardError) as caught:
        check_storyboard(board, short_project, document)
    line = str(caught.value)
    assert "cast member 'lin': reference" in line and "empty" in line
    assert f"{short_project.storyboard_path}:" in line


def test_a_render_reads_footage_packets_and_validate_decodes_them(short_project, monkeypatch):
    """The render decodes the footage itself: its check reads packets only, so long footage
    is not decoded twice on every cold render. `validate` decodes every frame."""
    clip(short_project.root / "assets" / "waves.mp4")
    edit(short_project, lambda d: d["shots"][1].__setitem__("asset", "assets/waves.mp4"))
    decoded: list[bool] = []
    checked = probe._stream_problem
    monkeypatch.setattr(probe, "_stream_problem",
                        lambda path, kind, decode=True: decoded.append(decode)
                        or checked(path, kind, decode))
    board, doc = load_storyboard(short_project.storyboard_path)
    preflight(board, short_project, short_project.out_dir / "final.mp4", doc)
    assert decoded == [False]
    validate(short_project)
    assert decoded == [False, True]
    validate(short_project)  # the verdict is kept
    preflight(board, short_project, short_project.out_dir / "final.mp4", doc)
    assert decoded == [False, True]


def test_a_render_still_refuses_footage_cut_off_at_its_line(short_project):
    truncated_streamable_video(short_project.root / "assets" / "web.mp4")
    edit(short_project, lambda d: d["shots"][1].__setitem__("asset", "assets/web.mp4"))
    board, doc = load_storyboard(short_project.storyboard_path)
    with pytest.raises(StoryboardError, match="it is cut off: it stops at"):
        preflight(board, short_project, short_project.out_dir / "final.mp4", doc)
