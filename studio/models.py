"""Checkpoints (video backends, keyframe models and their IP-Adapters): which are on disk, and
fetching one when the user asks (never during a render)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from storyreel.generators.base import GeneratorError
from storyreel.generators.diffusion import checkpoint_on_disk, single_file, weights_on_disk
from storyreel.generators.keyframe import IPAdapter
from storyreel.generators.registry import (
    DIFFUSION_PREFERENCE,
    get_generator,
    get_keyframe_generator,
    keyframe_names,
)


@dataclass(frozen=True)
class ModelStatus:
    generator: str
    model: str
    on_disk: bool
    preset: str = ""  # a video backend's generator.preset ('final', 'draft'); '' elsewhere


def model_statuses() -> list[ModelStatus]:
    """Each video backend's weights per preset (a checkpoint, and a LoRA file where the
    preset has one), each keyframe model's default checkpoint, then each IP-Adapter."""
    out = []
    for name in DIFFUSION_PREFERENCE:
        generator = get_generator(name)
        for preset in generator.presets:
            weights = generator.weights(preset)
            out.append(ModelStatus(name, " + ".join(weights),
                                   all(weights_on_disk(w) for w in weights), preset))
    for name in keyframe_names():
        model = get_keyframe_generator(name).default_model
        out.append(ModelStatus(name, model, checkpoint_on_disk(model)))
    for adapter in ip_adapters().values():
        out.append(ModelStatus(adapter.pull, " + ".join(adapter.files()),
                               adapter.missing() is None))
    return out


def ip_adapters() -> dict[str, IPAdapter]:
    """The IP-Adapters of the keyframe models, by the name `models pull` knows them by."""
    found = (get_keyframe_generator(name).ip_adapter for name in keyframe_names())
    return {adapter.pull: adapter for adapter in found if adapter is not None}


def pull_repos(name: str, preset: str = "final") -> list[str]:
    """The repositories `storyreel models pull NAME` fetches: a video backend's weights for
    `preset` (its checkpoint, and a LoRA file as 'owner/name/file.safetensors'), a keyframe
    model's checkpoint, or an IP-Adapter with its image encoder."""
    if name in DIFFUSION_PREFERENCE:
        generator = get_generator(name)
        if preset not in generator.presets:
            raise GeneratorError(f"{name} has no preset {preset!r}; choose one of "
                                 f"{', '.join(generator.presets)}")
        return generator.weights(preset)
    if name in keyframe_names():
        return [get_keyframe_generator(name).default_model]
    if name in ip_adapters():
        return list(ip_adapters()[name].files())
    raise GeneratorError(f"nothing to pull called {name!r}; choose one of "
                         f"{', '.join([*DIFFUSION_PREFERENCE, *keyframe_names(), *ip_adapters()])}")


WEIGHTS = re.compile(r"\.(safetensors|bin|pt|pth|ckpt|msgpack|h5|onnx)$")
VARIANT = re.compile(r"\.(fp16|bf16|fp32|fp8)\.[a-z0-9]+$")


def pipeline_files(index: dict, files: dict[str, int]) -> dict[str, int]:
    """Of a repository's files (path -> bytes), those a diffusers pipeline loads: its
    model_index.json and the folders of its components, safetensors preferred over other
    weight formats and plain weights over dtype variants. Video repositories often also hold
    the original single-file checkpoints, several times the size of what is used."""
    components = {name for name, value in index.items()
                  if not name.startswith("_") and isinstance(value, list) and value[0]}
    chosen = {path: size for path, size in files.items()
              if path == "model_index.json" or path.split("/")[0] in components and "/" in path}
    plain_safetensors = {path.rsplit("/", 1)[0] for path in chosen
                         if path.endswith(".safetensors") and not VARIANT.search(path)}

    def redundant(path: str) -> bool:
        folder = path.rsplit("/", 1)[0]
        return bool(WEIGHTS.search(path)) and folder in plain_safetensors and (
            not path.endswith(".safetensors") or bool(VARIANT.search(path)))

    return {path: size for path, size in chosen.items() if not redundant(path)}


def download_plan(model: str) -> dict[str, int]:
    """The files `pull` would fetch for `model`, with their sizes (asks the hub; fetches
    only model_index.json). An IP-Adapter's repository (or its image encoder's) holds much
    more than one adapter: only the files the adapter loads."""
    from huggingface_hub import HfApi, hf_hub_download

    hub_file = single_file(model)
    if hub_file:  # a preset's LoRA: that one file
        repo, file = hub_file
        info = HfApi().model_info(repo, files_metadata=True)
        return {s.rfilename: s.size or 0 for s in info.siblings or [] if s.rfilename == file}
    info = HfApi().model_info(model, files_metadata=True)
    files = {s.rfilename: s.size or 0 for s in info.siblings or []}
    wanted = {name for adapter in ip_adapters().values()
              for name in adapter.files().get(model, [])}
    if wanted:
        return {path: size for path, size in files.items() if path in wanted}
    index = json.loads(Path(hf_hub_download(model, "model_index.json")).read_text("utf-8"))
    return pipeline_files(index, files)


def pull(model: str, files: dict[str, int]) -> str:
    """Download those files into Hugging Face's usual cache (with its progress bars)."""
    from huggingface_hub import snapshot_download

    hub_file = single_file(model)
    return snapshot_download(hub_file[0] if hub_file else model, allow_patterns=list(files))
