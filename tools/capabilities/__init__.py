"""Atomic audio/video capabilities (`storyreel tool NAME`): see registry.py."""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

from ..ffmpeg import ProgressCallback
from .registry import REGISTRY, Capability, CapabilityError, Options, capability

# One module per capability (or per small family); importing a module registers it.
MODULES: tuple[str, ...] = (
    # picture
    "reframe", "blur_fill", "scenes", "stabilize", "slowmo", "speed", "reverse", "freeze", "crop",
    "grade", "match_color", "denoise", "sharpen", "upscale", "chroma_key", "pip", "watermark",
    "thumbnail", "gif",
    # sound
    "speech_cuts", "voice", "loudness", "beats", "mixing", "tracks",
    # words
    "transcribe",
)
# Capabilities that need the configured LLM live in the agent layer (tools/ never imports it):
# importing storyreel.agent.capabilities registers them, as the CLI does.


@cache
def load_all() -> None:
    for module in MODULES:
        importlib.import_module(f"{__name__}.{module}")


def get_capability(name: str) -> Capability:
    load_all()
    try:
        return REGISTRY[name]
    except KeyError:
        raise CapabilityError(f"no tool named {name!r}; `storyreel tool list` shows them all") \
            from None


def all_capabilities() -> list[Capability]:
    load_all()
    return sorted(REGISTRY.values(), key=lambda c: (c.kind, c.name))


def run_capability(name: str, inputs: list[Path], output: Path, options: dict | None = None,
                   progress: ProgressCallback | None = None) -> Path:
    """Check the inputs and options, then run capability `name`; the output is written
    atomically (a failed run leaves no file and never touches the inputs)."""
    from storyreel.storyboards.atomic import atomic_path

    entry = get_capability(name)
    low, high = entry.inputs
    if not low <= len(inputs) <= high:
        wanted = str(low) if low == high else f"{low} to {high}"
        raise CapabilityError(f"{name} takes {wanted} input file(s), got {len(inputs)}")
    for path in inputs:
        if not Path(path).is_file():
            raise CapabilityError(f"{name}: input {path} not found")
    if Path(output).resolve() in {Path(p).resolve() for p in inputs}:
        raise CapabilityError(f"{name}: the output would overwrite its input {output}")
    parsed = entry.options.model_validate(options or {})
    with atomic_path(Path(output)) as tmp:
        entry.run([Path(p) for p in inputs], tmp, parsed, progress)
    return Path(output)


__all__ = ["REGISTRY", "Capability", "CapabilityError", "Options", "all_capabilities",
           "capability", "get_capability", "load_all", "run_capability"]
