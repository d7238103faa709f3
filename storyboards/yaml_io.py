"""Load and save storyboard YAML, keeping the user's comments, key order and quoting."""

from __future__ import annotations

import difflib
import io
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from .atomic import write_text_atomic
from .errors import Problem, StoryboardError
from .model import Storyboard


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    return yaml


def parse_document(text: str, path: Path | str | None = None) -> CommentedMap:
    """Parse YAML text into a round-trip document; syntax errors name the line."""
    try:
        data = _yaml().load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = (error.problem or error.context or "invalid YAML").strip()
        raise StoryboardError([Problem(
            message=f"YAML syntax error: {problem}",
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            hint="check indentation and quote text that contains ': ' or starts with a symbol",
        )], path) from None
    if not isinstance(data, CommentedMap):
        raise StoryboardError([Problem(
            message="a storyboard must be a mapping with 'title' and 'shots'", line=1,
            hint="start from `storyreel new DIR` or an example in storyboards/examples/",
        )], path)
    return data


def validate_document(doc: CommentedMap, path: Path | str | None = None) -> Storyboard:
    """Validate a parsed document; every problem is reported with its line and column."""
    try:
        return Storyboard.model_validate(_plain(doc))
    except ValidationError as error:
        raise StoryboardError([_problem(doc, e) for e in error.errors()], path) from None


def load_storyboard(path: Path | str) -> tuple[Storyboard, CommentedMap]:
    """Read a storyboard file: the validated model and the round-trip document."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StoryboardError([Problem(message="file not found",
                                       hint="create one with `storyreel new DIR`")], path) from None
    except (OSError, UnicodeDecodeError) as error:
        raise StoryboardError([Problem(message=f"cannot read file: {error}")], path) from None
    doc = parse_document(text, path)
    return validate_document(doc, path), doc


def dump_document(doc: CommentedMap) -> str:
    stream = io.StringIO()
    _yaml().dump(doc, stream)
    return stream.getvalue()


def new_document_text(data: dict) -> str:
    """YAML for new storyboard data, validated first (invalid data is never written)."""
    Storyboard.model_validate(data)
    stream = io.StringIO()
    _yaml().dump(data, stream)
    doc = parse_document(stream.getvalue())
    if isinstance(doc.get("format"), dict) and "aspect" in doc["format"]:
        # Unquoted 16:9 is a base-60 number to YAML 1.1 readers.
        doc["format"]["aspect"] = DoubleQuotedScalarString(doc["format"]["aspect"])
    doc.yaml_set_start_comment(f"{data.get('title', 'storyboard')}: made by storyreel. Edit "
                               "freely; `storyreel render storyboard.yaml` redoes what changed.")
    return dump_document(doc)


def save_document(doc: CommentedMap, path: Path | str, backup_dir: Path | None = None) -> None:
    """Validate then write atomically; an invalid document never replaces the file."""
    validate_document(doc, path)
    write_text_atomic(Path(path), dump_document(doc), backup_dir)


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _problem(doc: CommentedMap, error: dict) -> Problem:
    loc = tuple(error["loc"])
    field = ".".join(str(part) for part in loc)
    line, column = _locate(doc, loc)
    message = error["msg"]
    hint = ""
    if error["type"] == "extra_forbidden":
        message = f"unknown key {loc[-1]!r}"
        hint = _did_you_mean(loc)
    elif error["type"] == "missing":
        message = f"required key {loc[-1]!r} is missing"
    elif error["type"].endswith("_type") or error["type"].endswith("_parsing"):
        hint = f"got {error.get('input')!r}"
    return Problem(message=message, field=field, line=line, column=column, hint=hint)


def _locate(doc: Any, loc: tuple) -> tuple[int | None, int | None]:
    """Line and column (1-based) of the deepest node of `loc` that exists in the document."""
    node, best = doc, (1, 1)
    for part in loc:
        try:
            if isinstance(node, CommentedMap) and part in node:
                line, col = node.lc.key(part)
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                line, col = node.lc.item(part)
            else:
                break
        except (KeyError, TypeError, IndexError):
            break  # added in code, not read from a file: no position of its own
        best = (line + 1, col + 1)
        node = node[part]
    return best


def _did_you_mean(loc: tuple) -> str:
    model: type[BaseModel] | None = Storyboard
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(str(part))
        model = _model_of(field.annotation) if field else None
    names = list(model.model_fields) if model else []
    close = difflib.get_close_matches(str(loc[-1]), names, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    return "known keys: " + ", ".join(names) if names else ""


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found:
            return found
    return None
