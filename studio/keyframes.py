"""Keyframes first: one still per shot from a text-to-image model, looked at and approved
before any GPU minute goes into motion.

A still is cached like every render stage, under a hash of all it is made from (model,
prompt, size, steps, seed, the cast's reference pictures). A take is a seed: the first is the
shot's `keyframe.seed` (else the shot's derived seed), a new take the next seed up. Which takes
a shot has had and which one is approved is unauthored state in .storyreel/keyframes.json.
An approval is of a picture: once the shot's prompt (or model, size, ...) changes, the
approved still no longer shows the shot, and the shot counts as unapproved again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from storyreel.generators.base import ProgressCallback
from storyreel.generators.keyframe import StillRequest
from storyreel.generators.registry import get_generator, get_keyframe_generator
from storyreel.storyboards import Keyframes, Shot, Storyboard, compose_prompt, load_storyboard
from storyreel.storyboards.atomic import write_text_atomic
from storyreel.storyboards.errors import UserError
from storyreel.tools.scripts import spoken_text

from .cache import Cache, content_key, file_fingerprint
from .preflight import model_path, shot_seed
from .project import Project

STAGE = "keyframe"  # the cache folder of the stills
_STATE_LOCK = threading.Lock()  # a render makes two shots' stills at once


class KeyframeError(UserError, ValueError):
    """A keyframe request the project cannot answer (no keyframes, unknown shot, no take)."""


class KeyframesNotApproved(UserError, RuntimeError):
    """`render --approved-only` met shots whose keyframe nobody approved."""

    def __init__(self, root: Path, shots: list[str]):
        self.shots = shots
        super().__init__(
            f"{len(shots)} shot(s) have no approved keyframe, so no GPU time was spent: "
            f"{', '.join(shots)}. Look at them with `storyreel keyframes {root}`, approve one "
            f"take each with `storyreel keyframes {root} --shot ID --approve TAKE`, or render "
            "without --approved-only")


class KeyframeTake(BaseModel):
    take: int  # the seed
    key: str  # the cache key: what the still was made from
    path: Path


class ShotKeyframes(BaseModel):
    takes: list[KeyframeTake] = Field(default_factory=list)  # oldest first
    approved: KeyframeTake | None = None


class KeyframeState(BaseModel):
    """.storyreel/keyframes.json: each shot's takes and its approved one."""

    shots: dict[str, ShotKeyframes] = Field(default_factory=dict)


@dataclass(frozen=True)
class Keyframe:
    """One take of a shot's still, as the CLI and the TUI show it."""

    shot: str
    take: int
    path: Path | None  # None: not made for the shot as it is now
    approved: bool
    made: bool = False  # made by this call (not from the cache)


def state_path(project: Project) -> Path:
    return project.state_dir / "keyframes.json"


def load_state(project: Project) -> KeyframeState:
    """The takes and approvals (none when the file is missing or unreadable)."""
    try:
        return KeyframeState.model_validate_json(state_path(project).read_bytes())
    except (OSError, ValidationError):
        return KeyframeState()


def _save_state(project: Project, state: KeyframeState) -> None:
    project.state_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(state_path(project), state.model_dump_json(indent=2))


def needs_keyframe(board: Storyboard, shot: Shot) -> bool:
    """Whether the shot's picture starts from a keyframe: keyframes are on, the shot has no
    picture of its own (an asset), and its generator starts from an image (stock footage
    searches by words instead)."""
    return board.keyframes is not None and not shot.asset \
        and get_generator(board.generator.merged(shot.generator).name).image_to_video


def first_take(board: Storyboard, shot: Shot) -> int:
    return shot.keyframe.seed if shot.keyframe.seed is not None else shot_seed(board, shot)


def still_request(project: Project, board: Storyboard, shot: Shot, take: int) -> StillRequest:
    """What the keyframe backend is asked for: the shot's composed prompt (look, cast,
    visual), the cast's reference pictures, the keyframes settings, and the video's size
    unless keyframes set their own. dtype and offload follow the storyboard's generator."""
    spec = _spec(board)
    composed = compose_prompt(board, shot, shot.visual or spoken_text(shot.narration))
    width, height = board.format.size
    return StillRequest(
        prompt=composed.positive, negative_prompt=composed.negative,
        width=spec.width or width, height=spec.height or height, seed=take,
        references=tuple(project.asset(r, shot.id) for r in composed.references),
        model=model_path(project, spec.model), steps=spec.steps, guidance=spec.guidance,
        dtype=board.generator.dtype, offload=board.generator.offload)


def still_key(board: Storyboard, request: StillRequest) -> str:
    """The cache key of a still: the backend and everything in the request (reference
    pictures by their fingerprint)."""
    return content_key(STAGE, _spec(board).name, request.__dict__ | {
        "references": [file_fingerprint(p) for p in request.references]})


def make_keyframe(project: Project, shot_id: str, take: int | None = None,
                  progress: ProgressCallback | None = None) -> Keyframe:
    """The shot's still for `take` (default: its latest take, else its first), made or
    reused from the cache, and recorded as a take."""
    board = _board(project)
    shot = _shot(board, shot_id)
    return _make(project, board, shot, _latest(project, board, shot) if take is None else take,
                 progress)


def new_take(project: Project, shot_id: str, progress: ProgressCallback | None = None
             ) -> Keyframe:
    """Another still for the shot: the seed after its highest take so far."""
    board = _board(project)
    shot = _shot(board, shot_id)
    takes = [t.take for t in load_state(project).shots.get(shot_id, ShotKeyframes()).takes]
    return _make(project, board, shot, max(takes) + 1 if takes else first_take(board, shot),
                 progress)


def approve(project: Project, shot_id: str, take: int) -> Keyframe:
    """Approve the still of `take`, which must have been made for the shot as it is now."""
    board = _board(project)
    shot = _shot(board, shot_id)
    request = still_request(project, board, shot, take)
    key = still_key(board, request)
    entry = Cache(project.cache_dir).get(STAGE, key, ".png")
    if entry is None:
        raise KeyframeError(
            f"shot {shot_id!r} has no take {take} for the shot as it is now; make it first "
            f"with `storyreel keyframes {project.root} --shot {shot_id}`")
    with _STATE_LOCK:
        state = load_state(project)
        shot_state = state.shots.setdefault(shot_id, ShotKeyframes())
        shot_state.approved = KeyframeTake(take=take, key=key, path=entry.path)
        _save_state(project, state)
    return Keyframe(shot_id, take, entry.path, approved=True)


def keyframe_shots(project: Project) -> list[str]:
    """The shots that start from a keyframe, in order."""
    board = _board(project)
    return [s.id for s in board.shots if needs_keyframe(board, s)]


def list_keyframes(project: Project, shot_id: str | None = None) -> list[Keyframe]:
    """Every take of every shot that needs a keyframe (or of `shot_id`), by seed, with its
    still when it was made for the shot as it is now (no model is run)."""
    board = _board(project)
    shots = [_shot(board, shot_id)] if shot_id else \
        [s for s in board.shots if needs_keyframe(board, s)]
    state = load_state(project)
    cache = Cache(project.cache_dir)
    out = []
    for shot in shots:
        approved = _approved(project, board, shot, state)
        recorded = state.shots.get(shot.id, ShotKeyframes()).takes
        for take in sorted({t.take for t in recorded} or {first_take(board, shot)}):
            key = still_key(board, still_request(project, board, shot, take))
            entry = cache.get(STAGE, key, ".png")
            out.append(Keyframe(shot.id, take, entry.path if entry else None,
                                approved=approved is not None and approved.take == take))
    return out


def keyframe_path(project: Project, shot_id: str, take: int | None = None) -> Path | None:
    """The still of `take`, or (no take given) the approved one, else the latest; None when
    it was not made for the shot as it is now. Runs no model."""
    board = _board(project)
    shot = _shot(board, shot_id)
    if take is None:
        approved = _approved(project, board, shot, load_state(project))
        if approved is not None:
            return approved.path
        take = _latest(project, board, shot)
    entry = Cache(project.cache_dir).get(
        STAGE, still_key(board, still_request(project, board, shot, take)), ".png")
    return entry.path if entry else None


def shot_keyframe(project: Project, board: Storyboard, shot: Shot,
                  progress: ProgressCallback | None = None) -> Path | None:
    """The picture a render starts the shot from: its approved still, else its latest take
    (made now if it is not in the cache); None when the shot needs no keyframe."""
    if not needs_keyframe(board, shot):
        return None
    approved = _approved(project, board, shot, load_state(project))
    if approved is not None:
        return approved.path
    return _make(project, board, shot, _latest(project, board, shot), progress).path


def unapproved(project: Project, board: Storyboard) -> list[str]:
    """The shots that need a keyframe and have no approved one for the shot as it is now."""
    state = load_state(project)
    return [s.id for s in board.shots
            if needs_keyframe(board, s) and _approved(project, board, s, state) is None]


def check_keyframes(project: Project, board: Storyboard, approved_only: bool = False) -> None:
    """Before a render spends anything: with `approved_only`, every shot that needs a
    keyframe has an approved one (else one error naming them all); and the keyframe model
    is on this machine if some still has yet to be made."""
    if approved_only:
        if board.keyframes is None:
            raise KeyframeError("--approved-only approves keyframes, and this storyboard has "
                                "none: add `keyframes: {name: sd-turbo}` (or flux-schnell, "
                                "sdxl, sdxl-turbo, sd3.5), or render without --approved-only")
        missing = unapproved(project, board)
        if missing:
            raise KeyframesNotApproved(project.root, missing)
        return
    if board.keyframes is None:
        return
    state = load_state(project)
    cache = Cache(project.cache_dir)
    for shot in board.shots:
        if not needs_keyframe(board, shot) or _approved(project, board, shot, state):
            continue
        request = still_request(project, board, shot, _latest(project, board, shot))
        if cache.get(STAGE, still_key(board, request), ".png") is None:
            get_keyframe_generator(board.keyframes.name).check(request.model,
                                                               bool(request.references))


# ------------------------------------------------------------------------------------------

def _spec(board: Storyboard) -> Keyframes:
    if board.keyframes is None:
        raise KeyframeError("this storyboard makes no keyframes: add `keyframes: {name: "
                            "sd-turbo}` (or flux-schnell, sdxl, sdxl-turbo, sd3.5) to it")
    return board.keyframes


def _board(project: Project) -> Storyboard:
    board, _ = load_storyboard(project.storyboard_path)
    _spec(board)
    return board


def _shot(board: Storyboard, shot_id: str) -> Shot:
    try:
        shot = board.shot(shot_id)
    except KeyError:
        raise KeyframeError(f"no shot {shot_id!r}; the shots are "
                            f"{', '.join(s.id for s in board.shots)}") from None
    if not needs_keyframe(board, shot):
        raise KeyframeError(f"shot {shot_id!r} needs no keyframe: its picture is its asset, "
                            "or its generator starts from no image (stock footage)")
    return shot


def _latest(project: Project, board: Storyboard, shot: Shot) -> int:
    takes = load_state(project).shots.get(shot.id, ShotKeyframes()).takes
    return takes[-1].take if takes else first_take(board, shot)


def _approved(project: Project, board: Storyboard, shot: Shot,
              state: KeyframeState) -> KeyframeTake | None:
    """The approved take if it still shows the shot as it is now, and its still is there."""
    approved = state.shots.get(shot.id, ShotKeyframes()).approved
    if approved is None or not approved.path.exists():
        return None
    current = still_key(board, still_request(project, board, shot, approved.take))
    return approved if current == approved.key else None


def _make(project: Project, board: Storyboard, shot: Shot, take: int,
          progress: ProgressCallback | None) -> Keyframe:
    request = still_request(project, board, shot, take)
    key = still_key(board, request)
    name = _spec(board).name

    def make(tmp: Path) -> dict:
        generator = get_keyframe_generator(name)
        generator.check(request.model, bool(request.references))
        generator(request, progress).save(tmp, format="PNG")
        return {"generator": name, "take": take, "width": request.width,
                "height": request.height}

    entry = Cache(project.cache_dir).produce(STAGE, key, ".png", make)
    with _STATE_LOCK:
        state = load_state(project)
        shot_state = state.shots.setdefault(shot.id, ShotKeyframes())
        shot_state.takes = [t for t in shot_state.takes if t.take != take]
        shot_state.takes.append(KeyframeTake(take=take, key=key, path=entry.path))
        _save_state(project, state)
        approved = shot_state.approved is not None and shot_state.approved.key == key
    return Keyframe(shot.id, take, entry.path, approved=approved, made=not entry.cached)
