"""Word timings for a known script: Whisper's word timestamps mapped onto the script's words.

Subtitles show the script as written, never ASR mistakes; ASR only supplies the clock.
"""

from __future__ import annotations

import difflib
import re
import threading
import unicodedata
from pathlib import Path

from .scripts import is_cjk_char, spoken_text
from .speech import Word
from .whisper_model import load_whisper

_LOCK = threading.Lock()


def script_tokens(text: str) -> list[str]:
    """Display tokens: words for spaced scripts; one character each for Chinese and Japanese,
    with following punctuation kept on its token."""
    tokens: list[str] = []
    for chunk in text.split():
        first, buffer = len(tokens), ""
        for char in chunk:
            if is_cjk_char(char):
                if buffer:
                    tokens.append(buffer)
                    buffer = ""
                tokens.append(char)
            elif not token_key(char) and not buffer and len(tokens) > first:
                tokens[-1] += char  # punctuation sticks to the character it follows
            else:
                buffer += char
        if buffer:
            tokens.append(buffer)
    return tokens


def token_key(token: str) -> str:
    """Comparison key: letters and digits only, lower case, accents removed."""
    decomposed = unicodedata.normalize("NFKD", token.lower())
    return "".join(c for c in decomposed if c.isalnum())


def transcribe_words(audio: Path, language: str, prompt: str = "") -> list[Word]:
    """Whisper word timestamps (CJK words are split into characters with shared time)."""
    model = load_whisper()
    with _LOCK:
        segments, _ = model.transcribe(str(audio), language=language, word_timestamps=True,
                                       initial_prompt=prompt or None, beam_size=1,
                                       condition_on_previous_text=False, vad_filter=False)
        raw = [w for s in segments for w in (s.words or [])]
    words: list[Word] = []
    for w in raw:
        pieces = script_tokens(w.word.strip()) or [w.word.strip()]
        step = (w.end - w.start) / len(pieces)
        words += [Word(p, w.start + i * step, w.start + (i + 1) * step)
                  for i, p in enumerate(pieces)]
    return words


def align_script(script: str, heard: list[Word], audio_duration: float) -> list[Word]:
    """Give every script token a time: matched tokens take the heard time, the rest are
    spread over the gaps by length. Times are monotonic and inside [0, audio_duration]."""
    tokens = script_tokens(script)
    if not tokens:
        return []
    times: list[tuple[float, float] | None] = [None] * len(tokens)
    matcher = difflib.SequenceMatcher(a=[token_key(t) for t in tokens],
                                      b=[token_key(w.text) for w in heard], autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            heard_word = heard[block.b + k]
            times[block.a + k] = (heard_word.start, heard_word.end)
    _fill_gaps(tokens, times, audio_duration)
    words: list[Word] = []
    last_end = 0.0
    for token, (start, end) in zip(tokens, times, strict=True):
        start = min(max(start, last_end), audio_duration)
        end = min(max(end, start + 0.01), audio_duration)
        words.append(Word(token, round(start, 3), round(end, 3)))
        last_end = end
    return words


def _fill_gaps(tokens: list[str], times: list, duration: float) -> None:
    i = 0
    while i < len(tokens):
        if times[i] is not None:
            i += 1
            continue
        j = i
        while j < len(tokens) and times[j] is None:
            j += 1
        gap_start = times[i - 1][1] if i > 0 else 0.0
        gap_end = times[j][0] if j < len(tokens) else duration
        if gap_end <= gap_start:
            gap_end = min(duration, gap_start + 0.1 * (j - i))
        weights = [max(1, len(token_key(t))) for t in tokens[i:j]]
        total, cursor = sum(weights), gap_start
        for k, weight in enumerate(weights):
            span = (gap_end - gap_start) * weight / total
            times[i + k] = (cursor, cursor + span)
            cursor += span
        i = j


def align_narration(audio: Path, script: str, language: str, audio_duration: float) -> list[Word]:
    """Word timings of `script` as spoken in `audio`; a raw narration will do: its tags and
    emoji are dropped as `spoken_text` drops them."""
    script = spoken_text(script)
    prompt_language = re.split(r"[-_]", language)[0].lower()
    heard = transcribe_words(audio, prompt_language, prompt=script)
    return align_script(script, heard, audio_duration)
