"""Load and save storyboard YAML, keeping the user's comments, key order and quoting."""

from __future__ import annotations

import difflib
import io
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from .atomic import write_text_atomic
from .errors import Problem, StoryboardError, shot_label
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
        raise StoryboardError(_problems(doc, error.errors()), path) from None


def problem_at(doc: CommentedMap | None, loc: tuple[str | int, ...], message: str,
               hint: str = "") -> Problem:
    """A problem with the value at `loc` (e.g. `("shots", 1, "asset")`), placed at that key's
    line in `doc`, the parsed file (no line for a storyboard that has no file)."""
    line, column = _locate(doc, loc) if doc is not None else (None, None)
    return Problem(message=message, field=".".join(map(str, loc)), line=line, column=column,
                   hint=hint)


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
    """The document as the JSON it stands for: plain dicts, lists and scalars, and a
    whole-number float as the integer the JSON Schema takes it for (`height: 720.0`)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, float):
        return int(node) if node.is_integer() else float(node)
    for kind in (int, str):  # ruamel's scalar subclasses keep quoting and format
        if isinstance(node, kind):
            return kind(node)
    return node


# Errors that say the value has the right type but is out of bounds: within a union, the
# member the user meant.
_BOUNDS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "multiple_of",
           "too_short", "too_long", "string_too_short", "string_too_long",
           "string_pattern_mismatch"}
_WORDS = {"float_type": "be a number", "int_type": "be a whole number",
          "int_from_float": "be a whole number", "string_type": "be text",
          "bool_type": "be true or false", "model_type": "be a mapping (key: value lines)",
          "list_type": "be a list (lines starting with '- ')"}


def _problems(doc: CommentedMap, errors: list[dict]) -> list[Problem]:
    """One problem per key, in the user's words: the errors pydantic gives for each member of
    a union at one key (`duration.literal['auto']`, `duration.constrained-float`) make one."""
    by_key: dict[tuple, list[dict]] = {}
    for error in errors:
        by_key.setdefault(_keys(tuple(error["loc"])), []).append(error)
    return [_problem(doc, loc, group) for loc, group in by_key.items()]


def _keys(loc: tuple) -> tuple:
    """The document keys and list indexes in a pydantic error location, without the union
    member tags that follow a field that is not a model."""
    model: type[BaseModel] | None = Storyboard
    keys: list[str | int] = []
    for part in loc:
        if isinstance(part, str):
            if model is None:
                break
            field = model.model_fields.get(part)
            model = _model_of(field.annotation) if field else None
        keys.append(part)
    return tuple(keys)


def _problem(doc: CommentedMap, loc: tuple, errors: list[dict]) -> Problem:
    if len(loc) >= 2 and loc[0] == "shots" and isinstance(loc[1], int):
        shots = doc.get("shots")
        shot = shots[loc[1]] if isinstance(shots, list) and loc[1] < len(shots) else None
        subject = shot_label(loc[1], shot.get("id") if isinstance(shot, dict) else None)
        key = ".".join(map(str, loc[2:]))
    else:
        subject, key = "", ".".join(map(str, loc))
    kind, hint = errors[0]["type"], ""
    needs = [_requirement(error) for error in errors]
    if kind == "extra_forbidden":
        text, hint = f"unknown key {key!r}", _did_you_mean(loc)
    elif kind == "missing":
        text = f"required key {key!r} is missing"
    elif all(needs):
        bounded = [_requirement(error) for error in errors if error["type"] in _BOUNDS]
        text = f"{key or subject} must {_either(bounded or needs)} (got {_shown(errors[0])})"
        subject = subject if key else ""
    else:
        text = errors[0]["msg"].removeprefix("Value error, ")
        subject = ": ".join(part for part in (subject, key) if part)
    return problem_at(doc, loc, f"{subject}: {text}" if subject else text, hint)


def _requirement(error: dict) -> str | None:
    """What the value must do, as words after 'must' ('be a number'), if pydantic says."""
    if error["type"] in _WORDS:
        return _WORDS[error["type"]]
    if error["type"] == "too_short" and "min_length" in error.get("ctx", {}):
        count = error["ctx"]["min_length"]
        return f"have at least {count} item{'s' if count != 1 else ''}"
    found = re.match(r"\w+ should (.+)", error["msg"])
    return found.group(1) if found else None


def _either(needs: list[str | None]) -> str:
    """'be a number', "be 'auto'" -> "be a number or 'auto'"."""
    unique = list(dict.fromkeys(need for need in needs if need))
    verb = "be " if all(need.startswith("be ") for need in unique) else ""
    words = [need.removeprefix(verb) for need in unique]
    return verb + (", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0])


def _shown(error: dict) -> str:
    shown = repr(error.get("input"))
    return shown if len(shown) <= 60 else shown[:57] + "..."


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
