"""Cutting the dead air out of talk: silences, everything that is not speech, filler words.

`silence` goes by level (quiet is cut); `jump-cut` by a voice activity detector (Silero,
bundled with faster-whisper), so music, typing or room noise between sentences goes too;
`fillers` by Whisper's word timings. All three cut a video's picture with its sound.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import Field

from ..align import token_key
from ..ffmpeg import ProgressCallback
from ..probe import probe
from ..speech import Word
from .audio_io import RATE, Span, decode, keep_spans, levels_db
from .registry import CapabilityError, Options, capability
from .transcribe import hear

WINDOW = 0.01  # seconds per level measurement
FILLERS = ("um", "umm", "uh", "uhh", "uhm", "erm", "er", "ah", "hmm", "mm", "you know")
# Whisper writes clean text and leaves fillers out unless its prompt shows them.
FILLER_PROMPT = "Umm, let me think like, hmm... Okay, uh, here's what I'm, you know, thinking."


class SilenceOptions(Options):
    threshold_db: float = Field(-40.0, le=0, description="Level (dBFS) under which sound "
                                "counts as silence")
    min_silence: float = Field(0.5, gt=0, description="Seconds: only silences at least this "
                               "long are cut")
    keep: float = Field(0.2, ge=0, description="Seconds of each cut silence left in place, "
                        "so speech keeps its breath")


@capability("silence", "remove silences longer than a minimum (sound, or a video with it)",
            "sound", SilenceOptions, output_suffix=".wav")
def remove_silence(inputs: list[Path], output: Path, options: SilenceOptions,
                   progress: ProgressCallback | None = None) -> Path:
    source = inputs[0]
    mono = decode(source, channels=1)[:, 0]
    loud = levels_db(mono, RATE, WINDOW) > options.threshold_db
    if not loud.any():
        raise CapabilityError(f"{source.name} is silent (nothing over {options.threshold_db} dBFS)")
    spans = loud_spans(loud, WINDOW, options.min_silence, options.keep, len(mono) / RATE)
    return keep_spans(source, output, spans, progress)


def loud_spans(loud: np.ndarray, window: float, min_silence: float, keep: float,
               total: float) -> list[Span]:
    """The spans to keep: everything but quiet runs (`loud` is False) of at least
    `min_silence` seconds, of which `keep / 2` seconds stay at each side."""
    edges = np.flatnonzero(np.diff(np.concatenate([[1], loud.astype(np.int8), [1]])))
    quiet = [(start * window, min(end * window, total)) for start, end in edges.reshape(-1, 2)]
    spans: list[Span] = []
    cursor = 0.0
    for start, end in quiet:
        if end - start < min_silence:
            continue
        spans.append((cursor, min(end, start + keep / 2)))
        cursor = max(start, end - keep / 2)
    spans.append((cursor, total))
    return [(start, end) for start, end in spans if end - start > window / 2]


class JumpCutOptions(Options):
    min_silence: float = Field(0.3, gt=0, description="Seconds: gaps between speech at least "
                               "this long are cut")
    pad: float = Field(0.1, ge=0, description="Seconds kept before and after each stretch of "
                       "speech")
    threshold: float = Field(0.5, gt=0, lt=1, description="Speech probability over which the "
                             "voice detector hears speech")


@capability("jump-cut", "keep only the speech: cut a video's picture and sound where nobody "
            "speaks", "sound", JumpCutOptions)
def jump_cut(inputs: list[Path], output: Path, options: JumpCutOptions,
             progress: ProgressCallback | None = None) -> Path:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    source = inputs[0]
    rate = 16000  # the rate the voice detector works at
    mono = decode(source, channels=1, rate=rate)[:, 0]
    found = get_speech_timestamps(mono, VadOptions(
        threshold=options.threshold, min_silence_duration_ms=round(options.min_silence * 1000),
        speech_pad_ms=round(options.pad * 1000)), sampling_rate=rate)
    if not found:
        raise CapabilityError(f"no speech heard in {source.name}")
    return keep_spans(source, output, merge([(s["start"] / rate, s["end"] / rate)
                                             for s in found]), progress)


def merge(spans: Sequence[Span]) -> list[Span]:
    """Sorted spans with the overlapping ones joined."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


class FillerOptions(Options):
    words: list[str] = Field(list(FILLERS), description="Filler words and phrases to cut "
                             "('you know' is two words heard one after the other)")
    language: str | None = Field(None, description="Spoken language (BCP-47); default: "
                                 "detected")


@capability("fillers", "cut filler words (um, uh, erm, 'you know', ...) found by Whisper",
            "sound", FillerOptions, output_suffix=".wav")
def remove_fillers(inputs: list[Path], output: Path, options: FillerOptions,
                   progress: ProgressCallback | None = None) -> Path:
    source = inputs[0]
    heard = hear(source, options.language, prompt=FILLER_PROMPT)
    cuts = filler_cuts(heard.words, options.words)
    total = probe(source).duration
    keep, cursor = [], 0.0
    for start, end in cuts:
        keep.append((cursor, start))
        cursor = end
    keep.append((cursor, total))
    return keep_spans(source, output, keep, progress)


def filler_cuts(words: Sequence[Word], fillers: Sequence[str]) -> list[Span]:
    """Spans to cut: each filler from its start to the start of the next word (the pause
    before it stays, the one it caused goes)."""
    phrases = sorted({tuple(token_key(w) for w in f.split()) for f in fillers}, key=len,
                     reverse=True)
    keys = [token_key(w.text) for w in words]
    cuts: list[Span] = []
    index = 0
    while index < len(words):
        match = next((p for p in phrases if p and tuple(keys[index:index + len(p)]) == p), None)
        if match is None:
            index += 1
            continue
        last = index + len(match) - 1
        end = words[last + 1].start if last + 1 < len(words) else words[last].end
        cuts.append((words[index].start, max(end, words[last].end)))
        index = last + 1
    return merge(cuts)
