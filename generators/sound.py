"""The sound a video model makes with its frames, joined across the segments of a long shot."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from storyreel.tools.speech import write_wav

CROSSFADE_SECONDS = 0.02  # long enough to hide the seam, short enough not to smear it


class SoundTrack:
    """Consecutive segments' audio, each joined to the last with a short crossfade."""

    def __init__(self) -> None:
        self.samples: np.ndarray | None = None  # float32 (samples, channels)
        self.sample_rate = 0

    def append(self, audio: np.ndarray, sample_rate: int, skip: float, seconds: float) -> None:
        """Add `seconds` of `audio` (float (samples, channels)) starting `skip` seconds in;
        the crossfade uses audio from just before `skip`, so no time is lost at the join."""
        start, length = round(skip * sample_rate), round(seconds * sample_rate)
        lead = 0 if self.samples is None else min(start, round(CROSSFADE_SECONDS * sample_rate))
        piece = audio[start - lead:start + length].astype(np.float32)
        if len(piece) < lead + length:  # a model may return a little less sound than picture
            piece = np.pad(piece, ((0, lead + length - len(piece)), (0, 0)))
        if self.samples is None:
            self.samples, self.sample_rate = piece, sample_rate
            return
        if sample_rate != self.sample_rate:
            raise ValueError(f"segments have different sample rates ({sample_rate} and "
                             f"{self.sample_rate} Hz)")
        if lead:
            ramp = np.linspace(0.0, 1.0, lead, dtype=np.float32)[:, None]
            self.samples[-lead:] = self.samples[-lead:] * (1 - ramp) + piece[:lead] * ramp
        self.samples = np.concatenate([self.samples, piece[lead:]])

    def write(self, path: Path) -> Path:
        """The track as a 16-bit WAV file."""
        if self.samples is None:
            raise ValueError("no sound to write")
        pcm = (np.clip(self.samples, -1.0, 1.0) * 32767).round().astype(np.int16)
        write_wav(path, pcm, self.sample_rate)
        return path
