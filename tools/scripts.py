"""Which writing system a text is in, so a voice is never handed text it cannot speak."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

# Writing systems by primary language subtag; languages not listed are assumed Latin.
LANGUAGE_SCRIPTS: dict[str, set[str]] = {
    "zh": {"han"}, "ja": {"han", "kana"}, "ko": {"hangul", "han"},
    "ru": {"cyrillic"}, "uk": {"cyrillic"}, "bg": {"cyrillic"}, "sr": {"cyrillic", "latin"},
    "ar": {"arabic"}, "fa": {"arabic"}, "ur": {"arabic"}, "he": {"hebrew"},
    "el": {"greek"}, "hi": {"devanagari"}, "th": {"thai"},
}


def char_script(char: str) -> str | None:
    """Coarse script of one character; None for digits, punctuation, spaces and symbols."""
    if not unicodedata.category(char).startswith("L"):
        return None
    name = unicodedata.name(char, "")
    for prefix, script in (("CJK", "han"), ("HIRAGANA", "kana"), ("KATAKANA", "kana"),
                           ("HANGUL", "hangul"), ("CYRILLIC", "cyrillic"), ("ARABIC", "arabic"),
                           ("HEBREW", "hebrew"), ("GREEK", "greek"),
                           ("DEVANAGARI", "devanagari"), ("THAI", "thai")):
        if name.startswith(prefix):
            return script
    return "latin"


def script_counts(text: str) -> Counter[str]:
    return Counter(s for s in map(char_script, text) if s)


def scripts_for(language: str) -> set[str]:
    return LANGUAGE_SCRIPTS.get(language.split("-")[0].split("_")[0].lower(), {"latin"})


def foreign_share(text: str, language: str) -> float:
    """Share of the letters in `text` that `language` does not write with."""
    counts = script_counts(text)
    total = sum(counts.values())
    if not total:
        return 0.0
    own = scripts_for(language)
    return sum(n for s, n in counts.items() if s not in own) / total


def is_cjk_char(char: str) -> bool:
    return char_script(char) in {"han", "kana"}


_SPACE_BEFORE_PUNCTUATION = re.compile(r" (?=[.,!?;:。，！？；：])")


def speakable(text: str) -> str:
    """The text a TTS engine should read: emoji and other pictographs removed (with the space
    they leave before punctuation: "Yay 🎉!" is "Yay!")."""
    kept = [c for c in text if unicodedata.category(c) not in {"So", "Cs", "Co"}
            and c not in "\u200d\ufe0f"]
    return _SPACE_BEFORE_PUNCTUATION.sub("", " ".join("".join(kept).split()))


# An SSML-like tag: <break time="1s"/>, <emphasis level="strong">, </say-as>, ...
_TAG = re.compile(r"<\s*/?\s*([A-Za-z][\w:.-]*)((?:\s+[^<>]*?)?)\s*/?\s*>")
_ATTRIBUTE = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>/]+))""")
_TIME = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(ms|s)", re.IGNORECASE)
# Pause lengths for <break strength="..."/>; a bare <break/> is "medium", as in SSML.
BREAK_STRENGTHS = {"none": 0.0, "x-weak": 0.15, "weak": 0.3, "medium": 0.5, "strong": 0.8,
                   "x-strong": 1.2}


@dataclass(frozen=True)
class Phrase:
    """Narration to speak after `pause` seconds of silence; empty `text` is a final pause."""

    pause: float
    text: str


def break_seconds(attributes: str) -> float:
    """The pause a <break> asks for: its time ("2s", "500ms") or strength, else medium."""
    values = {m.group(1).lower(): next(v for v in m.groups()[1:] if v is not None)
              for m in _ATTRIBUTE.finditer(attributes)}
    if found := _TIME.fullmatch(values.get("time", "").strip()):
        amount = float(found.group(1))
        return amount / 1000 if found.group(2).lower() == "ms" else amount
    return BREAK_STRENGTHS.get(values.get("strength", "").lower(), BREAK_STRENGTHS["medium"])


def phrases(narration: str) -> list[Phrase]:
    """The narration as phrases to speak and the pauses between them (see `spoken_text`);
    empty when there is nothing to speak."""
    found: list[Phrase] = []
    pause, cursor, text = 0.0, 0, ""
    for tag in _TAG.finditer(narration):
        text += narration[cursor:tag.start()]
        cursor = tag.end()
        if tag.group(1).lower() == "break":
            if said := speakable(text):
                found.append(Phrase(pause, said))
                pause = 0.0
            pause += break_seconds(tag.group(2))
            text = ""
    text += narration[cursor:]
    if said := speakable(text):
        found.append(Phrase(pause, said))
    elif found and pause:
        found.append(Phrase(pause, ""))
    return found


def spoken_text(narration: str) -> str:
    """The narration as spoken and subtitled: "" when there is nothing to speak.

    SSML-like tags are never read out or shown. `<break time="2s"/>`, `<break time="500ms"/>`
    and `<break strength="weak"/>` (none, x-weak, weak, medium, strong, x-strong; a bare
    `<break/>` is medium) are honoured as silence by `tts.speak`; every other tag
    (`<emphasis>`, `<say-as>`, `<prosody>`, `<speak>`, ...) is removed and its inner text kept.
    Emoji and other pictographs are removed too: voices cannot say them.
    """
    return " ".join(p.text for p in phrases(narration) if p.text)
