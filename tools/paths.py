"""Where storyreel keeps files it can rebuild (models assembled on first use, painted layers)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def cache_dir() -> Path:
    """The user cache folder; STORYREEL_CACHE_DIR overrides it."""
    override = os.environ.get("STORYREEL_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("storyreel"))
