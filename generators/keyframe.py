"""What every text-to-image keyframe backend shares: loading once, device and dtype, the CPU
offload switch, local-only loads, a seeded generator, cast reference images through an
IP-Adapter, and fitting the picture to the exact size asked for.

Each backend (flux.py, sdxl.py, sd3.py, sd_turbo.py) only says how to build its pipeline and
what its model is good at, like diffusers' one-pipeline-per-file.
"""

from __future__ import annotations

import math
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

from .base import CheckpointMissing, GeneratorError, ProgressCallback
from .diffusion import (
    _hub_offline,
    _loading_bars_hidden,
    checkpoint_on_disk,
    is_local_folder,
    retry_out_of_memory,
    torch_dtype,
)


@dataclass(frozen=True)
class StillModel:
    """What one model makes best: its native area, size rule and sampling defaults."""

    size_multiple: int
    default_side: int  # trained at about default_side x default_side pixels
    default_steps: int
    default_guidance: float


@dataclass(frozen=True)
class IPAdapter:
    """An IP-Adapter: image-prompt weights plus the CLIP image encoder that reads the pictures.

    `repo` is a hub id or a local folder, the weights `subfolder/weight_name` in it. The
    encoder is the folder `image_encoder` from the root of `repo` (SDXL adapters ship theirs;
    diffusers reads a path with a '/' from the root, a bare name from `subfolder`, so a bare
    name needs no subfolder), or of `encoder_repo` when set (FLUX's is OpenAI's CLIP, at its
    root: ""). `pull` is the name `storyreel models pull` knows the adapter by."""

    pull: str
    repo: str
    weight_name: str
    image_encoder: str
    subfolder: str = ""
    encoder_repo: str | None = None
    scale: float = 0.6
    encoder_files: tuple[str, ...] = ("config.json", "model.safetensors")

    def files(self) -> dict[str, list[str]]:
        """repo -> the files this adapter loads from it."""
        weights = "/".join(p for p in (self.subfolder, self.weight_name) if p)
        encoder = [f"{self.image_encoder}/{name}".lstrip("/") for name in self.encoder_files]
        if self.encoder_repo is None:
            return {self.repo: [weights, *encoder]}
        return {self.repo: [weights], self.encoder_repo: encoder}

    def missing(self) -> str | None:
        """The first of its repositories (or folders) that lacks a file it loads; None: all
        on this machine."""
        from huggingface_hub import try_to_load_from_cache

        for repo, names in self.files().items():
            for name in names:
                if not ((Path(repo).expanduser() / name).is_file() if is_local_folder(repo)
                        else isinstance(try_to_load_from_cache(repo, name), str)):
                    return repo
        return None


@dataclass(frozen=True)
class StillRequest:
    """Everything a keyframe backend needs to make one still; nothing about the pipeline."""

    prompt: str
    width: int
    height: int
    seed: int = 0
    negative_prompt: str = ""
    references: tuple[Path, ...] = field(default_factory=tuple)  # cast pictures to resemble
    model: str | None = None
    steps: int | None = None
    guidance: float | None = None
    dtype: str = "auto"
    offload: bool = False


class KeyframeGenerator(ABC):
    """Text-to-image with a diffusers pipeline, built once per model and reused."""

    name: str
    default_model: str
    still: StillModel
    ip_adapter: IPAdapter | None = None  # None: this family takes no reference images

    def __init__(self) -> None:
        self._pipes: dict[tuple, Any] = {}
        self._adapter_loaded: set[int] = set()  # ids of pipelines holding the IP-Adapter
        self._offloaded: set[int] = set()
        self._lock = threading.Lock()  # one GPU job at a time; pipelines are not re-entrant

    # What each backend provides -----------------------------------------------------

    @abstractmethod
    def load(self, model: str, dtype: Any, local_only: bool) -> Any:
        """Build the text-to-image pipeline for `model`."""

    def pipeline_arguments(self) -> dict:
        """Extra keyword arguments this backend's pipeline takes."""
        return {}

    def load_adapter(self, pipe: Any, adapter: IPAdapter, dtype: Any) -> None:
        """Put the IP-Adapter into `pipe` (diffusers' IPAdapterMixin; FLUX differs)."""
        pipe.load_ip_adapter(adapter.repo, subfolder=adapter.subfolder,
                             weight_name=adapter.weight_name,
                             image_encoder_folder=adapter.image_encoder, local_files_only=True)

    # The shared machinery -------------------------------------------------------------

    def check(self, model: str | None, references: bool = False) -> None:
        """Fail now, not mid-render, when the packages, the checkpoint or (for shots with
        reference images) the IP-Adapter are missing."""
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
        if references:
            adapter = self._adapter()
            missing = adapter.missing()
            if missing is not None:
                raise CheckpointMissing(adapter.pull, missing, "the IP-Adapter that keeps cast "
                                        "members alike from their reference pictures")

    def device(self) -> str:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    def pipeline(self, request: StillRequest) -> Any:
        """The pipeline for the request's model, loaded once and kept."""
        model = request.model or self.default_model
        key = (model, request.dtype, request.offload)
        if key not in self._pipes:
            device = self.device()
            try:
                with _loading_bars_hidden(), _hub_offline():
                    pipe = self.load(model, torch_dtype(request.dtype, device), local_only=True)
            except (OSError, ValueError) as error:
                raise CheckpointMissing(self.name, model, str(error)) from None
            if request.offload and device == "cuda":
                pipe.enable_model_cpu_offload()
                self._offloaded.add(id(pipe))
            else:
                pipe.to(device)
            pipe.set_progress_bar_config(disable=True)
            self._pipes[key] = pipe
        return self._pipes[key]

    def size_for(self, request: StillRequest) -> tuple[int, int]:
        """(height, width) with the request's aspect, at the model's native area (or the
        request's own, if smaller), rounded to what the model accepts."""
        m = self.still.size_multiple
        area = min(self.still.default_side ** 2, request.width * request.height)
        height = math.sqrt(area * request.height / request.width)
        width = height * request.width / request.height
        return max(m, round(height / m) * m), max(m, round(width / m) * m)

    def __call__(self, request: StillRequest,
                 progress: ProgressCallback | None = None) -> Image.Image:
        """Make one still: an RGB picture of exactly `request.width` x `request.height`,
        the same for the same seed.

        Args:
            request: prompt, negative prompt, size, seed, model, steps, guidance, dtype,
                offload and the cast's reference images (which need an IP-Adapter).
            progress: called with the fraction done.
        """
        import torch

        if request.references:
            self._adapter()  # a family without one fails before anything loads
        steps = request.steps or self.still.default_steps
        guidance = self.still.default_guidance if request.guidance is None else request.guidance
        height, width = self.size_for(request)

        def callback(_pipe, step, _timestep, kwargs):
            if progress:
                progress(min(0.99, (step + 1) / steps))
            return kwargs

        with self._lock:
            pipe = self.pipeline(request)
            arguments = dict(prompt=request.prompt, negative_prompt=request.negative_prompt or None,
                             height=height, width=width, num_inference_steps=steps,
                             guidance_scale=guidance, output_type="pil",
                             callback_on_step_end=callback, **self.pipeline_arguments(),
                             **self._references(pipe, request))
            image = self._run(pipe, request.seed, arguments)
            if self.device() == "cuda":
                torch.cuda.empty_cache()
        if progress:
            progress(1.0)
        return ImageOps.fit(image.convert("RGB"), (request.width, request.height),
                            Image.Resampling.LANCZOS)

    def _run(self, pipe: Any, seed: int, arguments: dict) -> Image.Image:
        """One pipeline call; out of memory, once more with CPU offload and a tiled VAE."""
        import torch

        def attempt() -> Image.Image:
            generator = torch.Generator(device="cpu").manual_seed(seed)
            return pipe(generator=generator, **arguments).images[0]

        return retry_out_of_memory(attempt, lambda: self._lower_memory(pipe), self.name,
                                   "lower keyframes width/height or use sd-turbo")

    def _adapter(self) -> IPAdapter:
        if self.ip_adapter is None:
            raise GeneratorError(
                f"{self.name} cannot take reference images (the cast's pictures): use "
                "keyframes name sdxl, sdxl-turbo or flux-schnell, or remove the cast "
                "members' `reference`")
        return self.ip_adapter

    def _references(self, pipe: Any, request: StillRequest) -> dict:
        """The IP-Adapter arguments for a shot with reference images, loading the adapter on
        first use; a shot without them unloads it, since a pipeline holding an IP-Adapter
        refuses calls without an image for it."""
        if not request.references:
            if id(pipe) in self._adapter_loaded:
                pipe.unload_ip_adapter()
                self._adapter_loaded.discard(id(pipe))
            return {}
        adapter = self._adapter()
        if id(pipe) not in self._adapter_loaded:
            try:
                with _loading_bars_hidden(), _hub_offline():
                    self.load_adapter(pipe, adapter, pipe.dtype)
            except (OSError, ValueError) as error:
                raise CheckpointMissing(adapter.pull, adapter.repo, str(error)) from None
            pipe.set_ip_adapter_scale(adapter.scale)
            self._adapter_loaded.add(id(pipe))
        # One adapter given every reference of the shot, whole: its CLIP encoder crops each
        # to a centred square itself, so the character is not cut to the still's aspect.
        return {"ip_adapter_image": [[_rgb(path) for path in request.references]]}

    def _lower_memory(self, pipe: Any) -> bool:
        """After an out-of-memory error: model-by-model CPU offload and a tiled VAE, kept
        for the stills that follow. False: already done."""
        import torch

        if id(pipe) in self._offloaded or not torch.cuda.is_available():
            return False
        torch.cuda.empty_cache()
        pipe.enable_model_cpu_offload()
        if hasattr(pipe.vae, "enable_tiling"):
            pipe.vae.enable_tiling()
        self._offloaded.add(id(pipe))
        return True


def _rgb(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")
