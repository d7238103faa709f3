"""Voice treatment: noise reduction for speech, and pitch and tempo changes."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from ..ffmpeg import ProgressCallback, filter_value
from .audio_io import RATE, decode, filter_sound, levels_db
from .registry import CapabilityError, Options, capability


class VoiceCleanOptions(Options):
    reduction_db: float = Field(15.0, ge=1, le=60, description="How much the noise is "
                                "lowered, dB (afftdn)")
    rnnoise_model: Path | None = Field(None, description="An RNNoise model file (.rnnn, e.g. "
                                       "from the rnnoise-models collection): denoise with "
                                       "ffmpeg's arnndn neural filter instead of afftdn")


@capability("voice-clean", "reduce the noise under speech: FFT denoiser (afftdn) with the "
            "noise floor measured from the file, or RNNoise (arnndn) given a model file",
            "sound", VoiceCleanOptions, output_suffix=".wav")
def voice_clean(inputs: list[Path], output: Path, options: VoiceCleanOptions,
                progress: ProgressCallback | None = None) -> Path:
    """No RNNoise model ships with any installable package, so afftdn is the default: it
    needs the noise's level, taken here from the quietest tenth of the file."""
    source = inputs[0]
    rumble = "highpass=f=70"
    if options.rnnoise_model is not None:
        model = options.rnnoise_model.expanduser()
        if not model.is_file():
            raise CapabilityError(f"RNNoise model {model} not found")
        return filter_sound(source, output, f"{rumble},arnndn=m={filter_value(str(model))}",
                            progress=progress)
    floor = noise_floor_db(decode(source, channels=1)[:, 0])
    return filter_sound(source, output, f"{rumble},afftdn=nr={options.reduction_db:g}:nf={floor:.1f}",
                        progress=progress)


def noise_floor_db(mono: np.ndarray) -> float:
    """afftdn's `nf` for this sound: the noise's level (the 10th percentile of 50 ms levels:
    the pauses between words hold only noise) plus 10 dB, within -80..-20 dB. afftdn takes
    off the full reduction only from a floor about 10 dB over the noise's RMS level (measured
    on white noise from -60 to -30 dBFS; at the RMS level itself it took 14 of 20 dB), and
    speech 20 dB over the noise is left as it was. (Its noise tracking, tn=1, took off 1 dB.)
    """
    if not len(mono):
        raise CapabilityError("the file's sound is empty")
    return float(np.clip(np.percentile(levels_db(mono, RATE, 0.05), 10) + 10, -80, -20))


class PitchOptions(Options):
    semitones: float = Field(0.0, ge=-24, le=24, description="Pitch change in semitones "
                             "(12: an octave up)")
    tempo: float = Field(1.0, ge=0.25, le=4, description="Speed factor, pitch kept (1.5: "
                         "50 % faster); a video's picture follows")
    formants: Literal["preserved", "shifted"] = Field(
        "preserved", description="'preserved' keeps a voice's timbre when its pitch moves; "
        "'shifted' moves it too (chipmunk, giant)")


@capability("pitch", "change a voice's pitch and/or tempo independently (rubberband)", "sound",
            PitchOptions, output_suffix=".wav")
def pitch(inputs: list[Path], output: Path, options: PitchOptions,
          progress: ProgressCallback | None = None) -> Path:
    if options.semitones == 0 and options.tempo == 1:
        raise CapabilityError("pitch: nothing to change (give semitones or tempo)")
    ratio = 2 ** (options.semitones / 12)
    stretch = (f"rubberband=pitch={ratio:.6f}:tempo={options.tempo:g}:"
               f"formant={options.formants}:pitchq=quality")
    picture = f"setpts=PTS/{options.tempo:g}" if options.tempo != 1 else None
    return filter_sound(inputs[0], output, stretch, picture_filter=picture, progress=progress)
