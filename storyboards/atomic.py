"""Atomic file writes: a reader never sees half a file, and the previous version is kept."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path


def _default_mode() -> int:
    """Mode a plainly created file gets (0o666 minus the umask); mkstemp would give 0o600."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _default_mode()
PART = ".part"  # in the name of every file or folder that is not finished yet


def partial_name(name: str) -> bool:
    """Whether `name` is one of storyreel's unfinished files or scratch folders (a hidden name
    holding `.part`): left behind only by a process that was killed."""
    return name.startswith(".") and any(mark in name or name.endswith(PART)
                                        for mark in (f"{PART}.", f"{PART}-"))


def sweep_partials(folder: Path) -> list[Path]:
    """Delete every unfinished file and scratch folder under `folder`; returns what went.
    Call it only while holding the lock that keeps other writers out of `folder`."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for root, dirs, names in os.walk(folder):
        for name in names:
            if partial_name(name):
                path = Path(root) / name
                path.unlink(missing_ok=True)
                removed.append(path)
        for name in list(dirs):
            if partial_name(name):
                path = Path(root) / name
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
                dirs.remove(name)
    return removed


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it over `target` only on success.

    The temporary name keeps the suffix so tools that pick a format from it (ffmpeg) work.
    """
    target = Path(target)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f"{PART}{target.suffix}",
                                    dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def backups(target: Path, backup_dir: Path) -> list[Path]:
    """The versions of `target` that write_text_atomic kept in `backup_dir`, newest first
    (their names are the target's, stamped with the time)."""
    if not backup_dir.exists():
        return []
    return sorted(backup_dir.glob(f"{target.stem}.*{target.suffix}"), reverse=True)


def write_text_atomic(target: Path, text: str, backup_dir: Path | None = None) -> Path | None:
    """Write `text` to `target` atomically; copy the old file into `backup_dir` first.

    Returns the backup's path, if one was made.
    """
    target = Path(target)
    backup = None
    if backup_dir is not None and target.exists():
        backup_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        backup = backup_dir / f"{target.stem}.{stamp}{target.suffix}"
        shutil.copy2(target, backup)
    with atomic_path(target) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return backup
