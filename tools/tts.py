"""Pick the TTS engine a storyboard asks for, check it can speak the script, and speak."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from storyreel.storyboards import Storyboard

from . import tts_piper
from .scripts import foreign_share, scripts_for, speakable
from .speech import Speech, VoiceCannotSpeak, VoiceNotFound

# Letters outside the voice's writing system that we tolerate (names, brands, "DNA").
FOREIGN_LETTERS_TOLERATED = 0.2


@dataclass(frozen=True)
class ResolvedVoice:
    """A voice found on disk, ready to speak; `identity` feeds the cache key."""

    engine: str
    model: Path
    language: str
    identity: str
    speaker: str | None = None
    speaker_wav: Path | None = None


def resolve_voice(storyboard: Storyboard, project_dir: Path) -> ResolvedVoice:
    """Find the storyboard's voice, or raise VoiceNotFound / VoiceCannotSpeak with the fix."""
    spec = storyboard.voice
    if spec.engine == "piper":
        model = tts_piper.find_voice(spec.voice, project_dir)
        stat = model.stat()
        voice = ResolvedVoice("piper", model, tts_piper.voice_language(model),
                              f"piper:{model.name}:{stat.st_size}", speaker=spec.speaker)
    else:
        from . import tts_coqui

        voice = tts_coqui.resolve(spec, storyboard.base_language, project_dir)
    check_language(voice, storyboard)
    return voice


def check_language(voice: ResolvedVoice, storyboard: Storyboard) -> None:
    """Fail before any work when the voice cannot speak the storyboard's language or text."""
    wanted = storyboard.base_language
    spoken = voice.language.replace("_", "-").split("-")[0].lower()
    if voice.language != "multilingual" and spoken and spoken != wanted:
        raise VoiceCannotSpeak(
            f"the storyboard's language is {storyboard.language!r} but voice "
            f"{storyboard.voice.voice!r} speaks {voice.language!r}. Install a {wanted} Piper "
            f"voice into {tts_piper.voices_dir()} and set voice: {{voice: NAME}}, or use "
            f"voice: {{engine: coqui}} with a multilingual model (pip install 'storyreel[coqui]').")
    check_language_text = voice.language if voice.language != "multilingual" else wanted
    for shot in storyboard.shots:
        if foreign_share(shot.narration, check_language_text) > FOREIGN_LETTERS_TOLERATED:
            expected = "/".join(sorted(scripts_for(check_language_text)))
            raise VoiceCannotSpeak(
                f"shot {shot.id!r}: the narration is mostly not in {expected} script, which "
                f"{storyboard.language!r} and voice {storyboard.voice.voice!r} use. Set the "
                f"storyboard's language and a voice that speaks the narration.")


def speak(voice: ResolvedVoice, text: str, out_wav: Path, rate: float = 1.0,
          language: str = "en") -> Speech:
    """Synthesize narration into `out_wav`. Raises VoiceCannotSpeak if it comes out silent."""
    clean = speakable(text)
    if voice.engine == "piper":
        speech = tts_piper.synthesize(clean, out_wav, model=voice.model, rate=rate,
                                      speaker=voice.speaker)
    else:
        from . import tts_coqui

        speech = tts_coqui.synthesize(clean, out_wav, voice=voice, rate=rate, language=language)
    if clean and speech.duration < 0.2:
        raise VoiceCannotSpeak(f"voice {voice.model.name} produced no speech for {text[:40]!r}")
    return speech


__all__ = ["ResolvedVoice", "Speech", "VoiceCannotSpeak", "VoiceNotFound", "check_language",
           "resolve_voice", "speak"]
