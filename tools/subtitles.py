"""Subtitle cues from word timings; SRT, WebVTT and ASS (karaoke) files via pysubs2."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pysubs2

from storyreel.storyboards.atomic import atomic_path

from .align import Word
from .fonts import FONT_FAMILY
from .scripts import is_cjk_char

SENTENCE_END = tuple(".!?。！？…")
CLAUSE_END = tuple(",;:，、；：—")
PAUSE_BREAK = 0.6  # seconds of silence that start a new cue
# pysubs2 drops {...} from SRT/VTT as ASS override blocks; literal braces travel as these.
_PLAIN_BRACES = {"{": "\ue000", "}": "\ue001"}


@dataclass(frozen=True)
class Cue:
    words: tuple[Word, ...]

    @property
    def start(self) -> float:
        return self.words[0].start

    @property
    def end(self) -> float:
        return self.words[-1].end

    @property
    def text(self) -> str:
        return join_tokens([w.text for w in self.words])


def needs_space(previous: str, token: str) -> bool:
    """Words are spaced; Chinese and Japanese characters are not."""
    return not (is_cjk_char(_last_letter(previous)) or is_cjk_char(token[:1]))


def join_tokens(tokens: Sequence[str]) -> str:
    out = ""
    for token in tokens:
        out += (" " if out and needs_space(out, token) else "") + token
    return out


def _last_letter(text: str) -> str:
    for char in reversed(text):
        if char.isalnum():
            return char
    return " "


def build_cues(words: Sequence[Word], max_chars: int) -> list[Cue]:
    """One-line cues of at most `max_chars`, broken at sentence ends, pauses, and (when a
    line is already long) clause punctuation."""
    cues: list[Cue] = []
    current: list[Word] = []
    for word in words:
        if current:
            text = join_tokens([w.text for w in current])
            longer = join_tokens([w.text for w in current + [word]])
            previous = current[-1]
            if (len(longer) > max_chars
                    or previous.text.endswith(SENTENCE_END)
                    or word.start - previous.end > PAUSE_BREAK
                    or (previous.text.endswith(CLAUSE_END) and len(text) > max_chars * 0.5)):
                cues.append(Cue(tuple(current)))
                current = []
        current.append(word)
    if current:
        cues.append(Cue(tuple(current)))
    return cues


@dataclass(frozen=True)
class SubtitleLook:
    """How burned subtitles look, scaled to the video frame."""

    width: int
    height: int
    karaoke: bool = True

    def style(self) -> pysubs2.SSAStyle:
        short_side = min(self.width, self.height)
        return pysubs2.SSAStyle(
            fontname=FONT_FAMILY, fontsize=round(short_side * 0.062), bold=False,
            primarycolor=pysubs2.Color(255, 214, 90) if self.karaoke else pysubs2.Color(255, 255, 255),
            secondarycolor=pysubs2.Color(255, 255, 255),
            outlinecolor=pysubs2.Color(10, 10, 10), backcolor=pysubs2.Color(0, 0, 0, 120),
            outline=max(1.0, short_side / 240), shadow=max(1.0, short_side / 360),
            alignment=pysubs2.Alignment.BOTTOM_CENTER,
            marginv=round(self.height * 0.07), marginl=round(self.width * 0.06),
            marginr=round(self.width * 0.06))


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
        sep = " " if index and needs_space(cue.words[index - 1].text, word.text) else ""
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
