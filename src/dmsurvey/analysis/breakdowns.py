"""Obstacle and policy breakdowns: cross-tables with a test of independence and
standardized (adjusted) residuals.

The test follows the cell counts: Pearson's chi-square when every expected count is at
least 5; otherwise Fisher's exact test for a 2x2 table and, for larger tables, a Monte
Carlo p-value of the chi-square statistic over tables drawn with the observed margins
(seeded per table from the variable and group names, so a report is reproducible and two
tables do not share their random draws; the note gives the Monte Carlo standard error of
the p-value). With a survey design the test is Rao and Scott's design-corrected F. An
adjusted residual beyond about +/-2 marks a cell that differs from independence at the 5%
level.
"""

from __future__ import annotations

import math
import zlib
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dmsurvey.analysis._answers import codes, indicators, question_of, require_columns
from dmsurvey.errors import AnalysisError
from dmsurvey.questionnaire.model import Questionnaire

if TYPE_CHECKING:
    from dmsurvey.analysis.design import SurveyDesign

CROSSTAB_COLUMNS = ["question", "item", "by", "group", "count", "n", "share", "expected",
                    "adjusted_residual", "test", "statistic", "df", "p_value", "note"]
MIN_EXPECTED = 5
SIMULATIONS = 9999
SEED = 2020


def crosstab_test(
    data: pd.DataFrame,
    variable: str,
    *,
    by: str,
    simulations: int = SIMULATIONS,
    seed: int = SEED,
    design: SurveyDesign | None = None,
) -> pd.DataFrame:
    """Cross-table of `variable` (the answer) by `by` (the group), one row per cell.

    `count` firms in `group` answering `item`, `n` firms in the group, `share` = count / n,
    `expected` under independence, `adjusted_residual` = (O - E) / sqrt(E (1 - row share
    of N) (1 - column share of N)); the test, its statistic, degrees of freedom (NaN for
    simulated and exact tests) and p-value repeat on every row. Firms missing either
    value are left out; empty rows and columns are dropped.

    `design` (one entry per row of `data`) replaces the test by the Rao-Scott F test
    (`rao_scott_f`; `df` holds its numerator degrees of freedom); counts stay firms.
    """
    require_columns(data, [variable, by], "this cross-table")
    frame = pd.DataFrame({"item": _ordered(data[variable]), "group": _ordered(data[by])})
    frame = frame.dropna()
    table = pd.crosstab(frame["group"], frame["item"])
    table = table.loc[table.sum(axis=1) > 0, table.sum(axis=0) > 0]
    observed = table.to_numpy(dtype=float)
    total = observed.sum()
    row_totals = observed.sum(axis=1, keepdims=True)
    column_totals = observed.sum(axis=0, keepdims=True)
    expected = row_totals @ column_totals / total if total else observed
    with np.errstate(divide="ignore", invalid="ignore"):
        residual = (observed - expected) / np.sqrt(
            expected * (1 - row_totals / total) * (1 - column_totals / total)
        )
    table_seed = [seed, zlib.crc32(f"{variable}|{by}".encode())]
    test = _independence_test(observed, expected, simulations, table_seed)
    if design is not None and test["test"]:
        test = _design_test(data, variable, by, design, test)
    groups, items = np.meshgrid(table.index.astype(str), table.columns.astype(str),
                                indexing="ij")
    cells = pd.DataFrame({
        "question": variable,
        "item": items.ravel(),
        "by": by,
        "group": groups.ravel(),
        "count": observed.ravel().astype("int64"),
        "n": np.broadcast_to(row_totals, observed.shape).ravel().astype("int64"),
        "expected": expected.ravel(),
        "adjusted_residual": residual.ravel(),
    })
    cells["share"] = cells["count"] / cells["n"]
    for key, value in test.items():
        cells[key] = value
    return cells[CROSSTAB_COLUMNS]


def option_columns(
    data: pd.DataFrame, question: str, questionnaire: Questionnaire
) -> pd.DataFrame:
    """`yes`/`no` columns named `question/code`, one per option of a select question
    (missing where unanswered), for cross-tables of single options."""
    model = question_of(questionnaire, question, select=True)
    require_columns(data, [question], "this breakdown")
    marks = indicators(data[question], model)
    chosen = marks.replace({1.0: "yes", 0.0: "no"})
    return pd.DataFrame(
        {f"{question}/{code}": pd.Categorical(chosen[code], categories=["no", "yes"])
         for code in marks.columns},
        index=data.index,
    )


def any_chosen(data: pd.DataFrame, question: str, questionnaire: Questionnaire,
               *, except_codes=("none",)) -> pd.Series:
    """`yes` where a multi-select answer includes any code besides `except_codes`."""
    marks = indicators(data[question], question_of(questionnaire, question, select=True))
    real = [code for code in marks.columns if code not in except_codes]
    chosen = (marks[real].sum(axis=1) > 0).map({True: "yes", False: "no"})
    return pd.Series(pd.Categorical(chosen.where(marks.notna().all(axis=1)),
                                    categories=["no", "yes"]),
                     index=data.index, name=f"{question}/any")


def _ordered(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values
    return codes(values)


def _design_test(data: pd.DataFrame, variable: str, by: str, design: SurveyDesign,
                 fallback: dict) -> dict:
    from dmsurvey.analysis.design import rao_scott

    frame = pd.DataFrame({"item": codes(data[variable].astype("object")),
                          "group": codes(data[by].astype("object"))}, index=data.index)
    try:
        with np.errstate(all="ignore"):
            result = rao_scott(frame, "item", "group", design)
    except (np.linalg.LinAlgError, AnalysisError):
        return {**fallback, "note": "; ".join(filter(None, [
            fallback["note"], "unweighted test: the design-based test needs every cell "
            "of the table filled"]))}
    return {"test": "rao_scott_f", "statistic": result["statistic"], "df": result["ndf"],
            "p_value": result["p_value"], "note": "design-based"}


def _independence_test(observed: np.ndarray, expected: np.ndarray, simulations: int,
                       seed) -> dict:
    from scipy import stats

    if observed.shape[0] < 2 or observed.shape[1] < 2:
        return {"test": "", "statistic": math.nan, "df": math.nan, "p_value": math.nan,
                "note": "fewer than two groups or two answers: nothing to test"}
    if expected.min() >= MIN_EXPECTED:
        result = stats.chi2_contingency(observed, correction=False)
        return {"test": "chi2", "statistic": float(result.statistic), "df": float(result.dof),
                "p_value": float(result.pvalue), "note": ""}
    note = f"expected counts below {MIN_EXPECTED}"
    if observed.shape == (2, 2):
        result = stats.fisher_exact(observed)
        return {"test": "fisher_exact", "statistic": float(result.statistic), "df": math.nan,
                "p_value": float(result.pvalue), "note": note}
    result = stats.chi2_contingency(
        observed, correction=False,
        method=stats.MonteCarloMethod(n_resamples=simulations, rng=np.random.default_rng(seed)),
    )
    p_value = float(result.pvalue)
    error = math.sqrt(p_value * (1 - p_value) / simulations)
    return {"test": "chi2_monte_carlo", "statistic": float(result.statistic), "df": math.nan,
            "p_value": p_value,
            "note": f"{note}; p-value from {simulations} simulated tables "
                    f"(Monte Carlo standard error {error:.3f})"}
