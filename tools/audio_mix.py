"""The programme's sound: narration on its timeline, music and the shots' own sound (ambience)
ducked under it, loudness normalised."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from storyreel.storyboards.atomic import PART, atomic_path

from .ffmpeg import BITEXACT, loudness, run_ffmpeg

TARGET_LUFS = -16.0
TARGET_TRUE_PEAK = -1.5  # a margin under the -1 dBTP delivery limit
RATE = 48000


@dataclass(frozen=True)
class Placed:
    """An audio file placed on the programme timeline at `start` seconds, playing for
    `duration` seconds (None: to its end)."""

    path: Path
    start: float
    duration: float | None = None


@dataclass(frozen=True)
class Layer:
    """Sound under the narration (music, ambience): its clips, their level, whether
    they duck while the voice speaks, and the fades at each clip's edges."""

    clips: Sequence[Placed]
    gain_db: float
    duck: bool = True
    loop: bool = False  # repeat each clip to fill its duration
    fade_in: float = 0.25
    fade_out: float = 0.25


def music_layer(path: Path, total: float, gain_db: float, duck: bool) -> Layer:
    """A music file looped under the whole programme, faded in and out."""
    return Layer([Placed(path, 0.0, total)], gain_db, duck, loop=True, fade_in=1.5,
                 fade_out=2.5)


def mix_programme(voice: Sequence[Placed], total: float, out: Path,
                  layers: Sequence[Layer] = ()) -> Path:
    """Mix narration and the layers under it into `out` (AAC, 48 kHz stereo, exactly `total`
    seconds long), normalised to -16 LUFS integrated with peaks limited under -1 dBTP.

    The mix itself is sums and gains over sample arrays (numpy): ffmpeg's sidechaincompress
    and adelay give different samples from run to run (they depend on how the inputs' frames
    happen to arrive) and adelay buffers the whole delay, gigabytes for a long programme.
    """
    narration = narration_track(voice, total)
    mix = np.repeat(narration[:, None], 2, axis=1)
    duck = duck_gain(narration) if any(layer.duck for layer in layers) else None
    for layer in layers:
        bed = layer_track(layer, total)
        mix += bed * duck[:, None] if layer.duck and duck is not None else bed
    premix = out.with_name(f".{out.stem}.premix{PART}.f32")
    raw = ["-f", "f32le", "-ar", str(RATE), "-ac", "2", "-i", str(premix)]
    try:
        premix.write_bytes(mix.astype("<f4").tobytes())
        del mix
        gain = TARGET_LUFS - loudness(raw)["input_i"]
        # One exact gain hits the target; the true-peak limiter only touches rare peaks.
        limit = 10 ** (TARGET_TRUE_PEAK / 20)
        with atomic_path(out) as tmp:
            run_ffmpeg([*raw, "-af",
                        f"volume={gain:.2f}dB,alimiter=limit={limit:.4f}:level=false:attack=5:"
                        f"release=50,apad,atrim=0:{total:.6f}",
                        "-c:a", "aac", "-aac_coder", "fast", "-b:a", "192k", *BITEXACT,
                        str(tmp)], duration=total)
    finally:
        premix.unlink(missing_ok=True)
    return out


def narration_track(voice: Sequence[Placed], total: float) -> np.ndarray:
    """Every narration clip at its place on one mono 48 kHz track (float32), `total` seconds
    long."""
    track = np.zeros(_samples(total), dtype=np.float32)
    for clip in voice:
        _add(track, _decode(clip.path, "mono")[:, 0], clip.start)
    return track


def layer_track(layer: Layer, total: float) -> np.ndarray:
    """A layer's clips at their places (stereo float32), each looped or cut to its span, at
    the layer's level, faded at its edges."""
    track = np.zeros((_samples(total), 2), dtype=np.float32)
    for clip in layer.clips:
        span = _samples(_span(clip, total))
        sound = _decode(clip.path, "stereo")
        if layer.loop and 0 < len(sound) < span:
            sound = np.tile(sound, (-(-span // len(sound)), 1))
        sound = sound[:span] * np.float32(10 ** (layer.gain_db / 20))
        sound *= _fades(len(sound), span, layer.fade_in, layer.fade_out)[:, None]
        _add(track, sound, clip.start)
    return track


def duck_gain(narration: np.ndarray, threshold: float = 0.02, ratio: float = 8.0,
              attack: float = 0.0075, release: float = 0.15) -> np.ndarray:
    """Per-sample gain for what ducks under the voice: a compressor keyed by the narration's
    power (mean square over 10 ms blocks, followed with time constants `attack` and `release`
    seconds); above `threshold` (RMS) the level is reduced by `ratio`. The defaults match
    ffmpeg's sidechaincompress at attack=30:release=600, whose time constants are a quarter
    of the values it is given."""
    block = RATE // 100
    count = -(-len(narration) // block)
    padded = np.zeros(count * block, dtype=np.float32)
    padded[:len(narration)] = narration
    power = np.mean(padded.reshape(count, block).astype(np.float64) ** 2, axis=1)
    rise, fall = np.exp(-0.01 / attack), np.exp(-0.01 / release)
    envelope = np.empty(count)
    level = 0.0
    for index, value in enumerate(power):
        coefficient = rise if value > level else fall
        level = coefficient * level + (1 - coefficient) * value
        envelope[index] = level
    loud = np.maximum(np.sqrt(envelope), threshold)
    gains = threshold * (loud / threshold) ** (1 / ratio) / loud
    centres = (np.arange(count) + 0.5) * block
    return np.interp(np.arange(len(narration)), centres, gains).astype(np.float32)


def _samples(seconds: float) -> int:
    return max(0, round(seconds * RATE))


def _add(track: np.ndarray, sound: np.ndarray, start: float) -> None:
    """Add `sound` into `track` from `start` seconds, cut at the track's end."""
    first = _samples(start)
    piece = sound[:max(0, len(track) - first)]
    track[first:first + len(piece)] += piece


def _fades(length: int, span: int, fade_in: float, fade_out: float) -> np.ndarray:
    """Linear fade-in from the clip's start and fade-out ending at its span's end."""
    position = np.arange(length, dtype=np.float32)
    rise = np.clip(position / max(1, _samples(fade_in)), 0, 1)
    fall = np.clip((span - position) / max(1, _samples(fade_out)), 0, 1)
    return rise * fall


def _decode(path: Path, layout: str) -> np.ndarray:
    """A file's sound as 48 kHz float32 samples, (samples, channels). A mono source becomes
    stereo by copying it to both sides (at full level, as ffmpeg does, not panned -3 dB)."""
    channels = 1 if layout == "mono" else 2
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return np.zeros((0, channels), dtype=np.float32)
        mono_source = container.streams.audio[0].channels == 1
        read = "mono" if mono_source else layout
        width = 1 if read == "mono" else 2
        resampler = av.AudioResampler(format="flt", layout=read, rate=RATE)
        chunks = []
        for frame in container.decode(audio=0):
            chunks += [f.to_ndarray().reshape(-1, width) for f in resampler.resample(frame)]
        chunks += [f.to_ndarray().reshape(-1, width) for f in resampler.resample(None)]
    sound = np.concatenate(chunks) if chunks else np.zeros((0, width), dtype=np.float32)
    return np.repeat(sound, channels, axis=1) if width < channels else sound


def _span(clip: Placed, total: float) -> float:
    """How long `clip` plays: its duration, cut at the end of the programme."""
    return min(clip.duration or total, total - clip.start)
