"""Atomic audio/video capabilities (`storyreel tool NAME`): see registry.py."""

from __future__ import annotations

import importlib
from functools import cache

from .registry import (
    REGISTRY,
    Capability,
    CapabilityError,
    Options,
    all_capabilities,
    capability,
    get_capability,
    run_capability,
)

# One module per capability (or per small family); importing a module registers it.
MODULES: tuple[str, ...] = ()


@cache
def load_all() -> None:
    for module in MODULES:
        importlib.import_module(f"{__name__}.{module}")


__all__ = ["REGISTRY", "Capability", "CapabilityError", "Options", "all_capabilities",
           "capability", "get_capability", "load_all", "run_capability"]
