"""Plot functions: a tidy table in, a matplotlib Axes out (never shown, never saved).

    >>> table = shares(responses, "tech_used", questionnaire=q)
    >>> ax = plot_shares(table, title="Use of digital technology (99)")

Bars carry a `gid` of `series/item` (the question id and choice code they show), so a
test or a script can match every bar to the row it came from; the SVG keeps them as ids.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from dmsurvey.reporting.theme import (
    MUTED_TEXT_COLOUR,
    PALETTE,
    SMALL_GROUP_COLOUR,
    SMALL_GROUP_EDGE,
    SMALL_GROUP_HATCH,
    STUDY_COLOUR,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

LABEL_WIDTH = 34
LEGEND_WIDTH = 60
HEATMAP_LABEL_WIDTH = 10
# Room right of the longest whisker for its percentage label, in share units.
LABEL_MARGIN = 0.13
# A share of fewer firms swings by 20 points or more with one firm: such groups are drawn
# grey and hatched, and their base reads "n<5" (docs/methodology.md).
MIN_GROUP_FIRMS = 5


def base_label(n: int) -> str:
    """A base as titles and group labels show it: "28", or "1, n<5" for a small group."""
    return f"{n}, n<{MIN_GROUP_FIRMS}" if is_small_group(n) else str(n)


def is_small_group(n) -> bool:
    """Whether a base `n` (missing for a reference figure quoted without one) is too small."""
    import pandas as pd

    return not pd.isna(n) and 0 < n < MIN_GROUP_FIRMS


def _mark_small(patch, colour: str = SMALL_GROUP_EDGE) -> None:
    """Grey and hatched; the hatch keeps `colour`, so the series of a legend stay apart."""
    patch.set_facecolor(SMALL_GROUP_COLOUR)
    patch.set_edgecolor(colour)
    patch.set_hatch(SMALL_GROUP_HATCH)


def wrap_label(label: str, width: int = LABEL_WIDTH) -> str:
    """Wrap a tick label to lines of about `width` Latin characters: on spaces for Latin
    text; for Chinese (a character as wide as two Latin ones) into lines of even length,
    keeping runs of Latin letters and digits whole, an opening bracket with what follows
    it, and punctuation with what precedes it."""
    if not _CJK.search(label):
        return "\n".join(textwrap.wrap(label, width)) or label
    tokens = _cjk_tokens(label)
    total = sum(_display_width(token) for token in tokens)
    if total <= width:
        return label
    lines_needed = -(-total // width)
    target = -(-total // lines_needed)
    lines: list[str] = [""]
    for token in tokens:
        if lines[-1] and _display_width(lines[-1] + token) > target:
            lines.append("")
        lines[-1] += token
    if len(lines) > 1 and _display_width(lines[-1]) <= 4:
        # Never leave one or two characters alone on the last line.
        tail = lines.pop()
        lines[-1] += tail
    return "\n".join(lines)


_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
_OPENING = "（(《“‘【["
_CLOSING = "）)》”’】]，、。；：！？,.;:!?%"


def _cjk_tokens(label: str) -> list[str]:
    """Units a Chinese label may be broken between: single CJK characters, runs of Latin
    letters and digits (split after a slash), brackets glued to their content."""
    pieces = re.findall(r"[A-Za-z0-9.+\-–<>≥≤]+/?|\s+|.", label)
    tokens: list[str] = []
    pending = ""
    for piece in pieces:
        if piece in _OPENING:
            pending += piece
        elif tokens and (piece in _CLOSING or piece.isspace()) and not pending:
            tokens[-1] += piece
        else:
            tokens.append(pending + piece)
            pending = ""
    if pending:
        tokens.append(pending)
    return tokens


def _display_width(text: str) -> int:
    return sum(2 if _CJK.match(character) else 1 for character in text)


def plot_shares(
    data: pd.DataFrame,
    *,
    y: str = "label",
    hue: str | None = None,
    hue_labels: Mapping[str, str] | None = None,
    colors: Sequence[str] | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    percent_labels: bool = True,
    legend: bool = True,
    empty_message: str = "No firm in the base answered",
    ax: Axes | None = None,
) -> Axes:
    """Horizontal bars of `share` with Wilson whiskers (`ci_low`, `ci_high`) and % labels.

    One bar per row of `data`, on the category in column `y` (order of first appearance).
    A bar whose base (`n`) is below `MIN_GROUP_FIRMS` is grey and hatched.
    With `hue`, rows sharing a category sit side by side, one colour per value of `hue`
    (named by `hue_labels` in a legend below the axes). Rows whose interval is missing (a reference
    figure quoted without its base) get no whisker. Without rows the axes say
    `empty_message` instead.
    """
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.ticker import PercentFormatter
    from matplotlib.transforms import offset_copy

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 0.45 * data[y].nunique() + 1.2))
    if data.empty or data["share"].isna().all():
        return _empty(ax, empty_message, title)
    categories = list(dict.fromkeys(data[y]))
    groups = [(None, data)] if hue is None else list(data.groupby(hue, sort=False))
    colors = list(colors or ([STUDY_COLOUR] if hue is None else PALETTE))
    slot = 0.8 / len(groups)
    for index, (name, frame) in enumerate(groups):
        offset = (index - (len(groups) - 1) / 2) * slot
        positions = np.array([categories.index(value) for value in frame[y]]) + offset
        share = frame["share"].to_numpy(dtype=float)
        caption = None if name is None else wrap_label((hue_labels or {}).get(name, str(name)),
                                                       LEGEND_WIDTH)
        bars = ax.barh(
            positions, share, height=slot * 0.88, color=colors[index % len(colors)],
            label=caption, zorder=2,
        )
        bases = frame["n"] if "n" in frame.columns else [float("nan")] * len(frame)
        for bar, gid, n in zip(bars, _bar_ids(frame, y, hue), bases, strict=True):
            bar.set_gid(gid)
            if is_small_group(n):
                _mark_small(bar, colors[index % len(colors)])
        _whiskers(ax, frame, positions)
        if percent_labels:
            high = frame["ci_high"].to_numpy(dtype=float)
            ends = np.where(np.isnan(high), share, np.fmax(share, high))
            for position, end, value in zip(positions, ends, share, strict=True):
                if not np.isnan(value):
                    ax.text(end + 0.012, position, f"{value:.0%}", va="center", ha="left",
                            fontsize=8.5, color=MUTED_TEXT_COLOUR, zorder=4)
    ax.set_yticks(range(len(categories)), [wrap_label(str(c)) for c in categories])
    ax.set_ylim(len(categories) - 0.5, -0.5)
    top = np.nanmax(np.fmax(data["share"].to_numpy(float), data["ci_high"].to_numpy(float)))
    ax.set_xlim(0, max(0.1, float(top) + LABEL_MARGIN) if np.isfinite(top) else 1)
    ax.set_xticks([tick for tick in np.arange(0, 1.01, 0.2) if tick <= ax.get_xlim()[1]])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", length=0)
    if xlabel:
        ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    if hue is not None and legend:
        # Below the axes, where it can never hide a bar or its label.
        captions = ax.get_legend_handles_labels()[1]
        columns = 1 if any(len(c) > LABEL_WIDTH for c in captions) else min(len(groups), 3)
        below = offset_copy(ax.transAxes, fig=ax.figure, y=-_space_below(ax), units="points")
        ax.legend(loc="upper left", bbox_to_anchor=(0, 0), bbox_transform=below,
                  ncol=columns, fontsize=8.5, borderaxespad=0)
    return ax


def _empty(ax: Axes, message: str, title: str | None) -> Axes:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes,
            color=MUTED_TEXT_COLOUR)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def _space_below(ax: Axes) -> float:
    """Points from the bottom of the axes to below its tick labels and x label.

    CJK glyphs stand taller than Latin ones at the same size, hence the generous line height.
    """
    tick_labels = ax.xaxis.get_ticklabels()
    tick_size = tick_labels[0].get_fontsize() if tick_labels else 10
    space = 1.4 * tick_size + 8
    if ax.get_xlabel():
        space += 1.4 * ax.xaxis.label.get_fontsize() + 4
    return space


def _bar_ids(frame: pd.DataFrame, y: str, hue: str | None) -> list[str]:
    """`series/item` for each bar, plus `/group` where the hue is not the series."""
    if not {"series", "item"} <= set(frame.columns):
        return [str(value) for value in frame[y]]
    ids = [f"{series}/{item}" for series, item in zip(frame["series"], frame["item"],
                                                      strict=True)]
    if hue is not None and hue != "series":
        ids = [f"{gid}/{group}" for gid, group in zip(ids, frame[hue], strict=True)]
    return ids


def _whiskers(ax: Axes, frame: pd.DataFrame, positions) -> None:
    import numpy as np

    share = frame["share"].to_numpy(dtype=float)
    low = frame["ci_low"].to_numpy(dtype=float)
    high = frame["ci_high"].to_numpy(dtype=float)
    keep = ~(np.isnan(low) | np.isnan(high) | np.isnan(share))
    if keep.any():
        ax.errorbar(
            share[keep], np.asarray(positions)[keep],
            xerr=_error_lengths(share[keep], low[keep], high[keep]),
            fmt="none", ecolor="#333333", elinewidth=0.9, capsize=2.5, zorder=3,
        )


def _error_lengths(centre, low, high) -> list:
    """Whisker lengths below and above `centre`, never negative (an interval from another
    source may not contain its point estimate)."""
    import numpy as np

    return [np.clip(centre - low, 0, None), np.clip(high - centre, 0, None)]


def _wrap_lines(label: str, width: int) -> str:
    return "\n".join(wrap_label(line, width) for line in label.split("\n"))


def plot_heatmap(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    value: str = "share",
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A heatmap of `value` (a share) over the categories in `x` and `y`, in % per cell.

    A column whose base (`n`) is below `MIN_GROUP_FIRMS` is grey and hatched, not shaded
    like the solid ones."""
    import matplotlib.pyplot as plt
    import numpy as np
    import seaborn as sns
    from matplotlib.patches import Rectangle

    grid = data.pivot_table(index=y, columns=x, values=value, sort=False, observed=True)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.2 * grid.shape[1] + 4, 0.5 * grid.shape[0] + 1.5))
    small = np.zeros(grid.shape[1], dtype=bool)
    if "n" in data.columns:
        bases = data.groupby(x, sort=False, observed=True)["n"].first()
        small = np.array([is_small_group(bases.get(column)) for column in grid.columns])
    mask = np.broadcast_to(small, grid.shape)
    sns.heatmap(grid, mask=mask, annot=True, fmt=".0%", cmap="Blues", vmin=0, vmax=1,
                cbar=False, linewidths=0.5, linecolor="white", ax=ax)
    for column in np.flatnonzero(small):
        for row, share in enumerate(grid.iloc[:, column]):
            _mark_small(ax.add_patch(Rectangle((column, row), 1, 1, linewidth=0.5)))
            if share == share:
                ax.text(column + 0.5, row + 0.5, f"{share:.0%}", ha="center", va="center",
                        fontsize=9, color=MUTED_TEXT_COLOUR,
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.set_yticks(ax.get_yticks(), [wrap_label(str(label)) for label in grid.index],
                  rotation=0)
    # Narrow columns: short lines, so neighbouring labels never run into each other.
    ax.set_xticks(ax.get_xticks(), [_wrap_lines(str(label), HEATMAP_LABEL_WIDTH)
                                    for label in grid.columns], rotation=0)
    ax.set_xlabel("")
    ax.set_ylabel("")
    if title:
        ax.set_title(title)
    return ax


def plot_score_distribution(
    data: pd.DataFrame,
    *,
    x: str = "score",
    y: str = "dimension",
    title: str | None = None,
    xlabel: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Per-firm scores (long form, one row per firm and dimension): a box per category of
    `y` (its categories' order if categorical) with the firms as jittered points."""
    import matplotlib.pyplot as plt
    import numpy as np

    categories = (list(data[y].cat.categories) if hasattr(data[y], "cat")
                  else list(dict.fromkeys(data[y])))
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 0.55 * len(categories) + 1.2))
    values = [data.loc[data[y] == category, x].to_numpy(dtype=float) for category in categories]
    ax.boxplot(values, positions=range(len(categories)), orientation="horizontal", widths=0.55,
               patch_artist=True, showfliers=False,
               boxprops={"facecolor": "#dbe6f2", "edgecolor": "#7a8ea8"},
               medianprops={"color": STUDY_COLOUR, "linewidth": 1.8},
               whiskerprops={"color": "#7a8ea8"}, capprops={"color": "#7a8ea8"})
    # Fixed seed: the same data always draws the same picture.
    jitter = np.random.default_rng(0)
    for position, points in enumerate(values):
        ax.scatter(points, position + jitter.uniform(-0.18, 0.18, len(points)), s=7,
                   color=STUDY_COLOUR, alpha=0.5, linewidths=0, zorder=3)
    ax.set_yticks(range(len(categories)), [wrap_label(str(c)) for c in categories])
    ax.set_ylim(len(categories) - 0.5, -0.5)
    ax.set_xlim(-2, 102)
    ax.grid(axis="y", visible=False)
    if xlabel:
        ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    return ax


def plot_gradient(
    data: pd.DataFrame,
    *,
    x: str,
    hue: str,
    hue_labels: Mapping[str, str] | None = None,
    title: str | None = None,
    ylabel: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Shares across the ordered categories in `x` (size classes), one line per `hue`."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.ticker import PercentFormatter

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4.2))
    categories = list(dict.fromkeys(data[x]))
    groups = list(data.groupby(hue, sort=False))
    shift = 0.06
    for index, (name, frame) in enumerate(groups):
        positions = np.array([categories.index(value) for value in frame[x]], dtype=float)
        positions += (index - (len(groups) - 1) / 2) * shift
        share = frame["share"].to_numpy(float)
        low, high = frame["ci_low"].to_numpy(float), frame["ci_high"].to_numpy(float)
        ax.errorbar(
            positions, share, yerr=_error_lengths(share, low, high),
            marker="o", capsize=3, lw=1.6, color=PALETTE[index % len(PALETTE)],
            label=(hue_labels or {}).get(name, str(name)),
        )
    ax.set_xticks(range(len(categories)), [wrap_label(str(c), 24) for c in categories])
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.grid(axis="x", visible=False)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8.5, loc="upper left")
    return ax


def plot_slopes(
    data: pd.DataFrame,
    *,
    x: str = "wave",
    y: str = "value",
    group: str = "label",
    x_labels: Mapping[str, str] | None = None,
    title: str | None = None,
    ylabel: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A slope chart: one line per `group` from the first to the last category of `x`
    (waves), with the value at each end (labels pushed apart where values are close).
    Lines carry a `gid` of the group."""
    import matplotlib.pyplot as plt
    import numpy as np

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4.8))
    stages = list(dict.fromkeys(data[x]))
    lines = []
    for index, (name, frame) in enumerate(data.groupby(group, sort=False)):
        values = frame.set_index(x).reindex(stages)[y].to_numpy(dtype=float)
        colour = PALETTE[index % len(PALETTE)]
        (line,) = ax.plot(range(len(stages)), values, marker="o", lw=2, color=colour)
        line.set_gid(str(name))
        lines.append((str(name), values, colour))
    finite = np.concatenate([values for _, values, _ in lines]) if lines else np.array([])
    finite = finite[np.isfinite(finite)]
    gap = 0.045 * max(float(np.ptp(finite)) if len(finite) else 1.0, 1.0)
    for end, align in ((0, "right"), (len(stages) - 1, "left")):
        heights = _spread([values[end] for _, values, _ in lines], gap)
        for (name, values, colour), height in zip(lines, heights, strict=True):
            if np.isfinite(values[end]):
                caption = f"{values[end]:.1f}" + (f"  {name}" if align == "left" else "")
                ax.text(end + (0.05 if align == "left" else -0.05), height, caption, ha=align,
                        va="center", fontsize=8.5, color=colour)
    ax.set_xticks(range(len(stages)), [(x_labels or {}).get(s, str(s)) for s in stages])
    ax.set_xlim(-0.6, len(stages) - 1 + 1.6)
    ax.grid(axis="x", visible=False)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return ax


def _spread(values: Sequence[float], gap: float) -> list[float]:
    """Label heights near `values`, at least `gap` apart (missing values stay missing)."""
    order = sorted((v, i) for i, v in enumerate(values) if v == v)
    heights = list(values)
    previous = None
    for value, index in order:
        height = value if previous is None else max(value, previous + gap)
        heights[index] = previous = height
    return heights
