"""A long programme's sound is made in windows: memory stays flat however long the video.

Python's allocation tracer sees numpy's buffers, so these count bytes, not seconds.
"""

from __future__ import annotations

import tracemalloc
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from media import level_db

from storyreel.tools.audio_mix import RATE, Placed, integrated_loudness, mix_programme, music_layer, save_stem
from storyreel.tools.music import BLOCK, _Bed, ambient_bed
from storyreel.tools.probe import probe

MINUTES = 5
LIMIT = 32 * 2**20  # the whole programme's float samples, stereo, would be 110 MiB


def _peak_bytes(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _long_tone(path: Path, seconds: float) -> Path:
    """A stereo 48 kHz WAV written a second at a time (a 440 Hz tone, quieter on the right)."""
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        for second in range(round(seconds)):
            t = second + np.arange(RATE) / RATE
            tone = 0.3 * np.sin(2 * np.pi * 440 * t)
            handle.writeframes((np.stack([tone, tone / 2], axis=1) * 32767).astype("<i2"))
    return path


def _speech(path: Path) -> Path:
    t = np.arange(2 * RATE) / RATE
    pulses = 0.5 * np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 3 * t) > 0)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes((pulses * 32767).astype("<i2"))
    return path


def test_a_long_programme_mixes_in_flat_memory(tmp_path: Path):
    total = MINUTES * 60.0
    music = _long_tone(tmp_path / "music.wav", total)
    stem = tmp_path / "music.npy"
    assert _peak_bytes(lambda: save_stem(music, "stereo", stem)) < LIMIT
    assert np.load(stem, mmap_mode="r").shape == (round(total) * RATE, 2)

    voice = _speech(tmp_path / "voice.wav")
    placed = [Placed(voice, start) for start in np.arange(1.0, total - 3, 10.0)]
    out = tmp_path / "mix.m4a"
    layers = [music_layer(stem, total, gain_db=-12.0, duck=True)]
    assert _peak_bytes(lambda: mix_programme(placed, total, out, layers)) < LIMIT
    assert probe(str(out)).audio_duration == pytest.approx(total, abs=0.03)
    # The music plays between the lines, to the end.
    assert level_db(out, 5.5, 6.5) > -40
    assert level_db(out, total - 15, total - 14) > -40


def test_the_stem_of_a_long_file_has_every_sample(tmp_path: Path):
    music = _long_tone(tmp_path / "music.wav", 30.0)
    save_stem(music, "stereo", tmp_path / "music.npy")
    samples = np.load(tmp_path / "music.npy")
    t = np.arange(30 * RATE) / RATE
    assert np.abs(samples[:, 0] - 0.3 * np.sin(2 * np.pi * 440 * t)).max() < 1e-3
    assert integrated_loudness(samples) == pytest.approx(integrated_loudness(
        np.stack([samples[:, 0], samples[:, 0] / 2], axis=1)), abs=0.01)


def test_a_long_music_bed_is_made_in_flat_memory(tmp_path: Path):
    out = tmp_path / "bed.wav"
    assert _peak_bytes(lambda: ambient_bed(MINUTES * 60.0, out, seed=2)) < LIMIT
    assert probe(str(out)).audio_duration == pytest.approx(MINUTES * 60.0, abs=0.01)


def test_any_span_of_the_bed_has_the_same_samples():
    bed = _Bed(20.0, seed=5)
    whole = np.concatenate([bed.samples(start, min(bed.total, start + BLOCK))
                            for start in range(0, bed.total, BLOCK)])
    middle = bed.samples(300_000, 500_000)  # across chord and noise block boundaries
    assert np.allclose(middle, whole[300_000:500_000], atol=2e-3)  # float32 sines: -65 dB
