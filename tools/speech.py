"""Types shared by the TTS engines."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path


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


class VoiceNotFound(LookupError):
    """The storyboard names a voice that is not installed."""


class VoiceCannotSpeak(ValueError):
    """The voice's language does not match the narration."""
