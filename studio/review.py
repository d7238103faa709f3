"""What the review screens show about each shot: timing, take, status, keyframe, cues."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import pysubs2

from storyreel.storyboards import Storyboard
from storyreel.storyboards.atomic import atomic_path, write_text_atomic
from storyreel.tools.probe import probe
from storyreel.tools.video import extract_frame

from .manifest import RenderManifest
from .preflight import shot_seed
from .project import Project


@dataclass(frozen=True)
class ShotReview:
    id: str
    narration: str
    generator: str
    take: int  # the seed: a new seed is a new take
    duration: float | None  # seconds, from the last render
    start: float | None  # narration start in the video
    clip: Path | None
    status: str  # "rendered", "changed" or "not rendered"
    approved: bool
    next_start: float | None = None  # the next shot's narration start (shots overlap)
    sound: str = ""  # what should be heard besides the narration


def approvals_path(project: Project) -> Path:
    return project.state_dir / "approvals.json"


def approved_takes(project: Project) -> dict[str, int]:
    path = approvals_path(project)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def approve(project: Project, shot_id: str, take: int) -> None:
    """Approvals are unauthored state: kept in .storyreel/, never in the storyboard."""
    takes = approved_takes(project) | {shot_id: take}
    project.state_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(approvals_path(project), json.dumps(takes, indent=2))


def last_render(project: Project) -> tuple[RenderManifest | None, bool]:
    """The last render's manifest (None if never rendered), and whether it is stale: its
    video is gone or the storyboard changed after it."""
    manifest = RenderManifest.load(project.last_render_path)
    if manifest is None:
        return None, True
    output = manifest.output
    stale = not output.exists() or \
        project.storyboard_path.stat().st_mtime > output.stat().st_mtime
    return manifest, stale


def reviews(project: Project, board: Storyboard) -> list[ShotReview]:
    manifest, stale = last_render(project)
    rendered = {s.id: s for s in manifest.shots} if manifest else {}
    fps = manifest.fps if manifest else board.format.fps
    takes = approved_takes(project)
    out = []
    for shot in board.shots:
        seed = shot_seed(board, shot)
        info = rendered.get(shot.id)
        status = "not rendered" if info is None else ("changed" if stale else "rendered")
        out.append(ShotReview(
            id=shot.id, narration=shot.narration,
            generator=board.generator.merged(shot.generator).name, take=seed,
            duration=info.frames / fps if info else None,
            start=info.narration_start if info else None,
            clip=info.clip if info and info.clip and info.clip.exists() else None,
            status=status, approved=takes.get(shot.id) == seed, sound=shot.sound))
    return [replace(review, next_start=following.start)
            for review, following in zip(out, out[1:], strict=False)] + out[-1:]


def keyframe(project: Project, clip: Path, fraction: float = 0.5) -> Path:
    """A PNG from the middle of a shot's clip, cached beside the cache."""
    folder = project.state_dir / "thumbs"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{clip.stem}-{round(fraction * 100)}.png"
    if not target.exists():
        info = probe(clip)
        with atomic_path(target) as tmp:  # never show a half-written PNG
            extract_frame(clip, (info.video_duration or info.duration) * fraction, tmp)
    return target


def shot_cues(project: Project, review: ShotReview) -> list[str]:
    """The subtitle lines of a shot's narration, from the SRT the last render wrote (up to
    where the next shot's narration starts: shots overlap during transitions)."""
    manifest = RenderManifest.load(project.last_render_path)
    srt = manifest.srt if manifest else None
    if review.start is None or review.duration is None or srt is None or not srt.exists():
        return []
    begin = (review.start - 0.05) * 1000
    until = review.next_start
    end = (until - 0.05 if until is not None else review.start + review.duration) * 1000
    return [e.plaintext for e in pysubs2.load(str(srt)) if begin <= e.start < end]
