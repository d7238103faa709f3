"""Helpers that inspect rendered media the way a viewer would notice."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import numpy as np
import pyloudnorm

from storyreel.tools.ffmpeg import ffmpeg_exe, loudness


def _samples(path: Path, rate: int, channels: int) -> np.ndarray:
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-ac", str(channels),
                          "-ar", str(rate), "-f", "f32le", "-"], capture_output=True,
                         check=True).stdout
    return np.frombuffer(raw, dtype=np.float32).reshape(-1, channels)


def integrated_loudness(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP): the loudness measured by pyloudnorm, a BS.1770
    implementation independent of the ffmpeg filter storyreel normalises with."""
    lufs = pyloudnorm.Meter(48000).integrated_loudness(_samples(path, 48000, 2).astype(np.float64))
    return float(lufs), loudness(str(path))["input_tp"]


def level_db(path: Path, start: float, end: float) -> float:
    """RMS level (dBFS) of a stretch of a file's sound."""
    samples = _samples(path, 8000, 1)[round(start * 8000):round(end * 8000), 0]
    return float(10 * np.log10(np.mean(samples.astype(np.float64) ** 2) + 1e-12))


def frame_steps(path: Path) -> set[float]:
    """The distinct steps, in seconds, between consecutive frames' display times."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times = sorted(packet.pts for packet in container.demux(stream) if packet.size)
        return {round(float((b - a) * stream.time_base), 9)
                for a, b in itertools.pairwise(times)}
