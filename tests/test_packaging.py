"""What a wheel installs: every module folder must be listed, or `pip install storyreel`
(not editable) would miss it while the tests still pass on the source tree."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_folder_with_modules_or_examples_is_packaged():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    wanted = set()
    for package, folder in setuptools["package-dir"].items():
        for source in (ROOT / folder).rglob("*"):
            if source.suffix in {".py", ".yaml", ".tcss"} and "__pycache__" not in source.parts:
                inner = source.parent.relative_to(ROOT / folder).parts
                wanted.add(".".join([package, *inner]))
    assert wanted <= set(setuptools["packages"]), wanted - set(setuptools["packages"])


def test_the_storyreel_command_runs_the_cli_at_the_top_of_the_stack():
    """The console script named in pyproject.toml, as installed, loads and answers --help."""
    from importlib.metadata import entry_points

    from typer.testing import CliRunner

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert declared == {"storyreel": "storyreel.tui.cli:app"}
    installed = entry_points(group="console_scripts", name="storyreel")
    assert [script.value for script in installed] == [declared["storyreel"]]
    result = CliRunner().invoke(next(iter(installed)).load(), ["--help"])
    assert result.exit_code == 0 and "render" in result.output


def test_every_bundled_illustration_and_its_licence_go_into_the_wheel():
    """Files that are not modules reach a wheel only through package-data globs."""
    from fnmatch import fnmatch

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = setuptools["package-data"]["storyreel.generators"]
    folder = ROOT / setuptools["package-dir"]["storyreel.generators"]
    art = [p.relative_to(folder).as_posix() for p in (folder / "art").iterdir()]
    assert {"art/LICENSE", "art/CREDITS.md", "art/index.json"} <= set(art)
    assert [name for name in art if not any(fnmatch(name, p) for p in patterns)] == []
