"""`storyreel tool`: every capability of the registry on the command line.

`tool list`, `tool schema`, `tool NAME --help` and `tool NAME IN... -o OUT --key value`. The
options of a tool are read from its pydantic model, never declared twice: the arguments are
split into inputs and `--key value` pairs here, pydantic alone converts and checks the values,
and `--help` is drawn from the model's JSON Schema (description, type, choices, range,
default). So a new capability needs no CLI code, and every mistake, from an unknown option to
a value out of range, ends in one line naming the option, with exit code 2.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

import storyreel.agent.capabilities  # noqa: F401  (registers the tools that need the LLM)
import storyreel.studio.timeline_export  # noqa: F401  (registers the tool `otio`)
from storyreel.storyboards.errors import UserError
from storyreel.tools.capabilities import Capability, all_capabilities, get_capability
from storyreel.tools.capabilities import run_capability as run_tool
from storyreel.tools.ffmpeg import FFmpegError

BAD_USE = 2  # exit code for a bad option or input, as for any usage error
KIND_TITLES = {"picture": "Picture", "sound": "Sound", "words": "Words", "delivery": "Delivery"}
HELP = ("-h", "--help")

err = Console(stderr=True)
out = Console()


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def tool(ctx: typer.Context) -> None:
    """Atomic audio/video tools: `tool list`, `tool NAME --help`, `tool NAME IN... -o OUT`.

    `storyreel tool list` shows every tool, `storyreel tool NAME --help` a tool's options, and
    `storyreel tool NAME IN... -o OUT [--key value ...]` runs one.
    """
    args = list(ctx.args)
    if not args or args[0] in HELP:
        out.print(overview(), highlight=False)
        return
    name, rest = args[0], args[1:]
    if name == "list":
        list_tools()
    elif name == "schema":
        print(json.dumps(tools_schema(), indent=2))
    else:
        try:
            entry = get_capability(name)
        except UserError as error:
            fail(str(error), BAD_USE)
        if any(arg in HELP for arg in rest):
            out.print(tool_help(entry), highlight=False)
            return
        run_command(entry, rest)


def overview() -> str:
    return ("Usage: storyreel tool list | schema | NAME --help | NAME IN... [-o OUT] "
            "[--key value ...]\n\n"
            "  list     every tool with what it does, grouped by kind\n"
            "  schema   every tool's options as JSON Schema\n"
            "  NAME     run a tool; `storyreel tool NAME --help` shows its options")


def list_tools() -> None:
    """Every tool with its one-line summary, grouped by kind."""
    for kind, title in KIND_TITLES.items():
        entries = [entry for entry in all_capabilities() if entry.kind == kind]
        if not entries:
            continue
        table = Table(title=title, title_justify="left", title_style="bold", show_header=False,
                      box=None, pad_edge=False)
        table.add_column("tool", style="cyan", no_wrap=True)
        table.add_column("what it does")
        for entry in entries:
            notes = [note for note, shown in (("per-shot effect", entry.effect),
                                              (f"needs [{entry.extra}]", bool(entry.extra)))
                     if shown]
            suffix = f" [dim]({escape(', '.join(notes))})[/]" if notes else ""
            table.add_row(entry.name, escape(entry.summary) + suffix)
        out.print(table)
        out.print()


def tools_schema() -> dict[str, Any]:
    """One JSON document: for each tool, its summary, kind, inputs and its options' schema."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "storyreel tools",
        "tools": {entry.name: {"summary": entry.summary, "kind": entry.kind,
                               "effect": entry.effect,
                               "inputs": {"min": entry.inputs[0], "max": entry.inputs[1]},
                               "output_suffix": entry.output_suffix, "extra": entry.extra,
                               "options": entry.options.model_json_schema()}
                  for entry in all_capabilities()},
    }


def _fields(entry: Capability) -> dict[str, dict[str, Any]]:
    """Each option's JSON Schema, `X | None` unwrapped to `X`."""
    found = {}
    for name, spec in entry.options.model_json_schema().get("properties", {}).items():
        choices = [part for part in spec.get("anyOf", []) if part.get("type") != "null"]
        found[name] = {**spec, **choices[0]} if len(choices) == 1 else spec
    return found


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _metavar(spec: dict[str, Any]) -> str:
    if "enum" in spec:
        return "|".join(str(choice) for choice in spec["enum"])
    if spec.get("type") == "array":
        return _metavar(spec.get("items", {})) + " ..."
    if spec.get("format") in ("file-path", "path"):
        return "FILE"
    return {"integer": "INTEGER", "number": "NUMBER", "string": "TEXT"}.get(spec.get("type", ""),
                                                                           "VALUE")


def _range(spec: dict[str, Any]) -> str:
    bounds = [f"{sign} {spec[key]:g}" for key, sign in (("minimum", ">="),
                                                      ("exclusiveMinimum", ">"),
                                                      ("maximum", "<="),
                                                      ("exclusiveMaximum", "<")) if key in spec]
    return ", ".join(bounds)


def tool_help(entry: Capability) -> Table:
    """`tool NAME --help`: usage, what it does, and each option from the model."""
    low, high = entry.inputs
    inputs = " ".join(["IN"] * low) + (" [IN...]" if high > low else "")
    notes = [f"Takes {low if low == high else f'{low} to {high}'} input file(s)."]
    if entry.extra:
        notes.append(f"Needs the {entry.extra} extra: pip install 'storyreel[{entry.extra}]'.")
    if entry.effect:
        notes.append("Also usable per shot as a storyboard effect.")
    table = Table(title=escape(f"Usage: storyreel tool {entry.name} {inputs} [-o OUT] [OPTIONS]"
                               f"\n\n{entry.summary}. {' '.join(notes)}\n"), title_justify="left",
                  title_style="", show_header=False, box=None, pad_edge=False)
    table.add_column("option", style="cyan", no_wrap=True)
    table.add_column("what it sets")
    table.add_row("-o, --output FILE", "the file written (default: beside the first input, "
                  f"IN-{entry.name}{entry.output_suffix})")
    required = set(entry.options.model_json_schema().get("required", []))
    for name, spec in _fields(entry).items():
        if spec.get("type") == "boolean":
            option = f"{_flag(name)} / --no-{_flag(name)[2:]}"
        else:
            option = f"{_flag(name)} {_metavar(spec)}"
        facts = [fact for fact in (_range(spec), "required" if name in required else "",
                                   f"default: {json.dumps(spec['default'])}"
                                   if spec.get("default") is not None else "") if fact]
        text = spec.get("description", "") + (f"  [dim]\\[{escape('; '.join(facts))}][/]"
                                              if facts else "")
        table.add_row(escape(option), text)
    return table


def parse_arguments(entry: Capability, args: list[str]) -> tuple[list[Path], Path | None,
                                                                  dict[str, Any]]:
    """Split a tool's arguments into inputs, the output and its options (values still as
    typed; pydantic converts them). Unknown options fail here, in one line."""
    fields = _fields(entry)
    flags = {_flag(name): name for name in fields}
    inputs: list[Path] = []
    output: Path | None = None
    options: dict[str, Any] = {}
    tokens = iter(args)
    for token in tokens:
        if token == "--":
            inputs.extend(Path(rest) for rest in tokens)
            break
        if not token.startswith("-") or token == "-":
            inputs.append(Path(token))
            continue
        key, has_value, value = token.partition("=")
        if key in ("-o", "--output"):
            output = Path(value if has_value else _value(entry, key, tokens))
            continue
        negative = key.startswith("--no-") and key.replace("--no-", "--", 1) in flags
        name = flags.get(key.replace("--no-", "--", 1) if negative else key)
        if name is None:
            fail(f"{entry.name}: no option {key}; `storyreel tool {entry.name} --help` lists "
                 "them", BAD_USE)
        spec = fields[name]
        if spec.get("type") == "boolean" and not has_value:
            options[name] = not negative
            continue
        if negative:
            fail(f"{entry.name}: {key} is not a switch", BAD_USE)
        given = value if has_value else _value(entry, key, tokens)
        if spec.get("type") == "array":
            options.setdefault(name, []).append(given)
        else:
            # a choice is matched as text, so `--rotate 90` selects the number 90
            options[name] = next((choice for choice in spec.get("enum", [])
                                  if str(choice) == given), given)
    return inputs, output, options


def _value(entry: Capability, key: str, tokens: Iterator[str]) -> str:
    try:
        return next(tokens)
    except StopIteration:
        fail(f"{entry.name}: {key} needs a value", BAD_USE)


def run_command(entry: Capability, args: list[str]) -> None:
    """Parse and check the arguments, run the tool with a progress bar, say what it wrote."""
    inputs, output, options = parse_arguments(entry, args)
    try:
        entry.options.model_validate(options)
    except ValidationError as error:
        fail(f"{entry.name}: {describe(error)}", BAD_USE)
    if not inputs:
        fail(f"{entry.name}: no input file given (storyreel tool {entry.name} IN... -o OUT)",
             BAD_USE)
    if output is None:
        output = inputs[0].with_name(f"{inputs[0].stem}-{entry.name}{entry.output_suffix}")
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
               TimeElapsedColumn())
    try:
        with Progress(*columns, console=err, transient=True) as progress:
            task = progress.add_task(entry.name, total=1.0)
            result = run_tool(entry.name, inputs, output, options,
                              lambda done: progress.update(task, completed=done))
    except FFmpegError as error:
        if error.disk_full:
            fail(f"{entry.name}: the disk is full; free some space and run it again")
        fail(f"{entry.name}: ffmpeg failed: {error.summary}", BAD_USE)
    except UserError as error:
        message = str(error)
        fail(message if message.startswith(entry.name) else f"{entry.name}: {message}", BAD_USE)
    except OSError as error:
        fail(f"{entry.name}: {error}")
    except KeyboardInterrupt:
        fail(f"{entry.name}: interrupted; nothing was written", 130)
    out.print(f"[green]wrote[/] {escape(str(result))}", highlight=False, soft_wrap=True)


def describe(error: ValidationError) -> str:
    """pydantic's complaints in the command line's words: `--factor: input should be greater
    than or equal to 0.1 (got -3)`."""
    parts = []
    for item in error.errors(include_url=False):
        where = _flag(str(item["loc"][0])) if item["loc"] else ""
        message = item["msg"].removeprefix("Value error, ")
        message = message[:1].lower() + message[1:]
        given = item.get("input")
        shown = (f" (got {given})" if where and item["type"] != "missing"
                 and isinstance(given, str | int | float) else "")
        parts.append(f"{where}: {message}{shown}" if where else message)
    return "; ".join(parts)
