"""The programme's sound: narration on its timeline, music and the shots' own sound (ambience)
ducked under it, loudness normalised."""

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
    seconds long), normalised to -16 LUFS integrated with peaks limited under -1 dBTP."""
    premix = out.with_name(out.stem + ".premix.wav")
    with atomic_path(premix) as tmp:
        run_ffmpeg([*_premix_args(voice, total, layers), str(tmp)], duration=total)
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


def _span(clip: Placed, total: float) -> float:
    """How long `clip` plays: its duration, cut at the end of the programme."""
    return min(clip.duration or total, total - clip.start)


class _Graph:
    """ffmpeg inputs and filter chains, built up together."""

    def __init__(self) -> None:
        self.args: list[str] = []
        self.chains: list[str] = []
        self.inputs = 0

    def place(self, clip: Placed, total: float, label: str, effects: str = "",
              loop: bool = False) -> None:
        """`clip` as stereo 48 kHz at its place on the timeline, as stream [label]."""
        self.args += [*(["-stream_loop", "-1"] if loop else []), "-i", str(clip.path)]
        trim = f"atrim=0:{_span(clip, total):.6f}," if loop or clip.duration is not None else ""
        delay = max(0, round(clip.start * 1000))
        self.chains.append(f"[{self.inputs}:a]aresample=48000,aformat=channel_layouts=stereo,"
                           f"{trim}{effects}adelay={delay}:all=1[{label}]")
        self.inputs += 1

    def mix(self, labels: Sequence[str], total: float, label: str) -> None:
        streams = "".join(f"[{name}]" for name in labels)
        if labels:
            self.chains.append(f"{streams}amix=inputs={len(labels)}:normalize=0:"
                               f"dropout_transition=0,apad,atrim=0:{total:.6f}[{label}]")
        else:
            self.chains.append(f"anullsrc=r=48000:cl=stereo,atrim=0:{total:.6f}[{label}]")


def _premix_args(voice: Sequence[Placed], total: float, layers: Sequence[Layer]) -> list[str]:
    graph = _Graph()
    for index, placed in enumerate(voice):
        graph.place(placed, total, f"v{index}")
    graph.mix([f"v{i}" for i in range(len(voice))], total, "voice")
    beds: list[tuple[str, bool]] = []
    for number, layer in enumerate(layers):
        labels = []
        for index, clip in enumerate(layer.clips):
            fade_out_at = max(0.0, _span(clip, total) - layer.fade_out)
            fades = (f"volume={layer.gain_db}dB,afade=t=in:d={layer.fade_in},"
                     f"afade=t=out:st={fade_out_at:.3f}:"
                     f"d={layer.fade_out},")
            labels.append(f"l{number}c{index}")
            graph.place(clip, total, labels[-1], fades, layer.loop)
        graph.mix(labels, total, f"layer{number}")
        beds.append((f"layer{number}", layer.duck))
    ducked = [label for label, duck in beds if duck]
    keys = "".join(f"[key{i}]" for i in range(len(ducked)))
    graph.chains.append(f"[voice]asplit={len(ducked) + 1}[voicemix]{keys}" if ducked
                        else "[voice]anull[voicemix]")
    for i, label in enumerate(ducked):
        graph.chains.append(f"[{label}][key{i}]sidechaincompress=threshold=0.02:ratio=8:"
                            f"attack=30:release=600:makeup=1[{label}d]")
    streams = "[voicemix]" + "".join(f"[{label}d]" if duck else f"[{label}]"
                                     for label, duck in beds)
    graph.chains.append(f"{streams}amix=inputs={len(beds) + 1}:normalize=0:duration=first[out]"
                        if beds else "[voicemix]anull[out]")
    return [*graph.args, "-filter_complex", ";".join(graph.chains), "-map", "[out]",
            "-t", f"{total:.6f}", "-c:a", "pcm_s16le"]


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
