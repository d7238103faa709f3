"""An offline ambient music bed: slow detuned pad chords with soft air, made with numpy."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from storyreel.storyboards.atomic import atomic_path

SAMPLE_RATE = 44100
CHORD_SECONDS = 6.0
# I - vi - IV - V voicings in semitones above the root.
PROGRESSION = ([0, 7, 12, 16, 19], [-3, 4, 9, 12, 16], [5, 12, 17, 21, 24], [7, 14, 19, 23, 26])
ROOTS_HZ = (110.0, 123.47, 130.81, 146.83, 98.0)


def ambient_bed(duration: float, out_wav: Path, seed: int = 0) -> Path:
    """Write a stereo 16-bit ambient bed of `duration` seconds (chords cross-fade every 6 s)."""
    rng = np.random.default_rng(seed)
    root = ROOTS_HZ[seed % len(ROOTS_HZ)]
    total = int(duration * SAMPLE_RATE) + 1
    out = np.zeros((total, 2))
    fade = int(2.0 * SAMPLE_RATE)
    step = int(CHORD_SECONDS * SAMPLE_RATE)
    for index, start in enumerate(range(0, total, step)):
        length = min(step + fade, total - start)
        t = np.arange(length) / SAMPLE_RATE
        chord = np.zeros((length, 2))
        for semitone in PROGRESSION[index % len(PROGRESSION)]:
            freq = root * 2 ** (semitone / 12)
            amp = 0.9 / (1 + semitone / 12)
            for channel, detune in enumerate((-0.11, 0.13)):
                phase = rng.uniform(0, 2 * np.pi)
                chord[:, channel] += amp * (np.sin(2 * np.pi * (freq + detune) * t + phase)
                                            + 0.25 * np.sin(4 * np.pi * freq * t + phase))
        envelope = np.ones(length)
        ramp = min(fade, length)
        envelope[:ramp] = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, ramp))
        if length > step:
            envelope[step:] = 0.5 + 0.5 * np.cos(np.linspace(0, np.pi, length - step))
        swell = 0.85 + 0.15 * np.sin(2 * np.pi * t / 9.0 + index)
        out[start:start + length] += chord * (envelope * swell)[:, None]
    air = rng.standard_normal((total, 2))
    kernel = np.ones(64) / 64  # crude low-pass: breath, not hiss
    air = np.stack([np.convolve(air[:, c], kernel, mode="same") for c in range(2)], axis=1)
    out += air * 0.6
    edge = min(int(1.5 * SAMPLE_RATE), total // 2)
    out[:edge] *= np.linspace(0, 1, edge)[:, None]
    out[-edge:] *= np.linspace(1, 0, edge)[:, None]
    out *= 0.35 / max(1e-9, np.abs(out).max())
    pcm = (out * 32767).astype("<i2")
    with atomic_path(out_wav) as tmp, wave.open(str(tmp), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(SAMPLE_RATE)
        handle.writeframes(pcm.tobytes())
    return out_wav
