from __future__ import annotations

from pathlib import Path

import numpy as np
import pysubs2
from media import level_db
from PIL import Image, ImageChops

from storyreel.generators import ClipRequest, get_generator
from storyreel.tools.align import Word, align_script, script_tokens
from storyreel.tools.audio_mix import Layer, Placed, mix_programme
from storyreel.tools.ffmpeg import filter_value, run_ffmpeg
from storyreel.tools.fonts import fonts_dir
from storyreel.tools.music import ambient_bed
from storyreel.tools.probe import probe
from storyreel.tools.speech import write_wav
from storyreel.tools.subtitles import SubtitleLook, build_cues, join_tokens, write_ass


def test_filter_value_escapes_survive_real_ffmpeg(tmp_path: Path):
    nasty = tmp_path / "it's [a]:b,c;d"
    nasty.mkdir()
    ass = write_ass(build_cues([Word("Hello", 0.0, 0.5)], 42), SubtitleLook(320, 180),
                    nasty / "s.ass")
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


def test_cues_respect_max_chars_and_break_at_sentences():
    text = ("Coffee began in the highlands of Ethiopia. Legend says a goat herder named "
            "Kaldi saw his goats dance after eating bright red berries.")
    words = [Word(t, i * 0.3, i * 0.3 + 0.25) for i, t in enumerate(text.split())]
    cues = build_cues(words, 30)
    assert all(len(c.text) <= 30 for c in cues)
    assert any(c.text.startswith("Legend") for c in cues)  # a sentence starts a new cue
    assert all(not c.text.startswith("Kaldi") for c in cues)


def test_cjk_subtitles_have_no_spaces_and_break_by_characters():
    tokens = script_tokens("咖啡起源于埃塞俄比亚的高原，后来传到也门。")
    assert tokens[0] == "咖" and tokens[9].endswith("亚") is True
    words = [Word(t, i * 0.2, i * 0.2 + 0.2) for i, t in enumerate(tokens)]
    cues = build_cues(words, 12)
    assert all(len(c.text) <= 12 for c in cues)
    assert " " not in "".join(c.text for c in cues)
    assert join_tokens(["Kaldi", "看", "到"]) == "Kaldi看到"


def test_karaoke_ass_times_each_word(tmp_path: Path):
    words = [Word("Hello", 0.0, 0.4), Word("world.", 0.6, 1.0)]
    path = write_ass(build_cues(words, 42), SubtitleLook(640, 360), tmp_path / "k.ass")
    event = pysubs2.load(str(path))[0]
    assert "\\kf40" in event.text and "\\k20" in event.text and event.plaintext == "Hello world."


def _burn(text: str, tmp_path: Path, name: str) -> Image.Image:
    ass = write_ass(build_cues([Word(text, 0, 0.9)], 42), SubtitleLook(320, 180, False),
                    tmp_path / f"{name}.ass")
    out = tmp_path / f"{name}.png"
    run_ffmpeg(["-f", "lavfi", "-i", "color=black:s=320x180:d=1", "-vf",
                f"subtitles=filename={filter_value(str(ass))}:fontsdir="
                f"{filter_value(str(fonts_dir()))}", "-frames:v", "1", str(out)])
    return Image.open(out).convert("L")


def test_chinese_subtitles_render_as_glyphs_not_boxes(tmp_path: Path):
    coffee, tea = _burn("咖啡", tmp_path, "a"), _burn("茶水", tmp_path, "b")
    assert coffee.getextrema()[1] > 100
    # Missing glyphs render as identical boxes; real glyphs differ.
    assert ImageChops.difference(coffee, tea).getbbox() is not None


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


def test_piper_reports_word_timings_for_the_script(tmp_path: Path):
    from storyreel.tools.tts_piper import BUNDLED_VOICE, find_voice, synthesize

    text = "By the 15th century, coffee crossed the Red Sea. Schools of the wise!"
    speech = synthesize(text, tmp_path / "n.wav", model=find_voice(BUNDLED_VOICE))
    assert [w.text for w in speech.words] == text.split()
    starts = [w.start for w in speech.words]
    assert starts == sorted(starts) and speech.words[-1].end <= speech.duration + 0.01
    # "Schools" starts the second sentence: after the pause that ends the first.
    assert speech.words[9].start > speech.words[8].end + 0.1


def test_whisper_alignment_agrees_with_the_voice_timings(tmp_path: Path):
    """The ASR path (Coqui voices, and Piper voices without timings) lands near the truth."""
    from storyreel.tools.align import align_narration
    from storyreel.tools.tts_piper import BUNDLED_VOICE, find_voice, synthesize

    text = "Legend says a goat herder named Kaldi saw his goats dance."
    speech = synthesize(text, tmp_path / "n.wav", model=find_voice(BUNDLED_VOICE))
    heard = align_narration(speech.path, text, "en", speech.duration)
    assert [w.text for w in heard] == text.split()
    for truth, guess in zip(speech.words, heard, strict=True):
        assert abs(truth.start - guess.start) < 0.4, truth.text
