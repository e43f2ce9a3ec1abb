"""Shares of firms choosing each option, with 95% Wilson intervals.

    >>> shares(responses, "tech_used", questionnaire=q)              # every option
    >>> shares(responses, "online_procurement_share", questionnaire=q, by="size_class")

Without weights a row counts firms: `share = count / n`, where `n` is the firms in the
base (the group) that answered the question, and the interval is Wilson's score interval.
With weights the share is the weighted share and the interval is Wilson's formula at the
Kish effective sample size (see docs/methodology.md). With a survey design
(`dmsurvey.analysis.design.SurveyDesign`) the share is the design-based estimate, groups
are domains, and the table adds its linearised `std_err`, design effect `deff` and
degrees of freedom `df`; the interval is the logit (or Korn-Graubard) interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.stats import norm

from dmsurvey.analysis._answers import (
    indicators,
    question_of,
    require_columns,
)
from dmsurvey.errors import AnalysisError, Problem
from dmsurvey.questionnaire.model import Questionnaire

if TYPE_CHECKING:
    from dmsurvey.analysis.design import SurveyDesign

SHARE_COLUMNS = ["question", "item", "label", "count", "n", "share", "ci_low", "ci_high"]
WEIGHTED_COLUMNS = ["weighted_count", "weighted_n", "n_effective"]
DESIGN_COLUMNS = ["std_err", "deff", "df"]


def wilson_interval(count, n, confidence: float = 0.95):
    """Wilson score interval for `count` successes out of `n` trials: `(low, high)`.

    Works on scalars and arrays alike (arrays give arrays). Where `n` is 0 the interval
    is undefined and both ends are NaN. `count` may be fractional (an effective count).
    The ends lie in [0, 1]: exactly 0 where `count` is 0 and exactly 1 where `count` is
    `n` (the formula gives these only up to rounding, and a whisker below 0 breaks plots).
    """
    count_array = np.asarray(count, dtype=float)
    n_array = np.asarray(n, dtype=float)
    z = norm.ppf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_hat = count_array / n_array
        denominator = 1 + z**2 / n_array
        centre = (p_hat + z**2 / (2 * n_array)) / denominator
        half_width = (z / denominator) * np.sqrt(
            p_hat * (1 - p_hat) / n_array + z**2 / (4 * n_array**2)
        )
    empty = n_array <= 0
    low = np.where(count_array <= 0, 0.0, np.clip(centre - half_width, 0.0, 1.0))
    high = np.where(count_array >= n_array, 1.0, np.clip(centre + half_width, 0.0, 1.0))
    low = np.where(empty, np.nan, low)
    high = np.where(empty, np.nan, high)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def shares(
    data: pd.DataFrame,
    question: str,
    *,
    questionnaire: Questionnaire,
    by: str | Sequence[str] | None = None,
    weights: str | pd.Series | None = None,
    language: str | None = None,
    confidence: float = 0.95,
    design: SurveyDesign | None = None,
    interval: str = "logit",
) -> pd.DataFrame:
    """Count, base, share and Wilson interval of every choice of `question`.

    One row per choice (every option of a select_multiple, `none` included), per group
    of `by` (columns of `data`, such as `size_class`, `industry`, `ownership` or
    `level`; rows whose group is missing are left out). `n` is the number of firms in
    the group that answered the question.

    `weights` (a column name or a Series aligned with `data`) gives the weighted share,
    with extra columns `weighted_count`, `weighted_n` and `n_effective` (Kish's
    effective sample size, at which the Wilson interval is computed); `count` and `n`
    still count firms.

    `design` (one entry per row of `data`) makes the shares design-based, with columns
    `std_err`, `deff` and `df` and an `interval` of kind `logit` or `korn_graubard`;
    `weights` is then ignored (the design carries the weights).
    """
    question_model = question_of(questionnaire, question, select=True)
    by_columns = [by] if isinstance(by, str) else list(by or [])
    require_columns(data, [question, *by_columns], "this table")
    marks = indicators(data[question], question_model)
    answered = marks.notna().all(axis=1).astype(float)
    weight = None if design is not None else _weights(data, weights, answered)
    table = _tabulate(marks.fillna(0.0), answered, weight, data[by_columns] if by_columns else None)

    lang = questionnaire.label_language(language)
    labels = {choice.code: choice.label.in_language(lang) for choice in question_model.choices}
    if design is not None:
        table = _design_estimates(table, marks, data[by_columns], design, interval,
                                  confidence)
    table.insert(len(by_columns), "question", question)
    table.insert(len(by_columns) + 2, "label", table["item"].map(labels).astype(str))
    table["count"] = table["count"].round().astype("int64")
    table["n"] = table["n"].round().astype("int64")
    if design is not None:
        return table[[*by_columns, *SHARE_COLUMNS, *DESIGN_COLUMNS]].reset_index(drop=True)
    if weight is None:
        table["share"] = (table["count"] / table["n"]).where(table["n"] > 0)
        low, high = wilson_interval(table["count"], table["n"], confidence)
    else:
        table["share"] = (table["weighted_count"] / table["weighted_n"]).where(
            table["weighted_n"] > 0
        )
        low, high = wilson_interval(
            table["share"] * table["n_effective"], table["n_effective"], confidence
        )
    table["ci_low"], table["ci_high"] = low, high
    extra = WEIGHTED_COLUMNS if weight is not None else []
    return table[[*by_columns, *SHARE_COLUMNS, *extra]].reset_index(drop=True)


def _design_estimates(table: pd.DataFrame, marks: pd.DataFrame, groups: pd.DataFrame,
                      design: SurveyDesign, interval: str, confidence: float) -> pd.DataFrame:
    """Design-based share, standard error, design effect and interval for every row of a
    `_tabulate` table, each group estimated as a domain of the whole design."""
    from dmsurvey.analysis.design import domain_means, proportion_interval

    if design.n != len(marks):
        raise AnalysisError(f"the design has {design.n} firms but the data {len(marks)}")
    values = marks.to_numpy(dtype=float)
    items = list(marks.columns)
    columns = {name: np.full(len(table), np.nan) for name in
               ("share", "std_err", "deff", "df", "ci_low", "ci_high")}
    by_columns = list(groups.columns)
    keys = table[by_columns].drop_duplicates() if by_columns else pd.DataFrame(index=[0])
    for _, key in keys.iterrows():
        domain = np.ones(len(marks), bool)
        rows = np.ones(len(table), bool)
        for column in by_columns:
            domain &= (groups[column] == key[column]).fillna(False).to_numpy(dtype=bool)
            rows &= (table[column] == key[column]).to_numpy(dtype=bool)
        result = domain_means(values, design, domain)
        for position in np.flatnonzero(rows):
            item = items.index(table["item"].iloc[position])
            # rounding can carry a share of 1 to 1.0000000000000002
            share = min(max(float(result["estimate"][item]), 0.0), 1.0)
            error = float(result["std_err"][item])
            columns["share"][position] = share
            columns["std_err"][position] = error
            columns["deff"][position] = result["deff"][item]
            columns["df"][position] = result["df"]
            low, high = proportion_interval(share, error, df=result["df"], n=result["n"],
                                            method=interval, confidence=confidence)
            columns["ci_low"][position], columns["ci_high"][position] = low, high
    return table.assign(**columns)


def _weights(
    data: pd.DataFrame, weights: str | pd.Series | None, answered: pd.Series
) -> pd.Series | None:
    if weights is None:
        return None
    if isinstance(weights, str):
        require_columns(data, [weights], "the weights")
        weights = data[weights]
    values = pd.to_numeric(pd.Series(weights, index=data.index), errors="coerce").astype(float)
    bad = answered.astype(bool) & ~(np.isfinite(values) & (values >= 0))
    if bad.any():
        raise AnalysisError(
            "weights must be numbers of at least 0 for every firm that answered",
            [Problem("bad weight", row=int(position) + 1, value=weights.iloc[position])
             for position in np.flatnonzero(bad.to_numpy())[:20]],
        )
    return values.fillna(0.0)


def _tabulate(
    marks: pd.DataFrame,
    answered: pd.Series,
    weight: pd.Series | None,
    groups: pd.DataFrame | None,
) -> pd.DataFrame:
    """Sum indicator columns (and their weighted versions) overall or per group, in long
    form: one row per group (in group order) and choice (in choice order)."""
    if groups is None:
        group_ids = np.zeros(len(marks), dtype=np.int64)
        keys = pd.DataFrame(index=[0])
    else:
        grouped = groups.groupby(list(groups.columns), observed=True, sort=True, dropna=True)
        group_ids = grouped.ngroup().fillna(-1).to_numpy(dtype=np.int64)
        keys = grouped.size().index.to_frame(index=False)
    keep = group_ids >= 0
    group_ids = group_ids[keep]
    answered_values = answered.to_numpy(dtype=float)[keep]
    chosen = marks.to_numpy(dtype=float)[keep] * answered_values[:, None]
    n_groups, n_items = len(keys), marks.shape[1]

    def per_group(values: np.ndarray) -> np.ndarray:
        return np.bincount(group_ids, weights=values, minlength=n_groups)

    columns = {
        "n": np.repeat(per_group(answered_values), n_items),
        "count": np.column_stack([per_group(chosen[:, j]) for j in range(n_items)]).ravel(),
    }
    if weight is not None:
        weighted = weight.to_numpy(dtype=float)[keep] * answered_values
        weight_squared = np.repeat(per_group(weighted**2), n_items)
        columns["weighted_count"] = np.column_stack(
            [per_group(chosen[:, j] * weighted) for j in range(n_items)]).ravel()
        columns["weighted_n"] = np.repeat(per_group(weighted), n_items)
        with np.errstate(invalid="ignore", divide="ignore"):
            columns["n_effective"] = np.where(
                weight_squared > 0, columns["weighted_n"] ** 2 / weight_squared, 0.0)
    long = keys.loc[keys.index.repeat(n_items)].reset_index(drop=True)
    long["item"] = np.tile(np.asarray(marks.columns, dtype=object), n_groups)
    for name, values in columns.items():
        long[name] = values
    return long[long["n"] > 0].reset_index(drop=True)


DERIVED_GROUPS = ("size_class", "size_class_china", "revenue_2019_band", "assets_2019_band",
                  "level")


def with_derived_groups(responses: pd.DataFrame, questionnaire: Questionnaire,
                        by: str | Sequence[str] | None, language: str | None = None
                        ) -> pd.DataFrame:
    """`responses` with the groups `run_all` derives (size class, revenue and asset bands,
    maturity level) added where `by` asks for one the responses lack."""
    wanted = [b for b in ([by] if isinstance(by, str) else list(by or []))
              if b in DERIVED_GROUPS and b not in responses.columns]
    if not wanted:
        return responses
    from dmsurvey.analysis.sizes import size_band, size_class

    data = responses.copy()
    for name in wanted:
        if name == "level":
            from dmsurvey.analysis.scoring import score

            if questionnaire.scoring is None:
                raise AnalysisError("--by level needs a questionnaire with a scoring block")
            data["level"] = score(data, questionnaire)["level"]
        elif name in ("size_class", "size_class_china"):
            data[name] = size_class(data, scheme="eu" if name == "size_class" else "china")
        else:
            data[name] = size_band(data[name.removesuffix("_band")], language=language or "en")
    return data


def repeat_shares(
    instances: pd.DataFrame,
    question: str,
    *,
    questionnaire: Questionnaire,
    responses: pd.DataFrame | None = None,
    by: str | Sequence[str] | None = None,
    language: str | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """`shares` of a question of a repeat section over its instances (each member, plot or
    branch counts once), from the repeat's instances as `instance_frames` gives them.

    `by` names columns of `responses` (joined to each instance by response_id), so members
    can be broken down by their household's answers. Instances of one response are not
    independent, so the intervals are narrower than a clustered analysis would give.
    """
    from dmsurvey.store.instances import repeat_questionnaire

    section = questionnaire.repeat_of(question)
    if section is None:
        raise AnalysisError(f"{question} is not a question of a repeat section")
    by_columns = [by] if isinstance(by, str) else list(by or [])
    data = instances
    if by_columns:
        if responses is None:
            raise AnalysisError("a breakdown of instances needs the responses they belong to")
        require_columns(responses, by_columns, "this table")
        data = instances.merge(responses[["response_id", *by_columns]], on="response_id",
                               how="left")
    return shares(data, question, questionnaire=repeat_questionnaire(questionnaire, section),
                  by=by_columns or None, language=language, confidence=confidence)


def instances_line(instances: pd.DataFrame, questionnaire: Questionnaire, question: str,
                   language: str | None = None) -> str:
    """What a table of a repeat question is over: `over 57 instances of Members in 20
    responses`."""
    from dmsurvey.wording import plural

    section = questionnaire.repeat_of(question)
    title = section.title.in_language(questionnaire.label_language(language))
    count, responses = len(instances), instances["response_id"].nunique()
    if (language or "en").startswith("zh"):
        return f"基于{responses}份答卷中的{count}个“{title}”实例"
    return f"over {plural(count, 'instance')} of {title} in {plural(responses, 'response')}"


def answered_line(table: pd.DataFrame, firms: int, language: str | None = None) -> str:
    """How many of `firms` answered the question of a `shares` table (all firms as the
    base) and how many did not: `n = 21 answered; 9 did not`."""
    answered = int(table["n"].max()) if len(table) else 0
    if (language or "en").startswith("zh"):
        return f"作答{answered}家；未作答{firms - answered}家"
    return f"n = {answered} answered; {firms - answered} did not"


def share_view(
    table: pd.DataFrame, *, questionnaire: Questionnaire, language: str | None = None
) -> pd.DataFrame:
    """A `shares` table as a person reads it in an 80-column terminal: group labels
    (each named once, on its first row), the choice label, firms as `count/n`, the share
    and its interval in per cent."""
    lang = questionnaire.label_language(language)
    group_columns = list(table.columns[: list(table.columns).index("question")])
    view = pd.DataFrame(index=table.index)
    for column in group_columns:
        names = table[column].astype(str)
        if column in questionnaire and questionnaire.question(column).is_select:
            labels = {choice.code: choice.label.in_language(lang)
                      for choice in questionnaire.question(column).choices}
            names = names.map(lambda code, labels=labels: labels.get(code, code))
        view[column] = names.where(names.ne(names.shift()), "")
    view["answer"] = table["label"]
    view["firms"] = [f"{count}/{n}" for count, n in zip(table["count"], table["n"],
                                                        strict=True)]
    view["share"] = [_percent(value) for value in table["share"]]
    view["95% CI"] = [
        "" if pd.isna(low) else f"{100 * low:.1f}–{_percent(high)}"
        for low, high in zip(table["ci_low"], table["ci_high"], strict=True)
    ]
    return view.reset_index(drop=True)


def _percent(value: float) -> str:
    return "" if pd.isna(value) else f"{100 * value:.1f}%"
