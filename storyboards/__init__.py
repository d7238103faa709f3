"""The storyboard model, its YAML file, and example storyboards."""

from importlib.resources import files
from pathlib import Path

from .errors import Problem, StoryboardError
from .model import (
    CastMember,
    GeneratorSpec,
    Keyframes,
    Look,
    Music,
    Shot,
    ShotKeyframe,
    Storyboard,
    Subtitles,
    Voice,
    json_schema,
)
from .prompts import Prompt, compose_prompt
from .yaml_io import (
    dump_document,
    load_storyboard,
    new_document_text,
    parse_document,
    problem_at,
    save_document,
    validate_document,
)


def example_path(name: str) -> Path:
    """Path of a bundled example storyboard, e.g. 'coffee' or 'short'."""
    path = Path(str(files(__package__).joinpath("examples", f"{name}.yaml")))
    if not path.exists():
        raise FileNotFoundError(f"no example storyboard named {name!r}; try: {', '.join(examples())}")
    return path


def examples() -> list[str]:
    return sorted(p.name.removesuffix(".yaml")
                  for p in Path(str(files(__package__).joinpath("examples"))).glob("*.yaml"))


__all__ = [
    "CastMember", "GeneratorSpec", "Keyframes", "Look", "Music", "Problem", "Prompt", "Shot",
    "ShotKeyframe", "Storyboard", "StoryboardError", "Subtitles", "Voice", "compose_prompt",
    "dump_document", "example_path", "examples", "json_schema", "load_storyboard",
    "new_document_text", "parse_document", "problem_at", "save_document", "validate_document",
]
