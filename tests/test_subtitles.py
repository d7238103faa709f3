from __future__ import annotations

from pathlib import Path

import numpy as np
import pysubs2
from PIL import Image, ImageChops

from storyreel.tools.align import Word, script_tokens
from storyreel.tools.ffmpeg import filter_value, run_ffmpeg
from storyreel.tools.fonts import fonts_dir
from storyreel.tools.subtitles import (
    SubtitleLook,
    build_cues,
    write_ass,
    write_text_subtitles,
)

LONG_CHINESE = ("咖啡起源于埃塞俄比亚的高原传说一位名叫卡尔迪的牧羊人发现他的山羊吃了红色浆果后"
                "兴奋地跳舞后来咖啡传到了也门的苏菲派修道院人们在夜里饮用它来保持清醒。")


def _words(text: str, step: float = 0.2) -> list[Word]:
    """The script's tokens spoken one after another, `step` seconds each."""
    return [Word(t, i * step, i * step + step * 0.9) for i, t in enumerate(script_tokens(text))]


def _burn(ass: Path, width: int, height: int, out: Path, at: float = 0.1) -> np.ndarray:
    """A frame with `ass` drawn by libass (the bundled font), as a grey-level array."""
    run_ffmpeg(["-f", "lavfi", "-i", f"color=black:s={width}x{height}:d=60", "-ss", str(at),
                "-vf", f"subtitles=filename={filter_value(str(ass))}:fontsdir="
                f"{filter_value(str(fonts_dir()))}", "-frames:v", "1", str(out)])
    return np.asarray(Image.open(out).convert("L"))


def _ink(frame: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of what was drawn, border and shadow included."""
    ys, xs = np.nonzero(frame > 8)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def test_cues_respect_max_chars_and_break_at_sentences():
    text = ("Coffee began in the highlands of Ethiopia. Legend says a goat herder named "
            "Kaldi saw his goats dance after eating bright red berries.")
    cues = build_cues(_words(text, 0.3), 30, SubtitleLook(1280, 720), text)
    assert all(len(c.text) <= 30 for c in cues)
    assert " ".join(c.text for c in cues) == text
    assert any(c.text.startswith("Legend") for c in cues)  # a sentence starts a new cue
    chinese = build_cues(_words(LONG_CHINESE), 16, SubtitleLook(1280, 720), LONG_CHINESE)
    assert all(len(c.text) <= 16 for c in chinese)  # the cap planners set for Chinese


def test_long_chinese_lines_fit_a_vertical_frame(tmp_path: Path):
    look = SubtitleLook(720, 1280, karaoke=False)
    cues = build_cues(_words(LONG_CHINESE), 42, look, LONG_CHINESE)
    assert "".join(c.text for c in cues) == LONG_CHINESE
    assert all(look.ink_width(c.text) <= look.line_width for c in cues)
    # What libass draws, for the widest line: inside the margins, clear of phone buttons.
    widest = max(cues, key=lambda c: look.ink_width(c.text))
    left, right, _ = look.margins
    ass = write_ass([widest], look, tmp_path / "zh.ass", offset=-widest.start)
    x0, _, x1, y1 = _ink(_burn(ass, 720, 1280, tmp_path / "zh.png"))
    assert left <= x0 and x1 <= 720 - right
    assert y1 <= 1280 * 0.8


def test_landscape_subtitles_stay_near_the_bottom(tmp_path: Path):
    look = SubtitleLook(1280, 720, karaoke=False)
    ass = write_ass(build_cues(_words("Tea began in China."), 42, look), look, tmp_path / "s.ass")
    _, _, _, y1 = _ink(_burn(ass, 1280, 720, tmp_path / "s.png"))
    assert 720 * 0.88 < y1 <= 720 * 0.94


def test_measured_width_matches_what_libass_draws(tmp_path: Path):
    look = SubtitleLook(1280, 720, karaoke=False)
    for name, text in (("en", "Legend says a goat herder named Kaldi"), ("zh", "咖啡起源于埃塞俄比亚"),
                       ("mixed", "the word 茶 means tea")):
        ass = write_ass(build_cues(_words(text), 42, look, text), look, tmp_path / f"{name}.ass")
        x0, _, x1, _ = _ink(_burn(ass, 1280, 720, tmp_path / f"{name}.png"))
        assert abs((x1 - x0) - look.ink_width(text)) < 0.04 * look.ink_width(text), name


def test_no_lone_word_or_character_cue():
    look = SubtitleLook(720, 1280)
    line = "人们在夜里饮用它来保持清醒祈祷平安喜"  # one full line at 9:16 ...
    assert look.ink_width(line + "门") > look.line_width
    text = line + "门。好。"  # ... then a character that used to be left alone, and a sentence of one
    cues = build_cues(_words(text), 42, look, text)
    assert "".join(c.text for c in cues) == text
    assert all(len(c.words) > 1 for c in cues)
    english = "Tea. It began in China, long ago."
    cues = build_cues(_words(english), 42, SubtitleLook(1280, 720), english)
    assert [c.text for c in cues] == [english]


def test_chinese_inside_english_keeps_the_written_spaces(tmp_path: Path):
    text = "In Chinese the word 茶 means tea, and Kaldi看到 goats."
    look = SubtitleLook(1280, 720)
    cues = build_cues(_words(text), 42, look, text)
    assert " ".join(c.text for c in cues) == text
    srt, _, ass = write_text_subtitles([(0.0, cues)], tmp_path / "final", look)
    assert "the word 茶 means tea," in srt.read_text(encoding="utf-8")
    assert "Kaldi看到 goats." in srt.read_text(encoding="utf-8")
    assert "the word 茶 means tea," in pysubs2.load(str(ass))[0].plaintext
    chinese = build_cues(_words("咖啡起源于埃塞俄比亚。"), 42, look, "咖啡起源于埃塞俄比亚。")
    assert [c.text for c in chinese] == ["咖啡起源于埃塞俄比亚。"]
    tagged = build_cues(_words("The word 茶 means tea. 咖啡起源"), 42, look,
                        'The word <emphasis>茶</emphasis> means tea. 咖啡<break time="1s"/>起源')
    assert [c.text for c in tagged] == ["The word 茶 means tea.", "咖啡起源"]


def test_karaoke_ass_times_each_word(tmp_path: Path):
    words = [Word("Hello", 0.0, 0.4), Word("world.", 0.6, 1.0)]
    look = SubtitleLook(640, 360)
    path = write_ass(build_cues(words, 42, look, "Hello world."), look, tmp_path / "k.ass")
    event = pysubs2.load(str(path))[0]
    assert "\\kf40" in event.text and "\\k20" in event.text and event.plaintext == "Hello world."


def _glyphs(text: str, tmp_path: Path, name: str) -> Image.Image:
    look = SubtitleLook(320, 180, False)
    ass = write_ass(build_cues([Word(text, 0, 0.9)], 42, look), look, tmp_path / f"{name}.ass")
    return Image.fromarray(_burn(ass, 320, 180, tmp_path / f"{name}.png"))


def test_chinese_subtitles_render_as_glyphs_not_boxes(tmp_path: Path):
    coffee, tea = _glyphs("咖啡", tmp_path, "a"), _glyphs("茶水", tmp_path, "b")
    assert coffee.getextrema()[1] > 100
    # Missing glyphs render as identical boxes; real glyphs differ.
    assert ImageChops.difference(coffee, tea).getbbox() is not None
