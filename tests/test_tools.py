from __future__ import annotations

from pathlib import Path

import numpy as np
from media import level_db
from PIL import Image

from storyreel.generators import ClipRequest, get_generator
from storyreel.tools.align import Word, align_script
from storyreel.tools.audio_mix import Layer, Placed, mix_programme
from storyreel.tools.ffmpeg import filter_value, run_ffmpeg
from storyreel.tools.music import ambient_bed
from storyreel.tools.probe import probe
from storyreel.tools.speech import write_wav
from storyreel.tools.subtitles import SubtitleLook, build_cues, write_ass


def test_filter_value_escapes_survive_real_ffmpeg(tmp_path: Path):
    nasty = tmp_path / "it's [a]:b,c;d"
    nasty.mkdir()
    look = SubtitleLook(320, 180)
    ass = write_ass(build_cues([Word("Hello", 0.0, 0.5)], 42, look), look, nasty / "s.ass")
    out = tmp_path / "o.png"
    run_ffmpeg(["-f", "lavfi", "-i", "color=black:s=320x180:d=1", "-vf",
                f"subtitles=filename={filter_value(str(ass))}", "-frames:v", "1", str(out)])
    assert Image.open(out).convert("L").getextrema()[1] > 100  # text was drawn


def test_alignment_shows_the_script_not_asr_mistakes():
    heard = [Word("Tea", 0.0, 0.3), Word("begins", 0.3, 0.7), Word("has", 0.7, 0.8),
             Word("a", 0.8, 0.9), Word("grin", 0.9, 1.2), Word("leaf.", 1.2, 1.6)]
    words = align_script("Tea begins as a green leaf.", heard, 1.8)
    assert [w.text for w in words] == ["Tea", "begins", "as", "a", "green", "leaf."]
    assert words[-1].start == 1.2
    assert all(a.end <= b.start + 1e-6 for a, b in zip(words, words[1:], strict=False))


def test_alignment_spreads_unheard_words_over_the_audio():
    words = align_script("one two three four", [], 4.0)
    assert words[0].start == 0 and words[-1].end == 4.0


def test_ambient_bed_has_the_asked_length(tmp_path: Path):
    info = probe(ambient_bed(5.0, tmp_path / "bed.wav", seed=3))
    assert abs(info.audio_duration - 5.0) < 0.05


def _tone(path: Path, seconds: float, hz: float, rate: int = 16000) -> Path:
    t = np.arange(round(seconds * rate)) / rate
    write_wav(path, (0.5 * np.sin(2 * np.pi * hz * t) * 32767).astype(np.int16), rate)
    return path


def test_ambience_plays_at_its_place_for_its_length_under_the_voice(tmp_path: Path):
    voice = _tone(tmp_path / "voice.wav", 1.0, 220)
    sound = _tone(tmp_path / "sound.wav", 3.0, 660)  # longer than the shot it belongs to
    out = mix_programme([Placed(voice, 0.0)], 4.0, tmp_path / "mix.m4a",
                        [Layer([Placed(sound, 0.5, 2.0)], gain_db=-12.0)])
    assert abs(probe(out).audio_duration - 4.0) < 0.03
    spoken, ambience = level_db(out, 0.1, 0.45), level_db(out, 1.9, 2.2)
    assert abs(spoken - ambience - 12) < 2  # the layer sits 12 dB under the voice
    assert level_db(out, 1.05, 1.35) < ambience - 6  # ducked, recovering after the voice
    assert level_db(out, 2.7, 3.9) < spoken - 50  # and stops where its shot ends


def test_designed_portrait_clip_has_exact_frames(tmp_path: Path):
    request = ClipRequest(prompt="quiet harbour at night", width=360, height=640, fps=24,
                          num_frames=30, seed=2, style="calm", title="Night")
    out = get_generator("auto")(request, tmp_path / "c.mp4")
    info = probe(out.path)
    assert (info.width, info.height, info.frames) == (360, 640, 30)


def test_short_footage_is_slowed_or_looped_to_fit(tmp_path: Path):
    source = tmp_path / "src.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=24:d=1", "-pix_fmt", "yuv420p",
                str(source)])
    for frames in (36, 120):  # 1.5 s (slowed) and 5 s (looped) from 1 s of footage
        request = ClipRequest(prompt="", width=256, height=144, fps=24, num_frames=frames,
                              video=source)
        out = get_generator("animatic")(request, tmp_path / f"f{frames}.mp4")
        info = probe(out.path)
        assert (info.width, info.height, info.frames) == (256, 144, frames)
        assert not info.has_audio and not out.has_sound


def test_footage_keeps_its_sound_retimed_with_the_picture(tmp_path: Path):
    source = tmp_path / "waves.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=24:d=2", "-f", "lavfi", "-i",
                "sine=frequency=440:duration=2", "-pix_fmt", "yuv420p", "-shortest",
                str(source)])
    for frames in (30, 72, 120):  # trimmed, slowed (1.5x) and looped
        request = ClipRequest(prompt="", width=256, height=144, fps=24, num_frames=frames,
                              video=source)
        out = get_generator("animatic")(request, tmp_path / f"f{frames}.mp4")
        info = probe(out.path)
        assert out.has_sound and info.frames == frames
        assert abs(info.audio_duration - frames / 24) < 0.03
        assert level_db(out.path, 0.1, frames / 24 - 0.1) > -25  # heard all along (-21 dB)

