"""Loudness normalisation to a platform's target (EBU R128 / ITU-R BS.1770 integrated LUFS).

Two passes: loudnorm measures the file, then one exact gain brings it to the target. When the
gain would push peaks over the true-peak ceiling, loudnorm (asked for linear gain) falls back
to its dynamic mode, which on clips of a few seconds ends up LUs away from the target (-16
instead of -14 measured on speech). Then the gain goes with a peak limiter instead, and the
gain is corrected from a measurement of the result until it lands on the target.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import Field

from ..ffmpeg import ProgressCallback, loudness, run_ffmpeg
from .audio_io import filter_sound
from .registry import CapabilityError, Options, capability

TARGETS = {"youtube": -14.0, "spotify": -14.0, "podcast": -16.0, "ebu-r128": -23.0}
TOLERANCE_LU = 0.2
MAX_CORRECTIONS = 4
SILENT_LUFS = -69.0  # loudnorm reports -70 for digital silence


class LoudnessOptions(Options):
    platform: Literal["youtube", "spotify", "podcast", "ebu-r128"] = Field(
        "youtube", description="Target: -14 LUFS YouTube and Spotify, -16 podcasts, -23 EBU "
        "R128 broadcast")
    lufs: float | None = Field(None, ge=-40, le=-5, description="Integrated loudness target, "
                               "overriding the platform's")
    true_peak: float = Field(-1.0, ge=-9, le=0, description="Ceiling for true peaks, dBTP")


def measure(source: Path, target: float, true_peak: float) -> dict[str, float]:
    """loudnorm's first-pass report: input_i, input_tp, input_lra, input_thresh,
    target_offset."""
    log = run_ffmpeg(["-i", str(source), "-map", "0:a:0", "-af",
                      f"loudnorm=I={target}:TP={true_peak}:LRA=20:print_format=json",
                      "-f", "null", "-"], log_level="info")
    report = json.loads(log[log.rindex("{"):log.rindex("}") + 1])
    return {key: float(report[key]) for key in ("input_i", "input_tp", "input_lra",
                                                "input_thresh", "target_offset")}


@capability("loudness", "normalise loudness to a platform target (-14 LUFS YouTube/Spotify, "
            "-16 podcasts, -23 EBU R128), two-pass", "sound", LoudnessOptions,
            output_suffix=".wav")
def normalise(inputs: list[Path], output: Path, options: LoudnessOptions,
              progress: ProgressCallback | None = None) -> Path:
    source = inputs[0]
    target = options.lufs if options.lufs is not None else TARGETS[options.platform]
    found = measure(source, target, options.true_peak)
    if found["input_i"] <= SILENT_LUFS:
        raise CapabilityError(f"{source.name} is silent: there is no loudness to normalise")
    gain = target - found["input_i"]
    if found["input_tp"] + gain <= options.true_peak:
        return filter_sound(source, output, _linear(target, options.true_peak, found),
                            progress=progress)
    # Secant steps on gain -> measured loudness: the limiter takes off a little more
    # loudness the harder it works, so each step learns how much.
    last_gain, last_level = 0.0, found["input_i"]
    for _ in range(MAX_CORRECTIONS):
        filter_sound(source, output, _limited(gain, options.true_peak), progress=progress)
        level = loudness(str(output))["input_i"]
        if abs(level - target) <= TOLERANCE_LU:
            break
        slope = (level - last_level) / (gain - last_gain) if gain != last_gain else 1.0
        last_gain, last_level = gain, level
        gain += (target - level) / max(slope, 0.1)
    return output


def _linear(target: float, true_peak: float, found: dict[str, float]) -> str:
    return (f"loudnorm=I={target}:TP={true_peak}:LRA=20:measured_I={found['input_i']}:"
            f"measured_TP={found['input_tp']}:measured_LRA={found['input_lra']}:"
            f"measured_thresh={found['input_thresh']}:offset={found['target_offset']}:"
            "linear=true,aresample=48000")


def _limited(gain: float, true_peak: float) -> str:
    """The gain, then a look-ahead limiter half a dB under the ceiling (it limits sample
    peaks; true peaks between samples may sit a little higher)."""
    limit = 10 ** ((true_peak - 0.5) / 20)
    return (f"aresample=48000,volume={gain:.3f}dB,"
            f"alimiter=limit={limit:.4f}:attack=1:release=5:level=false:latency=true")
