"""Types shared by the TTS engines."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Speech:
    """A narration audio file and its spoken length."""

    path: Path
    duration: float
    sample_rate: int


class VoiceNotFound(LookupError):
    """The storyboard names a voice that is not installed."""


class VoiceCannotSpeak(ValueError):
    """The voice's language does not match the narration."""
