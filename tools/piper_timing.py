"""Word timings straight from Piper: its per-phoneme durations, mapped onto the script words.

Exact (the timing the voice actually used) and nearly free, unlike an ASR pass. espeak may
merge words ("of the") or split them ("100%"), so each script word is given the share of its
sentence's phonemes that espeak produces for that word on its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .align import script_tokens, token_key
from .speech import Word

SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")
_NOT_SOUNDS = {" ", "^", "$", "_"}


def _sounds(phonemes: Sequence[str]) -> list[str]:
    return [p for p in phonemes if p not in _NOT_SOUNDS and (p.isalpha() or p in "ːˈˌ")]


def script_sentences(text: str) -> list[list[str]]:
    """Script tokens grouped as espeak groups sentences (ending in . ! ?)."""
    sentences: list[list[str]] = [[]]
    for token in script_tokens(text):
        sentences[-1].append(token)
        if SENTENCE_END.search(token):
            sentences.append([])
    return [s for s in sentences if s]


def map_chunks(text: str, chunks: Sequence[tuple[Sequence[tuple[str, int]], int]],
               phonemize_word, sample_rate: int) -> list[Word] | None:
    """Word timings for `text` from Piper chunks, or None when they cannot be matched.

    Args:
        chunks: per synthesized sentence, its (phoneme, samples) alignments and total samples.
        phonemize_word: word -> list of phonemes (the voice's own phonemizer).
    """
    sentences = script_sentences(text)
    if len(sentences) != len(chunks):
        return None
    words: list[Word] = []
    offset = 0
    for tokens, (alignments, total_samples) in zip(sentences, chunks, strict=True):
        spans, cursor = [], offset
        for phoneme, samples in alignments:
            if _sounds([phoneme]):
                spans.append((cursor, cursor + samples))
            cursor += samples
        weights = [len(_sounds(phonemize_word(t))) if token_key(t) else 0 for t in tokens]
        if not spans or not sum(weights):
            return None
        scale, done = len(spans) / sum(weights), 0
        for token, weight in zip(tokens, weights, strict=True):
            first = min(round(done * scale), len(spans) - 1)
            done += weight
            last = max(first, min(round(done * scale), len(spans)) - 1)
            start, end = spans[first][0], spans[last][1]
            if weight == 0 and words:
                start = end = round(words[-1].end * sample_rate)
            words.append(Word(token, round(start / sample_rate, 3), round(end / sample_rate, 3)))
        offset += total_samples
    return words
