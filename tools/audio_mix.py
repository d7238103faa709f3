"""The programme's sound: narration on its timeline, music and the shots' own sound (ambience)
ducked under it, loudness normalised."""

from __future__ import annotations

import functools
import itertools
import shutil
import tempfile
from collections.abc import Iterator, Sequence
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
# (2: loudness measured here in numpy, not by ffmpeg's loudnorm; 3: made 2 s at a time).
MIX_VERSION = 3
# ITU-R BS.1770-4 K-weighting at 48 kHz, (b, a) of each biquad: the head's high shelf, then
# the RLB high-pass.
K_WEIGHTING = (((1.53512485958697, -2.69169618940638, 1.19839281085285),
                (1.0, -1.69065929318241, 0.73248077421585)),
               ((1.0, -2.0, 1.0), (1.0, -1.99004745483398, 0.99007225036621)))
HOP = RATE // 10  # gating blocks are 400 ms long and start every 100 ms
DUCK_BLOCK = RATE // 100  # the ducking follows the narration's power over 10 ms blocks
WINDOW = 2 * RATE  # the mix is made 2 s at a time (whole hops and blocks: the same values)
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
    happen to arrive) and adelay buffers the whole delay, gigabytes for a long programme. It is
    made `WINDOW` samples at a time, twice: once to measure its loudness, once streamed to
    ffmpeg (one pass: limit and encode), so memory stays flat however long the programme.
    """
    mix = _Mix(voice, total, layers)
    meter = LoudnessMeter()
    for window in mix.windows():
        meter.add(window)
    gain = TARGET_LUFS - meter.value()
    # One exact gain hits the target; the true-peak limiter only touches rare peaks.
    limit = 10 ** (TARGET_TRUE_PEAK / 20)
    with atomic_path(out) as tmp:
        run_ffmpeg(["-f", "f32le", "-ar", str(RATE), "-ac", "2", "-i", "-", "-af",
                    f"volume={gain:.2f}dB,alimiter=limit={limit:.4f}:level=false:attack=5:"
                    f"release=50,apad,atrim=0:{total:.6f}",
                    "-c:a", "aac", "-aac_coder", "fast", "-b:a", "192k", *BITEXACT, str(tmp)],
                   duration=total,
                   stdin=(window.astype("<f4").tobytes() for window in mix.windows()))
    return out


class _Mix:
    """The programme's mix, made a window of samples at a time: the narration, and each
    layer (ducked under the narration's gain curve) added onto it."""

    def __init__(self, voice: Sequence[Placed], total: float, layers: Sequence[Layer]):
        self.length = _samples(total)
        sound = functools.cache(_Sound)  # a file placed many times is opened once
        self.voice = [(sound(clip.path, "mono"), _samples(clip.start)) for clip in voice]
        self.layers = [(layer, [(sound(clip.path, "stereo"), _samples(clip.start),
                                 _samples(_span(clip, total))) for clip in layer.clips])
                       for layer in layers]
        self.duck = None
        if any(layer.duck for layer in layers):
            self.duck = DuckCurve(np.concatenate([block_power(self.narration(start, stop))
                                                  for start, stop in self.spans()]))

    def spans(self) -> Iterator[tuple[int, int]]:
        for start in range(0, self.length, WINDOW):
            yield start, min(self.length, start + WINDOW)

    def windows(self) -> Iterator[np.ndarray]:
        """The mix, `WINDOW` samples (stereo float32) at a time."""
        for start, stop in self.spans():
            mix = np.repeat(self.narration(start, stop)[:, None], 2, axis=1)
            duck = self.duck.gain(start, stop)[:, None] if self.duck is not None else None
            for layer, clips in self.layers:
                bed = self.bed(layer, clips, start, stop)
                mix += bed * duck if layer.duck and duck is not None else bed
            yield mix

    def narration(self, start: int, stop: int) -> np.ndarray:
        """Samples `start` to `stop` of the narration track (mono float32)."""
        track = np.zeros(stop - start, dtype=np.float32)
        for sound, first in self.voice:
            low, high = max(start, first), min(stop, first + sound.length)
            if low < high:
                track[low - start:high - start] += sound.read(low - first, high - first)[:, 0]
        return track

    @staticmethod
    def bed(layer: Layer, clips: list[tuple[_Sound, int, int]], start: int,
            stop: int) -> np.ndarray:
        """Samples `start` to `stop` of a layer: its clips at their places, each looped or
        cut to its span, at the layer's level, faded at its edges (stereo float32)."""
        track = np.zeros((stop - start, 2), dtype=np.float32)
        level = np.float32(10 ** (layer.gain_db / 20))
        for sound, first, span in clips:
            looped = layer.loop and 0 < sound.length < span
            length = span if looped else min(span, sound.length)
            low, high = max(start, first), min(stop, first + length)
            if low >= high:
                continue
            piece = sound.read_looped(low - first, high - first) * level
            piece *= _fades(low - first, high - first, span, layer.fade_in,
                            layer.fade_out)[:, None]
            track[low - start:high - start] += piece
        return track


class _Sound:
    """A clip's samples, read a span at a time. A .npy stem (see `save_stem`) is read from
    disk span by span, never mapped whole, so a long stem costs no memory; anything else is
    decoded once."""

    def __init__(self, path: Path, layout: Layout):
        self.channels = 1 if layout == "mono" else 2
        self.path, self.array = path, None
        if path.suffix == ".npy":
            with path.open("rb") as file:
                version = np.lib.format.read_magic(file)
                read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                               else np.lib.format.read_array_header_2_0)
                shape, _, dtype = read_header(file)
                self.offset = file.tell()
            self.length, self.width, self.dtype = shape[0], shape[1], dtype
        else:
            self.array = _decode(path, layout)
            self.length = len(self.array)

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples `start` to `stop` (float32, this sound's layout)."""
        if self.array is not None:
            return self.array[start:stop]
        with self.path.open("rb") as file:
            file.seek(self.offset + start * self.width * self.dtype.itemsize)
            sound = np.fromfile(file, self.dtype, (stop - start) * self.width)
        sound = sound.reshape(-1, self.width).astype(np.float32, copy=False)
        return np.repeat(sound, self.channels, axis=1) if self.width < self.channels else sound

    def read_looped(self, start: int, stop: int) -> np.ndarray:
        """Samples `start` to `stop` of this sound repeated end to end."""
        pieces = []
        while start < stop:
            offset = start % self.length
            take = min(stop - start, self.length - offset)
            pieces.append(self.read(offset, offset + take))
            start += take
        return np.concatenate(pieces) if len(pieces) > 1 else pieces[0]


class LoudnessMeter:
    """BS.1770-4 integrated loudness (LUFS, at least -70) of 48 kHz samples fed to `add` in
    order, (samples, channels) with every channel weighted 1 (mono or stereo): K-weighted
    power over 400 ms blocks every 100 ms, gated at -70 LUFS and then 10 LU under the blocks'
    mean. Every piece but the last must be a whole number of seconds.

    numpy has no IIR filter and a per-sample loop in Python takes seconds, so the K-weighting
    is applied as its impulse response (it dies out within 0.1 s) by FFT convolution, a second
    at a time (overlap-add).
    """

    def __init__(self) -> None:
        self.energy: list[np.ndarray] = []  # per 100 ms hop, summed over channels
        self.carry: list[np.ndarray] = []  # the filter's ringing past the last piece

    def add(self, samples: np.ndarray) -> None:
        samples = samples.reshape(len(samples), -1)
        if not self.carry:
            self.carry = [np.zeros(len(_k_weighting_taps()) - 1)] * samples.shape[1]
        self.energy.append(sum(self._hop_energy(samples[:, channel], channel)
                               for channel in range(samples.shape[1])))

    def value(self) -> float:
        energy = np.concatenate(self.energy) if self.energy else np.zeros(0)
        hops = len(energy)
        if hops < 4:
            return -70.0
        power = np.convolve(energy, np.ones(4))[3:hops] / (4 * HOP)  # each block's mean square
        power = power[power > _power(-70.0)]
        if not power.size:
            return -70.0
        power = power[power > _power(_lufs(power.mean()) - 10.0)]
        return max(-70.0, _lufs(power.mean()))

    def _hop_energy(self, channel: np.ndarray, index: int) -> np.ndarray:
        """Sum of squares of the K-weighted channel over each whole 100 ms hop, filtered a
        second at a time (FFTs of 64k points cost the least per sample)."""
        taps = _k_weighting_taps()
        chunk = 10 * HOP
        size = 1 << (chunk + len(taps) - 1).bit_length()
        kernel = _k_weighting_spectrum(size)
        energy = np.zeros(len(channel) // HOP)
        carry = self.carry[index]
        for start in range(0, len(channel), chunk):
            piece = channel[start:start + chunk].astype(np.float64)
            filtered = np.fft.irfft(np.fft.rfft(piece, size) * kernel, size)[:len(piece)
                                                                             + len(carry)]
            filtered[:len(carry)] += carry
            carry = filtered[len(piece):].copy()
            whole = len(piece) // HOP
            energy[start // HOP:start // HOP + whole] = np.sum(
                filtered[:whole * HOP].reshape(whole, HOP) ** 2, axis=1)
        self.carry[index] = carry
        return energy


def integrated_loudness(samples: np.ndarray) -> float:
    """BS.1770-4 integrated loudness of 48 kHz samples, (samples, channels): see
    `LoudnessMeter`."""
    meter = LoudnessMeter()
    for start in range(0, len(samples), WINDOW):
        meter.add(samples[start:start + WINDOW])
    return meter.value()


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


@functools.cache
def _k_weighting_spectrum(size: int) -> np.ndarray:
    return np.fft.rfft(_k_weighting_taps(), size)


def block_power(narration: np.ndarray) -> np.ndarray:
    """The narration's mean square over each 10 ms block (the last one padded with
    silence); a window of whole blocks at a time gives the same values as the whole track."""
    count = -(-len(narration) // DUCK_BLOCK)
    padded = np.zeros(count * DUCK_BLOCK, dtype=np.float32)
    padded[:len(narration)] = narration
    return np.mean(padded.reshape(count, DUCK_BLOCK).astype(np.float64) ** 2, axis=1)


class DuckCurve:
    """Gain for what ducks under the voice: a compressor keyed by the narration's power
    (`block_power`, followed with time constants `attack` and `release` seconds); above
    `threshold` (RMS) the level is reduced by `ratio`. The defaults match ffmpeg's
    sidechaincompress at attack=30:release=600, whose time constants are a quarter of the
    values it is given. One gain per block, interpolated between the blocks' centres."""

    def __init__(self, power: np.ndarray, threshold: float = 0.02, ratio: float = 8.0,
                 attack: float = 0.0075, release: float = 0.15):
        rise, fall = np.exp(-DUCK_BLOCK / RATE / attack), np.exp(-DUCK_BLOCK / RATE / release)
        envelope = np.empty(len(power))
        level = 0.0
        for index, value in enumerate(power.tolist()):
            coefficient = rise if value > level else fall
            level = coefficient * level + (1 - coefficient) * value
            envelope[index] = level
        loud = np.maximum(np.sqrt(envelope), threshold)
        self.gains = threshold * (loud / threshold) ** (1 / ratio) / loud
        self.centres = (np.arange(len(power)) + 0.5) * DUCK_BLOCK

    def gain(self, start: int, stop: int) -> np.ndarray:
        """The gain for samples `start` to `stop` (float32)."""
        return np.interp(np.arange(start, stop), self.centres, self.gains).astype(np.float32)


def duck_gain(narration: np.ndarray, **options: float) -> np.ndarray:
    """Per-sample gain for what ducks under this narration (`options`: see `DuckCurve`)."""
    return DuckCurve(block_power(narration), **options).gain(0, len(narration))


def _samples(seconds: float) -> int:
    return max(0, round(seconds * RATE))


def _fades(start: int, stop: int, span: int, fade_in: float, fade_out: float) -> np.ndarray:
    """Samples `start` to `stop` of a linear fade-in from the clip's start and a fade-out
    ending at its span's end (float32)."""
    position = np.arange(start, stop, dtype=np.float64)
    rise = np.clip(position / max(1, _samples(fade_in)), 0, 1)
    fall = np.clip((span - position) / max(1, _samples(fade_out)), 0, 1)
    return (rise * fall).astype(np.float32)


def save_stem(source: Path, layout: Layout, out: Path) -> None:
    """`source`'s sound decoded once, as it would be mixed, into `out` (a .npy, mono when
    the source or the layout is): a mix after an edit then decodes (and resamples) only the
    sound that changed. Decoded a frame at a time through a scratch file, so a long music
    file never sits in memory whole."""
    width, count = 1, 0
    with tempfile.TemporaryFile(dir=out.parent) as raw:
        for piece in _decoded_pieces(source, layout):
            width, count = piece.shape[1], count + len(piece)
            raw.write(piece.tobytes())
        raw.seek(0)
        with out.open("wb") as file:  # np.save on a name not ending in .npy would add one
            np.lib.format.write_array_header_1_0(
                file, {"descr": "<f4", "fortran_order": False, "shape": (count, width)})
            shutil.copyfileobj(raw, file)


def _decode(path: Path, layout: Layout) -> np.ndarray:
    """A file's sound as 48 kHz float32 samples, (samples, channels). A mono source becomes
    stereo by copying it to both sides (at full level, as ffmpeg does, not panned -3 dB)."""
    pieces = list(_decoded_pieces(path, layout))
    channels = 1 if layout == "mono" else 2
    sound = np.concatenate(pieces) if pieces else np.zeros((0, channels), dtype=np.float32)
    return np.repeat(sound, channels, axis=1) if sound.shape[1] < channels else sound


def _decoded_pieces(path: Path, layout: Layout) -> Iterator[np.ndarray]:
    """A file's sound, frame by frame, as 48 kHz float32 samples (samples, channels): mono
    when the source or `layout` is."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return
        read = "mono" if container.streams.audio[0].channels == 1 else layout
        width = 1 if read == "mono" else 2
        resampler = av.AudioResampler(format="flt", layout=read, rate=RATE)
        for frame in itertools.chain(container.decode(audio=0), [None]):
            for piece in resampler.resample(frame):
                yield piece.to_ndarray().reshape(-1, width)


def _span(clip: Placed, total: float) -> float:
    """How long `clip` plays: its duration, cut at the end of the programme."""
    return min(clip.duration or total, total - clip.start)
