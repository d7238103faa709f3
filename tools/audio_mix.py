"""The programme's sound: narration on its timeline, music ducked under it, loudness normalised."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from storyreel.storyboards.atomic import atomic_path

from .ffmpeg import FFmpegError, ffmpeg_exe, run_ffmpeg

TARGET_LUFS = -16.0
TARGET_TRUE_PEAK = -1.5  # a margin under the -1 dBTP delivery limit


@dataclass(frozen=True)
class Placed:
    """An audio file placed on the programme timeline at `start` seconds."""

    path: Path
    start: float


def mix_programme(voice: Sequence[Placed], total: float, out: Path, *, music: Path | None = None,
                  music_gain_db: float = -18.0, duck: bool = True) -> Path:
    """Mix narration and music into `out` (AAC, 48 kHz stereo, exactly `total` seconds long),
    normalised to -16 LUFS integrated with peaks limited under -1 dBTP."""
    premix = out.with_name(out.stem + ".premix.wav")
    with atomic_path(premix) as tmp:
        run_ffmpeg([*_premix_args(voice, total, music, music_gain_db, duck), str(tmp)],
                   duration=total)
    try:
        gain = TARGET_LUFS - integrated_loudness(premix)
        # One exact gain hits the target; the true-peak limiter only touches rare peaks.
        limit = 10 ** (TARGET_TRUE_PEAK / 20)
        with atomic_path(out) as tmp:
            run_ffmpeg(["-i", str(premix), "-af",
                        f"volume={gain:.2f}dB,alimiter=limit={limit:.4f}:level=false:attack=5:"
                        f"release=50,apad,atrim=0:{total:.6f}",
                        "-c:a", "aac", "-aac_coder", "fast", "-b:a", "192k", str(tmp)],
                       duration=total)
    finally:
        premix.unlink(missing_ok=True)
    return out


def _premix_args(voice: Sequence[Placed], total: float, music: Path | None, gain_db: float,
                 duck: bool) -> list[str]:
    args: list[str] = []
    chains: list[str] = []
    for index, placed in enumerate(voice):
        args += ["-i", str(placed.path)]
        delay = max(0, round(placed.start * 1000))
        chains.append(f"[{index}:a]aresample=48000,aformat=channel_layouts=stereo,"
                      f"adelay={delay}:all=1[v{index}]")
    labels = "".join(f"[v{i}]" for i in range(len(voice)))
    if voice:
        chains.append(f"{labels}amix=inputs={len(voice)}:normalize=0:dropout_transition=0,"
                      f"apad,atrim=0:{total:.6f}[voice]")
    else:
        chains.append(f"anullsrc=r=48000:cl=stereo,atrim=0:{total:.6f}[voice]")
    if music is None:
        chains.append("[voice]anull[out]")
    else:
        music_index = len(voice)
        args += ["-stream_loop", "-1", "-i", str(music)]
        chains.append(f"[{music_index}:a]aresample=48000,aformat=channel_layouts=stereo,"
                      f"volume={gain_db}dB,atrim=0:{total:.6f},afade=t=in:d=1.5,"
                      f"afade=t=out:st={max(0.0, total - 2.5):.3f}:d=2.5[music]")
        if duck:
            chains.append("[voice]asplit=2[voicemix][key]")
            chains.append("[music][key]sidechaincompress=threshold=0.02:ratio=8:attack=30:"
                          "release=600:makeup=1[bed]")
            chains.append("[voicemix][bed]amix=inputs=2:normalize=0:duration=first[out]")
        else:
            chains.append("[voice][music]amix=inputs=2:normalize=0:duration=first[out]")
    return [*args, "-filter_complex", ";".join(chains), "-map", "[out]", "-t", f"{total:.6f}",
            "-c:a", "pcm_s16le"]


def integrated_loudness(path: Path) -> float:
    """Integrated loudness (LUFS, EBU R128) of a file, from ffmpeg's ebur128 filter."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-i", str(path), "-af",
           "ebur128=framelog=quiet", "-f", "null", "-"]
    result = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    found = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", result.stderr.split("Summary:")[-1])
    if result.returncode != 0 or not found:
        raise FFmpegError(f"loudness measurement failed: {result.stderr[-800:]}")
    value = found.group(1)
    return -70.0 if value == "-inf" else float(value)
