"""Where storyreel keeps files it can rebuild (models assembled on first use, painted layers)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import platformdirs

CACHE_VARIABLE = "STORYREEL_CACHE_DIR"


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK | os.X_OK)


def cache_dir() -> Path:
    """The user cache folder; STORYREEL_CACHE_DIR overrides it. When the usual folder cannot be
    written (a read-only home), a private folder in the system's temporary directory is used,
    so a render never fails for want of a cache."""
    override = os.environ.get(CACHE_VARIABLE)
    if override:
        return Path(override)
    preferred = Path(platformdirs.user_cache_dir("storyreel"))
    if _writable(preferred):
        return preferred
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"storyreel-cache-{uid}"
