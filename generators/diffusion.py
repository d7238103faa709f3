"""What every diffusers video backend shares: loading once, device and dtype, memory switches,
out-of-memory retry, extending a shot past one model clip, and fitting the result to the
shot's exact frame count, frame rate and size.

Each backend (ltx2.py, ltx_video.py, wan.py, cogvideox.py) only says how to build its
pipelines and how to call them, like diffusers' one-pipeline-per-file.
"""

from __future__ import annotations

import contextlib
import json
import math
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from storyreel.tools.ffmpeg import FFmpegError
from storyreel.tools.video import FrameCountError, write_fitted_clip

from .base import CheckpointMissing, ClipOutput, ClipRequest, GeneratorError, ProgressCallback
from .sound import SoundTrack


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


def torch_dtype(name: str, device: str):
    import torch

    if name == "auto":
        if device != "cuda":
            return torch.float32
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[name]


def is_out_of_memory(error: BaseException) -> bool:
    import torch

    return isinstance(error, torch.OutOfMemoryError) or "out of memory" in str(error).lower()


@dataclass(frozen=True)
class Generated:
    """One pipeline call's output: frames as float32 (F, H, W, 3) in [0, 1] and, from
    backends that make sound, float32 audio (samples, channels) at `sample_rate`."""

    frames: np.ndarray
    audio: np.ndarray | None = None
    sample_rate: int = 0


class DiffusionGenerator(ABC):
    """Text/image-to-video with a diffusers pipeline, built once per model and reused."""

    name: str
    default_model: str
    clip: ModelClip
    makes_sound = False

    def __init__(self) -> None:
        self._pipes: dict[tuple, Any] = {}
        self._memory_level: dict[int, int] = {}  # pipeline id -> 1 model, 2 layer offload
        self._lock = threading.Lock()  # one GPU job at a time; pipelines are not re-entrant

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
                      generator: Any, callback: Any) -> Generated:
        """Run one pipeline call."""
        extra = {"image": image} if image is not None else {}
        result = pipe(prompt=prompt, negative_prompt=negative_prompt or None, height=height,
                      width=width, num_frames=num_frames, num_inference_steps=steps,
                      guidance_scale=guidance, generator=generator, output_type="np",
                      callback_on_step_end=callback, **self.pipeline_arguments(pipe), **extra)
        return self.unpack(pipe, result)

    def unpack(self, pipe: Any, result: Any) -> Generated:
        """The frames (and sound) of a pipeline's output."""
        return Generated(np.asarray(result.frames[0], dtype=np.float32))

    # The shared machinery -------------------------------------------------------------

    def check(self, model: str | None) -> None:
        """Fail now, not mid-render, when the packages or the checkpoint are missing."""
        import importlib.util

        if any(importlib.util.find_spec(p) is None for p in ("torch", "diffusers", "transformers")):
            raise GeneratorError(
                f"{self.name} needs the diffusion extra: install a torch build for this "
                "machine, then pip install 'storyreel[diffusion]'")
        model = model or self.default_model
        if not checkpoint_on_disk(model):
            if is_local_folder(model):
                raise GeneratorError(
                    f"{self.name}: {model} is not a checkpoint folder (it has no "
                    "model_index.json; save one with save_pretrained, or give a hub id)")
            raise CheckpointMissing(self.name, model)

    @property
    def text_to_video(self) -> bool:
        return True

    @property
    def image_to_video(self) -> bool:
        return True

    def device(self) -> str:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    def pipelines(self, request: ClipRequest) -> tuple[Any, Any | None]:
        """The pipelines for the request's model, loaded once and kept."""
        model = request.model or self.default_model
        key = (model, request.dtype, request.offload, request.compile)
        if key not in self._pipes:
            device = self.device()
            try:
                with _loading_bars_hidden(), _hub_offline():
                    text, image = self.load(model, torch_dtype(request.dtype, device),
                                            local_only=True)
            except (OSError, ValueError) as error:
                raise CheckpointMissing(self.name, model, str(error)) from None
            for pipe in (p for p in (text, image) if p is not None):
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
        if request.compile and device == "cuda":
            import torch

            pipe.transformer = torch.compile(pipe.transformer, mode="max-autotune")
        pipe.set_progress_bar_config(disable=True)

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
        then fitted to the exact frame count, frame rate and size of the shot."""
        import torch

        with self._lock:
            text_pipe, image_pipe = self.pipelines(request)
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
                out = self._run(pipe, request, conditioning if pipe is image_pipe else None,
                                height, width, count, request.seed + index, made, wanted,
                                progress)
                # A continuation's first frame repeats the frame it was conditioned on.
                skip = 1 if segments and pipe is image_pipe else 0
                frames = out.frames[skip:]
                segments.append(frames)
                if out.audio is not None:
                    sound.append(out.audio, out.sample_rate, skip / self.clip.fps,
                                 len(frames) / self.clip.fps)
                made += len(frames)
                conditioning = Image.fromarray((frames[-1] * 255).round().astype(np.uint8))
                index += 1
            video = np.concatenate(segments)[:wanted]
            if self.device() == "cuda":
                torch.cuda.empty_cache()
        with tempfile.TemporaryDirectory(prefix=".part-", dir=output.parent) as folder:
            wav = sound.write(Path(folder) / "sound.wav") if sound.samples is not None else None
            try:
                write_fitted_clip(video, self.clip.fps, request.width, request.height,
                                  request.fps, request.num_frames, output, wav)
            except (FFmpegError, FrameCountError) as error:
                raise GeneratorError(f"could not encode the generated clip: {error}") from error
        if progress:
            progress(1.0)
        return ClipOutput(output, request.num_frames, request.fps, request.width, request.height,
                          self.name, has_sound=sound.samples is not None)

    def _run(self, pipe: Any, request: ClipRequest, image: Any, height: int, width: int,
             count: int, seed: int, made: int, wanted: int,
             progress: ProgressCallback | None) -> Generated:
        import torch

        steps = request.steps or self.clip.default_steps
        guidance = self.clip.default_guidance if request.guidance is None else request.guidance

        def callback(_pipe, step, _timestep, kwargs):
            if progress:
                progress(min(0.99, (made + count * (step + 1) / steps) / wanted))
            return kwargs

        arguments = dict(prompt=self.prompt(request), negative_prompt=request.negative_prompt,
                         image=image, height=height, width=width, num_frames=count, steps=steps,
                         guidance=guidance, callback=callback)
        while True:
            generator = torch.Generator(device="cpu").manual_seed(seed)
            try:
                return self.call_pipeline(pipe, generator=generator, **arguments)
            except (RuntimeError, MemoryError) as error:
                if not is_out_of_memory(error):
                    raise
                if not self._lower_memory(pipe):
                    raise GeneratorError(
                        f"{self.name}: out of GPU memory even with CPU offload and VAE "
                        "tiling; lower generator.height or use a smaller model") from error

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
