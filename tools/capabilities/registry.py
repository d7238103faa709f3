"""The registry of atomic audio/video capabilities: one entry per tool, described by data.

Each capability is a plain function `run(inputs, output, options, progress) -> Path` with a
pydantic options model. The same entry feeds `storyreel tool NAME`, the chat agent's tool list,
storyboard `effects:` (for per-shot effects) and the JSON Schema, so adding a capability is one
module (registered in `tools/capabilities/__init__.py`) plus its test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from storyreel.storyboards.errors import UserError

from ..ffmpeg import ProgressCallback

Kind = Literal["picture", "sound", "words", "delivery"]
Runner = Callable[[list[Path], Path, BaseModel, ProgressCallback | None], Path]


class Options(BaseModel):
    """Base of every capability's options: unknown keys are mistakes, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class CapabilityError(UserError):
    """The input cannot be used for this capability (no face to follow, no speech to dub, no
    beats): one line saying why; the input is left untouched."""


@dataclass(frozen=True)
class Capability:
    name: str
    summary: str  # one line, shown by `storyreel tool list`
    kind: Kind
    options: type[BaseModel]
    run: Runner
    inputs: tuple[int, int] = (1, 1)  # how many input files it takes (min, max)
    effect: bool = False  # usable per shot as a storyboard `effects:` entry (video in, video out)
    output_suffix: str = ".mp4"  # the default output's suffix
    extra: str | None = None  # the pip extra it needs beyond the core install, if any


REGISTRY: dict[str, Capability] = {}


def capability(name: str, summary: str, kind: Kind, options: type[BaseModel], *,
               inputs: tuple[int, int] = (1, 1), effect: bool = False,
               output_suffix: str = ".mp4", extra: str | None = None
               ) -> Callable[[Runner], Runner]:
    """Register the decorated function as capability `name`."""
    def register(run: Runner) -> Runner:
        if name in REGISTRY:
            raise ValueError(f"capability {name!r} is registered twice")
        REGISTRY[name] = Capability(name, summary, kind, options, run, inputs, effect,
                                    output_suffix, extra)
        return run
    return register


def get_capability(name: str) -> Capability:
    from . import load_all

    load_all()
    try:
        return REGISTRY[name]
    except KeyError:
        raise CapabilityError(f"no tool named {name!r}; `storyreel tool list` shows them all") \
            from None


def all_capabilities() -> list[Capability]:
    from . import load_all

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
