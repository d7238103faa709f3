"""Music under a video: fitted to a length, ducked under speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import Field

from ..audio_mix import duck_gain
from ..ffmpeg import ProgressCallback
from .audio_io import RATE, decode, write_sound
from .registry import CapabilityError, Options, capability

SILENT_PEAK = 10 ** (-60 / 20)


class FitMusicOptions(Options):
    seconds: float = Field(gt=0, le=24 * 3600, description="The length wanted, seconds")
    crossfade: float = Field(2.0, ge=0, le=30, description="Seconds each loop blends into the "
                             "next, when the music is shorter than the length")
    fade_out: float = Field(3.0, ge=0, le=60, description="Seconds the music fades out at "
                            "the end")


@capability("fit-music", "trim or loop music to an exact length: crossfaded loops, faded "
            "out at the end", "sound", FitMusicOptions, output_suffix=".wav")
def fit_music(inputs: list[Path], output: Path, options: FitMusicOptions,
              progress: ProgressCallback | None = None) -> Path:
    source = inputs[0]
    music = decode(source)
    if not len(music) or np.abs(music).max() < SILENT_PEAK:
        raise CapabilityError(f"{source.name} is silent")
    wanted = round(options.seconds * RATE)
    blend = round(options.crossfade * RATE)
    if len(music) < wanted and len(music) <= 2 * blend:
        raise CapabilityError(f"{source.name} ({len(music) / RATE:.1f} s) is too short to loop "
                              f"with a {options.crossfade:g} s crossfade")
    fitted = looped(music, wanted, blend)
    fade = min(round(options.fade_out * RATE), wanted)
    fitted[wanted - fade:] *= np.linspace(1, 0, fade, dtype=np.float32)[:, None]
    return write_sound(fitted, RATE, output, progress)


def looped(music: np.ndarray, length: int, blend: int) -> np.ndarray:
    """`music` repeated to `length` samples, each repeat's start blended over the end of the
    one before with an equal-power crossfade of `blend` samples; cut at `length`."""
    out = np.zeros((length, music.shape[1]), dtype=np.float32)
    angle = np.linspace(0, np.pi / 2, blend, dtype=np.float32)[:, None]
    fade_in, fade_out = np.sin(angle), np.cos(angle)
    cursor = 0
    while cursor < length:
        piece = music.copy()
        if cursor and blend:
            piece[:blend] *= fade_in
            out[cursor:cursor + blend] *= fade_out  # the previous repeat's tail
        end = min(length, cursor + len(piece))
        out[cursor:end] += piece[:end - cursor]
        cursor = end - blend if end < length else end
    return out


class DuckOptions(Options):
    music_gain_db: float = Field(0.0, ge=-60, le=20, description="Level of the music before "
                                 "ducking, dB")
    threshold_db: float = Field(-34.0, ge=-80, le=0, description="Speech level (dBFS RMS) "
                                "from which the music ducks")
    ratio: float = Field(8.0, ge=1, le=100, description="How hard the music ducks: speech "
                         "ratio dB louder lowers the music by (1 - 1/ratio) of it")
    attack: float | None = Field(None, gt=0, le=2, description="Time constant (seconds) of "
                                 "the ducking; default: the studio's, as ffmpeg's "
                                 "sidechaincompress at attack=30")
    release: float | None = Field(None, gt=0, le=10, description="Time constant (seconds) of "
                                  "the music coming back; default: the studio's, as "
                                  "sidechaincompress at release=600")
    keep_speech: bool = Field(True, description="Mix the speech in (else only the ducked "
                              "music is written)")


@capability("duck", "lower music under speech (inputs: the speech, then the music); mixed, or "
            "the ducked music alone", "sound", DuckOptions, inputs=(2, 2), output_suffix=".wav")
def duck(inputs: list[Path], output: Path, options: DuckOptions,
         progress: ProgressCallback | None = None) -> Path:
    speech, music = decode(inputs[0]), decode(inputs[1])
    length = max(len(speech), len(music))
    speech = np.pad(speech, ((0, length - len(speech)), (0, 0)))
    music = np.pad(music, ((0, length - len(music)), (0, 0)))
    if np.abs(speech).max(initial=0) < SILENT_PEAK:
        raise CapabilityError(f"{inputs[0].name} is silent: there is no speech to duck under")
    timing = {key: value for key in ("attack", "release")
              if (value := getattr(options, key)) is not None}
    gain = duck_gain(speech.mean(axis=1), threshold=10 ** (options.threshold_db / 20),
                     ratio=options.ratio, **timing)
    mix = music * (gain * np.float32(10 ** (options.music_gain_db / 20)))[:, None]
    if options.keep_speech:
        mix += speech
    peak = np.abs(mix).max(initial=0)
    if peak > 1:
        mix /= peak  # the whole mix down, rather than clipped peaks
    return write_sound(mix, RATE, output, progress)
