"""Many videos from one manifest: a YAML list or a CSV with a header, one row per video.

Each row has `storyboard:` (a path relative to the manifest) or `brief:` (planned by the
configured LLM, with optional `seconds`, `aspect`, `voice`, `model`), and an optional `project:`
folder (default: a folder named after the row, beside the manifest). A failing row does not stop
the others; a row whose storyboard has not changed since it last rendered is skipped.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from storyreel.storyboards.atomic import write_text_atomic
from storyreel.storyboards.errors import UserError

from .events import EventSink, ignore
from .project import STORYBOARD, Project


class BatchError(UserError):
    """The manifest itself cannot be used."""

    exit_code = 2


class Row(BaseModel):
    """One video of a batch."""

    model_config = ConfigDict(extra="forbid")

    storyboard: str | None = None
    brief: str | None = None
    seconds: float | None = None
    aspect: str | None = None
    voice: str | None = None
    model: str | None = None
    project: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Row:
        if bool(self.storyboard) == bool(self.brief):
            raise ValueError("give either storyboard: or brief:, not both or neither")
        return self


class Outcome(BaseModel):
    row: int
    project: str
    status: Literal["rendered", "skipped", "failed"]
    seconds: float = 0.0  # wall time spent on the row
    length: float | None = None  # the video's length
    error: str = ""


def read_manifest(path: Path) -> list[Row]:
    """The rows of a YAML or CSV manifest; every bad row named by its number at once."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise BatchError(f"cannot read the batch manifest {path}: {error.strerror}") from None
    if path.suffix.lower() == ".csv":
        raw = [{k.strip(): v.strip() for k, v in row.items() if k and v and v.strip()}
               for row in csv.DictReader(text.splitlines())]
    else:
        try:
            raw = YAML(typ="safe").load(text)
        except YAMLError as error:
            raise BatchError(f"{path}: not valid YAML: {error}") from None
        if not isinstance(raw, list):
            raise BatchError(f"{path}: a batch manifest is a list of rows (- storyboard: ... "
                             "or - brief: ...)")
    rows, problems = [], []
    for number, item in enumerate(raw, start=1):
        try:
            rows.append(Row.model_validate(item))
        except ValidationError as error:
            reasons = "; ".join(e["msg"].removeprefix("Value error, ") for e in error.errors())
            problems.append(f"{path}: row {number}: {reasons}")
    if problems:
        raise BatchError("\n".join(problems))
    if not rows:
        raise BatchError(f"{path}: the manifest has no rows")
    return rows


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "video"


def project_folder(manifest: Path, row: Row, number: int) -> Path:
    if row.project:
        return (manifest.parent / row.project).resolve()
    source = Path(row.storyboard).stem if row.storyboard else row.brief
    return (manifest.parent / f"{number:02d}-{_slug(source)}").resolve()


def _brief_text(row: Row) -> str:
    asks = [row.brief]
    if row.seconds:
        asks.append(f"about {row.seconds:g} seconds long")
    if row.aspect:
        asks.append(f"aspect {row.aspect}")
    if row.voice:
        asks.append(f"narrated with the voice {row.voice}")
    return ", ".join(asks)


class Batch:
    """Renders the rows of a manifest, `jobs` at a time, with `render(storyboard) -> seconds`
    (the caller picks local or farm); remembers what finished in `.NAME.done.json`."""

    def __init__(self, manifest: Path, render: Callable[[Path], float], jobs: int = 1,
                 events: EventSink = ignore,
                 plan: Callable[[str, str | None], dict] | None = None):
        self.manifest = manifest.resolve()
        self.rows = read_manifest(self.manifest)
        self.render, self.jobs, self.events, self.plan = render, max(1, jobs), events, plan
        self.done_path = self.manifest.with_name(f".{self.manifest.name}.done.json")

    def _done(self) -> dict[str, str]:
        try:
            return json.loads(self.done_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def run(self) -> list[Outcome]:
        done = self._done()
        with ThreadPoolExecutor(self.jobs) as pool:
            outcomes = list(pool.map(lambda item: self._row(*item, done),
                                     enumerate(self.rows, start=1)))
        finished = {o.project: done.get(o.project, "") for o in outcomes}
        finished.update({o.project: self._fingerprint(Path(o.project))
                         for o in outcomes if o.status == "rendered"})
        write_text_atomic(self.done_path, json.dumps(
            {k: v for k, v in finished.items() if v}, indent=1))
        return outcomes

    @staticmethod
    def _fingerprint(project: Path) -> str:
        """The storyboard's content and its assets' names, sizes and times."""
        digest = hashlib.sha256((project / STORYBOARD).read_bytes())
        for asset in sorted((project / "assets").rglob("*")) if (project / "assets").exists() \
                else []:
            stat = asset.stat()
            digest.update(f"{asset.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        return digest.hexdigest()

    def _row(self, number: int, row: Row, done: dict[str, str]) -> Outcome:
        folder = project_folder(self.manifest, row, number)
        start = time.perf_counter()
        try:
            storyboard = self._storyboard(row, folder)
            output = folder / "out" / "final.mp4"
            if done.get(str(folder)) == self._fingerprint(folder) and output.exists():
                return Outcome(row=number, project=str(folder), status="skipped")
            length = self.render(storyboard)
        except (UserError, OSError) as error:
            return Outcome(row=number, project=str(folder), status="failed",
                           seconds=time.perf_counter() - start,
                           error=str(error).strip().splitlines()[0] if str(error) else
                           type(error).__name__)
        return Outcome(row=number, project=str(folder), status="rendered",
                       seconds=time.perf_counter() - start, length=length)

    def _storyboard(self, row: Row, folder: Path) -> Path:
        """The row's storyboard file: copied into its project, or planned from its brief once."""
        if row.storyboard:
            source = (self.manifest.parent / row.storyboard).resolve()
            if not source.is_file():
                raise BatchError(f"storyboard {row.storyboard} not found (looked for {source})")
            if folder == source.parent:
                return source
            project = (Project(folder, folder / STORYBOARD) if (folder / STORYBOARD).exists()
                       else Project.create(folder))
            if (source.parent / "assets").is_dir():  # what the storyboard's asset paths name
                shutil.copytree(source.parent / "assets", folder / "assets", dirs_exist_ok=True)
            text = source.read_text(encoding="utf-8")
            if project.storyboard_path.read_text(encoding="utf-8") != text:
                write_text_atomic(project.storyboard_path, text, project.history_dir)
            return project.storyboard_path
        if (folder / STORYBOARD).exists():  # planned by an earlier run: keep the user's edits
            return folder / STORYBOARD
        if self.plan is None:
            raise BatchError("brief rows need an LLM (set STORYREEL_MODEL)")
        return Project.create(folder, data=self.plan(_brief_text(row), row.model)).storyboard_path
