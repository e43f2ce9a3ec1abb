"""The look shared by every chart: palette, font, sizes; applied only while drawing.

`chart_theme(language)` is a context manager: it sets the seaborn theme with a font that
draws the language's characters, and restores the caller's matplotlib settings on exit,
so a notebook's own style survives a call to `summary_charts`. Notebook users who want the
look for their own plots call `use_chart_theme(language)` once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from dmsurvey.reporting.fonts import font_families

# A calm, colour-blind-safe palette (blue first: the study; grey: outside references).
PALETTE = ("#1f5a99", "#e07b39", "#3a9b77", "#8a5fa8", "#c44e52", "#8c8c8c")
STUDY_COLOUR = PALETTE[0]
REFERENCE_COLOUR = "#a6a6a6"
TEXT_COLOUR = "#262626"
MUTED_TEXT_COLOUR = "#6b6b6b"
# Groups too small to chart as solid (see `plots.MIN_GROUP_FIRMS`).
SMALL_GROUP_COLOUR = "#e3e3e3"
SMALL_GROUP_EDGE = "#9a9a9a"
SMALL_GROUP_HATCH = "///"
SAVE_DPI = 200


def theme_settings(language: str) -> dict:
    """Keyword arguments for `seaborn.set_theme` giving the dmsurvey look in `language`."""
    families = font_families(language)
    return {
        "context": "notebook",
        "style": "whitegrid",
        "palette": list(PALETTE),
        "font": families[0],
        "rc": {
            # seaborn's `font=` sets only the first family; the list keeps a Latin fallback.
            "font.family": families,
            "axes.unicode_minus": False,
            "axes.edgecolor": "#cccccc",
            "axes.titlesize": 12.5,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.labelcolor": TEXT_COLOUR,
            "text.color": TEXT_COLOUR,
            "xtick.color": MUTED_TEXT_COLOUR,
            "ytick.color": TEXT_COLOUR,
            "grid.color": "#e6e6e6",
            "legend.frameon": False,
            "svg.fonttype": "path",
            "savefig.dpi": SAVE_DPI,
            "savefig.bbox": "tight",
            "figure.dpi": 100,
        },
    }


def use_chart_theme(language: str = "en") -> None:
    """Apply the dmsurvey chart look globally (for notebooks)."""
    import seaborn as sns

    sns.set_theme(**theme_settings(language))


@contextlib.contextmanager
def chart_theme(language: str = "en") -> Iterator[None]:
    """Draw with the dmsurvey look inside the block; the caller's settings come back after."""
    import matplotlib as mpl

    with mpl.rc_context():
        # seaborn keeps its theme in rcParams (the palette is the colour cycle), so
        # leaving the rc context restores everything set_theme changed.
        use_chart_theme(language)
        yield
