"""Helpers that inspect rendered media the way a viewer would notice."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np

from storyreel.tools.ffmpeg import ffmpeg_exe


def integrated_loudness(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) measured by ffmpeg's ebur128 filter."""
    result = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-af",
                             "ebur128=peak=true", "-f", "null", "-"],
                            capture_output=True, text=True)
    summary = result.stderr.split("Summary:")[-1]
    lufs = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))
    return lufs, peak


def level_db(path: Path, start: float, end: float) -> float:
    """RMS level (dBFS) of a stretch of a file's sound."""
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-ac", "1", "-ar", "8000",
                          "-f", "f32le", "-"], capture_output=True, check=True).stdout
    samples = np.frombuffer(raw, dtype=np.float32)[round(start * 8000):round(end * 8000)]
    return float(10 * np.log10(np.mean(samples.astype(np.float64) ** 2) + 1e-12))
