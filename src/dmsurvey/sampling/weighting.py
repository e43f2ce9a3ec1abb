"""Survey weights, one adjustment at a time.

A respondent's final weight is its design weight (1 / inclusion probability) times a
factor per adjustment step:

- `nonresponse_factor`: within weighting classes (the strata, say), the drawn firms'
  design weights over the respondents' design weights, so respondents also stand for
  the drawn firms that did not answer.
- `calibration_factor` with `cells`: post-stratification to known population counts per
  cell; with `margins`: raking (iterative proportional fitting) to several margins.
- `trim`: weights above `upper` times the median are cut to that bound and the excess is
  spread over the other firms so the total stays the same.

`weighting_steps` runs them in order and returns one row per respondent with the weight
after every step, which `dmsurvey design` writes to the study.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from dmsurvey.errors import AnalysisError, Problem

MAX_TRIM_ROUNDS = 50


def nonresponse_factor(design_weight: pd.Series, responded: pd.Series,
                       classes: pd.DataFrame) -> pd.Series:
    """Factor for each drawn firm (0 for nonrespondents): per weighting class, the sum of
    design weights of all drawn firms over that of the respondents."""
    keys = classes.astype(str).agg("|".join, axis=1)
    responded = responded.astype(bool)
    drawn = design_weight.groupby(keys).sum()
    answered = design_weight[responded].groupby(keys[responded]).sum()
    empty = drawn.index.difference(answered.index)
    if len(empty):
        raise AnalysisError(
            "a weighting class has drawn firms but no respondents (merge it with another)",
            [Problem("class without respondents", value=str(key)) for key in empty])
    factor = (drawn / answered).reindex(keys).to_numpy()
    return pd.Series(np.where(responded, factor, 0.0), index=design_weight.index)


def calibration_factor(weight: pd.Series, data: pd.DataFrame, *,
                       cells: pd.DataFrame | None = None,
                       margins: pd.DataFrame | None = None) -> pd.Series:
    """Factor that makes `weight` match population counts: `cells` (one column per
    variable, then `population`) post-stratifies; `margins` (`variable, category,
    population`) rakes. The raked or post-stratified weight is `weight` times it."""
    if cells is None and margins is None:
        raise AnalysisError("calibration needs population cells or margins")
    # analysis.weights calibrates equal weights; here the current weights are the start
    if cells is not None:
        variables = [c for c in cells.columns if c != "population"]
        keys = data[variables].astype(str).agg("|".join, axis=1)
        targets = cells.assign(key=cells[variables].astype(str).agg("|".join, axis=1)
                               ).groupby("key")["population"].sum()
        current = weight.groupby(keys).sum()
        missing = current.index.difference(targets.index)
        if len(missing):
            raise AnalysisError("respondents in cells without a population count",
                                [Problem("cell without count", value=k) for k in missing])
        return pd.Series((targets / current).reindex(keys).to_numpy(), index=weight.index)
    return _rake_from(weight, data, margins) / weight


def _rake_from(weight: pd.Series, data: pd.DataFrame, margins: pd.DataFrame) -> pd.Series:
    """Raking that starts from `weight` rather than equal weights."""
    variables = list(dict.fromkeys(margins["variable"].str.strip()))
    keys = {v: data[v].astype(str) for v in variables}
    targets = {v: part.groupby(part["category"].str.strip())["population"].sum()
               for v, part in margins.groupby(margins["variable"].str.strip(), sort=False)}
    raked = weight.astype(float).copy()
    for _ in range(200):
        change = 0.0
        for variable in variables:
            current = raked.groupby(keys[variable]).sum()
            unknown = current.index.difference(targets[variable].index)
            if len(unknown):
                raise AnalysisError(
                    "respondents in categories without a population count",
                    [Problem("category without count", column=variable, value=k)
                     for k in unknown])
            factor = (targets[variable] / current).reindex(keys[variable]).to_numpy()
            change = max(change, float(np.nanmax(np.abs(factor - 1))))
            raked = raked * factor
        if change < 1e-10:
            return raked
    raise AnalysisError("raking did not converge: the margins may not fit the respondents")


def trim(weight: pd.Series, *, upper: float = 5.0) -> pd.Series:
    """Weights capped at `upper` times their median, the excess spread proportionally over
    the uncapped weights so the total is unchanged (repeated until none exceeds)."""
    values = weight.astype(float).copy()
    total = values.sum()
    bound = upper * float(values[values > 0].median())
    for _ in range(MAX_TRIM_ROUNDS):
        over = values > bound * (1 + 1e-12)
        if not over.any():
            break
        values[over] = bound
        free = ~over & (values > 0) & (values < bound)
        values[free] *= (total - values[~free].sum()) / values[free].sum()
    return values


def weighting_steps(draw: pd.DataFrame, *, design_weight: str = "design_weight",
                    responded: str = "responded", classes: Sequence[str] = ("stratum",),
                    cells: pd.DataFrame | None = None,
                    margins: pd.DataFrame | None = None,
                    trim_upper: float | None = None) -> pd.DataFrame:
    """The weight after each step for every drawn firm: columns `design_weight`,
    `after_nonresponse`, then `after_calibration` (with cells or margins) and
    `after_trimming` (with `trim_upper`), and `weight` (the last of them)."""
    steps = pd.DataFrame(index=draw.index)
    steps["design_weight"] = draw[design_weight].astype(float)
    answered = draw[responded].astype(bool)
    current = steps["design_weight"] * nonresponse_factor(
        steps["design_weight"], answered, draw[list(classes)])
    steps["after_nonresponse"] = current
    if cells is not None or margins is not None:
        respondents = current[answered]
        calibrated = respondents * calibration_factor(
            respondents, draw.loc[answered], cells=cells, margins=margins)
        current = calibrated.reindex(draw.index, fill_value=0.0)
        steps["after_calibration"] = current
    if trim_upper is not None:
        current = trim(current[answered], upper=trim_upper).reindex(draw.index,
                                                                   fill_value=0.0)
        steps["after_trimming"] = current
    steps["weight"] = current
    return steps
