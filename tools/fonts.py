"""Fonts for titles and subtitles: Noto Sans CJK, so Latin, Chinese and Japanese all render."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PIL import ImageFont

# libass matches the legacy family name (name ID 1), which carries the weight.
FONT_FAMILY = "Noto Sans CJK TC Regular"


@cache
def ui_font_path() -> Path:
    """The bundled Noto Sans CJK OTF (package cvttf-notosanscjk-regular)."""
    import cvttf_NotoSansCJK_Regular

    return Path(cvttf_NotoSansCJK_Regular.get_TTF_path())


def fonts_dir() -> Path:
    """Folder handed to libass (`fontsdir`) so burned subtitles use the bundled font."""
    return ui_font_path().parent


@cache
def ass_font(size: float) -> ImageFont.FreeTypeFont:
    """The bundled font as libass draws an ASS `Fontsize` of `size`, for measuring lines.

    libass scales a font so that its ascent plus descent (OS/2 win metrics) is `size` pixels,
    while Pillow's size is the em; Noto Sans CJK carries the same values in hhea, which is
    what Pillow reports.
    """
    ascent, descent = ImageFont.truetype(str(ui_font_path()), 1000).getmetrics()
    return ImageFont.truetype(str(ui_font_path()), size * 1000 / (ascent + descent))
