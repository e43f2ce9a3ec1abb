"""Size gradients: adoption share by ordered size group, with the Cochran-Armitage trend test.

"The larger the firm, the more online procurement" becomes a table of shares by size
class and one z statistic with its p-value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

from dmsurvey.analysis._answers import require_columns
from dmsurvey.analysis.shares import wilson_interval

GRADIENT_COLUMNS = ["outcome", "by", "group", "count", "n", "share", "ci_low", "ci_high",
                    "trend_z", "trend_p_value"]


def cochran_armitage(counts, totals, scores=None) -> tuple[float, float]:
    """Cochran-Armitage test for a linear trend in proportions `counts / totals` across
    ordered groups with `scores` (default 0, 1, 2, ...): `(z, two-sided p)`.

    T = sum t_i (x_i - n_i p), Var T = p (1 - p) [sum n_i t_i^2 - (sum n_i t_i)^2 / N],
    with p the pooled proportion; z = T / sqrt(Var T). NaN when there is no variation.
    """
    x = np.asarray(counts, dtype=float)
    n = np.asarray(totals, dtype=float)
    t = np.arange(len(x), dtype=float) if scores is None else np.asarray(scores, dtype=float)
    total = n.sum()
    if total == 0:
        return math.nan, math.nan
    pooled = x.sum() / total
    statistic = float(t @ (x - n * pooled))
    variance = pooled * (1 - pooled) * (float(n @ t**2) - float(n @ t) ** 2 / total)
    if variance <= 0:
        return math.nan, math.nan
    z = statistic / math.sqrt(variance)
    return z, float(2 * norm.sf(abs(z)))


def size_gradient(
    data: pd.DataFrame, *, outcomes: Sequence[str], by: str = "size_class"
) -> pd.DataFrame:
    """Share with each 0/1 outcome column per group of the ordered column `by`, and the
    trend test across the groups that have firms (scores 0, 1, 2, ... in category order).

    One row per outcome and group (columns `GRADIENT_COLUMNS`); the trend statistic is
    repeated on every row of its outcome.
    """
    require_columns(data, [by, *outcomes], "the size gradient")
    groups = data[by]
    if not isinstance(groups.dtype, pd.CategoricalDtype):
        groups = groups.astype("category")
    rows = []
    for outcome in outcomes:
        frame = pd.DataFrame({"group": groups, "y": pd.to_numeric(data[outcome])}).dropna()
        summary = frame.groupby("group", observed=True)["y"].agg(["sum", "count"])
        z, p_value = cochran_armitage(summary["sum"], summary["count"])
        low, high = wilson_interval(summary["sum"], summary["count"])
        rows.append(pd.DataFrame({
            "outcome": outcome,
            "by": by,
            "group": summary.index.astype(str),
            "count": summary["sum"].round().astype("int64").to_numpy(),
            "n": summary["count"].astype("int64").to_numpy(),
            "share": (summary["sum"] / summary["count"]).to_numpy(),
            "ci_low": low,
            "ci_high": high,
            "trend_z": z,
            "trend_p_value": p_value,
        }))
    if not rows:
        return pd.DataFrame(columns=GRADIENT_COLUMNS)
    return pd.concat(rows, ignore_index=True)[GRADIENT_COLUMNS]
