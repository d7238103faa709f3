"""What every diffusers video backend shares: loading once and keeping the pipelines for the
process (so the TUI and chat start warm), presets (which weights and schedule), diffusers'
speed switches, memory switches, out-of-memory retry, extending a shot past one model clip,
and fitting the result to the shot's exact frame count, frame rate and size.

The GPU lock is held for the model work only: a shot's fit and encode (x264 on the CPU, or
NVENC) run after it is released, so with two or more renderer workers the next shot denoises
while the last one encodes.

Each backend (ltx2.py, ltx_video.py, wan.py, cogvideox.py) only says how to build its
pipelines, how to call them and what its presets are, like diffusers' one-pipeline-per-file.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import re
import statistics
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from PIL import Image

from storyreel.tools.ffmpeg import FFmpegError
from storyreel.tools.video import (
    FrameCountError,
    nvenc_available,
    nvenc_problem,
    write_fitted_clip,
)

from .base import CheckpointMissing, ClipOutput, ClipRequest, GeneratorError, ProgressCallback
from .sound import SoundTrack

# Finished shots that may be waiting for, or in, their fit and encode at once. The GPU's
# holder takes a slot before it lets the next shot start, so frames never pile up faster than
# they are encoded; each encode runs in its own caller's thread (the renderer's worker, which
# waits for its clip anyway), so a slow CPU encode is not also a serial one.
ENCODE_SLOTS = 2

# diffusers' names for the storyboard's attention choices (GeneratorSpec.attention); none of
# the hub-kernel backends, which download at run time.
ATTENTION_BACKENDS = {"flash": "flash", "flash3": "_flash_3", "sage": "sage",
                      "xformers": "xformers", "cudnn": "_native_cudnn"}


@dataclass(frozen=True)
class ModelClip:
    """What one model call can make: frame count rule, preferred size and frame rate."""

    fps: int
    max_frames: int
    frame_step: int  # frame counts are frame_step * k + 1
    size_multiple: int
    default_height: int
    default_width: int
    default_steps: int
    default_guidance: float

    def frames_for(self, wanted: int) -> int:
        """The nearest valid frame count at or above `wanted`, capped at max_frames."""
        k = max(1, math.ceil((min(wanted, self.max_frames) - 1) / self.frame_step))
        return min(self.max_frames, self.frame_step * k + 1)


@dataclass(frozen=True)
class Lora:
    """A LoRA file that a preset loads into the transformer: a hub repository (or a local
    folder) and the file in it."""

    repo: str
    file: str

    @property
    def id(self) -> str:
        """How `storyreel models` names it: 'owner/name/file.safetensors'."""
        return f"{self.repo}/{self.file}"

    @property
    def adapter(self) -> str:
        return re.sub(r"\W", "_", Path(self.file).stem)


@dataclass(frozen=True)
class Preset:
    """One speed/quality setting of a backend; what it leaves unset is the backend's own.

    `schedule` is a distilled model's fixed timesteps or sigmas (passed to the pipeline as the
    backend's `schedule_argument`), `scheduler` the scheduler settings that schedule needs,
    `arguments` more pipeline keyword arguments. A storyboard's `steps` replaces the schedule
    and its `model` the checkpoint; the LoRA goes into whichever checkpoint is used."""

    model: str | None = None
    lora: Lora | None = None
    steps: int | None = None
    guidance: float | None = None
    schedule: tuple[float, ...] = ()
    scheduler: tuple[tuple[str, Any], ...] = ()
    arguments: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Plan:
    """What one shot runs with: its preset with the storyboard's own settings on top."""

    model: str
    lora: Lora | None
    steps: int
    guidance: float
    schedule: tuple[float, ...]
    scheduler: tuple[tuple[str, Any], ...]
    arguments: tuple[tuple[str, Any], ...]


def torch_dtype(name: str, device: str):
    import torch

    if name == "auto":
        if device != "cuda":
            return torch.float32
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[name]


T = TypeVar("T")


def is_out_of_memory(error: BaseException) -> bool:
    import torch

    return isinstance(error, torch.OutOfMemoryError) or "out of memory" in str(error).lower()


def retry_out_of_memory(attempt: Callable[[], T], lower_memory: Callable[[], bool], name: str,
                        advice: str) -> T:
    """`attempt()`; each time it runs out of GPU memory, `lower_memory()` and once more, until
    there is nothing left to lower: then one error saying `advice`."""
    while True:
        try:
            return attempt()
        except (RuntimeError, MemoryError) as error:
            if not is_out_of_memory(error):
                raise
            if not lower_memory():
                raise GeneratorError(f"{name}: out of GPU memory even with CPU offload and VAE "
                                     f"tiling; {advice}") from error


@dataclass(frozen=True)
class Generated:
    """One pipeline call's output: frames as uint8 RGB (F, H, W, 3) and, from backends that
    make sound, float32 audio (samples, channels) at `sample_rate`."""

    frames: np.ndarray
    audio: np.ndarray | None = None
    sample_rate: int = 0


def to_uint8(frames: Any) -> np.ndarray:
    """A pipeline's `pt` frames ((F, C, H, W) floats in [0, 1], on the GPU) as uint8
    (F, H, W, 3) on the CPU. Converted where they are, a quarter of the bytes cross to the
    CPU, and no CPU core spends seconds on a 720p shot's 1.3 GB of floats while the GPU
    waits; the rounding is numpy's, so the clips are the same bytes as before."""
    import torch

    pixels = (frames.float().clamp(0, 1) * 255).round().to(torch.uint8)
    return pixels.permute(0, 2, 3, 1).cpu().numpy()


@dataclass
class _Clock:
    """Seconds spent on one shot, by kind, and each pipeline call's step times."""

    load: float = 0.0
    denoise: float = 0.0
    decode: float = 0.0
    steps: list[list[float]] = field(default_factory=list)


class DiffusionGenerator(ABC):
    """Text/image-to-video with a diffusers pipeline, built once per model and reused."""

    name: str
    default_model: str
    clip: ModelClip
    makes_sound = False
    presets: dict[str, Preset]  # "final" and "draft"
    schedule_argument = "sigmas"  # how the pipeline takes a preset's fixed schedule
    step_caches: tuple[str, ...] = ("first-block", "taylorseer")  # what diffusers has for it
    attention_backends = True  # whether its attention goes through diffusers' dispatcher

    def __init__(self) -> None:
        self._pipes: dict[tuple, Any] = {}
        self._memory_level: dict[int, int] = {}  # pipeline id -> 1 model, 2 layer offload
        self._switches: dict[int, dict[str, Any]] = {}  # transformer id -> what is applied
        self._compiling: set[int] = set()  # transformers compiled, not yet timed
        self._said: set[str] = set()  # notes already given
        self._lock = threading.Lock()  # one GPU job at a time; pipelines are not re-entrant
        self._encoding = threading.BoundedSemaphore(ENCODE_SLOTS)

    # What each backend provides -----------------------------------------------------

    @abstractmethod
    def load(self, model: str, dtype: Any, local_only: bool) -> tuple[Any, Any | None]:
        """Build (text-to-video pipeline, image-to-video pipeline or None) for `model`."""

    def pipeline_arguments(self, pipe: Any) -> dict:
        """Extra keyword arguments this backend's pipelines take."""
        return {}

    def prompt(self, request: ClipRequest) -> str:
        """The text prompt for a shot."""
        return request.prompt

    def call_pipeline(self, pipe: Any, *, prompt: str, negative_prompt: str, image: Any,
                      height: int, width: int, num_frames: int, steps: int, guidance: float,
                      schedule: tuple[float, ...], extra: dict, generator: Any,
                      callback: Any) -> Generated:
        """Run one pipeline call; a `schedule` (fixed timesteps or sigmas) replaces `steps`,
        `extra` are a preset's own pipeline arguments."""
        options = {**self.pipeline_arguments(pipe), **extra}
        if image is not None:
            options["image"] = image
        if schedule:
            options[self.schedule_argument] = list(schedule)
        # diffusers warns on every call that fixed timesteps skip its shifting, which is what
        # a distilled schedule wants.
        with _diffusers_quiet() if schedule else contextlib.nullcontext():
            result = pipe(prompt=prompt, negative_prompt=negative_prompt or None, height=height,
                          width=width, num_frames=num_frames, num_inference_steps=steps,
                          guidance_scale=guidance, generator=generator, output_type="pt",
                          callback_on_step_end=callback, **options)
        return self.unpack(pipe, result)

    def unpack(self, pipe: Any, result: Any) -> Generated:
        """The frames (and sound) of a pipeline's output."""
        return Generated(to_uint8(result.frames[0]))

    # The shared machinery -------------------------------------------------------------

    def plan(self, request: ClipRequest) -> Plan:
        """The checkpoint, LoRA, steps, guidance and schedule `request` runs with."""
        preset = self.presets[request.preset]
        schedule = preset.schedule if request.steps is None else ()
        guidance = next(g for g in (request.guidance, preset.guidance,
                                    self.clip.default_guidance) if g is not None)
        return Plan(request.model or preset.model or self.default_model, preset.lora,
                    len(schedule) or request.steps or preset.steps or self.clip.default_steps,
                    guidance, schedule, preset.scheduler if schedule else (), preset.arguments)

    def weights(self, preset: str = "final") -> list[str]:
        """What `preset` loads, to list and pull: its checkpoint, then its LoRA file."""
        chosen = self.presets[preset]
        return [chosen.model or self.default_model, *([chosen.lora.id] if chosen.lora else [])]

    def check(self, model: str | None, preset: str = "final") -> None:
        """Fail now, not mid-render, when the packages or the weights are missing."""
        import importlib.util

        if any(importlib.util.find_spec(p) is None for p in ("torch", "diffusers", "transformers")):
            raise GeneratorError(
                f"{self.name} needs the diffusion extra: install a torch build for this "
                "machine, then pip install 'storyreel[diffusion]'")
        chosen = self.presets[preset]
        model = model or chosen.model or self.default_model
        if not checkpoint_on_disk(model):
            if is_local_folder(model):
                raise GeneratorError(
                    f"{self.name}: {model} is not a checkpoint folder (it has no "
                    "model_index.json; save one with save_pretrained, or give a hub id)")
            raise CheckpointMissing(self.name, model, preset=preset)
        if chosen.lora and not weights_on_disk(chosen.lora.id):
            raise CheckpointMissing(self.name, chosen.lora.id, preset=preset)

    @property
    def text_to_video(self) -> bool:
        return True

    @property
    def image_to_video(self) -> bool:
        return True

    def device(self) -> str:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    def _key(self, request: ClipRequest) -> tuple:
        return self.plan(request).model, request.dtype, request.offload

    def pipelines(self, request: ClipRequest) -> tuple[Any, Any | None]:
        """The pipelines for the request's model, loaded once and kept for the process."""
        key = self._key(request)
        if key not in self._pipes:
            model, device = key[0], self.device()
            try:
                with _loading_bars_hidden(), _hub_offline():
                    text, image = self.load(model, torch_dtype(request.dtype, device),
                                            local_only=True)
            except (OSError, ValueError) as error:
                raise CheckpointMissing(self.name, model, str(error), request.preset) from None
            for pipe in {id(p): p for p in (text, image) if p is not None}.values():
                self._prepare(pipe, device, request)
            self._pipes[key] = (text, image)
        return self._pipes[key]

    def _prepare(self, pipe: Any, device: str, request: ClipRequest) -> None:
        if request.offload and device == "cuda":
            pipe.enable_model_cpu_offload()
            self._memory_level[id(pipe)] = 1
        else:
            pipe.to(device)
        if hasattr(pipe, "vae") and hasattr(pipe.vae, "enable_tiling") and request.offload:
            pipe.vae.enable_tiling()
        pipe.set_progress_bar_config(disable=True)

    def _configure(self, pipe: Any, request: ClipRequest, plan: Plan) -> list[str]:
        """Put the shot's LoRA and speed switches on the pipelines' shared modules, changing
        only what differs from the last shot's; returns notes for the user. Compiled blocks
        stay compiled for the life of the process (the same math, so nothing to undo)."""
        transformer = pipe.transformer
        state = self._switches.setdefault(id(transformer), {
            "lora": None, "cache": "none", "attention": "sdpa", "compiled": False,
            "fast_decode": False, "vae_dtype": pipe.vae.dtype})
        notes: list[str] = []
        if state["lora"] != plan.lora:
            self._use_lora(pipe, plan, request.preset)
            state["lora"] = plan.lora
        if state["cache"] != request.cache:
            self._use_cache(transformer, request.cache)
            state["cache"] = request.cache
        if state["attention"] != request.attention:
            if not self.attention_backends:
                if request.attention != "sdpa":
                    notes.append(f"{self.name}: diffusers' attention for this model takes no "
                                 f"other kernels: PyTorch SDPA, not {request.attention}")
            else:
                notes.append(use_attention(transformer, request.attention,
                                           self.device() == "cuda"))
            state["attention"] = request.attention
        if request.compile and not state["compiled"]:
            if compile_blocks(transformer):
                self._compiling.add(id(transformer))
            else:
                notes.append(f"{self.name}: diffusers marks no repeated blocks in this "
                             "transformer, so it is not compiled")
            state["compiled"] = True
        if state["fast_decode"] != request.fast_decode:
            # The VAE in the transformer's dtype: bf16 on a GPU where it was kept in float32
            # (Wan); no change for the others, which already decode in the chosen dtype.
            pipe.vae.to(transformer.dtype if request.fast_decode else state["vae_dtype"])
            state["fast_decode"] = request.fast_decode
        return [note for note in notes if note]

    def _use_lora(self, pipe: Any, plan: Plan, preset: str) -> None:
        lora = plan.lora
        if lora is None:
            if getattr(pipe.transformer, "peft_config", None):
                pipe.disable_lora()
            return
        from diffusers.utils import USE_PEFT_BACKEND

        if not USE_PEFT_BACKEND:
            raise GeneratorError(f"{self.name}: this preset loads a LoRA, which needs peft: "
                                 "pip install peft")
        if lora.adapter not in getattr(pipe.transformer, "peft_config", {}):
            if not weights_on_disk(lora.id):
                raise CheckpointMissing(self.name, lora.id, preset=preset)
            try:
                with _loading_bars_hidden(), _hub_offline():
                    pipe.load_lora_weights(lora.repo, weight_name=lora.file,
                                           adapter_name=lora.adapter, local_files_only=True)
            except (OSError, ValueError, RuntimeError) as error:
                raise GeneratorError(f"{self.name}: the LoRA {lora.id} does not fit "
                                     f"{plan.model}: {error}") from error
        pipe.enable_lora()
        pipe.set_adapters([lora.adapter])

    def _use_cache(self, transformer: Any, mode: str) -> None:
        if mode != "none" and mode not in self.step_caches:
            raise GeneratorError(
                f"{self.name}: diffusers has no {mode} cache for this transformer; use cache: "
                f"{' or '.join(self.step_caches)}, or none")
        if transformer.is_cache_enabled:
            transformer.disable_cache()
        if mode == "none":
            return
        try:
            transformer.enable_cache(step_cache_config(mode, transformer))
        except (ValueError, IndexError) as error:  # e.g. a transformer of a single block
            raise GeneratorError(f"{self.name}: cannot use the {mode} cache here: {error}") \
                from error

    def size_for(self, request: ClipRequest) -> tuple[int, int]:
        """(height, width) with the shot's aspect, at the model's usual area (or the shot's
        own, if smaller), rounded to what the model accepts."""
        m = self.clip.size_multiple
        area = min(self.clip.default_height * self.clip.default_width,
                   request.width * request.height)
        if request.generate_height:
            area = request.generate_height ** 2 * request.width / request.height
        height = math.sqrt(area * request.height / request.width)
        width = height * request.width / request.height
        return max(m, round(height / m) * m), max(m, round(width / m) * m)

    def __call__(self, request: ClipRequest, output: Path,
                 progress: ProgressCallback | None = None) -> ClipOutput:
        """Make `request` into `output`: segments of at most one model clip, each continuing
        from the previous segment's last frame (image-to-video) so the joins do not show,
        then fitted to the exact frame count, frame rate and size of the shot. Returns when
        the clip is written; the GPU is free for the next shot while this one encodes."""
        plan, clock = self.plan(request), _Clock()
        with self._lock:
            video, sound, notes = self._generate(request, plan, clock, progress)
            encoders = ["nvenc", "x264"] if nvenc_available() else ["x264"]
            if encoders == ["x264"]:
                notes.append(f"NVENC unavailable ({nvenc_problem()}): clips are encoded with "
                             "x264 on the CPU")
            notes = [note for note in notes if note not in self._said]
            self._said.update(notes)
            self._encoding.acquire()
        try:
            started = time.perf_counter()
            with tempfile.TemporaryDirectory(prefix=".part-", dir=output.parent) as folder:
                wav = sound.write(Path(folder) / "sound.wav") if sound.samples is not None \
                    else None
                notes += self._encode(video, request, output, wav, encoders)
            encode_seconds = time.perf_counter() - started
        finally:
            self._encoding.release()
        if progress:
            progress(1.0)
        return ClipOutput(output, request.num_frames, request.fps, request.width, request.height,
                          self.name, has_sound=sound.samples is not None,
                          load_seconds=clock.load, denoise_seconds=clock.denoise,
                          decode_seconds=clock.decode, encode_seconds=encode_seconds,
                          notes=tuple(notes))

    def _generate(self, request: ClipRequest, plan: Plan, clock: _Clock,
                  progress: ProgressCallback | None) -> tuple[np.ndarray, SoundTrack, list[str]]:
        """The GPU part of a shot (under the lock): its frames, sound and notes."""
        import torch

        started = time.perf_counter()
        fresh = self._key(request) not in self._pipes
        text_pipe, image_pipe = self.pipelines(request)
        notes = self._configure(text_pipe or image_pipe, request, plan)
        clock.load = time.perf_counter() - started
        if fresh:
            notes.insert(0, f"{self.name}: loaded {plan.model} in {clock.load:.1f} s, kept "
                         "for the next shots and renders")
        height, width = self.size_for(request)
        wanted = math.ceil(request.duration * self.clip.fps) + 1
        segments: list[np.ndarray] = []
        sound = SoundTrack()
        conditioning = _load_image(request.image, width, height) if request.image else None
        made, index = 0, 0
        while made < wanted:
            remaining = wanted - made + (1 if segments else 0)
            count = self.clip.frames_for(remaining)
            pipe = image_pipe if conditioning is not None and image_pipe is not None \
                else text_pipe
            if pipe is None:
                raise GeneratorError(f"{self.name}: this checkpoint needs a start image")
            out = self._run(pipe, request, plan, conditioning if pipe is image_pipe else None,
                            height, width, count, request.seed + index, made, wanted, progress,
                            clock)
            # A continuation's first frame repeats the frame it was conditioned on.
            skip = 1 if segments and pipe is image_pipe else 0
            frames = out.frames[skip:]
            segments.append(frames)
            if out.audio is not None:
                sound.append(out.audio, out.sample_rate, skip / self.clip.fps,
                             len(frames) / self.clip.fps)
            made += len(frames)
            conditioning = Image.fromarray(frames[-1])
            index += 1
        compiled = id(pipe.transformer)
        if compiled in self._compiling:
            self._compiling.discard(compiled)
            first, *rest = clock.steps[0]
            usual = statistics.median(rest) if rest else 0.0
            notes.append(f"{self.name}: compiling the denoiser's blocks took about "
                         f"{first - usual:.0f} s, in the first step (each new size compiles "
                         f"again); steps now take {usual:.2f} s")
        if self.device() == "cuda":
            torch.cuda.empty_cache()
        return np.concatenate(segments)[:wanted], sound, notes

    def _encode(self, video: np.ndarray, request: ClipRequest, output: Path, wav: Path | None,
                encoders: list[str]) -> list[str]:
        """Fit and encode the clip, with NVENC when it opened, else (or if it refuses this
        clip) x264; returns a note when NVENC refused."""
        for encoder in encoders:
            try:
                write_fitted_clip(video, self.clip.fps, request.width, request.height,
                                  request.fps, request.num_frames, output, wav, encoder)
                return [] if encoder == encoders[0] else [
                    f"NVENC could not encode a {request.width}x{request.height} clip: x264 did"]
            except FFmpegError as error:
                if encoder == encoders[-1]:
                    raise GeneratorError(f"could not encode the generated clip: {error}") \
                        from error
            except FrameCountError as error:
                raise GeneratorError(f"could not encode the generated clip: {error}") from error
        return []

    def _run(self, pipe: Any, request: ClipRequest, plan: Plan, image: Any, height: int,
             width: int, count: int, seed: int, made: int, wanted: int,
             progress: ProgressCallback | None, clock: _Clock) -> Generated:
        import torch

        on_gpu = self.device() == "cuda"
        marks: list[float] = []

        def callback(_pipe, step, _timestep, kwargs):
            if on_gpu:
                torch.cuda.synchronize()  # the step's GPU time, not its launch time
            marks.append(time.perf_counter())
            if progress:
                progress(min(0.99, (made + count * (step + 1) / plan.steps) / wanted))
            return kwargs

        arguments = dict(prompt=self.prompt(request), negative_prompt=request.negative_prompt,
                         image=image, height=height, width=width, num_frames=count,
                         steps=plan.steps, guidance=plan.guidance, schedule=plan.schedule,
                         extra=dict(plan.arguments), callback=callback)
        started = 0.0

        def attempt() -> Generated:
            nonlocal started
            generator = torch.Generator(device="cpu").manual_seed(seed)
            marks.clear()
            started = time.perf_counter()
            with _scheduler(pipe, plan.scheduler):
                return self.call_pipeline(pipe, generator=generator, **arguments)

        out = retry_out_of_memory(attempt, lambda: self._lower_memory(pipe), self.name,
                                  "lower generator.height or use a smaller model")
        ended = time.perf_counter()  # the frames are on the CPU: the GPU is done
        last = marks[-1] if marks else ended
        clock.denoise += last - started
        clock.decode += ended - last
        clock.steps.append([b - a for a, b in itertools.pairwise([started, *marks])])
        return out

    def _lower_memory(self, pipe: Any) -> bool:
        """After an out-of-memory error: free the cache, offload to the CPU (model by model,
        then layer by layer, as the largest models need on small GPUs) and tile the VAE; the
        pipeline keeps these settings for the shots that follow. False: nothing left."""
        import torch

        level = self._memory_level.get(id(pipe), 0)
        if level >= 2:
            return False
        on_gpu = torch.cuda.is_available()
        if on_gpu:
            torch.cuda.empty_cache()
            if level == 0:
                pipe.enable_model_cpu_offload()
            else:
                pipe.enable_sequential_cpu_offload()
        self._memory_level[id(pipe)] = level + 1 if on_gpu else 2
        if hasattr(pipe, "vae"):
            for switch in ("enable_tiling", "enable_slicing"):
                if hasattr(pipe.vae, switch):
                    getattr(pipe.vae, switch)()
        return True


# diffusers' speed switches, one function each --------------------------------------------

def step_cache_config(mode: str, transformer: Any) -> Any:
    """diffusers' config for a step cache (GeneratorSpec.cache) on `transformer`."""
    from diffusers import FirstBlockCacheConfig, TaylorSeerCacheConfig

    if mode == "first-block":
        # The other blocks are skipped while the first block's output moves less than 5 %
        # from the last fully computed step (diffusers' default threshold).
        return FirstBlockCacheConfig(threshold=0.05)
    # Every block is skipped on predicted steps and the output projections (video, and
    # LTX-2's audio) are extrapolated from the last computed steps: diffusers' own patterns
    # look for attention modules called `attn`, which these transformers call attn1/attn2.
    # Computed: the first three steps, then each fifth.
    return TaylorSeerCacheConfig(skip_predict_identifiers=[r"^[^.]*blocks\.\d+$"],
                                 cache_identifiers=[r"^(audio_)?proj_out$"],
                                 taylor_factors_dtype=transformer.dtype)


def use_attention(transformer: Any, name: str, on_gpu: bool) -> str:
    """Switch `transformer` to the attention kernels `name` (GeneratorSpec.attention); ''
    when done, else one line saying why not (PyTorch's SDPA is used then)."""
    with _diffusers_quiet():
        if name == "sdpa" or not on_gpu:
            transformer.set_attention_backend("native")
            return "" if name == "sdpa" else f"attention {name} needs a CUDA GPU: PyTorch SDPA"
        try:
            transformer.set_attention_backend(ATTENTION_BACKENDS[name])
        except (RuntimeError, ImportError, ValueError) as error:
            transformer.set_attention_backend("native")
            return f"attention {name} is not usable here ({str(error).splitlines()[0]}): " \
                "PyTorch SDPA"
    return ""


def compile_blocks(transformer: Any) -> bool:
    """torch.compile each of the transformer's repeated blocks in torch's default mode
    (diffusers' regional compile): the blocks share one compiled graph, so compiling takes
    seconds to a minute where the whole model in max-autotune took minutes per size. Graph
    breaks are allowed, for the step caches' hooks. False: diffusers marks no repeated blocks
    in this transformer."""
    try:
        transformer.compile_repeated_blocks(fullgraph=False)
    except ValueError:
        return False
    return True


@contextmanager
def _scheduler(pipe: Any, settings: tuple[tuple[str, Any], ...]) -> Iterator[None]:
    """For one call, the pipeline's scheduler with `settings` (a distilled schedule wants its
    sigmas as they are, not shifted); then the checkpoint's own again."""
    if not settings:
        yield
        return
    own = pipe.scheduler
    pipe.scheduler = type(own).from_config(own.config, **dict(settings))
    try:
        yield
    finally:
        pipe.scheduler = own


@contextmanager
def _diffusers_quiet() -> Iterator[None]:
    """diffusers warns that attention backends are experimental on every switch."""
    import diffusers.utils.logging as diffusers_logging

    level = diffusers_logging.get_verbosity()
    diffusers_logging.set_verbosity_error()
    try:
        yield
    finally:
        diffusers_logging.set_verbosity(level)


@contextmanager
def _hub_offline() -> Iterator[None]:
    """huggingface_hub contacts the Hub for its request headers even on local-only loads (and
    writes HF_HOME/.agent_harnesses.json); offline mode stops both."""
    from huggingface_hub import constants

    was, constants.HF_HUB_OFFLINE = constants.HF_HUB_OFFLINE, True
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = was


@contextmanager
def _loading_bars_hidden() -> Iterator[None]:
    """from_pretrained's own progress bars would draw over the render's progress display."""
    import diffusers.utils.logging as diffusers_logging
    import transformers.utils.logging as transformers_logging

    shown = [(m, m.is_progress_bar_enabled()) for m in (diffusers_logging, transformers_logging)]
    for module, _ in shown:
        module.disable_progress_bar()
    try:
        yield
    finally:
        for module, enabled in shown:
            if enabled:
                module.enable_progress_bar()


def is_local_folder(model: str) -> bool:
    """Whether `model` names a folder (a path) rather than a hub id ('namespace/name')."""
    return model.startswith(("/", ".", "~")) or model.count("/") > 1 or "\\" in model \
        or Path(model).exists()


def single_file(weights: str) -> tuple[str, str] | None:
    """(repository, file) when `weights` names one file on the hub, a LoRA:
    'owner/name/file.safetensors'; None for a checkpoint, or anything on disk."""
    if not weights.endswith(".safetensors") or weights.count("/") < 2 \
            or weights.startswith(("/", ".", "~")) or Path(weights).exists():
        return None
    owner, name, file = weights.split("/", 2)
    return f"{owner}/{name}", file


def weights_on_disk(weights: str) -> bool:
    """Whether a checkpoint (see checkpoint_on_disk) or a LoRA file is on this machine."""
    hub_file = single_file(weights)
    if hub_file:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(*hub_file), str)
    if weights.endswith(".safetensors"):
        return Path(weights).expanduser().is_file()
    return checkpoint_on_disk(weights)


def checkpoint_on_disk(model: str) -> bool:
    """Whether `model` (a local folder or a hub id in Hugging Face's cache) is here."""
    if is_local_folder(model):
        return (Path(model).expanduser() / "model_index.json").exists()
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(model, "model_index.json"), str)


def model_index_class(model: str, local_only: bool = True) -> str:
    """The pipeline class a checkpoint was saved from (its model_index.json)."""
    index = Path(model) / "model_index.json"
    if not index.exists():
        from huggingface_hub import hf_hub_download

        with _hub_offline() if local_only else contextlib.nullcontext():
            index = Path(hf_hub_download(model, "model_index.json", local_files_only=local_only))
    return json.loads(index.read_text(encoding="utf-8"))["_class_name"]


def text_or_image_pipeline(model: str, local_only: bool, text_class: Any, image_class: Any,
                           **kwargs: Any) -> tuple[Any, Any]:
    """For families whose text- and image-to-video weights are separate checkpoints: the one
    `model` holds, loaded into its slot of (text-to-video, image-to-video)."""
    if model_index_class(model, local_only) == image_class.__name__:
        return None, image_class.from_pretrained(model, local_files_only=local_only, **kwargs)
    return text_class.from_pretrained(model, local_files_only=local_only, **kwargs), None


def _load_image(path: Path, width: int, height: int) -> Image.Image:
    image = Image.open(path).convert("RGB")
    scale = max(width / image.width, height / image.height)
    resized = image.resize((math.ceil(image.width * scale), math.ceil(image.height * scale)),
                           Image.Resampling.LANCZOS)
    left, top = (resized.width - width) // 2, (resized.height - height) // 2
    return resized.crop((left, top, left + width, top + height))
