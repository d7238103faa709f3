"""`storyreel render --for PLATFORM`: the platform's frame for one render, the storyboard file
untouched; too long a video refused before any picture is made; the bitrate kept under the
platform's ceiling; captions inside its safe area."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyreel.studio.platforms import PLATFORMS, Platform, PlatformError, cap_bitrate, video_mbps
from storyreel.studio.project import Project
from storyreel.studio.render import render
from storyreel.tools.ffmpeg import run_ffmpeg
from storyreel.tools.probe import probe
from storyreel.tools.subtitles import SubtitleLook
from storyreel.tools.video import count_frames

SILENT = """\
version: 1
title: Platforms
format: {aspect: "16:9", height: 144, fps: 12}
music: {source: none}
shots:
  - id: only
    duration: SECONDS
    visual: a lighthouse at dusk
"""


def project(tmp_path: Path, seconds: float) -> Project:
    made = Project.create(tmp_path / "p")
    made.storyboard_path.write_text(SILENT.replace("SECONDS", str(seconds)), encoding="utf-8")
    return made


def test_a_tiktok_render_is_vertical_named_for_it_and_leaves_the_file_alone(tmp_path: Path):
    made = project(tmp_path, 0.5)
    before = made.storyboard_path.read_text()
    small = PLATFORMS["tiktok"].model_copy(update={"height": 180})  # 1080p takes longer
    result = render(made.storyboard_path, platform=small)
    assert result.video == made.out_dir / "final-tiktok.mp4"
    info = probe(result.video)
    assert (info.width, info.height) == (180, 320)
    assert count_frames(result.video) == 12  # 0.5 s at 24 fps, TikTok's lowest rate
    assert made.storyboard_path.read_text() == before


def test_a_video_too_long_for_the_platform_is_refused_before_any_picture(tmp_path: Path):
    made = project(tmp_path, 200)
    with pytest.raises(PlatformError, match=r"lasts 3 min 20 s, longer than Instagram Reels "
                                            r"takes \(3 min\)"):
        render(made.storyboard_path, platform=PLATFORMS["reels"])
    assert not (made.cache_dir / "visual").exists()


@pytest.mark.parametrize("name", list(PLATFORMS))
def test_captions_stay_inside_each_platforms_safe_area(name: str):
    preset = PLATFORMS[name]
    width, height = preset.format(24).size
    _, right, bottom = SubtitleLook(width, height).margins
    assert bottom >= preset.caption_bottom * height and right >= preset.caption_right * width


def test_a_picture_over_the_ceiling_is_reencoded_under_it(tmp_path: Path):
    video = tmp_path / "noisy.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "nullsrc=s=320x180:r=24:d=4,geq=random(1)*255:128:128",
                "-c:v", "libx264", "-crf", "8", "-pix_fmt", "yuv420p", str(video)])
    assert video_mbps(video) > 2
    strict = PLATFORMS["reels"].model_copy(update={"max_mbps": 1.0})
    said = cap_bitrate(video, strict)
    assert "re-encoded to at most 1 Mbit/s" in said
    # the rate limit holds after the encoder's one-second buffer, which starts nearly full
    assert video_mbps(video) <= 1.0 + 1.0 / 4 and count_frames(video) == 96
    assert cap_bitrate(video, strict) == ""  # already under: left as it is


def test_an_unknown_platform_is_one_line_naming_the_presets(tmp_path: Path):
    from storyreel.tui.cli import app

    made = project(tmp_path, 1)
    result = CliRunner().invoke(app, ["render", str(made.root), "--for", "myspace"])
    assert result.exit_code == 1
    assert "no platform preset 'myspace'; choose one of youtube, shorts, tiktok, reels" \
        in result.output


def test_presets_are_checked_data():
    with pytest.raises(ValueError):
        Platform(name="x", title="X", aspect="3:2", height=1080, fps=(24, 60), max_mbps=8,
                 max_seconds=60, caption_bottom=0.2, caption_right=0.1)
