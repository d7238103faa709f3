"""Shot generators: one interface, a registry, the CPU animatic and (optionally) diffusion."""

from .base import ClipOutput, ClipRequest, Generator, GeneratorError
from .registry import get_generator, names, register, resolve_name

__all__ = ["ClipOutput", "ClipRequest", "Generator", "GeneratorError", "get_generator", "names",
           "register", "resolve_name"]
