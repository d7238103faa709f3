"""scenes: find the cuts between shots (PySceneDetect) and list them as JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Literal

from pydantic import Field

from ..ffmpeg import ProgressCallback
from .clip import need, open_clip
from .registry import CapabilityError, Options, capability

CHUNK_FRAMES = 250  # frames detected between progress reports


class ScenesOptions(Options):
    detector: Literal["content", "adaptive"] = Field(
        "content", description="content: a jump in colour and brightness is a cut; adaptive: "
        "the same, measured against the frames around it (calmer on fast camera moves)")
    threshold: float | None = Field(None, gt=0, le=255, description="how big a change is a "
                                    "cut (default: the detector's own, 27 for content, 3 for "
                                    "adaptive); lower finds more cuts")
    min_scene: float = Field(0.5, ge=0, le=60, description="shortest scene in seconds")


@capability("scenes", "Detect shot cuts and list the scenes as JSON or CSV", "picture",
            ScenesOptions, output_suffix=".json", extra="toolkit")
def scenes(inputs: list[Path], output: Path, options: ScenesOptions,
           progress: ProgressCallback | None = None) -> Path:
    scenedetect = need("scenedetect", "scenes")
    clip = open_clip(inputs[0], "scenes")
    if output.suffix.lower() not in (".json", ".csv"):
        raise CapabilityError(f"scenes writes .json or .csv, not {output.suffix or 'no suffix'}")
    video = scenedetect.open_video(str(clip.path), backend="pyav")
    shortest = max(1, round(options.min_scene * float(clip.fps)))
    if options.detector == "content":
        detector = scenedetect.ContentDetector(threshold=options.threshold or 27.0,
                                               min_scene_len=shortest)
    else:
        detector = scenedetect.AdaptiveDetector(adaptive_threshold=options.threshold or 3.0,
                                                min_scene_len=shortest)
    manager = scenedetect.SceneManager()
    manager.add_detector(detector)
    while manager.detect_scenes(video, duration=CHUNK_FRAMES):
        if progress:
            progress(min(1.0, video.position.seconds / clip.duration))
    found = [(start.frame_num, end.frame_num, start.seconds, end.seconds)
             for start, end in manager.get_scene_list(start_in_scene=True)]
    text = (scene_csv(found) if output.suffix.lower() == ".csv"
            else scene_json(clip.path.name, float(clip.fps), found))
    output.write_text(text, encoding="utf-8")
    return output


def scene_json(source: str, fps: float, found: list[tuple[int, int, float, float]]) -> str:
    listed = [{"start_frame": first, "end_frame": end, "start": round(start, 6),
               "end": round(stop, 6)} for first, end, start, stop in found]
    cuts = [{"frame": first, "time": round(start, 6)} for first, _, start, _ in found[1:]]
    return json.dumps({"source": source, "fps": fps, "cuts": cuts, "scenes": listed},
                      indent=2) + "\n"


def scene_csv(found: list[tuple[int, int, float, float]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["scene", "start_frame", "end_frame", "start", "end"])
    for number, (first, end, start, stop) in enumerate(found, 1):
        writer.writerow([number, first, end, f"{start:.6f}", f"{stop:.6f}"])
    return buffer.getvalue()
