"""Where each shot sits in the programme, in whole frames (segments join without drift)."""

from __future__ import annotations

import math
from dataclasses import dataclass

LEAD_SECONDS = 0.35  # picture before the narration starts
TAIL_SECONDS = 0.65  # picture after it ends
TRANSITION_SECONDS = 0.5
SILENT_SHOT_SECONDS = 2.0  # a `duration: auto` shot with nothing to speak (emoji only)


@dataclass(frozen=True)
class Placement:
    frames: int
    start_frame: int  # first frame of the shot in the programme
    head: int  # frames shared with the transition from the previous shot
    tail: int  # frames shared with the transition into the next shot


def shot_frames(speech_seconds: float, duration: float | str, fps: int) -> tuple[int, str]:
    """Frame count for a shot, and a warning if a set duration was too short for its speech."""
    needed = LEAD_SECONDS + speech_seconds + TAIL_SECONDS if speech_seconds else 0.0
    if duration == "auto":
        if not speech_seconds:
            return math.ceil(SILENT_SHOT_SECONDS * fps), (
                f"nothing in its narration can be spoken; the shot lasts {SILENT_SHOT_SECONDS:g}s "
                "(set its duration to choose)")
        return math.ceil(needed * fps), ""
    frames = round(float(duration) * fps)
    if speech_seconds and frames < math.ceil((LEAD_SECONDS + speech_seconds + 0.1) * fps):
        return math.ceil(needed * fps), (f"duration {duration}s is shorter than its narration "
                                         f"({speech_seconds:.1f}s); using {needed:.1f}s")
    return max(1, frames), ""


def transition_frames(kind: str, fps: int, left: int, right: int) -> int:
    if kind == "cut":
        return 0
    return max(0, min(round(TRANSITION_SECONDS * fps), left // 3, right // 3))


def place(frames: list[int], transitions: list[str], fps: int) -> tuple[list[Placement], int]:
    """Placements for shots with `frames`; `transitions[i]` leads from shot i to shot i+1."""
    overlaps = [transition_frames(transitions[i], fps, frames[i], frames[i + 1])
                for i in range(len(frames) - 1)]
    placements, cursor = [], 0
    for i, count in enumerate(frames):
        head = overlaps[i - 1] if i > 0 else 0
        tail = overlaps[i] if i < len(overlaps) else 0
        placements.append(Placement(count, cursor, head, tail))
        cursor += count - tail
    return placements, cursor
