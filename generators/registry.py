"""Generators by name; `auto` picks the best one this machine can run."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path

from .base import Generator, GeneratorError
from .diffusion import checkpoint_on_disk
from .keyframe import KeyframeGenerator

_FACTORIES: dict[str, Callable[[], Generator]] = {}
_BUILT: dict[str, Generator] = {}
_BUILDING = threading.Lock()  # shots are made in parallel: two first uses must not build two
# Text-to-image keyframe backends: the same rules, their own names (`keyframes.name`).
_KEYFRAME_FACTORIES: dict[str, Callable[[], KeyframeGenerator]] = {}
_KEYFRAMES_BUILT: dict[str, KeyframeGenerator] = {}


def register(name: str, factory: Callable[[], Generator]) -> None:
    """Make `factory` the generator called `name` (replacing one already built)."""
    with _BUILDING:
        _FACTORIES[name] = factory
        _BUILT.pop(name, None)


def names() -> list[str]:
    return sorted(_FACTORIES)


DIFFUSION_PREFERENCE = ("ltx-2", "ltx-video", "wan", "cogvideox")


def resolve_name(name: str) -> str:
    """The concrete generator `name` stands for (`auto` becomes the best available)."""
    if name == "auto":
        return auto_choice()[0]
    if name not in _FACTORIES:
        raise GeneratorError(f"unknown generator {name!r}; available: {', '.join(names())}")
    return name


def get_generator(name: str) -> Generator:
    """The generator for `name`, built once and reused for every shot.

    Keyed by the concrete name, so `auto` and the backend it stands for are one object: one
    model in GPU memory and one lock that keeps GPU jobs one at a time."""
    concrete = resolve_name(name)
    with _BUILDING:
        if concrete not in _BUILT:
            _BUILT[concrete] = _FACTORIES[concrete]()
        return _BUILT[concrete]


def register_keyframes(name: str, factory: Callable[[], KeyframeGenerator]) -> None:
    """Make `factory` the keyframe backend called `name` (replacing one already built)."""
    with _BUILDING:
        _KEYFRAME_FACTORIES[name] = factory
        _KEYFRAMES_BUILT.pop(name, None)


def keyframe_names() -> list[str]:
    return sorted(_KEYFRAME_FACTORIES)


def get_keyframe_generator(name: str) -> KeyframeGenerator:
    """The keyframe backend `name`, built once and reused: one model in memory for every
    shot's still."""
    with _BUILDING:
        if name not in _KEYFRAME_FACTORIES:
            raise GeneratorError(f"unknown keyframe model {name!r}; available: "
                                 f"{', '.join(keyframe_names())}")
        if name not in _KEYFRAMES_BUILT:
            _KEYFRAMES_BUILT[name] = _KEYFRAME_FACTORIES[name]()
        return _KEYFRAMES_BUILT[name]


def auto_choice() -> tuple[str, str]:
    """(generator, why): a diffusion backend when a CUDA GPU and its checkpoint are both on
    this machine; else stock footage when a stock key is set and its provider takes it
    (unreachable or refused: the animatic, and `why` says so); else the CPU animatic.

    Checked on every call (a few file lookups; the stock provider's answer is remembered for
    a few minutes): a checkpoint pulled while the studio is open is used by the next render."""
    name, why = _diffusion_choice()
    if name != "animatic":
        return name, why
    from .stock import auto_stock

    use_stock, reason = auto_stock()
    return ("stock", reason) if use_stock else ("animatic", reason or why)


def nvidia_driver_present() -> bool:
    """Whether this machine could have a CUDA GPU at all: on Linux, the NVIDIA driver's files;
    elsewhere assumed so (torch then gives the answer)."""
    if not sys.platform.startswith("linux"):
        return True
    return Path("/proc/driver/nvidia/version").exists() or Path("/dev/nvidia0").exists()


def _diffusion_choice() -> tuple[str, str]:
    import importlib.util

    if importlib.util.find_spec("diffusers") is None or importlib.util.find_spec("torch") is None:
        return "animatic", "diffusion extra not installed"
    if not nvidia_driver_present():  # asked before importing torch, which costs ~0.5 GB
        return "animatic", "no CUDA GPU: auto uses the CPU animatic generator"
    import torch

    if not torch.cuda.is_available():
        return "animatic", "no CUDA GPU: auto uses the CPU animatic generator"
    for name in DIFFUSION_PREFERENCE:
        generator = _FACTORIES[name]
        if checkpoint_on_disk(generator.default_model):
            return name, f"GPU and {generator.default_model} found"
    return "animatic", ("GPU found but no video checkpoint on disk: auto uses the animatic "
                        "generator (storyreel models pull ltx-video)")


def _stock() -> Generator:
    from .stock import StockGenerator  # imports the HTTP client only when stock is used

    return StockGenerator()


def _register_builtin() -> None:
    from .animatic import AnimaticGenerator
    from .cogvideox import CogVideoXGenerator
    from .flux import FluxKeyframes
    from .ltx2 import LTX2Generator
    from .ltx_video import LTXVideoGenerator
    from .sd3 import SD3Keyframes
    from .sd_turbo import SDTurboKeyframes
    from .sdxl import SDXLKeyframes, SDXLTurboKeyframes
    from .stills import StillsGenerator
    from .wan import WanGenerator

    register("animatic", AnimaticGenerator)
    register("stills", StillsGenerator)
    register("stock", _stock)
    for backend in (LTX2Generator, LTXVideoGenerator, WanGenerator, CogVideoXGenerator):
        register(backend.name, backend)
    for keyframes in (FluxKeyframes, SDXLKeyframes, SDXLTurboKeyframes, SD3Keyframes,
                      SDTurboKeyframes):
        register_keyframes(keyframes.name, keyframes)


_register_builtin()
