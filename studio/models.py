"""Video checkpoints: which are on disk, and fetching one when the user asks (never during
a render)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from storyreel.generators.diffusion import checkpoint_on_disk
from storyreel.generators.registry import DIFFUSION_PREFERENCE, get_generator


@dataclass(frozen=True)
class ModelStatus:
    generator: str
    model: str
    on_disk: bool


def model_statuses() -> list[ModelStatus]:
    out = []
    for name in DIFFUSION_PREFERENCE:
        model = get_generator(name).default_model
        out.append(ModelStatus(name, model, checkpoint_on_disk(model)))
    return out


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
    only model_index.json)."""
    from huggingface_hub import HfApi, hf_hub_download

    index = json.loads(Path(hf_hub_download(model, "model_index.json")).read_text("utf-8"))
    info = HfApi().model_info(model, files_metadata=True)
    return pipeline_files(index, {s.rfilename: s.size or 0 for s in info.siblings or []})


def pull(model: str, files: dict[str, int]) -> str:
    """Download those files into Hugging Face's usual cache (with its progress bars)."""
    from huggingface_hub import snapshot_download

    return snapshot_download(model, allow_patterns=list(files))
