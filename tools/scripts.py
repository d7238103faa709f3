"""Which writing system a text is in, so a voice is never handed text it cannot speak."""

from __future__ import annotations

import unicodedata
from collections import Counter

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


def speakable(text: str) -> str:
    """The text a TTS engine should read: emoji and other pictographs removed."""
    kept = [c for c in text if unicodedata.category(c) not in {"So", "Cs", "Co"}
            and c not in "\u200d\ufe0f"]
    return " ".join("".join(kept).split())
