"""Content-addressed cache of stage outputs: a finished artifact is never confused with a
half-written one, so an interrupted render resumes from what was finished."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storyreel.storyboards.atomic import atomic_path

CACHE_FORMAT = 2  # bump when stage outputs change meaning


def content_key(*parts: Any) -> str:
    """A stable hash of JSON-able inputs."""
    blob = json.dumps([CACHE_FORMAT, *parts], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True)
class Entry:
    path: Path
    meta: dict
    cached: bool


class Cache:
    def __init__(self, root: Path):
        self.root = root
        self._making: dict[tuple[str, str], threading.Lock] = {}
        self._locks = threading.Lock()

    def _paths(self, stage: str, key: str, suffix: str) -> tuple[Path, Path]:
        folder = self.root / stage
        return folder / f"{key}{suffix}", folder / f"{key}.meta.json"

    def get(self, stage: str, key: str, suffix: str) -> Entry | None:
        artifact, meta = self._paths(stage, key, suffix)
        if artifact.exists() and meta.exists():
            try:
                return Entry(artifact, json.loads(meta.read_text(encoding="utf-8")), True)
            except (OSError, json.JSONDecodeError):
                return None
        return None

    def produce(self, stage: str, key: str, suffix: str,
                make: Callable[[Path], dict]) -> Entry:
        """Return the cached artifact, or run `make(tmp_path) -> meta` and commit its output.

        The metadata file is written last: its presence is what marks an artifact complete.
        """
        found = self.get(stage, key, suffix)
        if found:
            return found
        with self._locks:  # two shots that need the same entry make it once
            making = self._making.setdefault((stage, key), threading.Lock())
        with making:
            found = self.get(stage, key, suffix)
            return found or self._make(stage, key, suffix, make)

    def _make(self, stage: str, key: str, suffix: str, make: Callable[[Path], dict]) -> Entry:
        artifact, meta_path = self._paths(stage, key, suffix)
        artifact.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(artifact) as tmp:
            meta = make(tmp) or {}
        with atomic_path(meta_path) as tmp_meta:
            tmp_meta.write_text(json.dumps(meta), encoding="utf-8")
        return Entry(artifact, meta, False)


def file_fingerprint(path: Path) -> str:
    """Cheap identity of a user file: name, size and modification time."""
    stat = os.stat(path)
    return f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}"
