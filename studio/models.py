"""Video checkpoints: which are on disk, and fetching one when the user asks (never during
a render)."""

from __future__ import annotations

from dataclasses import dataclass

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


def download_size(model: str) -> int:
    """Bytes the checkpoint's files take (asks the hub; no download)."""
    from huggingface_hub import HfApi

    info = HfApi().model_info(model, files_metadata=True)
    return sum(s.size or 0 for s in info.siblings or [])


def pull(model: str) -> str:
    """Download a checkpoint into Hugging Face's usual cache (with its progress bars)."""
    from huggingface_hub import snapshot_download

    return snapshot_download(model)
