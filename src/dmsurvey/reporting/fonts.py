"""Fonts for charts: a CJK font for Chinese, found on the system and registered once.

matplotlib's default font (DejaVu Sans) has no Chinese glyphs and draws empty boxes, so
Chinese charts need a CJK font. We look for Noto Sans CJK (Debian's `fonts-noto-cjk`),
register it with matplotlib (its font cache may predate the font's installation), and hand
its family name to the chart theme.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from dmsurvey.errors import DmsurveyError

# Families to use for Simplified Chinese, best first; all cover the GB 2312 characters.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
)
# Where Debian and other Linux distributions put them, and where macOS keeps its own.
CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)
# A user may point at any font file covering Chinese.
FONT_ENVIRONMENT_VARIABLE = "DMSURVEY_CJK_FONT"
# Latin fallback after the CJK family, so digits and Latin text keep a familiar look.
LATIN_FAMILIES = ("DejaVu Sans",)


class FontError(DmsurveyError):
    """No font can draw the characters of the requested language."""


@functools.cache
def cjk_font_family() -> str:
    """The name of a font family that draws Chinese, registered with matplotlib.

    Raises FontError saying what to install when the system has none.
    """
    from matplotlib import font_manager

    override = os.environ.get(FONT_ENVIRONMENT_VARIABLE)
    candidates = [Path(override)] if override else []
    candidates += [Path(path) for path in CJK_FONT_FILES]
    known_before = {font.name for font in font_manager.fontManager.ttflist}
    for path in candidates:
        if path.is_file():
            font_manager.fontManager.addfont(str(path))
    known = {font.name for font in font_manager.fontManager.ttflist}
    if override:
        added = sorted(known - known_before)
        if added:
            return _preferred(added)
    for family in CJK_FAMILIES:
        if family in known:
            return family
    raise FontError(
        "No font with Chinese characters was found, so Chinese charts cannot be drawn. "
        "Install Noto Sans CJK (on Debian or Ubuntu: sudo apt-get install fonts-noto-cjk; "
        "on Fedora: google-noto-sans-cjk-fonts), or set "
        f"{FONT_ENVIRONMENT_VARIABLE} to the path of a font file that covers Chinese."
    )


def _preferred(families: list[str]) -> str:
    """Of the families a font collection adds, the Simplified Chinese one if it has it."""
    for family in families:
        if family.endswith(" SC"):
            return family
    return families[0]


def font_families(language: str) -> list[str]:
    """The `font.family` list for charts in `language`.

    Chinese needs a CJK font first (an error says what to install when there is none).
    Other languages put it after the Latin font where the system has one, since answers
    such as firm names or units may still be Chinese.
    """
    if language.startswith("zh"):
        return [cjk_font_family(), *LATIN_FAMILIES]
    try:
        return [*LATIN_FAMILIES, cjk_font_family()]
    except FontError:
        return list(LATIN_FAMILIES)
