"""Scoring and analysis: the maturity index and the evidence behind a survey's findings.

Every function takes the responses (one row per firm, codes not labels, as
`Study.responses()` returns them) and returns a tidy DataFrame. `run_all` runs them all
and returns every table by name; `dmsurvey analyze` writes each as `tables/<name>.csv`.

Tables of `run_all` and their columns (a table is left out when the questionnaire lacks
what it needs, e.g. no `scoring:` block or no `biggest_obstacle` question):

- `scores`: response_id, <dimension ids...>, composite, level, items_answered
- `reliability`: dimension, items, n, alpha, ci_low, ci_high, note
- `item_rest`: dimension, item, n, item_rest_r, alpha_if_deleted
- `principal_component`: dimension, item, declared_weight, pc_loading, pc_weight, n,
  explained_variance, index_correlation
- `shares`: question, item, label, count, n, share, ci_low, ci_high (every select
  question, all firms; with weights also weighted_count, weighted_n, n_effective)
- `shares_by_group`: by, group, question, item, label, count, n, share, ci_low, ci_high
  (every select question by size_class, industry, ownership and level)
- `size_regressions`: outcome, size_measure, model, n, coef, std_err, p_value, ci_low,
  ci_high, ame, ame_se, odds_ratio, events, note (the contract of design.md comes first)
- `size_gradients`: outcome, by, group, count, n, share, ci_low, ci_high, trend_z,
  trend_p_value (by size_class, revenue_2019_band, assets_2019_band)
- `obstacle_breakdowns`: question, item, by, group, count, n, share, expected,
  adjusted_residual, test, statistic, df, p_value, note (biggest_obstacle by size_class,
  industry, ownership and level)
- `policy_breakdowns`: same columns; each policy_support option (yes/no) by size_class and
  by biggest_obstacle
- `support_by_maturity`: same columns; any policy support and each option by level
- `size_classes`: response_id, size_class, size_class_china, revenue_2019_band,
  assets_2019_band, level (the columns that apply; left out when none does)

The size tables (`size_regressions`, `size_gradients`) are left out when the questionnaire
has none of employees_2019, revenue_2019 and assets_2019 (`size_skip_reason` says so).
- `weights`: response_id, weight (only when weights are given)
- `analysis_basis`: basis, firms, strata, psus, weight_total, note: whether the estimates
  are `design-based` (a survey design) or `weighted` (post-stratification weights, Kish
  intervals); left out when they are unweighted

With a survey design (`design=`, see `dmsurvey.analysis.design`) the shares are
design-based estimates with linearised standard errors, design effects and logit
intervals, groups are domains, the regressions are survey GLMs and ordered logits, and the
breakdowns' tests are Rao-Scott F tests.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from dmsurvey.questionnaire.model import Questionnaire

if TYPE_CHECKING:
    from dmsurvey.analysis.design import SurveyDesign

GROUPINGS = ("size_class", "industry", "ownership", "level")
SIZE_MEASURES = ("employees_2019", "revenue_2019", "assets_2019")
SIZE_GROUPINGS = ("size_class", "revenue_2019_band", "assets_2019_band")
OBSTACLE = "biggest_obstacle"
POLICY = "policy_support"


def run_all(
    responses: pd.DataFrame,
    questionnaire: Questionnaire,
    weights: pd.Series | pd.DataFrame | str | Path | None = None,
    *,
    language: str = "en",
    on_step: Callable[[str], None] | None = None,
    design: SurveyDesign | None = None,
) -> dict[str, pd.DataFrame]:
    """Every analysis table by name (see the module docstring for names and columns).

    `weights`: a Series of weights aligned with `responses`, or population margins (a
    frame or CSV path, see `dmsurvey.analysis.weights`) to post-stratify on; weighted
    tables are the shares and the regressions. `on_step(name)` is called before each
    table, for progress display. `language` is that of the labels in the tables (choice
    labels of the shares, revenue and asset bands).
    """
    from dmsurvey.analysis._answers import require_responses
    from dmsurvey.analysis.regressions import adoption_outcomes, size_regressions
    from dmsurvey.analysis.scoring import score
    from dmsurvey.analysis.sizes import size_band, size_class
    from dmsurvey.analysis.weights import poststratification_weights

    require_responses(responses)
    step = on_step or (lambda name: None)
    tables: dict[str, pd.DataFrame] = {}
    data = responses.copy()
    has = [column for column in ("employees_2019", "revenue_2019", "assets_2019", "industry")
           if column in data.columns]
    if "employees_2019" in has:
        data["size_class"] = size_class(data)
    if len(has) == 4:
        data["size_class_china"] = size_class(data, scheme="china")
    for measure in ("revenue_2019", "assets_2019"):
        if measure in has:
            data[f"{measure}_band"] = size_band(data[measure], language=language)
    scores = None
    if questionnaire.scoring is not None:
        step("scores")
        scores = score(data, questionnaire)
        data["level"] = scores["level"]
        tables["scores"] = scores
        tables.update(_reliability_tables(data, questionnaire, step))
    derived = [c for c in ("size_class", "size_class_china", "revenue_2019_band",
                           "assets_2019_band", "level") if c in data.columns]
    ids = data["response_id"] if "response_id" in data.columns else data.index.to_series()
    if derived:
        tables["size_classes"] = pd.concat([ids.rename("response_id"), data[derived]], axis=1)

    weight = None
    if design is not None:
        weights = pd.Series(design.weights, index=data.index)
    if isinstance(weights, pd.Series):
        weight = weights.reindex(data.index).rename("weight")
    elif weights is not None:
        step("weights")
        weight = poststratification_weights(data, weights)
    if weight is not None:
        data["weight"] = weight
        tables["weights"] = pd.DataFrame({"response_id": ids, "weight": weight})
    if weight is not None:
        tables["analysis_basis"] = analysis_basis(design, weight)

    step("shares")
    tables.update(_share_tables(data, questionnaire, "weight" if weight is not None else None,
                                language, design))
    if not size_skip_reason(questionnaire):
        step("size_regressions")
        tables["size_regressions"] = size_regressions(
            data, questionnaire=questionnaire, scores=scores,
            weights="weight" if weight is not None else None, design=design,
        )
        step("size_gradients")
        outcomes = adoption_outcomes(data, questionnaire)
        tables["size_gradients"] = _gradients(data.join(outcomes), list(outcomes.columns))
    step("breakdowns")
    tables.update(_breakdown_tables(data, questionnaire, design))
    return tables


def analysis_basis(design: SurveyDesign | None, weight: pd.Series | None) -> pd.DataFrame:
    """One row saying what the estimates rest on (the `analysis_basis` table)."""
    import numpy as np

    if design is not None:
        row = {"basis": "design-based", "firms": design.n,
               "strata": int(len(np.unique(design.strata))),
               "psus": int(len(np.unique(design.psu))),
               "weight_total": float(design.weights.sum()),
               "note": "shares, regressions and tests use the survey design"}
    elif weight is not None:
        row = {"basis": "weighted", "firms": int(weight.notna().sum()), "strata": 1,
               "psus": int(weight.notna().sum()), "weight_total": float(weight.sum()),
               "note": "post-stratification weights; intervals at Kish's effective n"}
    else:
        row = {"basis": "unweighted", "firms": None, "strata": None, "psus": None,
               "weight_total": None,
               "note": "no survey design: firms counted as a simple random sample"}
    return pd.DataFrame([row])


def size_skip_reason(questionnaire: Questionnaire) -> str:
    """Why the size analyses (regressions, gradients, size classes) cannot run on
    `questionnaire`, or "" when they can."""
    if any(measure in questionnaire for measure in SIZE_MEASURES):
        return ""
    return (f"size analyses skipped: the questionnaire has no {', '.join(SIZE_MEASURES[:-1])} "
            f"or {SIZE_MEASURES[-1]}")


def _reliability_tables(data, questionnaire, step) -> dict[str, pd.DataFrame]:
    from dmsurvey.analysis.reliability import item_rest, principal_component, reliability

    step("reliability")
    return {
        "reliability": reliability(data, questionnaire=questionnaire),
        "item_rest": item_rest(data, questionnaire=questionnaire),
        "principal_component": principal_component(data, questionnaire=questionnaire),
    }


def _share_tables(data, questionnaire, weight, language, design=None
                  ) -> dict[str, pd.DataFrame]:
    from dmsurvey.analysis.shares import shares

    selects = [q.id for q in questionnaire.answerable if q.is_select and q.id in data.columns]
    overall = [shares(data, q, questionnaire=questionnaire, weights=weight, language=language,
                      design=design)
               for q in selects]
    grouped = []
    for by in GROUPINGS:
        if by not in data.columns:
            continue
        for question in selects:
            if question == by:
                continue
            table = shares(data, question, questionnaire=questionnaire, by=by, weights=weight,
                           language=language, design=design)
            grouped.append(table.rename(columns={by: "group"}).assign(by=by))
    tables = {"shares": _concat(overall)}
    if grouped:
        by_group = _concat(grouped)
        by_group["group"] = by_group["group"].astype(str)
        tables["shares_by_group"] = by_group[["by", *by_group.columns.drop("by")]]
    return tables


def _gradients(data: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    from dmsurvey.analysis.gradients import size_gradient

    parts = [size_gradient(data, outcomes=outcomes, by=by)
             for by in SIZE_GROUPINGS if by in data.columns]
    return _concat(parts)


def _breakdown_tables(data, questionnaire, design=None) -> dict[str, pd.DataFrame]:
    from dmsurvey.analysis.breakdowns import any_chosen, crosstab_test, option_columns

    tables = {}
    if OBSTACLE in questionnaire and OBSTACLE in data.columns:
        tables["obstacle_breakdowns"] = _concat(
            [crosstab_test(data, OBSTACLE, by=by, design=design)
             for by in GROUPINGS if by in data.columns]
        )
    if POLICY in questionnaire and POLICY in data.columns:
        options = option_columns(data, POLICY, questionnaire)
        options[f"{POLICY}/any"] = any_chosen(data, POLICY, questionnaire)
        frame = data.join(options)
        policy_by = [by for by in ("size_class", OBSTACLE) if by in frame.columns]
        tables["policy_breakdowns"] = _concat(
            [crosstab_test(frame, option, by=by, design=design)
             for by in policy_by for option in options]
        )
        if "level" in frame.columns:
            tables["support_by_maturity"] = _concat(
                [crosstab_test(frame, option, by="level", design=design)
                 for option in options]
            )
    return tables


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [part for part in parts if len(part)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
