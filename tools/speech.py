"""Types shared by the TTS engines, and the WAV writer they (and sound-making generators) use."""

from __future__ import annotations

import wave
from dataclasses import asdict, dataclass
from pathlib import Path

from storyreel.storyboards.errors import UserError


@dataclass(frozen=True)
class Word:
    """A script word and when it is spoken, in seconds from the start of its audio."""

    text: str
    start: float
    end: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Speech:
    """A narration audio file, its spoken length and, when the engine knows them, the
    script's word timings."""

    path: Path
    duration: float
    sample_rate: int
    words: tuple[Word, ...] | None = None


def write_wav(path: Path, pcm, sample_rate: int) -> None:
    """Write 16-bit samples (a numpy int16 array: (samples,) mono or (samples, channels))
    as a WAV file."""
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1 if pcm.ndim == 1 else pcm.shape[1])
        handle.setsampwidth(2)
        handle.setframerate(sample_rate)
        handle.writeframes(pcm.tobytes())


class VoiceNotFound(UserError, LookupError):
    """The storyboard names a voice that is not installed."""


class VoiceCannotSpeak(UserError, ValueError):
    """The voice's language does not match the narration."""
