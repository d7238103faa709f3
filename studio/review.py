"""What the review screens show about each shot: timing, take, status, keyframe, cues; with
`keyframes:`, the still under review instead of the video take."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import pysubs2

from storyreel.storyboards import Storyboard
from storyreel.storyboards.atomic import atomic_path, write_text_atomic
from storyreel.tools.probe import probe
from storyreel.tools.video import extract_frame

from .cache import file_fingerprint
from .keyframes import Keyframe, list_keyframes, load_state
from .manifest import RenderManifest
from .preflight import shot_seed
from .project import Project


@dataclass(frozen=True)
class StillReview:
    """The keyframe stills of a shot that starts from one (storyboards with `keyframes:`)."""

    path: Path | None  # the still of the take under review; None: not made for the shot as it is
    takes: tuple[tuple[int, Path], ...] = ()  # (take, still) made for the shot as it is, by seed
    approved: int | None = None  # the approved take, while it still shows the shot as it is


@dataclass(frozen=True)
class ShotReview:
    id: str
    narration: str
    generator: str
    take: int  # the seed: a new seed is a new take (of the still, when `still` is set)
    duration: float | None  # seconds, from the last render
    start: float | None  # narration start in the video
    clip: Path | None
    status: str  # "rendered", "changed" or "not rendered"
    approved: bool
    next_start: float | None = None  # the next shot's narration start (shots overlap)
    sound: str = ""  # what should be heard besides the narration
    still: StillReview | None = None  # set when the shot starts from a keyframe still


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


def reviews(project: Project, board: Storyboard, shown: Mapping[str, int] | None = None
            ) -> list[ShotReview]:
    """Each shot's review. A shot that starts from a keyframe still is reviewed by its still:
    the take `shown` names (one the user picked), else the approved one, else the latest."""
    manifest, stale = last_render(project)
    rendered = {s.id: s for s in manifest.shots} if manifest else {}
    fps = manifest.fps if manifest else board.format.fps
    takes = approved_takes(project)
    stills = _keyframes(project, board)
    latest = {shot_id: state.takes[-1].take for shot_id, state in load_state(project).shots.items()
              if state.takes}
    out = []
    for shot in board.shots:
        seed = shot_seed(board, shot)
        info = rendered.get(shot.id)
        status = "not rendered" if info is None else ("changed" if stale else "rendered")
        review = ShotReview(
            id=shot.id, narration=shot.narration,
            generator=board.generator.merged(shot.generator).name, take=seed,
            duration=info.frames / fps if info else None,
            start=info.narration_start if info else None,
            clip=info.clip if info and info.clip and info.clip.exists() else None,
            status=status, approved=takes.get(shot.id) == seed, sound=shot.sound)
        if shot.id in stills:
            review = _still_review(review, stills[shot.id], (shown or {}).get(shot.id),
                                   latest.get(shot.id))
        out.append(review)
    return [replace(review, next_start=following.start)
            for review, following in zip(out, out[1:], strict=False)] + out[-1:]


def _keyframes(project: Project, board: Storyboard) -> dict[str, list[Keyframe]]:
    """The still takes of each shot that starts from one, by seed (none without keyframes)."""
    if board.keyframes is None:
        return {}
    grouped: dict[str, list[Keyframe]] = {}
    for still in list_keyframes(project):
        grouped.setdefault(still.shot, []).append(still)
    return grouped


def _still_review(review: ShotReview, stills: list[Keyframe], picked: int | None,
                  latest: int | None) -> ShotReview:
    """`review` of the still `picked`, else the approved one, else the latest."""
    made = {still.take: still for still in stills}
    approved = next((still.take for still in stills if still.approved), None)
    take = next((t for t in (picked, approved, latest) if t in made), stills[-1].take)
    return replace(review, take=take, approved=made[take].approved, still=StillReview(
        made[take].path, tuple((s.take, s.path) for s in stills if s.path is not None), approved))


def keyframe(project: Project, clip: Path, fraction: float = 0.5,
             shot_seconds: float | None = None) -> Path:
    """A PNG from the middle of a shot's clip, cached beside the cache. A clip that plays
    longer than its shot (the user's footage, which the shot trims) is shown from the part of
    it the shot plays."""
    folder = project.state_dir / "thumbs"
    folder.mkdir(parents=True, exist_ok=True)
    identity = hashlib.sha256(f"{file_fingerprint(clip)}:{shot_seconds}".encode()).hexdigest()
    target = folder / f"{clip.stem}-{identity[:8]}-{round(fraction * 100)}.png"
    if not target.exists():
        info = probe(clip)
        seconds = info.video_duration or info.duration
        if shot_seconds:
            seconds = min(seconds, shot_seconds)
        with atomic_path(target) as tmp:  # never show a half-written PNG
            extract_frame(clip, seconds * fraction, tmp)
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
