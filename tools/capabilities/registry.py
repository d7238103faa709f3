"""The registry of atomic audio/video capabilities: one entry per tool, described by data.

Each capability is a plain function `run(inputs, output, options, progress) -> Path` with a
pydantic options model. The same entry feeds `storyreel tool NAME`, the chat agent's tool list,
storyboard `effects:` (for per-shot effects) and the JSON Schema, so adding a capability is one
module (listed in `tools/capabilities/__init__.py`, which also looks capabilities up) plus
its test.
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
