"""How long narration takes to speak, and how long a brief asks the video to be."""

from __future__ import annotations

import re

from storyreel.storyboards import Storyboard
from storyreel.tools.scripts import is_cjk_char, phrases

WORDS_PER_SECOND = 2.7  # the bundled Piper voice at rate 1.0, measured on the examples
CJK_CHARS_PER_SECOND = 4.5
SHOT_PADDING = 1.0  # picture before and after each shot's narration
TRANSITION = 0.5
DEFAULT_SECONDS = 60.0


def speech_seconds(narration: str, rate: float = 1.0) -> float:
    """Estimated speaking time: the spoken words at `rate`, plus the <break> pauses."""
    seconds = 0.0
    for phrase in phrases(narration):
        cjk = sum(map(is_cjk_char, phrase.text))
        words = len("".join(" " if is_cjk_char(c) else c for c in phrase.text).split())
        seconds += phrase.pause + (words / WORDS_PER_SECOND + cjk / CJK_CHARS_PER_SECOND) / rate
    return seconds


def estimate_seconds(board: Storyboard) -> float:
    """Estimated video length: speech plus padding, minus transition overlaps."""
    total = 0.0
    for shot in board.shots:
        if shot.duration != "auto":
            total += float(shot.duration)
        else:
            total += speech_seconds(shot.narration, board.voice.rate) + SHOT_PADDING
    return total - TRANSITION * (len(board.shots) - 1)


def target_seconds(brief: str) -> float:
    """The length a brief asks for ('75-second', '2 minutes', '90s', '一分钟', '90秒')."""
    text = brief.lower()
    if found := re.search(r"(\d+(?:\.\d+)?)\s*-?\s*(minutes?|mins?|分钟)", text):
        return float(found.group(1)) * 60
    if found := re.search(r"(\d+(?:\.\d+)?)\s*-?\s*(seconds?|secs?|s\b|秒)", text):
        return float(found.group(1))
    if re.search(r"\b(a|one) minute\b|一分钟", text):
        return 60.0
    return DEFAULT_SECONDS
