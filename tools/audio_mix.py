"""The programme's sound: narration on its timeline, music and the shots' own sound (ambience)
ducked under it, loudness normalised."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import av
import numpy as np

from storyreel.storyboards.atomic import atomic_path

from .ffmpeg import BITEXACT, run_ffmpeg

TARGET_LUFS = -16.0
TARGET_TRUE_PEAK = -1.5  # a margin under the -1 dBTP delivery limit
RATE = 48000
# Part of every mix's cache key: bump it when the same inputs would now mix to other samples
# (2: loudness measured here in numpy, not by ffmpeg's loudnorm).
MIX_VERSION = 2
# ITU-R BS.1770-4 K-weighting at 48 kHz, (b, a) of each biquad: the head's high shelf, then
# the RLB high-pass.
K_WEIGHTING = (((1.53512485958697, -2.69169618940638, 1.19839281085285),
                (1.0, -1.69065929318241, 0.73248077421585)),
               ((1.0, -2.0, 1.0), (1.0, -1.99004745483398, 0.99007225036621)))
HOP = RATE // 10  # gating blocks are 400 ms long and start every 100 ms
Layout = Literal["mono", "stereo"]


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
    happen to arrive) and adelay buffers the whole delay, gigabytes for a long programme. Its
    loudness is measured here too, so ffmpeg makes one pass: limit and encode.
    """
    narration = narration_track(voice, total)
    mix = np.repeat(narration[:, None], 2, axis=1)
    duck = duck_gain(narration) if any(layer.duck for layer in layers) else None
    for layer in layers:
        bed = layer_track(layer, total)
        mix += bed * duck[:, None] if layer.duck and duck is not None else bed
    gain = TARGET_LUFS - integrated_loudness(mix)
    # One exact gain hits the target; the true-peak limiter only touches rare peaks.
    limit = 10 ** (TARGET_TRUE_PEAK / 20)
    with atomic_path(out) as tmp:
        run_ffmpeg(["-f", "f32le", "-ar", str(RATE), "-ac", "2", "-i", "-", "-af",
                    f"volume={gain:.2f}dB,alimiter=limit={limit:.4f}:level=false:attack=5:"
                    f"release=50,apad,atrim=0:{total:.6f}",
                    "-c:a", "aac", "-aac_coder", "fast", "-b:a", "192k", *BITEXACT, str(tmp)],
                   duration=total, stdin=mix.astype("<f4").tobytes())
    return out


def integrated_loudness(samples: np.ndarray) -> float:
    """BS.1770-4 integrated loudness (LUFS, at least -70) of 48 kHz samples, (samples,
    channels) with every channel weighted 1 (mono or stereo): K-weighted power over 400 ms
    blocks every 100 ms, gated at -70 LUFS and then 10 LU under the blocks' mean.

    numpy has no IIR filter and a per-sample loop in Python takes seconds, so the K-weighting
    is applied as its impulse response (it dies out within 0.1 s) by FFT convolution.
    """
    samples = samples.reshape(len(samples), -1)
    hops = len(samples) // HOP
    if hops < 4:
        return -70.0
    energy = sum(_hop_energy(samples[:, channel]) for channel in range(samples.shape[1]))
    power = np.convolve(energy, np.ones(4))[3:hops] / (4 * HOP)  # each block's mean square
    power = power[power > _power(-70.0)]
    if not power.size:
        return -70.0
    power = power[power > _power(_lufs(power.mean()) - 10.0)]
    return max(-70.0, _lufs(power.mean()))


def _lufs(power: float) -> float:
    return -0.691 + 10 * float(np.log10(power))


def _power(lufs: float) -> float:
    return 10 ** ((lufs + 0.691) / 10)


@functools.cache
def _k_weighting_taps() -> np.ndarray:
    """The impulse response of the two K-weighting biquads in series, cut where it has fallen
    under 1e-17 (the high-pass pole's radius is 0.995)."""
    signal = np.zeros(8192)
    signal[0] = 1.0
    for b, a in K_WEIGHTING:
        out, x1, x2, y1, y2 = np.empty(len(signal)), 0.0, 0.0, 0.0, 0.0
        for index, x in enumerate(signal.tolist()):
            y = b[0] * x + b[1] * x1 + b[2] * x2 - a[1] * y1 - a[2] * y2
            out[index], x1, x2, y1, y2 = y, x, x1, y, y1
        signal = out
    return signal


def _hop_energy(channel: np.ndarray) -> np.ndarray:
    """Sum of squares of the K-weighted channel over each whole 100 ms hop, filtered a second
    at a time (overlap-add: memory stays flat for a long programme, and FFTs of 64k points
    cost the least per sample)."""
    taps = _k_weighting_taps()
    chunk = 10 * HOP
    size = 1 << (chunk + len(taps) - 1).bit_length()
    kernel = np.fft.rfft(taps, size)
    energy = np.zeros(len(channel) // HOP)
    carry = np.zeros(len(taps) - 1)  # the filter's ringing past the previous chunk
    for start in range(0, len(channel), chunk):
        piece = channel[start:start + chunk].astype(np.float64)
        filtered = np.fft.irfft(np.fft.rfft(piece, size) * kernel, size)[:len(piece) + len(carry)]
        filtered[:len(carry)] += carry
        carry = filtered[len(piece):].copy()
        whole = len(piece) // HOP
        energy[start // HOP:start // HOP + whole] = np.sum(
            filtered[:whole * HOP].reshape(whole, HOP) ** 2, axis=1)
    return energy


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


def save_stem(source: Path, layout: Layout, out: Path) -> None:
    """`source`'s sound decoded once, as it would be mixed, into `out` (a .npy): a mix after
    an edit then decodes (and resamples) only the sound that changed."""
    samples = _decode(source, layout)
    with out.open("wb") as file:  # np.save on a name not ending in .npy would add one
        np.save(file, samples)


def _decode(path: Path, layout: Layout) -> np.ndarray:
    """A file's sound as 48 kHz float32 samples, (samples, channels); a .npy is a stem that
    `save_stem` decoded already. A mono source becomes stereo by copying it to both sides (at
    full level, as ffmpeg does, not panned -3 dB)."""
    channels = 1 if layout == "mono" else 2
    if path.suffix == ".npy":
        sound = np.load(path)
        return np.repeat(sound, channels, axis=1) if sound.shape[1] < channels else sound
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
