"""An offline ambient music bed: slow detuned pad chords with soft air, made with numpy."""

from __future__ import annotations

import functools
import tempfile
import wave
from pathlib import Path

import numpy as np

from storyreel.storyboards.atomic import atomic_path

SAMPLE_RATE = 44100
CHORD_SECONDS = 6.0
# I - vi - IV - V voicings in semitones above the root.
PROGRESSION = ([0, 7, 12, 16, 19], [-3, 4, 9, 12, 16], [5, 12, 17, 21, 24], [7, 14, 19, 23, 26])
ROOTS_HZ = (110.0, 123.47, 130.81, 146.83, 98.0)
BLOCK = 1 << 16  # samples made at a time, and the size of each block of seeded noise
AIR_TAPS = 64
# Part of the bed's cache key: bump it when the same duration and seed give other samples.
BED_VERSION = 2


def ambient_bed(duration: float, out_wav: Path, seed: int = 0) -> Path:
    """Write a stereo 16-bit ambient bed of `duration` seconds (chords cross-fade every 6 s),
    peaking at 0.35 of full scale.

    It is made a block at a time, so memory stays flat however long the bed: into a float
    scratch file while the peak is found, then scaled into the WAV.
    """
    bed = _Bed(duration, seed)
    with tempfile.TemporaryFile() as scratch:
        peak = 0.0
        for start in range(0, bed.total, BLOCK):
            piece = bed.samples(start, min(bed.total, start + BLOCK)).astype(np.float32)
            peak = max(peak, float(np.abs(piece).max()))
            scratch.write(piece.tobytes())
        scratch.seek(0)
        scale = np.float32(0.35 / max(1e-9, peak) * 32767)
        with atomic_path(out_wav) as tmp, wave.open(str(tmp), "wb") as handle:
            handle.setnchannels(2)
            handle.setsampwidth(2)
            handle.setframerate(SAMPLE_RATE)
            while piece := scratch.read(BLOCK * 8):
                handle.writeframes((np.frombuffer(piece, np.float32) * scale).astype("<i2"))
    return out_wav


class _Bed:
    """The bed's samples, any span of them: detuned pad chords (each fading into the next),
    soft air (noise under a moving average), faded in and out at the ends."""

    def __init__(self, duration: float, seed: int):
        self.total = int(duration * SAMPLE_RATE) + 1
        self.seed = seed
        self.root = ROOTS_HZ[seed % len(ROOTS_HZ)]
        self.step, self.fade = int(CHORD_SECONDS * SAMPLE_RATE), int(2.0 * SAMPLE_RATE)
        chords = -(-self.total // self.step)
        # One phase per chord, note and channel.
        self.phases = np.random.default_rng(seed).uniform(0, 2 * np.pi, (chords, 5, 2))
        self.edge = min(int(1.5 * SAMPLE_RATE), self.total // 2)

    def samples(self, start: int, stop: int) -> np.ndarray:
        """Samples `start` to `stop`, stereo float64, before scaling."""
        out = np.zeros((stop - start, 2))
        for index in range(max(0, (start - self.fade) // self.step - 1),
                           (stop - 1) // self.step + 1):
            self._add_chord(out, start, index)
        out += 0.6 * self._air(start, stop)
        position = np.arange(start, stop)
        if self.edge > 1:
            out *= np.clip(np.minimum(position, self.total - 1 - position) / (self.edge - 1),
                           0, 1)[:, None]
        return out

    def _add_chord(self, out: np.ndarray, start: int, index: int) -> None:
        """Add chord `index`'s part of the span from `start` into `out`."""
        first = index * self.step
        length = min(self.step + self.fade, self.total - first)
        low, high = max(start, first), min(start + len(out), first + length)
        if low >= high:
            return
        position = np.arange(low - first, high - first)
        t = position / SAMPLE_RATE
        # Sines in float32 (many times faster), of the time since this span began: its
        # phase so far is added exactly (float64, modulo a turn).
        since = np.arange(high - low, dtype=np.float32) / np.float32(SAMPLE_RATE)
        chord = np.zeros((len(position), 2), dtype=np.float32)
        for note, semitone in enumerate(PROGRESSION[index % len(PROGRESSION)]):
            freq = self.root * 2 ** (semitone / 12)
            amp = 0.9 / (1 + semitone / 12)
            for channel, detune in enumerate((-0.11, 0.13)):
                phase = self.phases[index, note, channel]
                chord[:, channel] += amp * (_sine(2 * np.pi * (freq + detune), t[0], phase, since)
                                            + 0.25 * _sine(4 * np.pi * freq, t[0], phase, since))
        ramp = min(self.fade, length)
        envelope = np.ones(len(position))
        rising = position < ramp
        envelope[rising] = 0.5 - 0.5 * np.cos(np.pi * position[rising] / max(1, ramp - 1))
        if length > self.step:
            falling = position >= self.step
            envelope[falling] = 0.5 + 0.5 * np.cos(
                np.pi * (position[falling] - self.step) / max(1, length - self.step - 1))
        swell = 0.85 + 0.15 * np.sin(2 * np.pi * t / 9.0 + index)
        out[low - start:high - start] += chord * (envelope * swell)[:, None]

    def _air(self, start: int, stop: int) -> np.ndarray:
        """Noise under a 64-sample moving average (a crude low-pass: breath, not hiss)."""
        noise = self._noise(start - AIR_TAPS // 2, stop + AIR_TAPS // 2)
        summed = np.concatenate([np.zeros((1, 2)), np.cumsum(noise, axis=0, dtype=np.float64)])
        return (summed[AIR_TAPS:] - summed[:-AIR_TAPS])[:stop - start] / AIR_TAPS

    def _noise(self, start: int, stop: int) -> np.ndarray:
        """White noise for samples `start` to `stop` (silence outside the bed)."""
        out = np.zeros((stop - start, 2))
        for block in range(max(0, start) // BLOCK, min(stop, self.total) // BLOCK + 1):
            first = block * BLOCK
            low, high = max(start, first, 0), min(stop, first + BLOCK, self.total)
            if low < high:
                out[low - start:high - start] = self._noise_block(block)[low - first:high - first]
        return out

    @functools.lru_cache(maxsize=3)  # noqa: B019 - a bed lives for one call
    def _noise_block(self, block: int) -> np.ndarray:
        """Block `block` of the noise: its own seed, so any span has the same values."""
        return np.random.default_rng([self.seed, block]).standard_normal((BLOCK, 2),
                                                                          dtype=np.float32)


def _sine(omega: float, begin: float, phase: float, since: np.ndarray) -> np.ndarray:
    """sin(omega * t + phase) for t = begin + since (float32)."""
    offset = np.float32((omega * begin + phase) % (2 * np.pi))
    return np.sin(np.float32(omega) * since + offset)
