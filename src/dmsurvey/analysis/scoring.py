"""The digital maturity index: dimension scores, composite and level for every firm.

The rules live in the questionnaire's `scoring:` block, never here. `score` is a pure
function of the rows it is given (no state, no look at other rows), so it runs the same
on a whole frame, on chunks of a Parquet file, or on the partitions of a Dask frame:

    >>> scores = score(study.responses(), study.questionnaire)
    >>> scores = ddf.map_partitions(score, questionnaire, meta=score_meta(questionnaire))

Formulas and a firm worked by hand: docs/methodology.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dmsurvey.analysis._answers import (
    codes,
    indicators,
    question_of,
    require_columns,
)
from dmsurvey.errors import AnalysisError
from dmsurvey.questionnaire.model import Dimension, Questionnaire, Scoring, ScoringItem

CSV_DECIMALS = 2

ITEM_MAXIMUM = 100.0


def score(responses: pd.DataFrame, questionnaire: Questionnaire) -> pd.DataFrame:
    """One row per firm: `response_id`, each dimension (0-100), `composite`, `level`,
    `items_answered`.

    An item scores the points of the chosen code (select_one) or the sum over the chosen
    codes capped at 100 (select_multiple); unanswered items do not count. A dimension is
    the weighted mean of its answered items, missing (NaN) when fewer than its
    `min_answered` share of items is answered, and NaN when its `applies_if` is false.
    The composite is the weighted mean of the dimensions present; the level is the band
    `min <= composite < max` (the last band includes its max). `items_answered` counts
    the answered items of the dimensions that apply. The index of `responses` is kept.
    """
    scoring = scoring_rules(questionnaire)
    _check_columns(responses, questionnaire)
    n_rows = len(responses)
    result = {"response_id": _response_ids(responses)}
    weighted_sum = np.zeros(n_rows)
    weight_total = np.zeros(n_rows)
    items_answered = np.zeros(n_rows, dtype=np.int64)
    for dimension in scoring.dimensions:
        values, answered_count = _dimension_score(responses, questionnaire, dimension)
        applies = dimension_applies(responses, questionnaire, dimension)
        values = np.where(applies, values, np.nan)
        items_answered += np.where(applies, answered_count, 0)
        present = ~np.isnan(values)
        weighted_sum += np.where(present, values * dimension.weight, 0.0)
        weight_total += np.where(present, dimension.weight, 0.0)
        result[dimension.id] = values
    with np.errstate(invalid="ignore", divide="ignore"):
        composite = np.where(weight_total > 0, weighted_sum / weight_total, np.nan)
    result["composite"] = composite
    result["level"] = level_of(composite, scoring)
    result["items_answered"] = items_answered
    return pd.DataFrame(result, index=responses.index)


def score_meta(questionnaire: Questionnaire) -> pd.DataFrame:
    """An empty frame with the columns and dtypes `score` returns (Dask's `meta=`)."""
    scoring = scoring_rules(questionnaire)
    columns = {"response_id": pd.Series([], dtype="str")}
    for dimension in scoring.dimensions:
        columns[dimension.id] = pd.Series([], dtype=float)
    columns["composite"] = pd.Series([], dtype=float)
    columns["level"] = pd.Categorical([], categories=[level.id for level in scoring.levels])
    columns["items_answered"] = pd.Series([], dtype="int64")
    return pd.DataFrame(columns)


def item_points(series: pd.Series, questionnaire: Questionnaire, item: ScoringItem) -> pd.Series:
    """0-100 points of one scoring item per firm; NaN where the question is unanswered."""
    question = question_of(questionnaire, item.question, select=True)
    marks = indicators(series, question)
    vector = np.array([float(item.points.get(code, 0.0)) for code in marks.columns])
    points = marks.to_numpy(dtype=float) @ vector
    if question.type == "select_multiple":
        points = np.minimum(points, ITEM_MAXIMUM)
    return pd.Series(points, index=series.index, name=item.question)


def level_of(composite, scoring: Scoring) -> pd.Categorical:
    """The maturity level of each composite score (`min <= score < max`; the last band
    includes its max); NaN where the composite is missing or outside every band."""
    values = np.asarray(composite, dtype=float)
    chosen = np.full(values.shape, -1, dtype=np.int64)
    last = len(scoring.levels) - 1
    for position, level in enumerate(scoring.levels):
        upper = values <= level.max if position == last else values < level.max
        inside = (values >= level.min) & upper & (chosen < 0)
        chosen[inside] = position
    return pd.Categorical.from_codes(chosen, categories=[level.id for level in scoring.levels])


def _dimension_score(
    responses: pd.DataFrame, questionnaire: Questionnaire, dimension: Dimension
) -> tuple[np.ndarray, np.ndarray]:
    n_rows = len(responses)
    weighted_sum = np.zeros(n_rows)
    weight_total = np.zeros(n_rows)
    answered_count = np.zeros(n_rows, dtype=np.int64)
    for item in dimension.items:
        points = item_points(responses[item.question], questionnaire, item).to_numpy()
        answered = ~np.isnan(points)
        weighted_sum += np.where(answered, points * item.weight, 0.0)
        weight_total += np.where(answered, item.weight, 0.0)
        answered_count += answered
    enough = answered_count >= dimension.min_answered * len(dimension.items)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(enough & (weight_total > 0), weighted_sum / weight_total, np.nan)
    return values, answered_count


def dimension_applies(
    responses: pd.DataFrame, questionnaire: Questionnaire, dimension: Dimension
) -> np.ndarray:
    if not dimension.applies_if:
        return np.ones(len(responses), dtype=bool)
    from dmsurvey.questionnaire.expressions import parse_expression

    expression = parse_expression(dimension.applies_if)
    frame = pd.DataFrame(
        {
            name: codes(responses[name]) if questionnaire.question(name).is_select
            else responses[name]
            for name in sorted(expression.references)
        },
        index=responses.index,
    )
    return expression.holds_frame(frame).to_numpy(dtype=bool)


def _response_ids(responses: pd.DataFrame) -> pd.Series:
    if "response_id" in responses.columns:
        return responses["response_id"].astype("str")
    return pd.Series(responses.index.astype(str), index=responses.index, dtype="str")


def scoring_rules(questionnaire: Questionnaire) -> Scoring:
    if questionnaire.scoring is None or not questionnaire.scoring.dimensions:
        raise AnalysisError(
            f"questionnaire {questionnaire.name!r} has no scoring: block, so there is no "
            "maturity index to compute (add one; see docs/methodology.md)"
        )
    return questionnaire.scoring


def scoring_columns(questionnaire: Questionnaire) -> list[str]:
    """The question columns the index reads: its items and what `applies_if` refers to."""
    from dmsurvey.questionnaire.expressions import parse_expression

    needed = []
    for dimension in scoring_rules(questionnaire).dimensions:
        needed.extend(item.question for item in dimension.items)
        if dimension.applies_if:
            needed.extend(sorted(parse_expression(dimension.applies_if).references))
    return list(dict.fromkeys(needed))


def for_csv(scores: pd.DataFrame) -> pd.DataFrame:
    """Scores rounded to `CSV_DECIMALS` for a CSV file, which people open and read
    (21.67, not 21.666666666666668); Parquet keeps full precision."""
    return scores.round(CSV_DECIMALS)


def _check_columns(responses: pd.DataFrame, questionnaire: Questionnaire) -> None:
    needed = scoring_columns(questionnaire)
    require_columns(responses, needed, "the maturity index")
    for name in needed:
        question_of(questionnaire, name)
