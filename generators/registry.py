"""Generators by name; `auto` picks the best one this machine can run."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from .base import Generator, GeneratorError

_FACTORIES: dict[str, Callable[[], Generator]] = {}


def register(name: str, factory: Callable[[], Generator]) -> None:
    _FACTORIES[name] = factory


def names() -> list[str]:
    return sorted(_FACTORIES)


def resolve_name(name: str) -> str:
    """The concrete generator `name` stands for (`auto` becomes the best available)."""
    if name == "auto":
        return "animatic"
    if name not in _FACTORIES:
        raise GeneratorError(f"unknown generator {name!r}; available: {', '.join(names())}")
    return name


@cache
def get_generator(name: str) -> Generator:
    """The generator for `name`, built once and reused for every shot."""
    return _FACTORIES[resolve_name(name)]()


def _register_builtin() -> None:
    from .animatic import AnimaticGenerator

    register("animatic", AnimaticGenerator)


_register_builtin()
