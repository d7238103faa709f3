"""Cost before spending: the GPU seconds a render from scratch would take, per shot and in
total, from the chosen models, sizes and steps.

Each backend has measured seconds per denoising step (and per call besides the steps: text
encoding, VAE decoding, encoding the clip) at a reference size; a shot's cost scales them by
its pixels x frames. Figures measured on this machine (`python bench/generate.py` on a GPU)
come first; then those measured on an H100 80GB with ../shared/gpu/gpucheck.py; the rest are
estimates, and say so.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from storyreel.generators import ClipRequest, GeneratorError, get_generator, resolve_name
from storyreel.generators.diffusion import DiffusionGenerator
from storyreel.generators.keyframe import StillRequest
from storyreel.generators.registry import get_keyframe_generator
from storyreel.storyboards import Shot, Storyboard
from storyreel.storyboards.atomic import write_text_atomic
from storyreel.tools.paths import cache_dir
from storyreel.tools.scripts import spoken_text

from .keyframes import needs_keyframe
from .preflight import picture_generator, shot_footage
from .project import Project
from .timeline import shot_frames

WORDS_PER_SECOND = 2.6  # Piper's bundled voice at rate 1.0
CHARACTERS_PER_SECOND = 4.5  # languages written without spaces (zh, ja)
H100 = "measured on an H100 80GB (../shared/gpu, torch 2.11, diffusers 0.42.1, bf16)"
ESTIMATE = "estimate, not measured (python bench/generate.py on a GPU measures it)"
MEASURED_HERE = "measured on this machine"


class Speed(BaseModel):
    """How fast one backend runs at a reference size."""

    backend: str
    width: int
    height: int
    frames: int = 1  # 1: a still
    per_step: float  # seconds per denoising step
    fixed: float = 0.0  # seconds per call besides the steps
    source: str  # H100, ESTIMATE, or MEASURED_HERE and the GPU's name


# (gpucheck: wall - steps x per step = fixed; LTX 40 steps, Wan 30, 121 and 81 frames)
REFERENCE: tuple[Speed, ...] = (
    Speed(backend="ltx-video", width=704, height=480, frames=121, per_step=0.154, fixed=3.94,
          source=H100),
    Speed(backend="ltx-video", width=1280, height=704, frames=121, per_step=0.511,
          fixed=10.36, source=H100),
    Speed(backend="wan", width=832, height=480, frames=81, per_step=1.30, fixed=6.7,
          source=H100),
    # Not measured: LTX-2 is ~9x LTX-Video's transformer at similar token counts;
    # CogVideoX-5B is its authors' published ~90 s for 50 steps on an H100.
    Speed(backend="ltx-2", width=768, height=512, frames=121, per_step=1.7, fixed=8.0,
          source=ESTIMATE),
    Speed(backend="cogvideox", width=720, height=480, frames=49, per_step=1.8, fixed=5.0,
          source=ESTIMATE),
    Speed(backend="flux-schnell", width=1024, height=1024, per_step=0.25, fixed=1.0,
          source=ESTIMATE),
    Speed(backend="sdxl", width=1024, height=1024, per_step=0.08, fixed=0.5, source=ESTIMATE),
    Speed(backend="sdxl-turbo", width=512, height=512, per_step=0.02, fixed=0.1,
          source=ESTIMATE),
    Speed(backend="sd3.5", width=1024, height=1024, per_step=0.1, fixed=0.5, source=ESTIMATE),
    Speed(backend="sd-turbo", width=512, height=512, per_step=0.01, fixed=0.05,
          source=ESTIMATE),
)


class MeasuredSpeeds(BaseModel):
    """This machine's own figures, written by bench/generate.py."""

    speeds: list[Speed] = Field(default_factory=list)


class Cost(BaseModel):
    backend: str
    width: int
    height: int
    frames: int
    steps: int
    seconds: float
    source: str


class ShotCost(BaseModel):
    shot: str
    keyframe: Cost | None = None
    video: Cost | None = None
    picture: str  # what makes the picture when no GPU does: animatic, stock, asset

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in (self.keyframe, self.video) if c is not None)


class PlanCost(BaseModel):
    shots: list[ShotCost]

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.shots)

    @property
    def sources(self) -> list[str]:
        return sorted({c.source for s in self.shots for c in (s.keyframe, s.video) if c})

    def summary(self) -> str:
        """'12 shots, about 6 min on this GPU'."""
        if not self.sources:
            return f"{len(self.shots)} shots, no GPU time (no shot uses a diffusion model)"
        here = all(s.startswith(MEASURED_HERE) for s in self.sources)
        where = "this GPU" if here else "an H100"
        if ESTIMATE in self.sources:
            where += " (some figures are estimates)"
        return f"{len(self.shots)} shots, about {human_seconds(self.seconds)} on {where}"


def speeds_path() -> Path:
    return cache_dir() / "speeds.json"


def measured_speeds() -> list[Speed]:
    try:
        return MeasuredSpeeds.model_validate_json(speeds_path().read_bytes()).speeds
    except (OSError, ValidationError):
        return []


def record_speed(speed: Speed) -> None:
    """Keep a figure measured on this machine, replacing one at the same backend and size."""
    same = (speed.backend, speed.width, speed.height, speed.frames)
    kept = [s for s in measured_speeds() if (s.backend, s.width, s.height, s.frames) != same]
    speeds_path().parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(speeds_path(), MeasuredSpeeds(speeds=[*kept, speed])
                      .model_dump_json(indent=2))


def estimate(backend: str, width: int, height: int, frames: int, steps: int,
             speeds: list[Speed] | None = None) -> Cost:
    """Seconds for one call of `backend`, from the figure measured nearest in size (this
    machine's first), scaled by pixels x frames."""
    mine = [s for s in (speeds if speeds is not None else measured_speeds())
            if s.backend == backend]
    known = mine or [s for s in REFERENCE if s.backend == backend]
    if not known:
        raise GeneratorError(f"no speed known for {backend}")
    work = width * height * frames
    speed = min(known, key=lambda s: abs(math.log(work / (s.width * s.height * s.frames))))
    scale = work / (speed.width * speed.height * speed.frames)
    return Cost(backend=backend, width=width, height=height, frames=frames, steps=steps,
                seconds=(steps * speed.per_step + speed.fixed) * scale, source=speed.source)


def speech_seconds(board: Storyboard, narration: str) -> float:
    """About how long the narration takes to say (no voice is run)."""
    text = spoken_text(narration)
    if board.base_language in {"zh", "ja"}:
        return len(re.sub(r"\s", "", text)) / CHARACTERS_PER_SECOND
    return len(text.split()) / WORDS_PER_SECOND


def plan_cost(project: Project, board: Storyboard) -> PlanCost:
    """The GPU seconds of each shot: its keyframe still and its video."""
    speeds = measured_speeds()
    return PlanCost(shots=[_shot_cost(project, board, shot, speeds) for shot in board.shots])


def _shot_cost(project: Project, board: Storyboard, shot: Shot, speeds: list[Speed]
               ) -> ShotCost:
    width, height = board.format.size
    keyframe = None
    if needs_keyframe(board, shot) and board.keyframes is not None:
        spec = board.keyframes
        still = get_keyframe_generator(spec.name)
        size = still.size_for(StillRequest(prompt="", width=spec.width or width,
                                           height=spec.height or height))
        keyframe = estimate(spec.name, size[1], size[0], 1,
                            spec.steps or still.still.default_steps, speeds)
    footage = shot_footage(project, shot)
    name = resolve_name(picture_generator(board, shot, footage))
    generator = get_generator(name)
    if not isinstance(generator, DiffusionGenerator):
        return ShotCost(shot=shot.id, keyframe=keyframe,
                        picture="asset" if footage else generator.name)
    spec = board.generator.merged(shot.generator)
    frames, _ = shot_frames(speech_seconds(board, shot.narration), shot.duration,
                            board.format.fps)
    request = ClipRequest(prompt="", width=width, height=height, fps=board.format.fps,
                          num_frames=frames, generate_height=spec.height)
    gen_height, gen_width = generator.size_for(request)
    steps = spec.steps or generator.clip.default_steps
    costs = [estimate(name, gen_width, gen_height, count, steps, speeds)
             for count in _segments(generator, request)]
    video = costs[0].model_copy(update={"frames": sum(c.frames for c in costs),
                                        "seconds": sum(c.seconds for c in costs)})
    return ShotCost(shot=shot.id, keyframe=keyframe, video=video, picture=name)


def _segments(generator: DiffusionGenerator, request: ClipRequest) -> list[int]:
    """The frame counts of the model calls a shot takes: a long shot is made as segments,
    each continuing from the last frame of the one before (as DiffusionGenerator does)."""
    wanted = math.ceil(request.duration * generator.clip.fps) + 1
    counts: list[int] = []
    made = 0
    while made < wanted:
        count = generator.clip.frames_for(wanted - made + (1 if counts else 0))
        made += count - (1 if counts else 0)
        counts.append(count)
    return counts


def human_seconds(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
