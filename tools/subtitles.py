"""Subtitle cues from word timings; SRT, WebVTT and ASS (karaoke) files via pysubs2."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pysubs2

from storyreel.storyboards.atomic import atomic_path

from .align import Word
from .fonts import FONT_FAMILY, ass_font
from .scripts import is_cjk_char

SENTENCE_END = tuple(".!?。！？…")
CLAUSE_END = tuple(",;:，、；：—")
PAUSE_BREAK = 0.6  # seconds of silence that start a new cue
LAYOUT_VERSION = 2  # bump when cue breaking or placement changes: cache keys hold the look
LONE_LINE_COST = 4.0  # a line of one word or character, when its phrase has more
PLAIN_BREAK_COST = 0.15  # a line break that does not follow punctuation
_TAG = re.compile(r"<[^<>]*>")  # SSML-like narration markup, never shown
# pysubs2 drops {...} from SRT/VTT as ASS override blocks; literal braces travel as these.
_PLAIN_BRACES = {"{": "\ue000", "}": "\ue001"}


@dataclass(frozen=True)
class Cue:
    words: tuple[Word, ...]
    spaced: tuple[bool, ...]  # per word: whether a space comes before it

    @property
    def start(self) -> float:
        return self.words[0].start

    @property
    def end(self) -> float:
        return self.words[-1].end

    @property
    def text(self) -> str:
        return join_words([w.text for w in self.words], self.spaced)


@dataclass(frozen=True)
class SubtitleLook:
    """How burned subtitles look, scaled to the video frame."""

    width: int
    height: int
    karaoke: bool = True
    layout: int = LAYOUT_VERSION  # in the look so that cache keys made from it follow changes

    @property
    def font_size(self) -> int:
        return round(min(self.width, self.height) * 0.062)

    @property
    def outline(self) -> float:
        return max(1.0, min(self.width, self.height) / 240)

    @property
    def shadow(self) -> float:
        return max(1.0, min(self.width, self.height) / 360)

    @property
    def margins(self) -> tuple[int, int, int]:
        """Left, right and bottom margins. Vertical video plays in phone apps that draw their
        buttons over the right edge and their captions over the bottom fifth, so there the
        subtitles keep to the platforms' safe area."""
        if self.width / self.height < 0.7:
            return round(self.width * 0.07), round(self.width * 0.14), round(self.height * 0.22)
        side = round(self.width * 0.06)
        return side, side, round(self.height * 0.07)

    @property
    def line_width(self) -> int:
        """The widest a line may be drawn (border and shadow included) inside the margins."""
        left, right, _ = self.margins
        return self.width - left - right

    def ink_width(self, text: str) -> float:
        """How wide libass draws `text` in this look, border and shadow included."""
        return ass_font(self.font_size).getlength(text) + 2 * self.outline + self.shadow

    def style(self) -> pysubs2.SSAStyle:
        left, right, bottom = self.margins
        return pysubs2.SSAStyle(
            fontname=FONT_FAMILY, fontsize=self.font_size, bold=False,
            primarycolor=pysubs2.Color(255, 214, 90) if self.karaoke else pysubs2.Color(255, 255, 255),
            secondarycolor=pysubs2.Color(255, 255, 255),
            outlinecolor=pysubs2.Color(10, 10, 10), backcolor=pysubs2.Color(0, 0, 0, 120),
            outline=self.outline, shadow=self.shadow, alignment=pysubs2.Alignment.BOTTOM_CENTER,
            marginv=bottom, marginl=left, marginr=right)


def needs_space(previous: str, token: str) -> bool:
    """Words are spaced; Chinese and Japanese characters are not."""
    return not (is_cjk_char(_last_letter(previous)) or is_cjk_char(token[:1]))


def _last_letter(text: str) -> str:
    for char in reversed(text):
        if char.isalnum():
            return char
    return " "


def word_spacing(tokens: Sequence[str], script: str | None = None) -> list[bool]:
    """Whether a space comes before each token: as in `script` (the narration as written,
    tags such as `<break/>` aside) where the tokens are found there in order, else by
    `needs_space`."""
    spaced: list[bool] = []
    cursor = 0
    for index, token in enumerate(tokens):
        found = script.find(token, cursor) if script else -1
        gap = _TAG.sub("", script[cursor:found]) if script and found >= 0 else ""
        if found >= 0 and not any(char.isalnum() for char in gap):
            spaced.append(index > 0 and any(char.isspace() for char in gap))
            cursor = found + len(token)
        else:
            spaced.append(index > 0 and needs_space(tokens[index - 1], token))
    return spaced


def join_words(tokens: Sequence[str], spaced: Sequence[bool]) -> str:
    """The tokens as one line; the first token's space is dropped."""
    return "".join((" " if index and space else "") + token
                   for index, (token, space) in enumerate(zip(tokens, spaced, strict=True)))


def break_lines(tokens: Sequence[str], spaced: Sequence[bool],
                fill: Callable[[str], float]) -> list[tuple[int, int]]:
    """Token ranges [start, end) for the fewest lines whose `fill` (the share of a full line
    a text takes) is at most 1; among those, balanced lines, broken after punctuation where
    possible and with no line of a single token that its neighbours could take."""
    count = len(tokens)
    # best[end]: (lines, cost, start of the last line) for tokens[:end]
    best: list[tuple[int, float, int]] = [(0, 0.0, 0)] + [(count + 1, math.inf, 0)] * count
    for end in range(1, count + 1):
        for start in range(end - 1, -1, -1):
            share = fill(join_words(tokens[start:end], spaced[start:end]))
            if share > 1 and end - start > 1:
                break  # adding tokens on the left only widens the line
            cost = (1 - min(share, 1.0)) ** 2
            if end - start == 1 and count > 1:
                cost += LONE_LINE_COST
            if end < count and not tokens[end - 1].endswith(SENTENCE_END + CLAUSE_END):
                cost += PLAIN_BREAK_COST
            lines, total, _ = best[start]
            if (lines + 1, total + cost) < best[end][:2]:
                best[end] = (lines + 1, total + cost, start)
    ranges: list[tuple[int, int]] = []
    end = count
    while end:
        ranges.append((best[end][2], end))
        end = best[end][2]
    return ranges[::-1]


def _phrases(words: Sequence[Word]) -> list[tuple[int, int]]:
    """Word ranges between sentence ends and pauses; a one-word phrase joins the neighbour
    it is closer to in time."""
    bounds = [0, *(k for k in range(1, len(words))
                   if words[k - 1].text.endswith(SENTENCE_END)
                   or words[k].start - words[k - 1].end > PAUSE_BREAK), len(words)]
    while len(bounds) > 2:
        lone = next((i for i in range(len(bounds) - 1) if bounds[i + 1] - bounds[i] == 1), None)
        if lone is None:
            break
        cut_before, cut_after = bounds[lone], bounds[lone + 1]
        before = words[cut_before].start - words[cut_before - 1].end if lone else math.inf
        after = (words[cut_after].start - words[cut_after - 1].end
                 if cut_after < len(words) else math.inf)
        bounds.remove(cut_before if before <= after else cut_after)
    return list(pairwise(bounds))


def build_cues(words: Sequence[Word], max_chars: int, look: SubtitleLook,
               script: str | None = None) -> list[Cue]:
    """One-line cues that fit the frame: no wider than `look.line_width` as libass draws
    them (in every script), and at most `max_chars` characters (planners ask 42 for spaced
    scripts, 16 for Chinese and Japanese).

    Sentence ends and pauses start a new cue unless that would leave a lone word or
    character; a phrase too long for one line is split into balanced lines. `script` is the
    narration as written, which says where the words had spaces.
    """
    if not words:
        return []
    tokens = [w.text for w in words]
    spaced = word_spacing(tokens, script)

    def fill(text: str) -> float:
        return max(look.ink_width(text) / look.line_width, len(text) / max_chars)

    cues: list[Cue] = []
    for first, last in _phrases(words):
        for start, end in break_lines(tokens[first:last], spaced[first:last], fill):
            cues.append(Cue(tuple(words[first + start:first + end]),
                            tuple(spaced[first + start:first + end])))
    return cues


def _ass_literal(text: str) -> str:
    """Narration braces are text, not ASS override blocks (libass reads \\{ as a brace)."""
    return text.replace("{", "\\{").replace("}", "\\}")


def _plain_literal(text: str) -> str:
    for brace, stand_in in _PLAIN_BRACES.items():
        text = text.replace(brace, stand_in)
    return text


def _ass_text(cue: Cue, karaoke: bool) -> str:
    if not karaoke:
        return _ass_literal(cue.text)
    parts, cursor = [], cue.start
    for index, word in enumerate(cue.words):
        lead = max(0, round((word.start - cursor) * 100))
        if lead:
            parts.append(f"{{\\k{lead}}}")
        duration = max(1, round((word.end - max(word.start, cursor)) * 100))
        sep = " " if index and cue.spaced[index] else ""
        parts.append(f"{sep}{{\\kf{duration}}}{_ass_literal(word.text)}")
        cursor = max(cursor, word.end)
    return "".join(parts)


def _events(cues: Sequence[Cue], offset: float, karaoke: bool | None) -> list[pysubs2.SSAEvent]:
    """Events for cues; karaoke None means plain text for SRT/VTT."""
    events = []
    for index, cue in enumerate(cues):
        end = cue.end + 0.25
        if index + 1 < len(cues):
            end = min(end, cues[index + 1].start)
        events.append(pysubs2.SSAEvent(start=pysubs2.make_time(s=cue.start + offset),
                                       end=pysubs2.make_time(s=max(end, cue.start + 0.5) + offset),
                                       text=_plain_literal(cue.text) if karaoke is None
                                       else _ass_text(cue, karaoke)))
    return events


def make_ass(cues: Sequence[Cue], look: SubtitleLook, offset: float = 0.0) -> pysubs2.SSAFile:
    subs = pysubs2.SSAFile()
    subs.info.update({"PlayResX": str(look.width), "PlayResY": str(look.height),
                      "WrapStyle": "0", "ScaledBorderAndShadow": "yes"})
    subs.styles["Default"] = look.style()
    subs.events = _events(cues, offset, look.karaoke)
    return subs


def write_ass(cues: Sequence[Cue], look: SubtitleLook, path: Path, offset: float = 0.0) -> Path:
    _save(make_ass(cues, look, offset), path, "ass")
    return path


def write_text_subtitles(timed_cues: Sequence[tuple[float, Sequence[Cue]]], base: Path,
                         look: SubtitleLook) -> list[Path]:
    """Write BASE.srt, BASE.vtt and BASE.ass for the whole video.

    `timed_cues` holds, per shot, the shot's start in the video and its cues (shot-local times).
    """
    plain, styled = pysubs2.SSAFile(), make_ass([], look)
    for offset, cues in timed_cues:
        plain.events += _events(cues, offset, karaoke=None)
        styled.events += _events(cues, offset, karaoke=look.karaoke)
    written = []
    for subs, fmt in ((plain, "srt"), (plain, "vtt"), (styled, "ass")):
        path = base.with_suffix(f".{fmt}")
        _save(subs, path, fmt)
        written.append(path)
    return written


def _save(subs: pysubs2.SSAFile, path: Path, fmt: str) -> None:
    with atomic_path(path) as tmp:
        subs.save(str(tmp), format_=fmt, encoding="utf-8")
        text = tmp.read_text(encoding="utf-8")
        for brace, stand_in in _PLAIN_BRACES.items():
            text = text.replace(stand_in, brace)
        tmp.write_text(text, encoding="utf-8")
