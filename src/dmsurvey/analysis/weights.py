"""Post-stratification weights from population counts, for shares and regressions that
speak for the population of firms rather than for the sample.

Population counts come in a small CSV, in one of two shapes:

- margins (raking): columns `variable,category,population`, e.g. firms in the zone by
  size class and, separately, by industry. Weights are found by iterative proportional
  fitting (raking) so that the weighted sample matches every margin at once.
- cells: one column per variable plus `population`, e.g. `size_class,industry,population`.
  Each firm's weight is its cell's population over the firms sampled in the cell.

Variables name columns of the responses (`industry`, `ownership`, or derived ones such as
`size_class`, which `run_all` adds). Weights sum to the population total: a weight is the
number of firms a respondent stands for.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dmsurvey.analysis._answers import codes, require_columns
from dmsurvey.errors import AnalysisError, DataError, Problem

MARGIN_COLUMNS = ["variable", "category", "population"]
MAX_ITERATIONS = 200
TOLERANCE = 1e-9


def read_margins(path: str | Path) -> pd.DataFrame:
    """Read a population CSV (either shape), checking the `population` column."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.columns = [column.strip() for column in frame.columns]
    if "population" not in frame.columns:
        raise DataError(f"{path}: the population file needs a 'population' column",
                        [Problem("missing column", file=str(path), column="population")])
    population = pd.to_numeric(frame["population"], errors="coerce")
    bad = population.isna() | (population < 0)
    if bad.any():
        raise DataError(
            f"{path}: population counts must be numbers of at least 0",
            [Problem("bad count", file=str(path), row=int(index) + 2, column="population",
                     value=frame.loc[index, "population"]) for index in frame.index[bad]],
        )
    frame["population"] = population.astype(float)
    return frame


def poststratification_weights(data: pd.DataFrame, margins: pd.DataFrame | str | Path
                               ) -> pd.Series:
    """One weight per firm (index of `data`, name `weight`) matching the population counts.

    `margins` is a frame or CSV path in the `variable,category,population` shape (raking)
    or the cells shape (one column per variable, then `population`).
    """
    if not isinstance(margins, pd.DataFrame):
        margins = read_margins(margins)
    if list(margins.columns) == MARGIN_COLUMNS:
        return _rake(data, margins)
    return _cells(data, margins)


def _sample_values(data: pd.DataFrame, variables: list[str]) -> pd.DataFrame:
    require_columns(data, variables, "the weights")
    values = pd.DataFrame({variable: codes(data[variable]) for variable in variables},
                          index=data.index)
    missing = values.isna().any(axis=1)
    if missing.any():
        raise AnalysisError(
            "firms without a value for a weighting variable cannot be weighted "
            "(fill in or leave out these firms)",
            [Problem("missing value", row=int(position) + 1,
                     column=", ".join(values.columns[values.iloc[position].isna()]))
             for position in np.flatnonzero(missing.to_numpy())[:20]],
        )
    return values


def _cells(data: pd.DataFrame, cells: pd.DataFrame) -> pd.Series:
    variables = [column for column in cells.columns if column != "population"]
    values = _sample_values(data, variables)
    population = cells.assign(**{v: cells[v].astype(str).str.strip() for v in variables})
    population = population.groupby(variables)["population"].sum()
    sample = values.groupby(variables).size()
    problems = [Problem("sampled firms in a cell with no population count",
                        value=" / ".join(key if isinstance(key, tuple) else (key,)))
                for key in sample.index.difference(population.index)]
    problems += [Problem("population cell without sampled firms",
                         value=" / ".join(key if isinstance(key, tuple) else (key,)))
                 for key in population.index[population > 0].difference(sample.index)]
    if problems:
        raise AnalysisError("the population cells do not match the sample", problems)
    factor = (population / sample).rename("weight")
    keys = pd.MultiIndex.from_frame(values) if len(variables) > 1 else pd.Index(values.iloc[:, 0])
    return pd.Series(factor.reindex(keys).to_numpy(), index=data.index, name="weight")


def _rake(data: pd.DataFrame, margins: pd.DataFrame) -> pd.Series:
    margins = margins.assign(variable=margins["variable"].str.strip(),
                             category=margins["category"].str.strip())
    variables = list(dict.fromkeys(margins["variable"]))
    values = _sample_values(data, variables)
    targets = {variable: part.groupby("category")["population"].sum()
               for variable, part in margins.groupby("variable", sort=False)}
    totals = {variable: target.sum() for variable, target in targets.items()}
    problems = []
    if len(set(np.round(list(totals.values()), 6))) > 1:
        problems.append(Problem("margins add up to different population totals",
                                value=", ".join(f"{v}: {t:g}" for v, t in totals.items())))
    for variable, target in targets.items():
        seen = set(values[variable].unique())
        problems += [Problem("sampled category with no population count", column=variable,
                             value=category) for category in sorted(seen - set(target.index))]
        problems += [Problem("population category without sampled firms", column=variable,
                             value=category)
                     for category in sorted(set(target.index[target > 0]) - seen)]
    if problems:
        raise AnalysisError("the population margins do not match the sample", problems)
    weight = pd.Series(next(iter(totals.values())) / len(values), index=data.index)
    for _ in range(MAX_ITERATIONS):
        largest_change = 0.0
        for variable, target in targets.items():
            current = weight.groupby(values[variable]).sum()
            factor = (target / current).reindex(values[variable]).to_numpy()
            largest_change = max(largest_change, float(np.nanmax(np.abs(factor - 1))))
            weight = weight * factor
        if largest_change < TOLERANCE:
            return weight.rename("weight")
    raise AnalysisError(
        f"raking did not converge in {MAX_ITERATIONS} rounds: the margins may be "
        "inconsistent with the sample (a category combination with no firms)"
    )
