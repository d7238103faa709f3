"""The interface every shot generator implements, CPU animatic and GPU diffusion alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from storyreel.storyboards.errors import UserError
from storyreel.storyboards.model import Attention, Camera, Preset, StepCache

ProgressCallback = Callable[[float], None]


@dataclass(frozen=True)
class ClipRequest:
    """Everything a generator needs to make one shot's footage; nothing about the pipeline."""

    prompt: str
    width: int
    height: int
    fps: int
    num_frames: int
    seed: int = 0
    style: str = ""
    title: str = ""
    camera: Camera = "auto"
    image: Path | None = None
    video: Path | None = None
    model: str | None = None
    negative_prompt: str = ""
    steps: int | None = None
    guidance: float | None = None
    dtype: str = "auto"
    offload: bool = False
    compile: bool = False
    generate_height: int | None = None  # diffusion: render at this height, then scale
    # Diffusion speed: which weights and schedule, and diffusers' switches (GeneratorSpec).
    preset: Preset = "final"
    cache: StepCache = "none"
    attention: Attention = "sdpa"
    fast_decode: bool = False
    sound: str = ""  # what is heard, for generators that make sound
    search: str = ""  # stock: what to search for (empty: words of the prompt)
    provider: str | None = None  # stock: pexels or pixabay (None: whichever has a key)
    # The shot and the project's .storyreel/ folder, for generators that remember choices
    # per project (stock footage is never used twice in one project).
    shot: str = ""
    state: Path | None = None

    @property
    def duration(self) -> float:
        return self.num_frames / self.fps


@dataclass(frozen=True)
class ClipOutput:
    """A clip with exactly `num_frames` frames of `width` x `height` at `fps`; silent unless
    `has_sound` (then its audio stream is the generated sound, as long as the picture)."""

    path: Path
    num_frames: int
    fps: int
    width: int
    height: int
    generator: str
    has_sound: bool = False
    credit: str = ""  # author, page and licence of footage that is not the user's (stock)
    # Where the time went (diffusion backends; 0 elsewhere): loading the pipeline (about 0
    # when it was already loaded), denoising (text encoding included), VAE decoding (with the
    # frames' way to the CPU), and fitting and encoding the clip (after the GPU is released).
    load_seconds: float = 0.0
    denoise_seconds: float = 0.0
    decode_seconds: float = 0.0
    encode_seconds: float = 0.0
    # One-line remarks for the user, each said once per process: the load time, the compile
    # time, a speed switch that could not be applied and what is used instead.
    notes: tuple[str, ...] = ()


class GeneratorError(UserError, RuntimeError):
    """A generator could not make a clip; the message says why and what to do."""


class CheckpointMissing(GeneratorError):
    """A diffusion checkpoint (or a preset's LoRA file) is not on this machine; it is only
    ever fetched on request. `preset`: the generator.preset that wants it."""

    def __init__(self, generator: str, model: str, detail: str = "",
                 preset: str = "final") -> None:
        self.generator, self.model, self.preset = generator, model, preset
        because = f" ({detail})" if detail else ""
        pull = f"storyreel models pull {generator}" + \
            (f" --preset {preset}" if preset != "final" else "")
        super().__init__(
            f"{generator}: checkpoint {model!r} is not on this machine{because}. Download it "
            f"once with `{pull}`, or set generator.model to a local folder saved with "
            "save_pretrained.")


class Generator(Protocol):
    name: str
    text_to_video: bool
    image_to_video: bool
    makes_sound: bool  # its clips carry generated sound with the picture

    def check(self, model: str | None) -> None:
        """Raise GeneratorError when this machine cannot run it with `model`."""

    def __call__(self, request: ClipRequest, output: Path,
                 progress: ProgressCallback | None = None) -> ClipOutput: ...
