"""User footage fitted to a shot by the segments themselves: any part of a shot, read from
its own frame on, shows exactly the frames the whole shot shows there."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from storyreel.tools.ffmpeg import ffmpeg_exe, run_ffmpeg
from storyreel.tools.footage import FootageFit

W, H, FPS = 96, 54, 30


def _frames(input_args: list[str], graph: str, count: int) -> list[str]:
    """A hash of each of the first `count` frames the graph makes."""
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", *input_args, "-vf", graph, "-frames:v",
                          str(count), "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"],
                         capture_output=True, check=True).stdout
    size = W * H * 3 // 2
    return [hashlib.md5(raw[i:i + size]).hexdigest() for i in range(0, len(raw), size)]


@pytest.fixture(scope="module")
def footage(tmp_path_factory) -> dict[str, Path]:
    """4 s of a counter at 25 fps (every frame differs; a keyframe every 2 s): an MP4; one
    whose picture starts 0.3 s after its sound, as cameras' files often do; and an MPEG-TS
    (broadcast, camcorders), whose clock starts at 1.4 s."""
    folder = tmp_path_factory.mktemp("footage")
    plain, late, ts = folder / "plain.mp4", folder / "late.mkv", folder / "stream.ts"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x180:r=25:d=4", "-pix_fmt", "yuv420p",
                "-g", "50", str(plain)])
    run_ffmpeg(["-itsoffset", "0.3", "-i", str(plain), "-f", "lavfi", "-i",
                "sine=d=4.3", "-c:v", "copy", "-c:a", "aac", str(late)])
    run_ffmpeg(["-i", str(plain), "-c", "copy", str(ts)])
    return {"plain": plain, "late": late, "ts": ts}


@pytest.mark.parametrize("seconds", [3.0, 5.0, 8.0], ids=["trimmed", "slowed", "looped"])
@pytest.mark.parametrize("name", ["plain", "late", "ts"])
def test_a_shot_read_from_any_frame_shows_the_frames_of_the_whole(footage, name, seconds):
    video = footage[name]
    fit = FootageFit.measure(video, W, H, FPS, round(seconds * FPS))
    assert fit.source_seconds == pytest.approx(4.0, abs=0.05)
    if name == "late":
        assert fit.first_picture == pytest.approx(0.3, abs=0.01) and fit.has_audio
    whole = _frames(fit.input_args(video), fit.picture(), fit.frames)
    assert len(whole) == fit.frames and len(set(whole)) > fit.frames // 3
    for first in (1, 7, 45, fit.frames // 2 + 1, fit.frames - 12):
        part = _frames(fit.input_args(video, first), fit.picture(first), 12)
        assert part == whole[first:first + 12], f"from frame {first}"


def test_the_fit_trims_slows_or_loops_by_how_long_the_footage_is(footage):
    def fit(seconds: float) -> FootageFit:
        return FootageFit.measure(footage["plain"], W, H, FPS, round(seconds * FPS))

    assert (fit(3).stretch, fit(3).loops) == (1.0, False)
    assert (fit(5).stretch, fit(5).loops) == (1.25, False)
    assert (fit(8).stretch, fit(8).loops) == (1.0, True)
    assert "-ss" in fit(3).input_args(footage["plain"], 60)
    assert "-ss" not in fit(8).input_args(footage["plain"], 60)  # a loop reads from its start
    # a seek in an MPEG-TS lands anywhere, not on a picture that decodes
    ts = FootageFit.measure(footage["ts"], W, H, FPS, 90)
    assert not ts.seekable and "-ss" not in ts.input_args(footage["ts"], 60)


def test_a_footage_shot_is_shown_by_a_frame_it_plays(tmp_path, footage):
    """The review's picture of a shot made from a long file comes from the part it plays."""
    from PIL import Image, ImageChops

    from storyreel.studio.project import Project
    from storyreel.studio.review import keyframe
    from storyreel.tools.video import extract_frame

    project = Project.create(tmp_path / "tea", "short")
    shown = Image.open(keyframe(project, footage["plain"], shot_seconds=2.0)).convert("RGB")
    at = {t: Image.open(extract_frame(footage["plain"], t, tmp_path / f"{t}.png")).convert("RGB")
          for t in (1.0, 2.0)}  # the shot's middle, and the file's
    assert ImageChops.difference(shown, at[1.0]).getbbox() is None
    assert ImageChops.difference(shown, at[2.0]).getbbox() is not None
