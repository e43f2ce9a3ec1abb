"""Is the maturity index any good? Internal consistency and a data-driven comparison.

- `reliability`: Cronbach's alpha of every dimension, with Feldt's confidence interval.
- `item_rest`: each item's correlation with the rest of its dimension, and alpha without it.
- `principal_component`: the first principal component of the items, its loadings beside
  the weights the questionnaire declares, and how closely the two indices agree.

A dimension's items are the points of its scoring items; a dimension made of a single
multi-select question uses that question's options (0/1) as items, which makes alpha the
Kuder-Richardson 20. Firms enter a dimension's statistics only if the dimension applies
to them and they answered all its items (listwise deletion).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import f as f_distribution

from dmsurvey.analysis._answers import indicators
from dmsurvey.analysis.scoring import dimension_applies, item_points, scoring_rules
from dmsurvey.questionnaire.model import Dimension, Questionnaire

RELIABILITY_COLUMNS = ["dimension", "items", "n", "alpha", "ci_low", "ci_high", "note"]
ITEM_REST_COLUMNS = ["dimension", "item", "n", "item_rest_r", "alpha_if_deleted"]
COMPONENT_COLUMNS = ["dimension", "item", "declared_weight", "pc_loading", "pc_weight", "n",
                     "explained_variance", "index_correlation"]


def cronbach_alpha(items: pd.DataFrame | np.ndarray) -> float:
    """k/(k-1) * (1 - sum of item variances / variance of the total), complete rows only."""
    matrix = np.asarray(pd.DataFrame(items).dropna(), dtype=float)
    n, k = matrix.shape
    if k < 2 or n < 2:
        return math.nan
    total_variance = matrix.sum(axis=1).var(ddof=1)
    if total_variance == 0:
        return math.nan
    return k / (k - 1) * (1 - matrix.var(axis=0, ddof=1).sum() / total_variance)


def feldt_interval(alpha: float, n: int, k: int, confidence: float = 0.95):
    """Feldt's (1965) interval: (1 - alpha) / (1 - alpha_hat) ~ F(n - 1, (n - 1)(k - 1))."""
    if not np.isfinite(alpha) or n < 2 or k < 2:
        return math.nan, math.nan
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1 - confidence) / 2
    low = 1 - (1 - alpha) * f_distribution.ppf(1 - tail, df1, df2)
    high = 1 - (1 - alpha) * f_distribution.ppf(tail, df1, df2)
    return float(low), float(high)


def dimension_items(
    data: pd.DataFrame, questionnaire: Questionnaire, dimension: Dimension
) -> pd.DataFrame:
    """The item matrix of one dimension for the firms it applies to (NaN = unanswered)."""
    applies = dimension_applies(data, questionnaire, dimension)
    rows = data[applies]
    if len(dimension.items) == 1:
        item = dimension.items[0]
        question = questionnaire.question(item.question)
        if question.type == "select_multiple":
            marks = indicators(rows[item.question], question)
            scored = [code for code in marks.columns if item.points.get(code, 0)]
            return marks[scored].rename(columns=lambda code: f"{item.question}/{code}")
    return pd.DataFrame(
        {item.question: item_points(rows[item.question], questionnaire, item)
         for item in dimension.items},
        index=rows.index,
    )


def reliability(
    data: pd.DataFrame, *, questionnaire: Questionnaire, confidence: float = 0.95
) -> pd.DataFrame:
    """Cronbach's alpha per dimension with Feldt's interval (columns `RELIABILITY_COLUMNS`)."""
    rows = []
    for dimension in scoring_rules(questionnaire).dimensions:
        matrix = dimension_items(data, questionnaire, dimension).dropna()
        n, k = matrix.shape
        alpha = cronbach_alpha(matrix)
        low, high = feldt_interval(alpha, n, k, confidence)
        note = ""
        if k < 2:
            note = "one item: alpha needs at least two"
        elif n < 2:
            note = "fewer than two firms answered every item"
        elif math.isnan(alpha):
            note = "no variation in the total"
        rows.append({"dimension": dimension.id, "items": k, "n": n, "alpha": alpha,
                     "ci_low": low, "ci_high": high, "note": note})
    return pd.DataFrame(rows, columns=RELIABILITY_COLUMNS)


def item_rest(data: pd.DataFrame, *, questionnaire: Questionnaire) -> pd.DataFrame:
    """Each item's correlation with the sum of the other items of its dimension, and the
    dimension's alpha if the item were dropped (columns `ITEM_REST_COLUMNS`)."""
    rows = []
    for dimension in scoring_rules(questionnaire).dimensions:
        matrix = dimension_items(data, questionnaire, dimension).dropna()
        if matrix.shape[1] < 2:
            continue
        for item in matrix.columns:
            rest = matrix.drop(columns=item)
            rows.append({
                "dimension": dimension.id,
                "item": item,
                "n": len(matrix),
                "item_rest_r": _correlation(matrix[item].to_numpy(), rest.sum(axis=1).to_numpy()),
                "alpha_if_deleted": cronbach_alpha(rest),
            })
    return pd.DataFrame(rows, columns=ITEM_REST_COLUMNS)


def principal_component(data: pd.DataFrame, *, questionnaire: Questionnaire) -> pd.DataFrame:
    """First principal component of the items of the dimensions that apply to every firm.

    One row per item: the item's declared weight in the composite (dimension weight share
    times item weight share), its loading on the first component of the item correlation
    matrix (sign chosen so loadings sum positive), the loading as a weight (absolute
    loadings scaled to sum 1), and, repeated on every row, the firms used, the share of
    variance the component explains and the correlation between the component index and
    the declared-weight index over those firms.
    """
    scoring = scoring_rules(questionnaire)
    universal = [dimension for dimension in scoring.dimensions if not dimension.applies_if]
    dimension_weight = sum(dimension.weight for dimension in universal)
    columns, owners, declared = {}, [], []
    for dimension in universal:
        item_weight = sum(item.weight for item in dimension.items)
        for item in dimension.items:
            columns[item.question] = item_points(data[item.question], questionnaire, item)
            owners.append(dimension.id)
            declared.append(dimension.weight / dimension_weight * item.weight / item_weight)
    matrix = pd.DataFrame(columns, index=data.index).dropna()
    table = pd.DataFrame({"dimension": owners, "item": list(columns),
                          "declared_weight": declared})
    varying = matrix.std(ddof=1).to_numpy() > 0
    if len(matrix) < 3 or varying.sum() < 2:
        return table.assign(pc_loading=math.nan, pc_weight=math.nan, n=len(matrix),
                            explained_variance=math.nan, index_correlation=math.nan)
    values = matrix.to_numpy(dtype=float)[:, varying]
    standardised = (values - values.mean(axis=0)) / values.std(axis=0, ddof=1)
    correlation = np.corrcoef(standardised, rowvar=False)
    eigenvalues, eigenvectors = np.linalg.eigh(correlation)
    first = eigenvectors[:, -1] * (1 if eigenvectors[:, -1].sum() >= 0 else -1)
    loadings = np.full(len(columns), math.nan)
    loadings[varying] = first * math.sqrt(eigenvalues[-1])
    pc_weight = np.abs(np.nan_to_num(loadings)) / np.nansum(np.abs(loadings))
    component_index = standardised @ first
    declared_index = matrix.to_numpy(dtype=float) @ np.asarray(declared)
    table["pc_loading"] = loadings
    table["pc_weight"] = pc_weight
    table["n"] = len(matrix)
    table["explained_variance"] = eigenvalues[-1] / eigenvalues.sum()
    table["index_correlation"] = _correlation(component_index, declared_index)
    return table[COMPONENT_COLUMNS]


def _correlation(left: np.ndarray, right: np.ndarray) -> float:
    if len(left) < 2:
        return math.nan
    left, right = left - left.mean(), right - right.mean()
    spread = math.sqrt(float(left @ left) * float(right @ right))
    return float(left @ right) / spread if spread > 0 else math.nan
