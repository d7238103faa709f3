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
class ResolvedVoice:
    """A voice found on disk, ready to speak; `identity` feeds the cache key."""

    engine: str
    model: Path
    language: str
    identity: str
    speaker: str | None = None
    speaker_wav: Path | None = None


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
    """The voice cannot speak the narration: another language, or nothing to say."""


def read_wav(path: Path):
    """The 16-bit samples of a WAV file as written by `write_wav`, and its sample rate."""
    import numpy as np

    with wave.open(str(path), "rb") as handle:
        channels, sample_rate = handle.getnchannels(), handle.getframerate()
        pcm = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")
    return (pcm if channels == 1 else pcm.reshape(-1, channels)), sample_rate
