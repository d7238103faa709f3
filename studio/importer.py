"""`storyreel import FOOTAGE`: a long video becomes a project, one shot per scene.

The `scenes` capability finds the cuts; each scene is cut into its own clip under assets/
(a stream copy when the scene starts and ends on keyframes, so nothing is re-encoded, else
encoded with storyreel's H.264 settings, frame-exact); the storyboard has one shot per scene playing
its clip for the scene's length. Shots have no narration: an explicit duration in seconds is
the form the storyboard takes for that, and the footage's own sound plays (ambience).
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
from pydantic import BaseModel

from storyreel.storyboards.atomic import atomic_path
from storyreel.storyboards.model import ASPECT_RATIOS
from storyreel.tools.capabilities import run_capability
from storyreel.tools.capabilities.clip import Clip, index_first, open_clip
from storyreel.tools.ffmpeg import BITEXACT, run_ffmpeg
from storyreel.tools.video import aac, x264

from .preflight import MEDIA_SUFFIXES
from .project import STORYBOARD, Project, ProjectError

MAX_SHOT_SECONDS = 600  # the longest a shot may last; a longer scene becomes several shots
ImportProgress = Callable[[str, float], None]  # (step: "scenes" or "clips", fraction done)


class ImportedScene(BaseModel):
    """One scene of the footage as a shot: where it was, and its clip in the project."""

    shot: str
    start: float  # seconds into the footage
    frames: int
    clip: Path  # relative to the project
    copied: bool  # stream copy (no re-encode)


class ImportResult(BaseModel):
    project: Path  # the storyboard written
    scenes: list[ImportedScene]


def import_footage(footage: Path, directory: Path, *, threshold: float | None = None,
                   min_scene: float = 0.5, progress: ImportProgress | None = None
                   ) -> ImportResult:
    """Make a project in `directory` from `footage`: its scenes (PySceneDetect, `threshold`
    and `min_scene` as the `scenes` tool takes them) as clips in assets/ and shots."""
    footage = Path(footage).resolve()
    root = Path(directory).resolve()
    if (root / STORYBOARD).exists():
        raise ProjectError(f"{root / STORYBOARD} already exists; import into a new folder")
    if not footage.is_file():
        raise ProjectError(f"{footage} not found")
    source = open_clip(footage, "import")
    scenes = _scenes(footage, threshold, min_scene, progress)
    # a scene between two keyframes (or the end) is whole GOPs: copied, it keeps its frames
    cuts = _keyframe_frames(footage, source.fps) | {sum(scenes[-1])}
    suffix = footage.suffix.lower() if footage.suffix.lower() in MEDIA_SUFFIXES else ".mp4"
    (root / "assets").mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", footage.stem).strip("-")[:40] or "footage"
    imported = []
    for number, (first, count) in enumerate(scenes, 1):
        copied = first in cuts and first + count in cuts
        name = f"assets/{stem}-{number:03d}{suffix if copied else '.mp4'}"
        _cut(source, first, count, root / name, copied)
        imported.append(ImportedScene(shot=f"scene-{number:03d}", start=float(first / source.fps),
                                      frames=count, clip=Path(name), copied=copied))
        if progress:
            progress("clips", number / len(scenes))
    project = Project.create(root, data=_storyboard(footage, source, imported))
    return ImportResult(project=project.storyboard_path, scenes=imported)


def _scenes(footage: Path, threshold: float | None, min_scene: float,
            progress: ImportProgress | None) -> list[tuple[int, int]]:
    """(first frame, frame count) of each scene, none longer than a shot may last."""
    with tempfile.TemporaryDirectory(prefix="storyreel-import-") as scratch:
        listing = Path(scratch) / "scenes.json"
        run_capability("scenes", [footage], listing,
                       {"threshold": threshold, "min_scene": min_scene},
                       None if progress is None else lambda done: progress("scenes", done))
        found = json.loads(listing.read_text(encoding="utf-8"))
    longest = max(1, math.floor(MAX_SHOT_SECONDS * found["fps"]))
    pieces = []
    for scene in found["scenes"]:
        first, end = scene["start_frame"], scene["end_frame"]
        parts = math.ceil((end - first) / longest)
        edges = [first + (end - first) * part // parts for part in range(parts + 1)]
        pieces += [(a, b - a) for a, b in zip(edges, edges[1:], strict=False) if b > a]
    return pieces


def _keyframe_frames(footage: Path, fps: Fraction) -> set[int]:
    """The frame numbers the footage's keyframes stand at (from its packets, no decoding)."""
    with av.open(str(footage)) as container:
        stream = container.streams.video[0]
        start = stream.start_time or 0
        return {round((packet.pts - start) * stream.time_base * fps)
                for packet in container.demux(stream)
                if packet.is_keyframe and packet.pts is not None}


def _cut(source: Clip, first: int, count: int, target: Path, copy: bool) -> None:
    """Frames [first, first + count) of the footage, with its sound, into `target`."""
    start, seconds = float(first / source.fps), float(count / source.fps)
    sound = ["-map", "0:a:0?"]
    if copy:  # whole GOPs: the first `count` packets are the scene's frames
        coding = ["-c", "copy", "-frames:v", str(count), "-t", f"{seconds:.6f}",
                  "-avoid_negative_ts", "make_zero"]
    else:
        coding = [*x264("fast", 18, max(1, round(source.fps * 2))), "-r", source.rate, *aac(),
                  "-frames:v", str(count), "-t", f"{seconds:.6f}"]
    with atomic_path(target) as tmp:
        run_ffmpeg(["-ss", f"{start:.6f}", "-i", str(source.path), "-map", "0:v:0", *sound,
                    *coding, *index_first(target), *BITEXACT, str(tmp)], duration=seconds)


def _storyboard(footage: Path, source: Clip, scenes: list[ImportedScene]) -> dict:
    """One shot per scene, in the footage's own frame: its clip for the scene's length."""
    ratio = source.width / source.height
    aspect = min(ASPECT_RATIOS, key=lambda name: abs(math.log(ratio * ASPECT_RATIOS[name][1]
                                                              / ASPECT_RATIOS[name][0])))
    height = min(max(min(source.width, source.height), 144), 4320)
    fps = min(max(round(float(source.fps)), 8), 60)
    title = re.sub(r"[-_]+", " ", footage.stem).strip().capitalize() or "Imported footage"
    return {
        "version": 1, "title": title,
        "format": {"aspect": aspect, "height": height, "fps": fps},
        "music": {"source": "none"},
        "shots": [{"id": scene.shot, "narration": "", "visual": "",
                   "asset": scene.clip.as_posix(),
                   "duration": round(scene.frames / float(source.fps), 3),
                   "transition": "cut"} for scene in scenes],
    }
