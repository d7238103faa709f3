"""Pick the TTS engine a storyboard asks for, check it can speak the script, and speak."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from storyreel.storyboards import Storyboard

from . import tts_piper
from .scripts import foreign_share, phrases, scripts_for, spoken_text
from .speech import ResolvedVoice, Speech, VoiceCannotSpeak, VoiceNotFound, Word, read_wav, write_wav

# Letters outside the voice's writing system that we tolerate (names, brands, "DNA").
FOREIGN_LETTERS_TOLERATED = 0.2
# Part of every voice's cache identity: bump it when the same text would now sound different
# (2: reproducible Piper and Coqui noise, <break> as silence, tags no longer read out).
SPEECH_VERSION = 2


def resolve_voice(storyboard: Storyboard, project_dir: Path) -> ResolvedVoice:
    """Find the storyboard's voice, or raise VoiceNotFound / VoiceCannotSpeak with the fix."""
    spec = storyboard.voice
    if spec.engine == "piper":
        model = tts_piper.find_voice(spec.voice, project_dir, storyboard.base_language)
        voice = ResolvedVoice("piper", model, tts_piper.voice_language(model),
                              f"piper:{model.name}:{model.stat().st_size}", speaker=spec.speaker)
    else:
        from . import tts_coqui  # an optional extra: imported only when asked for

        voice = tts_coqui.resolve(spec, storyboard.base_language, project_dir)
    check_language(voice, storyboard)
    return replace(voice, identity=f"{voice.identity}:v{SPEECH_VERSION}")


def check_language(voice: ResolvedVoice, storyboard: Storyboard) -> None:
    """Fail before any work when the voice cannot speak the storyboard's language or text."""
    wanted = storyboard.base_language
    spoken = voice.language.replace("_", "-").split("-")[0].lower()
    if voice.language != "multilingual" and spoken and spoken != wanted:
        raise VoiceCannotSpeak(
            f"the storyboard's language is {storyboard.language!r} but voice "
            f"{storyboard.voice.voice!r} speaks {voice.language!r}. "
            f"{tts_piper.how_to_get_voice(wanted)}")
    check_language_text = voice.language if voice.language != "multilingual" else wanted
    for shot in storyboard.shots:
        if foreign_share(spoken_text(shot.narration), check_language_text) \
                > FOREIGN_LETTERS_TOLERATED:
            expected = "/".join(sorted(scripts_for(check_language_text)))
            raise VoiceCannotSpeak(
                f"shot {shot.id!r}: the narration is mostly not in {expected} script, which "
                f"{storyboard.language!r} and voice {storyboard.voice.voice!r} use. Set the "
                f"storyboard's language and a voice that speaks the narration.")


def speak(voice: ResolvedVoice, text: str, out_wav: Path, rate: float = 1.0,
          language: str = "en") -> Speech:
    """Synthesize narration into `out_wav`, `<break>` tags as silence (see
    `scripts.spoken_text`); the words are those of `spoken_text(text)`. The same arguments
    give the same bytes and timings every time.

    Raises VoiceCannotSpeak when the narration has nothing to speak (check
    `spoken_text(text)` first to leave such a shot silent) or the voice says nothing.
    """
    parts = phrases(text)
    if not parts:
        raise VoiceCannotSpeak(f"the narration {text[:40]!r} has nothing to speak: no words, "
                               "only emoji, symbols or tags")
    pieces = [_say(voice, part.text, out_wav.with_name(f"{out_wav.stem}.{index}.wav"), rate,
                   language) if part.text else None for index, part in enumerate(parts)]
    sample_rate = next(piece.sample_rate for piece, _ in filter(None, pieces))
    if sum(len(pcm) for _, pcm in filter(None, pieces)) < 0.2 * sample_rate:
        raise VoiceCannotSpeak(f"voice {voice.model.name} produced no speech for {text[:40]!r}")
    chunks: list[np.ndarray] = []
    words: list[Word] | None = []
    cursor = 0  # samples so far
    for part, piece in zip(parts, pieces, strict=True):
        chunks.append(np.zeros(round(part.pause * sample_rate), dtype=np.int16))
        cursor += len(chunks[-1])
        if piece is None:
            continue
        speech, pcm = piece
        offset = cursor / sample_rate
        words = None if words is None or speech.words is None else words + [
            Word(w.text, round(w.start + offset, 3), round(w.end + offset, 3))
            for w in speech.words]
        chunks.append(pcm)
        cursor += len(pcm)
    write_wav(out_wav, np.concatenate(chunks), sample_rate)
    return Speech(path=out_wav, duration=cursor / sample_rate, sample_rate=sample_rate,
                  words=tuple(words) if words else None)


def _say(voice: ResolvedVoice, text: str, wav: Path, rate: float,
         language: str) -> tuple[Speech, np.ndarray]:
    """One phrase spoken by the voice's engine: its Speech and samples (the file is removed)."""
    try:
        if voice.engine == "piper":
            speech = tts_piper.synthesize(text, wav, model=voice.model, rate=rate,
                                          speaker=voice.speaker)
        else:
            from . import tts_coqui

            speech = tts_coqui.synthesize(text, wav, voice=voice, rate=rate, language=language)
        return speech, read_wav(wav)[0]
    finally:
        wav.unlink(missing_ok=True)


__all__ = ["ResolvedVoice", "Speech", "VoiceCannotSpeak", "VoiceNotFound", "check_language",
           "resolve_voice", "speak"]
