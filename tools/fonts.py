"""Fonts for titles and subtitles: Noto Sans CJK, so Latin, Chinese and Japanese all render."""

from __future__ import annotations

from functools import cache
from pathlib import Path

FONT_FAMILY = "Noto Sans CJK TC"


@cache
def ui_font_path() -> Path:
    """The bundled Noto Sans CJK OTF (package cvttf-notosanscjk-regular)."""
    import cvttf_NotoSansCJK_Regular

    return Path(cvttf_NotoSansCJK_Regular.get_TTF_path())


def fonts_dir() -> Path:
    """Folder handed to libass (`fontsdir`) so burned subtitles use the bundled font."""
    return ui_font_path().parent
