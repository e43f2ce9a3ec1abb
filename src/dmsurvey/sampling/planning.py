"""Planning a sample: how many firms, how they are spread over strata, and the draw.

    >>> required_sample_size(margin=0.05, share=0.3, deff=1.5, population=20000)
    >>> allocate(populations, 400, method="neyman", spread=sds)
    >>> draw = stratified_draw(register, strata=["industry", "size_class"], n=400, seed=7)

Sample size for a share `p` at margin `e` and confidence `1 - a` (z = its normal quantile):
`n0 = z^2 p (1 - p) / e^2 * deff` (a mean: `z^2 s^2 / e^2 * deff`), corrected for a finite
population of `N` units to `n = n0 / (1 + (n0 - 1) / N)`, and divided by the expected
response rate to give the firms to contact. Allocation to strata: proportional
(`n_h ∝ N_h`), Neyman (`∝ N_h S_h`), equal, or optimal for costs (`∝ N_h S_h / sqrt(c_h)`);
rounded by largest remainders so the sizes add up to `n` exactly, never above a stratum's
population, and at least two per stratum where the stratum has them (a stratum's variance
needs two).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

from dmsurvey.errors import DataError, Problem

ALLOCATIONS = ("proportional", "neyman", "equal", "optimal")
MIN_PER_STRATUM = 2
ALLOCATION_COLUMNS = ["stratum", "population", "allocated", "sampling_fraction", "reserve"]


def required_sample_size(*, margin: float, confidence: float = 0.95, share: float = 0.5,
                         sd: float | None = None, deff: float = 1.0,
                         population: float | None = None, response_rate: float = 1.0
                         ) -> dict[str, float]:
    """Completed interviews (`n`) and firms to contact (`contacts`) for an estimate
    within `margin` at `confidence`: of a share near `share`, or of a mean with standard
    deviation `sd` (margin in the mean's units). Also `n0`, before the finite population
    correction."""
    _check_range("margin", margin, 0, math.inf if sd is not None else 1)
    _check_range("confidence", confidence, 0, 1)
    _check_range("response rate", response_rate, 0, 1, upper_inclusive=True)
    z = norm.ppf(0.5 + confidence / 2)
    variance = sd**2 if sd is not None else share * (1 - share)
    n0 = z**2 * variance / margin**2 * deff
    n = n0 / (1 + (n0 - 1) / population) if population else n0
    n = math.ceil(n - 1e-9)
    if population:
        n = min(n, int(population))
    return {"n0": n0, "n": n, "contacts": math.ceil(n / response_rate - 1e-9)}


def _check_range(name: str, value: float, lower: float, upper: float,
                 upper_inclusive: bool = False) -> None:
    above = value > upper if upper_inclusive else value >= upper
    if not value > lower or above:
        bound = f"at most {upper}" if upper_inclusive else f"below {upper}"
        raise DataError(f"{name} must be above {lower} and {bound} (got {value})",
                        [Problem("bad option", value=str(value),
                                 expected=f"above {lower} and {bound}")])


def allocate(populations: pd.Series, n: int, *, method: str = "proportional",
             spread: pd.Series | None = None, cost: pd.Series | None = None) -> pd.Series:
    """Sample size per stratum (index of `populations`, the stratum sizes N_h) adding up to
    `n`. `spread` (S_h, the standard deviation of the variable of interest per stratum)
    is needed for `neyman` and `optimal`; `cost` (c_h, cost per interview) for `optimal`."""
    if method not in ALLOCATIONS:
        raise DataError(f"unknown allocation {method!r}",
                        [Problem("bad option", value=method, expected=", ".join(ALLOCATIONS))])
    populations = populations.astype(float)
    total = int(populations.sum())
    if n > total:
        raise DataError(f"cannot draw {n} firms from a frame of {total}",
                        [Problem("bad option", value=str(n), expected=f"at most {total}")])
    if method in ("neyman", "optimal") and spread is None:
        raise DataError(f"{method} allocation needs the spread of a variable per stratum "
                        "(name a numeric frame column with --variable)")
    if method == "optimal" and cost is None:
        raise DataError("optimal allocation needs a cost per interview (--cost COLUMN)")
    if method == "proportional":
        share = populations
    elif method == "equal":
        share = pd.Series(1.0, index=populations.index)
    elif method == "neyman":
        share = populations * spread.reindex(populations.index).fillna(0)
    else:
        share = (populations * spread.reindex(populations.index).fillna(0)
                 / np.sqrt(cost.reindex(populations.index).astype(float)))
    if share.sum() <= 0:
        share = populations
    floor = np.minimum(populations, MIN_PER_STRATUM) if n >= MIN_PER_STRATUM * len(
        populations) else pd.Series(0.0, index=populations.index)
    return _round_capped(share, populations, n, floor)


def _round_capped(share: pd.Series, caps: pd.Series, n: int, floor: pd.Series) -> pd.Series:
    """Integer sizes proportional to `share`, between `floor` and `caps`, summing to `n`:
    strata that would exceed their cap are fixed at it and the rest re-shared."""
    fixed = floor.astype(float).copy()
    free = pd.Series(True, index=share.index)
    target = pd.Series(0.0, index=share.index)
    for _ in range(len(share) + 1):
        remaining = n - fixed[~free].sum()
        weights = share.where(free, 0.0)
        target = (weights / weights.sum() * remaining if weights.sum() > 0
                  else weights).where(free, fixed)
        over = free & (target > caps)
        under = free & (target < floor)
        if not over.any() and not under.any():
            break
        fixed[over] = caps[over]
        fixed[under] = floor[under]
        free &= ~(over | under)
    whole = np.floor(target + 1e-9)
    shortfall = int(round(n - whole.sum()))
    room = (caps - whole) > 0
    order = (target - whole).where(room, -1.0).sort_values(ascending=False, kind="stable")
    whole[order.index[:shortfall]] += 1
    return whole.astype("int64")


def read_frame(path: str | Path, *, sheet: str | None = None) -> pd.DataFrame:
    """A business register as text columns (CSV or Excel), one row per firm."""
    from dmsurvey.store.readers import read_table

    table = read_table(path, sheet=sheet)
    frame = table.cells.copy()
    frame.columns = table.headers
    return frame


def stratified_draw(frame: pd.DataFrame, *, strata: Sequence[str], n: int,
                    allocation: str = "proportional", seed: int = 7,
                    variable: str | None = None, cost: str | None = None,
                    reserve: float = 0.5, id_column: str | None = None,
                    source: str = "the frame") -> tuple[pd.DataFrame, pd.DataFrame]:
    """A stratified simple random sample without replacement from `frame`.

    Returns `(draw, allocation_table)`. `draw` holds the drawn firms (`role` = `sample`)
    and, per stratum, a reserve list for refusals (`role` = `reserve`, `reserve_rank`
    1, 2, ... in the order to use them; `ceil(reserve * n_h)` firms), with the frame's
    columns and `stratum`, `population` (N_h), `allocated` (n_h),
    `inclusion_probability` (n_h / N_h) and `design_weight` (N_h / n_h). The same frame
    and seed give the same draw whatever the frame's row order when `id_column` names
    a firm id.
    """
    missing = [c for c in [*strata, variable, cost, id_column] if c and c not in frame]
    if missing:
        raise DataError(f"{source} has no column {', '.join(map(repr, missing))}",
                        [Problem("missing column", file=source, column=c,
                                 expected=", ".join(map(str, frame.columns)))
                         for c in missing])
    frame = frame.copy()
    if id_column:
        frame = frame.sort_values(id_column, kind="stable", ignore_index=True)
    empty = frame[list(strata)].isna() | (frame[list(strata)].astype(str) == "")
    if empty.any().any():
        row, column = np.argwhere(empty.to_numpy())[0]
        raise DataError(f"{source}: a firm without a stratum value",
                        [Problem("empty cell", file=source, row=int(row) + 2,
                                 column=strata[column], expected="a value")])
    frame["stratum"] = frame[list(strata)].astype(str).agg("/".join, axis=1)
    populations = frame.groupby("stratum").size().astype(float)
    spread = costs = None
    if variable:
        values = _numbers(frame[variable], variable, source)
        spread = values.groupby(frame["stratum"]).std().fillna(0.0)
    if cost:
        costs = _numbers(frame[cost], cost, source).groupby(frame["stratum"]).mean()
    allocated = allocate(populations, n, method=allocation, spread=spread, cost=costs)
    rng = np.random.default_rng(seed)
    parts = []
    for stratum in populations.index:
        members = frame.index[frame["stratum"] == stratum]
        order = rng.permutation(members.to_numpy())
        size = int(allocated[stratum])
        spare = min(math.ceil(reserve * size), len(order) - size)
        chosen = frame.loc[order[:size + spare]].copy()
        chosen["role"] = ["sample"] * size + ["reserve"] * spare
        chosen["reserve_rank"] = [pd.NA] * size + list(range(1, spare + 1))
        parts.append(chosen)
    draw = pd.concat(parts, ignore_index=True)
    draw["population"] = draw["stratum"].map(populations).astype("int64")
    draw["allocated"] = draw["stratum"].map(allocated).astype("int64")
    draw["inclusion_probability"] = draw["allocated"] / draw["population"]
    draw["design_weight"] = draw["population"] / draw["allocated"]
    draw["reserve_rank"] = draw["reserve_rank"].astype("Int64")
    table = pd.DataFrame({"stratum": populations.index,
                          "population": populations.astype("int64").to_numpy(),
                          "allocated": allocated.to_numpy()})
    table["sampling_fraction"] = table["allocated"] / table["population"]
    table["reserve"] = draw[draw["role"] == "reserve"].groupby("stratum").size().reindex(
        table["stratum"], fill_value=0).to_numpy()
    return draw, table[ALLOCATION_COLUMNS]


def sample_size_table(populations: pd.Series | None = None, **options) -> pd.DataFrame:
    """`required_sample_size` per stratum (each stratum estimated on its own at the margin,
    with its population) and in total (the whole population); `populations` are the
    stratum sizes (None: the total only, with `options["population"]`)."""
    rows = []
    if populations is not None:
        for stratum, size in populations.items():
            result = required_sample_size(**{**options, "population": float(size)})
            rows.append({"stratum": str(stratum), "population": int(size), **result})
        options = {**options, "population": float(populations.sum())}
    total = required_sample_size(**options)
    rows.append({"stratum": "total", "population": options.get("population"), **total})
    table = pd.DataFrame(rows)
    table["population"] = table["population"].astype("Int64")
    return table[["stratum", "population", "n0", "n", "contacts"]]


def _numbers(values: pd.Series, column: str, source: str) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna() & (values.astype(str) != "")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{source}: {column!r} must be numbers",
                        [Problem("not a number", file=source, row=row + 2, column=column,
                                 value=str(values.iloc[row]), expected="a number")])
    return numbers


def synthetic_register(n_firms: int = 20000, seed: int = 2019) -> pd.DataFrame:
    """A made-up business register for trying draws: `firm_id`, `industry`,
    `size_class` (EU employee classes), `employees` and `revenue` (RMB 10,000), with the
    skew of a real register (most firms micro, few large)."""
    rng = np.random.default_rng(seed)
    industries = ["manufacturing", "software_it", "info_comm", "wholesale_retail",
                  "business_services", "sci_tech_services", "other"]
    industry = rng.choice(industries, size=n_firms, p=[0.2, 0.12, 0.05, 0.28, 0.15, 0.08,
                                                       0.12])
    employees = np.maximum(1, np.round(rng.lognormal(1.6, 1.2, n_firms))).astype(int)
    revenue = np.round(employees * rng.lognormal(3.5, 0.6, n_firms), 1)
    bounds = np.array([10, 50, 250])
    classes = np.array(["micro", "small", "medium", "large"])[np.searchsorted(
        bounds, employees, side="right")]
    return pd.DataFrame({"firm_id": [f"F{i:06d}" for i in range(1, n_firms + 1)],
                         "industry": industry, "size_class": classes,
                         "employees": employees, "revenue": revenue})
