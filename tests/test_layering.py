"""Imports point one way: storyboards <- tools <- generators, agent <- studio <- tui, with the
command line (tui/cli.py) on top; and no two modules of one package import each other.
Read from the source (every import statement, including those inside functions), so an
import that only runs on some path counts too."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIRS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
    "package-dir"]
LAYERS = {package.removeprefix("storyreel."): Path(folder)
          for package, folder in PACKAGE_DIRS.items()}

BELOW = {
    "storyboards": set(),
    "tools": {"storyboards"},
    "generators": {"storyboards", "tools"},
    # the agent offers the generator names in its tools' schema; generators know no agent
    "agent": {"storyboards", "tools", "generators"},
    "studio": {"storyboards", "tools", "generators", "agent"},
    "tui": {"storyboards", "tools", "generators", "agent", "studio"},
}
CLI = "storyreel.tui.cli"


def modules() -> dict[str, Path]:
    """storyreel.<layer>.<module> -> source file, for every module of every layer."""
    found = {}
    for layer, folder in LAYERS.items():
        for source in sorted((ROOT / folder).rglob("*.py")):
            parts = source.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(["storyreel", layer, *parts])] = source
    return found


def imports(name: str, source: Path, known: set[str]) -> set[str]:
    """The storyreel modules `name` imports; `from package import module` names the module."""
    package = name if source.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names
                         if f"{target}.{alias.name}" in known)
    return {target for target in found if target.startswith("storyreel.")} - {name}


def graph() -> dict[str, set[str]]:
    sources = modules()
    return {name: imports(name, source, set(sources)) for name, source in sources.items()}


def layer(module: str) -> str:
    return module.split(".")[1]


def test_imports_point_down_the_layers():
    wrong = sorted(f"{module} imports {target}" for module, targets in graph().items()
                   for target in targets
                   if layer(target) != layer(module) and layer(target) not in BELOW[layer(module)])
    assert not wrong, "\n".join(wrong)


def test_nothing_imports_the_command_line():
    users = sorted(module for module, targets in graph().items() if CLI in targets)
    assert not users, users


def test_no_import_cycle_inside_a_package():
    edges = {module: {t for t in targets if layer(t) == layer(module)}
             for module, targets in graph().items()}
    groups = _import_each_other(edges)
    assert not groups, "modules that import each other:\n" + "\n".join(map(", ".join, groups))


def _import_each_other(edges: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that reach each other by imports (Tarjan's strongly connected
    components), each sorted; modules on no cycle are left out."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def test_the_checker_sees_imports_inside_functions_and_relative_ones(tmp_path: Path):
    source = tmp_path / "render.py"
    source.write_text("from .cache import Cache\n"
                      "def run():\n"
                      "    from storyreel.tui import app\n"
                      "    from ..tools import video\n")
    known = {"storyreel.tui.app", "storyreel.tools.video"}
    assert imports("storyreel.studio.render", source, known) == {
        "storyreel.studio.cache", "storyreel.tui", "storyreel.tui.app", "storyreel.tools",
        "storyreel.tools.video"}


def test_the_checker_finds_modules_that_import_each_other():
    assert _import_each_other({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
