"""The short example rendered end to end, checked as a viewer would notice."""

from __future__ import annotations

import json
from pathlib import Path

import pysubs2
import pytest
from media import frame_steps, integrated_loudness, level_db
from PIL import ImageChops

from storyreel.storyboards import dump_document, load_storyboard
from storyreel.studio.cache import Cache
from storyreel.studio.render import RenderError, render
from storyreel.tools.probe import probe
from storyreel.tools.video import decode_check


def test_video_has_picture_and_sound_of_equal_length(rendered_short):
    _, result = rendered_short
    info = probe(result.video)
    assert info.has_video and info.has_audio
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    assert abs(info.video_duration - info.audio_duration) < 0.1
    assert 8 < info.duration < 15
    assert (info.width, info.height) == (640, 360)
    assert decode_check(result.video) == ""
    assert result.video.stat().st_mode & 0o044  # others may read the user's video


def test_a_drawn_programme_is_encoded_at_the_drawn_quality(rendered_short):
    """Illustrations keep their look at crf 24 (see `video.segment_encoding`)."""
    _, result = rendered_short
    assert b"crf=24.0" in result.video.read_bytes()


def test_every_frame_lasts_one_frame_across_the_joins(short_project):
    """At 30 fps x264 stores some segments' last frame a few ticks short; the join must not
    start the next segment early (the picture's clock would step at every join)."""
    _, doc = load_storyboard(short_project.storyboard_path)
    doc["format"]["fps"] = 30
    short_project.storyboard_path.write_text(dump_document(doc))
    result = render(short_project.storyboard_path)
    assert frame_steps(result.video) == {round(1 / 30, 9)}


def test_moov_atom_is_at_the_front_for_streaming(rendered_short):
    _, result = rendered_short
    head = result.video.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or
                                         head.find(b"moov") < head.find(b"mdat"))


def test_subtitle_files_parse_and_follow_the_narration(rendered_short):
    project, result = rendered_short
    board, _ = load_storyboard(project.storyboard_path)
    script = " ".join(shot.narration for shot in board.shots).split()
    for ext in ("srt", "vtt", "ass"):
        subs = pysubs2.load(str(result.video.with_suffix(f".{ext}")))
        shown = " ".join(event.plaintext for event in subs).split()
        assert shown == script, ext
        starts = [event.start for event in subs]
        assert starts == sorted(starts)
        assert subs[-1].end <= result.duration * 1000 + 50


def test_loudness_is_broadcast_ready(rendered_short):
    _, result = rendered_short
    lufs, peak = integrated_loudness(result.video)
    assert -17 <= lufs <= -15
    assert peak <= -1.0  # true peak: the limiter holds it under the -1 dBTP delivery limit


def test_rerender_without_changes_redoes_nothing(rendered_short):
    project, _ = rendered_short
    again = render(project.storyboard_path)
    assert again.redone == {}


def test_reedit_one_shot_rerenders_only_that_shot(short_project):
    render(short_project.storyboard_path)
    _, doc = load_storyboard(short_project.storyboard_path)
    doc["shots"][1]["narration"] = "Hot water slowly wakes its flavour."
    short_project.storyboard_path.write_text(dump_document(doc))
    edited = render(short_project.storyboard_path)
    assert edited.redone["voice"] == 1 and edited.redone["visual"] == 1
    # its body plus the two transitions that touch it
    assert 3 <= edited.redone["segment"] <= 4  # a long body is encoded as two halves
    subs = pysubs2.load(str(edited.video.with_suffix(".srt")))
    assert "slowly" in " ".join(e.plaintext for e in subs)


def test_interrupted_render_resumes_with_finished_shots(short_project, monkeypatch):
    from storyreel.generators.animatic import AnimaticGenerator

    original = AnimaticGenerator.__call__
    calls: list[str] = []

    def interrupt_on_second(self, request, output, progress=None):
        calls.append(request.prompt)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, request, output, progress)

    monkeypatch.setattr(AnimaticGenerator, "__call__", interrupt_on_second)
    with pytest.raises(KeyboardInterrupt):
        render(short_project.storyboard_path, workers=1)
    monkeypatch.setattr(AnimaticGenerator, "__call__", original)
    leftovers = [p for p in (short_project.cache_dir / "visual").iterdir() if ".part" in p.name]
    assert leftovers == []  # no half-written clip is ever taken for a finished one
    resumed = render(short_project.storyboard_path, workers=1)
    assert resumed.redone["visual"] == 2  # the first shot's clip was reused
    assert resumed.redone.get("voice", 0) == 0


def test_failed_shot_does_not_sink_the_others(short_project, monkeypatch):
    from storyreel.studio import render as render_module
    from storyreel.tools.tts import resolve_voice

    broken = short_project.root / "assets" / "broken.mp4"
    broken.write_bytes(b"this is not a video")
    _, doc = load_storyboard(short_project.storyboard_path)
    doc["shots"][0]["asset"] = "assets/broken.mp4"
    short_project.storyboard_path.write_text(dump_document(doc))
    # validate and preflight refuse this file; a file that breaks after them fails its shot
    monkeypatch.setattr(render_module, "preflight",
                        lambda board, project, *rest: resolve_voice(board, project.root))
    with pytest.raises(RenderError) as caught:
        render(short_project.storyboard_path)
    assert list(caught.value.failures) == ["leaves"]
    clips = list((short_project.cache_dir / "visual").glob("*.mp4"))
    assert len(clips) == 2  # the other two shots are finished and cached
    assert not (short_project.out_dir / "final.mp4").exists()


def test_hostile_narration_characters_render(short_project):
    text = ("It's \"quoted\": 100% [a] {b} c,d; e\\f\nnew line 🙂 and 咖啡 too.")
    _, doc = load_storyboard(short_project.storyboard_path)
    doc["shots"][0]["narration"] = text
    short_project.storyboard_path.write_text(dump_document(doc))
    result = render(short_project.storyboard_path)
    subs = pysubs2.load(str(result.video.with_suffix(".srt")))
    srt_text = result.video.with_suffix(".srt").read_text(encoding="utf-8")
    assert "100%" in srt_text and "[a]" in srt_text and "{b}" in srt_text
    assert "\\{b\\}" in result.video.with_suffix(".ass").read_text(encoding="utf-8")
    assert len(subs) >= 3
    assert decode_check(result.video) == ""


def test_user_image_asset_is_used_with_camera_motion(short_project):
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (800, 600), (20, 90, 200))
    ImageDraw.Draw(image).rectangle((300, 200, 500, 400), fill=(250, 250, 40))
    image.save(short_project.root / "assets" / "photo.png")
    _, doc = load_storyboard(short_project.storyboard_path)
    doc["shots"][2]["asset"] = "assets/photo.png"
    short_project.storyboard_path.write_text(dump_document(doc))
    result = render(short_project.storyboard_path)
    manifest = json.loads((short_project.state_dir / "last_render.json").read_text())
    clip = Path(manifest["shots"][2]["clip"])
    from PIL import Image as PILImage

    from storyreel.tools.video import extract_frame

    first = PILImage.open(extract_frame(clip, 0.0, short_project.root / "a.png")).convert("RGB")
    last = PILImage.open(extract_frame(clip, 2.0, short_project.root / "b.png")).convert("RGB")
    r, g, b = first.getpixel((120, 120))
    assert b > r + 60  # the user's blue photo fills the frame
    assert ImageChops.difference(first, last).getbbox() is not None  # the camera moves
    # A photo in the programme: every segment keeps photographic detail (x264 notes its crf).
    assert b"crf=19.0" in result.video.read_bytes()
    assert b"crf=24.0" not in result.video.read_bytes()


def test_sound_of_user_footage_plays_under_the_narration(short_project):
    from storyreel.tools.ffmpeg import run_ffmpeg

    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x180:r=24:d=3", "-f", "lavfi", "-i",
                "anoisesrc=d=3:c=pink:a=0.5", "-pix_fmt", "yuv420p", "-shortest",
                str(short_project.root / "assets" / "waves.mp4")])
    _, doc = load_storyboard(short_project.storyboard_path)
    doc["shots"][1]["asset"] = "assets/waves.mp4"
    doc["music"] = {"source": "none"}
    short_project.storyboard_path.write_text(dump_document(doc))
    with_waves = render(short_project.storyboard_path)
    kept = short_project.root / "with-waves.mp4"
    kept.write_bytes(with_waves.video.read_bytes())
    doc["ambience"] = {"source": "none"}
    short_project.storyboard_path.write_text(dump_document(doc))
    without = render(short_project.storyboard_path)
    assert without.redone == {"audio": 1}  # the picture is unchanged, only the mix

    shot = json.loads(short_project.last_render_path.read_text())["shots"][1]
    start, end = shot["start"] + 0.25, shot["start"] + shot["frames"] / 24 - 0.25
    windows = [start + i / 10 for i in range(int((end - start) * 10))]

    def quietest(video: Path) -> float:
        return min(level_db(video, t, t + 0.1) for t in windows)

    assert quietest(without.video) < -80  # the narration has pauses...
    assert quietest(kept) > -60  # ...where the footage's own sound is heard


def test_user_footage_shows_frame_for_frame_in_its_shot(short_project):
    """The shot's segments read the footage themselves (the second half of the shot from a
    keyframe partway in): each frame of the shot is the footage's frame at the same time."""
    import av
    import numpy as np

    from storyreel.tools.ffmpeg import run_ffmpeg

    footage = short_project.root / "assets" / "counter.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=640x360:r=24:d=8", "-pix_fmt", "yuv420p",
                "-g", "48", str(footage)])
    _, doc = load_storyboard(short_project.storyboard_path)
    doc["shots"][1]["asset"] = "assets/counter.mp4"
    doc["shots"][1]["duration"] = 5
    short_project.storyboard_path.write_text(dump_document(doc))
    result = render(short_project.storyboard_path)
    start = result.shots["cup"].start_frame

    def frames(path: Path) -> list[np.ndarray]:
        with av.open(str(path)) as container:  # the top half: subtitles sit at the bottom
            return [f.to_ndarray(format="gray")[:180].astype(int) for f in container.decode(video=0)]

    ours, theirs = frames(result.video), frames(footage)
    for index in (30, 70, 100):  # the first half of the body, the second, near its end
        error = [np.abs(ours[start + index] - theirs[index + shift]).mean() for shift in (-1, 0, 1)]
        assert error[1] < 3 and error[1] < min(error[0], error[2]) / 3, (index, error)
    # the two drawn shots have clips; the footage no fitted copy
    assert len(list((short_project.cache_dir / "visual").glob("*.mp4"))) == 2


def test_cache_never_returns_half_written_entries(tmp_path):
    cache = Cache(tmp_path)

    def fail(path):
        path.write_text("partial")
        raise OSError("disk full")

    with pytest.raises(OSError):
        cache.produce("visual", "k", ".mp4", fail)
    assert cache.get("visual", "k", ".mp4") is None
    assert list((tmp_path / "visual").iterdir()) == []


@pytest.mark.slow
def test_sixty_second_example_renders(tmp_path):
    from storyreel.studio.project import Project

    project = Project.create(tmp_path / "coffee", "coffee")
    result = render(project.storyboard_path)
    info = probe(result.video)
    assert info.duration >= 60 and (info.width, info.height) == (1280, 720)
    assert abs(info.video_duration - info.audio_duration) < 0.1
    lufs, _ = integrated_loudness(result.video)
    assert -17 <= lufs <= -15


def test_vertical_video_for_phones(short_project):
    _, doc = load_storyboard(short_project.storyboard_path)
    doc["format"]["aspect"] = "9:16"
    short_project.storyboard_path.write_text(dump_document(doc))
    result = render(short_project.storyboard_path)
    info = probe(result.video)
    assert (info.width, info.height) == (360, 640)
    assert abs(info.video_duration - info.audio_duration) < 0.1


def test_storyboard_level_generator_defaults_reach_every_shot(short_project):
    from storyreel.studio.review import reviews

    _, doc = load_storyboard(short_project.storyboard_path)
    doc["generator"] = {"name": "animatic", "seed": 4242}
    doc["shots"][1]["generator"] = {"seed": 7}  # a shot's own value wins
    short_project.storyboard_path.write_text(dump_document(doc))
    board, _ = load_storyboard(short_project.storyboard_path)
    shots = {r.id: r for r in reviews(short_project, board)}
    assert (shots["leaves"].take, shots["cup"].take, shots["calm"].take) == (4242, 7, 4242)
    assert shots["leaves"].generator == "animatic"


def test_drawn_subjects_are_credited_and_unmatched_words_are_said(short_project):
    _, doc = load_storyboard(short_project.storyboard_path)
    doc["shots"][2]["visual"] = "the quiet feeling of almost"  # nothing to draw
    short_project.storyboard_path.write_text(dump_document(doc))
    events = []
    result = render(short_project.storyboard_path, events=events.append)
    warned = [e for e in events if e.kind == "warning" and e.shot == "calm"]
    assert warned and "matches" in warned[0].message
    credits = (result.video.parent / "credits.txt").read_text(encoding="utf-8")
    assert "leaves" in credits and "Fluent Emoji" in credits and "calm" not in credits
