"""Dubbing: a video's speech heard, each sentence translated (by a function the caller gives:
the `dub` capability in the agent layer uses the configured LLM), spoken by a Piper voice of
the new language, fitted into the time the original sentence took, with new subtitles.

A new sentence that runs longer than its original (translations often do) is sped up with
rubberband, pitch and timbre kept, up to `max_tempo`; past that it runs into the pause after
it, and later sentences start after it. The new speech replaces the whole sound: music and
ambience under the original voice cannot be kept without separating them from it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from storyreel.storyboards.atomic import PART

from ..align import align_script
from ..ffmpeg import BITEXACT, ProgressCallback, run_ffmpeg
from ..probe import probe
from ..speech import ResolvedVoice, Word
from ..subtitles import PAUSE_BREAK, SENTENCE_END, join_words, word_spacing
from ..tts import speak
from ..tts_piper import find_voice, how_to_get_voice, voice_language
from ..video import aac
from .audio_io import RATE, VIDEO_SUFFIXES, decode, write_sound
from .registry import CapabilityError
from .transcribe import hear, subtitle_look, write_subtitles

# (sentences, the language they are in) -> the sentences in the target language, one each.
Translator = Callable[[list[str], str], list[str]]
SUBTITLE_CODECS = {".mkv": "srt", ".webm": "webvtt"}  # MP4 and QuickTime files: mov_text


def primary(language: str) -> str:
    """'en' of 'en-US', 'en_US' or 'EN'."""
    return language.replace("_", "-").split("-")[0].lower()


def sentences(words: Sequence[Word]) -> list[list[Word]]:
    """Words grouped into sentences: a new one after a sentence's end or a pause."""
    groups: list[list[Word]] = []
    for index, word in enumerate(words):
        previous = words[index - 1] if index else None
        if previous is None or previous.text.endswith(SENTENCE_END) \
                or word.start - previous.end > PAUSE_BREAK:
            groups.append([])
        groups[-1].append(word)
    return groups


def piper_voice(name: str, language: str) -> ResolvedVoice:
    """The Piper voice `name` (a name or an .onnx path), which must speak `language`."""
    model = find_voice(name, language=language)
    speaks = voice_language(model)
    if primary(speaks) != primary(language):
        raise CapabilityError(f"voice {name!r} speaks {speaks}, not {language}. "
                              f"{how_to_get_voice(language)}")
    return ResolvedVoice("piper", model, speaks, f"piper:{model.name}")


def dub(source: Path, output: Path, *, language: str, voice: str, translate: Translator,
        max_tempo: float = 1.4, max_chars: int = 42,
        progress: ProgressCallback | None = None) -> Path:
    """Write `output`: the source's picture, its speech dubbed into `language` by `voice`, and
    subtitles of the new speech (a subtitle stream in the file). The result is exactly as
    long as the source. `translate` gets the sentences heard and their language.
    """
    if output.suffix.lower() not in VIDEO_SUFFIXES:
        raise CapabilityError(f"a dub is a video with subtitles: name the output .mp4, .mkv or "
                              f".mov, not {output.name}")
    resolved = piper_voice(voice, language)
    total = probe(source).duration
    heard = hear(source)
    groups = sentences(heard.words)
    lines = [join_words([w.text for w in group], word_spacing([w.text for w in group]))
             for group in groups]
    lines = translate(lines, heard.language)
    if len(lines) != len(groups):
        raise CapabilityError(f"the translation has {len(lines)} sentences where "
                              f"{len(groups)} were spoken")
    track = np.zeros((round(total * RATE), 1), dtype=np.float32)
    words: list[Word] = []
    cursor = 0.0
    with tempfile.TemporaryDirectory(prefix=f".{output.stem}.{PART}-", dir=output.parent) as tmp:
        folder = Path(tmp)
        for index, (group, line) in enumerate(zip(groups, lines, strict=True)):
            start = max(group[0].start, cursor)
            room = (groups[index + 1][0].start if index + 1 < len(groups) else total) - start
            said = speak(resolved, line, folder / f"line{index}.wav", language=language)
            tempo = min(max_tempo, said.duration / room) if said.duration > room > 0 else 1.0
            sound = decode(said.path, channels=1) if tempo == 1.0 else \
                decode(_faster(said.path, tempo, folder / f"fit{index}.wav"), channels=1)
            first = round(start * RATE)
            piece = sound[:max(0, len(track) - first)]
            track[first:first + len(piece)] += piece
            seconds = len(sound) / RATE
            words += [Word(w.text, round(start + w.start, 3), round(start + w.end, 3))
                      for w in align_script(line, _scaled(said.words, tempo), seconds)]
            cursor = start + seconds
            if progress:
                progress(0.9 * (index + 1) / len(groups))
        sound_file = write_sound(track, RATE, folder / "dub.wav")
        shown = [w for w in words if w.start < total]
        subtitles = write_subtitles(shown, folder / "dub.srt", subtitle_look(source), max_chars)
        run_ffmpeg(["-i", str(source), "-i", str(sound_file), "-i", str(subtitles),
                    "-map", "0:v:0?", "-map", "1:a:0", "-map", "2:s:0", "-c:v", "copy", *aac(),
                    "-c:s", SUBTITLE_CODECS.get(output.suffix.lower(), "mov_text"),
                    "-metadata:s:s:0", f"language={primary(language)}", "-t", f"{total:.6f}",
                    *BITEXACT, str(output)])
    if progress:
        progress(1.0)
    return output


def _faster(wav: Path, tempo: float, out: Path) -> Path:
    run_ffmpeg(["-i", str(wav), "-af", f"rubberband=tempo={tempo:.4f}:formant=preserved",
                "-c:a", "pcm_s16le", str(out)])
    return out


def _scaled(words: Sequence[Word] | None, tempo: float) -> list[Word]:
    return [Word(w.text, w.start / tempo, w.end / tempo) for w in words or ()]
