"""Design-based estimation: what a stratified (and possibly clustered) sample says about
the population of firms it was drawn from.

    >>> design = SurveyDesign.from_frame(data, weights="weight", strata="stratum",
    ...                                  fpc="population")
    >>> design_means(data, ["online_gt50"], design, by="industry")
    >>> proportion_interval(0.3, 0.05, df=86, method="korn_graubard", n=99)
    >>> rao_scott(data, "biggest_obstacle", "size_class", design)
    >>> design_glm(y, X, design, family="binomial")

Standard errors are Taylor-linearised: every estimate is written as a sum over firms of
an influence value, and its variance is that of a weighted total under the design
(with-replacement PSUs within strata, finite population correction per stratum). This is
the estimator of R's `survey` package (`svyrecvar`), and `tests/reference/` checks the
figures against it. Replicate weights (stratified delete-one-PSU jackknife, or the
Rao-Wu rescaled bootstrap) are an alternative (`SurveyDesign.with_replicates`).

Domains (an industry, a size class, the firms that answered a question) are estimated as
domains: firms outside the domain stay in the design with an influence of zero, so the
number of PSUs per stratum, and hence the variance, is that of the whole sample. Degrees
of freedom for intervals are PSUs minus strata among the firms in the domain, as in R.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

from dmsurvey.errors import AnalysisError, Problem

INTERVAL_METHODS = ("logit", "korn_graubard")
REPLICATE_METHODS = ("jackknife", "bootstrap")
ZERO_ERROR = 1e-12
NEWTON_STEPS = 5


@dataclass(frozen=True)
class SurveyDesign:
    """Weights, strata, PSUs and finite population sizes of a sample, one entry per firm.

    `strata` and `psu` are integer codes (every firm its own PSU when no PSU is given;
    one stratum when none is given). `population` is the number of PSUs in the firm's
    stratum in the population (NaN: sampled with replacement, no correction).
    `replicates` (firms x replicates) holds replicate weights when variances are to come
    from them; `replicate_scale` and `replicate_centre` say how to combine them.
    """

    weights: np.ndarray
    strata: np.ndarray
    psu: np.ndarray
    population: np.ndarray
    replicates: np.ndarray | None = None
    replicate_scale: np.ndarray | None = None
    replicate_method: str = ""

    @classmethod
    def from_frame(
        cls,
        data: pd.DataFrame,
        *,
        weights: str | None = None,
        strata: str | Sequence[str] | None = None,
        psu: str | None = None,
        fpc: str | None = None,
    ) -> SurveyDesign:
        """The design of `data` from its columns: `weights` (sampling weights; all 1 when
        None), `strata` (one column or several crossed), `psu` (the cluster id), `fpc`
        (population size of the stratum, in PSUs; or a sampling fraction below 1)."""
        n = len(data)
        named = [c for c in [weights, psu, fpc, *_as_list(strata)] if c]
        missing = [c for c in named if c not in data.columns]
        if missing:
            raise AnalysisError("the design names columns the data does not have",
                                [Problem("missing column", column=c) for c in missing])
        weight = np.ones(n) if weights is None else _positive(data[weights], weights)
        stratum = (np.zeros(n, dtype=np.int64) if not strata else
                   data[_as_list(strata)].astype(str).agg("|".join, axis=1)
                   .pipe(lambda s: pd.factorize(s, sort=True)[0]))
        cluster = (np.arange(n) if psu is None else
                   pd.factorize(data[psu].astype(str) + "\x00" + pd.Series(stratum,
                                index=data.index).astype(str), sort=True)[0])
        population = np.full(n, np.nan)
        if fpc is not None:
            values = _positive(data[fpc], fpc)
            psus = _psus_per_stratum(np.asarray(stratum), np.asarray(cluster))
            # a value below 1 is a sampling fraction; R accepts both forms too
            population = np.where(values < 1, psus / np.where(values < 1, values, 1), values)
            if np.any(population < psus - 1e-9):
                raise AnalysisError(f"the population size in {fpc!r} is smaller than the "
                                    "number of sampled units in a stratum")
        return cls(weight, np.asarray(stratum, dtype=np.int64),
                   np.asarray(cluster, dtype=np.int64), population)

    @property
    def n(self) -> int:
        return len(self.weights)

    def degrees_of_freedom(self, domain: np.ndarray | None = None) -> int:
        """PSUs minus strata among the firms in `domain` (all firms by default)."""
        inside = self.weights > 0
        if domain is not None:
            inside = inside & np.asarray(domain, bool)
        return int(len(np.unique(self.psu[inside])) - len(np.unique(self.strata[inside])))

    def variance(self, influence: np.ndarray) -> np.ndarray:
        """Covariance matrix of the totals of the columns of `influence` (firms x k)
        under the design: within each stratum, PSU totals centred on their mean,
        scaled by (1 - f_h) n_h / (n_h - 1)."""
        values = np.asarray(influence, dtype=float)
        if values.ndim == 1:
            values = values[:, None]
        k = values.shape[1]
        covariance = np.zeros((k, k))
        for stratum in np.unique(self.strata):
            rows = self.strata == stratum
            _, psu_index = np.unique(self.psu[rows], return_inverse=True)
            totals = np.zeros((psu_index.max() + 1, k))
            np.add.at(totals, psu_index, values[rows])
            count = len(totals)
            if count < 2:
                # a stratum with one PSU adds nothing (R's lonely.psu = "fail" would stop)
                continue
            population = self.population[rows][0]
            fraction = 0.0 if np.isnan(population) else count / population
            centred = totals - totals.mean(axis=0)
            covariance += (1 - fraction) * count / (count - 1) * centred.T @ centred
        return covariance

    def with_replicates(self, method: str = "jackknife", *, replicates: int = 200,
                        seed: int = 7) -> SurveyDesign:
        """The same design with replicate weights: `jackknife` (delete one PSU, the
        rest of its stratum reweighted by n_h / (n_h - 1); R's "JKn") or `bootstrap`
        (Rao-Wu rescaled bootstrap, n_h - 1 PSUs drawn with replacement per stratum)."""
        if method not in REPLICATE_METHODS:
            raise AnalysisError(f"unknown replicate method {method!r}",
                                [Problem("bad option", value=method,
                                         expected=" or ".join(REPLICATE_METHODS))])
        columns, scales = [], []
        # strata with two or more PSUs: a stratum of one PSU gives no replicate information
        replicable = []
        for stratum in np.unique(self.strata):
            rows = self.strata == stratum
            clusters = np.unique(self.psu[rows])
            if len(clusters) >= 2:
                replicable.append((rows, clusters))
        if method == "jackknife":
            for rows, clusters in replicable:
                count = len(clusters)
                population = self.population[rows][0]
                fraction = 0.0 if np.isnan(population) else count / population
                for cluster in clusters:
                    factor = np.ones(self.n)
                    factor[rows] = count / (count - 1)
                    factor[self.psu == cluster] = 0.0
                    columns.append(self.weights * factor)
                    scales.append((1 - fraction) * (count - 1) / count)
        else:
            rng = np.random.default_rng(seed)
            for _ in range(replicates):
                factor = np.ones(self.n)
                for rows, clusters in replicable:
                    count = len(clusters)
                    drawn = rng.choice(count, size=count - 1, replace=True)
                    times = np.bincount(drawn, minlength=count)
                    multiplier = times * count / (count - 1)
                    index = np.searchsorted(clusters, self.psu[rows])
                    factor[rows] = multiplier[index]
                columns.append(self.weights * factor)
                scales.append(1.0 / replicates)
        return replace(self, replicates=np.column_stack(columns),
                       replicate_scale=np.asarray(scales), replicate_method=method)

    def replicate_variance(self, estimate: Callable[[np.ndarray], np.ndarray],
                           full: np.ndarray) -> np.ndarray:
        """Covariance of `estimate(weights)` over the replicate weights, centred on the
        full-sample estimate `full`."""
        full = np.atleast_1d(np.asarray(full, dtype=float))
        deviations = np.column_stack([
            np.atleast_1d(estimate(self.replicates[:, r])) - full
            for r in range(self.replicates.shape[1])])
        return (deviations * self.replicate_scale) @ deviations.T


def _as_list(columns: str | Sequence[str] | None) -> list[str]:
    if columns is None:
        return []
    return [columns] if isinstance(columns, str) else list(columns)


def _positive(values: pd.Series, column: str) -> np.ndarray:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(numbers) | (numbers <= 0)
    if bad.any():
        raise AnalysisError(
            f"{column!r} must be a positive number for every firm",
            [Problem("bad value", row=int(i) + 1, column=column, value=values.iloc[i],
                     expected="a number above 0") for i in np.flatnonzero(bad)[:20]])
    return numbers


def _psus_per_stratum(strata: np.ndarray, psu: np.ndarray) -> np.ndarray:
    frame = pd.DataFrame({"stratum": strata, "psu": psu})
    return frame.groupby("stratum")["psu"].transform("nunique").to_numpy(dtype=float)


# -- means, shares and totals ---------------------------------------------------------

ESTIMATE_COLUMNS = ["variable", "estimate", "std_err", "ci_low", "ci_high", "deff", "n",
                    "df"]


def domain_mean(values: np.ndarray, design: SurveyDesign, domain: np.ndarray | None = None
                ) -> dict[str, float]:
    """Weighted mean of `values` over the firms of `domain` that have a value, with its
    linearised standard error, design effect (against simple random sampling without
    replacement of the same number of firms, R's `deff = TRUE`) and degrees of freedom."""
    result = domain_means(np.asarray(values, dtype=float)[:, None], design, domain)
    return {key: value[0] if isinstance(value, np.ndarray) else value
            for key, value in result.items()}


def domain_means(values: np.ndarray, design: SurveyDesign, domain: np.ndarray | None = None
                 ) -> dict[str, np.ndarray | int | float]:
    """`domain_mean` of several columns (firms x k) answered together: a firm with any
    missing value is outside the domain of all of them (the columns of one question).
    Returns arrays `estimate`, `std_err`, `deff` and scalars `n`, `df`, `weight_total`."""
    values = np.asarray(values, dtype=float)
    inside = ~np.isnan(values).any(axis=1) & (np.ones(design.n, bool) if domain is None
                                              else np.asarray(domain, bool))
    y = np.where(inside[:, None], values, 0.0)
    weight = np.where(inside, design.weights, 0.0)
    total_weight = float(weight.sum())
    n = int(np.count_nonzero(weight))
    k = values.shape[1]
    if n == 0:
        empty = np.full(k, np.nan)
        return {"estimate": empty, "std_err": empty, "deff": empty, "n": 0, "df": 0,
                "weight_total": 0.0}
    mean = weight @ y / total_weight
    if design.replicates is None:
        variance = np.diag(design.variance(weight[:, None] * (y - mean) / total_weight))
    else:
        def replicate_mean(w: np.ndarray) -> np.ndarray:
            w = np.where(inside, w, 0.0)
            return w @ y / w.sum()
        variance = np.diag(design.replicate_variance(replicate_mean, mean))
    spread = weight @ (y - mean) ** 2 / total_weight * n / max(n - 1, 1)
    # a value the same for every firm has no variance under any design: no design effect
    constant = (y[inside] == y[inside][0]).all(axis=0)
    variance = np.where(constant, 0.0, variance)
    spread = np.where(constant, 0.0, spread)
    with np.errstate(divide="ignore", invalid="ignore"):
        srs = (spread * (total_weight - n) / (total_weight * n) if total_weight > n
               else np.full(k, np.nan))
        deff = np.where(srs > 0, variance / srs, np.nan)
    return {"estimate": mean, "std_err": np.sqrt(variance), "deff": deff, "n": n,
            "df": design.degrees_of_freedom(inside), "weight_total": total_weight}


def domain_total(values: np.ndarray, design: SurveyDesign, domain: np.ndarray | None = None
                 ) -> dict[str, float]:
    """Weighted total of `values` over `domain` (missing values count as 0), with its
    linearised standard error."""
    values = np.nan_to_num(np.asarray(values, dtype=float))
    inside = np.ones(design.n, bool) if domain is None else np.asarray(domain, bool)
    contribution = np.where(inside, design.weights * values, 0.0)
    total = float(contribution.sum())
    if design.replicates is None:
        variance = float(design.variance(contribution)[0, 0])
    else:
        variance = float(design.replicate_variance(
            lambda w: np.array([np.where(inside, w * values, 0.0).sum()]),
            np.array([total]))[0, 0])
    return {"estimate": total, "std_err": math.sqrt(variance), "n": int(inside.sum()),
            "df": design.degrees_of_freedom(inside)}


def proportion_interval(share: float, std_err: float, *, df: float, n: int | None = None,
                        method: str = "logit", confidence: float = 0.95
                        ) -> tuple[float, float]:
    """Confidence interval of a design-based share.

    `logit`: a t interval (design degrees of freedom `df`) on the log-odds scale,
    transformed back (R's `svyciprop(method = "logit")`); empty where the share is 0 or 1.
    `korn_graubard`: Clopper-Pearson at the effective sample size p(1 - p) / se^2,
    adjusted by the ratio of t quantiles at n - 1 and `df` degrees of freedom (Korn and
    Graubard 1998; R's `method = "beta"`); it stays sensible for shares near 0 or 1.
    """
    alpha = 1 - confidence
    if method not in INTERVAL_METHODS:
        raise AnalysisError(f"unknown interval method {method!r}",
                            [Problem("bad option", value=method,
                                     expected=" or ".join(INTERVAL_METHODS))])
    if math.isnan(share) or df < 1:
        return math.nan, math.nan
    # a share the design fixes (an industry's share when strata are industries) has no
    # sampling error; rounding leaves a standard error of about 1e-17
    std_err = 0.0 if std_err < ZERO_ERROR else std_err
    if method == "logit":
        if share <= 0 or share >= 1 or std_err <= 0:
            return (0.0, 0.0) if share <= 0 else (1.0, 1.0) if share >= 1 else (share, share)
        centre = math.log(share / (1 - share))
        half = stats.t.ppf(1 - alpha / 2, df) * std_err / (share * (1 - share))
        return _expit(centre - half), _expit(centre + half)
    if std_err <= 0:
        return (0.0, 0.0) if share <= 0 else (1.0, 1.0) if share >= 1 else (share, share)
    effective = share * (1 - share) / std_err**2
    if n is not None and n > 1:
        effective *= (stats.t.ppf(alpha / 2, n - 1) / stats.t.ppf(alpha / 2, df)) ** 2
    low = stats.beta.ppf(alpha / 2, effective * share, effective * (1 - share) + 1)
    high = stats.beta.ppf(1 - alpha / 2, effective * share + 1, effective * (1 - share))
    return (0.0 if share <= 0 else float(low)), (1.0 if share >= 1 else float(high))


def _expit(value: float) -> float:
    return 1 / (1 + math.exp(-value))


def design_means(
    data: pd.DataFrame,
    variables: Sequence[str],
    design: SurveyDesign,
    *,
    by: str | None = None,
    interval: str = "logit",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Design-based mean (a share, for 0/1 variables) of each of `variables`, overall or
    per group of `by` estimated as domains. Columns: [by,] variable, estimate, std_err,
    ci_low, ci_high, deff, n, df. The interval is `logit` or `korn_graubard` for 0/1
    variables and a t interval otherwise."""
    groups = [(None, np.ones(len(data), bool))] if by is None else [
        (group, (data[by] == group).to_numpy()) for group in
        pd.Series(data[by]).dropna().drop_duplicates().sort_values()]
    rows = []
    for group, domain in groups:
        for variable in variables:
            values = pd.to_numeric(data[variable], errors="coerce").to_numpy(
                dtype=float, na_value=np.nan)
            result = domain_mean(values, design, domain)
            observed = values[domain & ~np.isnan(values)]
            if len(observed) and np.isin(observed, (0.0, 1.0)).all():
                low, high = proportion_interval(result["estimate"], result["std_err"],
                                                df=result["df"], n=result["n"],
                                                method=interval, confidence=confidence)
            else:
                half = stats.t.ppf(0.5 + confidence / 2, max(result["df"], 1)) * result[
                    "std_err"]
                low, high = result["estimate"] - half, result["estimate"] + half
            row = {"variable": variable, **{k: result[k] for k in
                                            ("estimate", "std_err", "deff", "n", "df")},
                   "ci_low": low, "ci_high": high}
            rows.append(row if by is None else {by: group, **row})
    columns = ([by] if by else []) + ESTIMATE_COLUMNS
    return pd.DataFrame(rows, columns=columns)


# -- Rao-Scott test of independence -----------------------------------------------------

def rao_scott(data: pd.DataFrame, row: str, column: str, design: SurveyDesign
              ) -> dict[str, float]:
    """Pearson's chi-square of the weighted `row` x `column` table with Rao and Scott's
    second-order correction, as an F test (R's `svychisq(statistic = "F")`).

    Returns `pearson` (the chi-square of the weighted table scaled to the firms' number),
    `statistic` (F), `ndf`, `ddf` and `p_value`. Firms missing either value are left
    out of the table but stay in the design.
    """
    rows = pd.Series(data[row]).astype("string").to_numpy(dtype=object, na_value=None)
    columns = pd.Series(data[column]).astype("string").to_numpy(dtype=object, na_value=None)
    complete = np.array([r is not None and c is not None for r, c in
                         zip(rows, columns, strict=True)])
    row_levels = sorted({r for r, ok in zip(rows, complete, strict=True) if ok})
    column_levels = sorted({c for c, ok in zip(columns, complete, strict=True) if ok})
    n_rows, n_columns = len(row_levels), len(column_levels)
    if n_rows < 2 or n_columns < 2:
        raise AnalysisError(f"{row} by {column}: a test needs two rows and two columns")
    # cells in R's order: the row index varies fastest
    cell = np.full(design.n, -1)
    row_index = {level: i for i, level in enumerate(row_levels)}
    column_index = {level: j for j, level in enumerate(column_levels)}
    for position in np.flatnonzero(complete):
        cell[position] = (row_index[rows[position]]
                          + n_rows * column_index[columns[position]])
    n_cells = n_rows * n_columns
    indicator = np.zeros((design.n, n_cells))
    indicator[complete, cell[complete]] = 1.0
    weight = np.where(complete, design.weights, 0.0)
    proportions = weight @ indicator / weight.sum()
    if (proportions <= 0).any():
        # the correction's matrices are singular then (R's svychisq stops too)
        raise AnalysisError(f"{row} by {column}: the Rao-Scott test needs every cell of "
                            "the table filled")
    influence = weight[:, None] * (indicator - proportions) / weight.sum()
    covariance = design.variance(influence)
    firms = design.n
    table = (proportions * firms).reshape(n_columns, n_rows).T
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    pearson = float(((table - expected) ** 2 / expected).sum())
    main = _dummies(n_rows, n_columns, interactions=False)
    full = _dummies(n_rows, n_columns, interactions=True)
    contrast = full[:, n_rows + n_columns - 1:]
    contrast = contrast - main @ np.linalg.lstsq(main, contrast, rcond=None)[0]
    inverse = np.diag(np.where(proportions == 0, 0.0, 1 / np.where(proportions == 0, 1,
                                                                   proportions)))
    denominator = contrast.T @ (inverse / firms) @ contrast
    numerator = contrast.T @ inverse @ covariance @ inverse @ contrast
    delta = np.linalg.solve(denominator, numerator)
    trace = float(np.trace(delta))
    d0 = trace**2 / float(np.trace(delta @ delta))
    nu = len(np.unique(design.psu)) - len(np.unique(design.strata))
    statistic = pearson / trace
    return {"pearson": pearson, "statistic": statistic, "ndf": d0, "ddf": d0 * nu,
            "p_value": float(stats.f.sf(statistic, d0, d0 * nu))}


def _dummies(n_rows: int, n_columns: int, *, interactions: bool) -> np.ndarray:
    """Treatment-coded model matrix of an n_rows x n_columns grid (rows fastest)."""
    row = np.tile(np.arange(n_rows), n_columns)
    column = np.repeat(np.arange(n_columns), n_rows)
    parts = [np.ones(len(row))]
    parts += [(row == i).astype(float) for i in range(1, n_rows)]
    parts += [(column == j).astype(float) for j in range(1, n_columns)]
    if interactions:
        parts += [((row == i) & (column == j)).astype(float)
                  for j in range(1, n_columns) for i in range(1, n_rows)]
    return np.column_stack(parts)


# -- regression models -------------------------------------------------------------------

@dataclass(frozen=True)
class DesignFit:
    """A design-based model fit: coefficients, their linearised covariance, the residual
    degrees of freedom of the design (for t tests) and the data it was fitted on."""

    names: list[str]
    params: np.ndarray
    covariance: np.ndarray
    df: int
    exog: np.ndarray
    weights: np.ndarray
    family: str

    @property
    def std_err(self) -> np.ndarray:
        return np.sqrt(np.diag(self.covariance))

    def term(self, name: str, confidence: float = 0.95) -> dict[str, float]:
        """Estimate, standard error, p-value and interval of one term (t reference at
        the design's residual degrees of freedom, as R's `summary.svyglm`)."""
        position = self.names.index(name)
        coef, se = float(self.params[position]), float(self.std_err[position])
        quantile = stats.t.ppf(0.5 + confidence / 2, self.df)
        return {"coef": coef, "std_err": se,
                "p_value": float(2 * stats.t.sf(abs(coef / se), self.df)),
                "ci_low": coef - quantile * se, "ci_high": coef + quantile * se}


def design_glm(outcome: np.ndarray, exog: np.ndarray, design: SurveyDesign, *,
               names: Sequence[str], family: str = "binomial",
               rows: np.ndarray | None = None) -> DesignFit:
    """Weighted (pseudo-likelihood) GLM with a linearised sandwich covariance: R's
    `svyglm` with `quasibinomial` (`family="binomial"`) or `gaussian`.

    `outcome` and `exog` hold the firms of `rows` (a boolean mask over the design's
    firms: those with complete data); the others stay in the design with zero influence.
    """
    import statsmodels.api as sm

    rows = np.ones(design.n, bool) if rows is None else np.asarray(rows, bool)
    weights = design.weights[rows]
    normalised = weights / weights.mean()
    glm_family = sm.families.Binomial() if family == "binomial" else sm.families.Gaussian()
    result = sm.GLM(outcome, exog, family=glm_family, var_weights=normalised).fit(
        tol=1e-12, maxiter=100)
    params = np.asarray(result.params, dtype=float)
    mean = np.asarray(result.fittedvalues, dtype=float)
    if family == "binomial":
        working = mean * (1 - mean)
    else:
        working = np.ones(len(mean))
    bread = np.linalg.inv(exog.T @ (exog * (normalised * working)[:, None]))
    scores = exog * (normalised * (outcome - mean))[:, None]
    influence = np.zeros((design.n, exog.shape[1]))
    influence[rows] = scores @ bread
    if design.replicates is None:
        covariance = design.variance(influence)
    else:
        def refit(w: np.ndarray) -> np.ndarray:
            w = w[rows]
            return np.asarray(sm.GLM(outcome, exog, family=glm_family,
                                     var_weights=w / w.mean()).fit(start_params=params)
                              .params, dtype=float)
        covariance = design.replicate_variance(refit, params)
    df = design.degrees_of_freedom(rows) + 1 - exog.shape[1]
    return DesignFit(list(names), params, covariance, df, exog, weights, family)


def design_ordered_logit(bands: np.ndarray, exog: np.ndarray, design: SurveyDesign, *,
                         names: Sequence[str], rows: np.ndarray | None = None
                         ) -> DesignFit:
    """Weighted proportional-odds logit, P(band <= j) = expit(cut_j - x b), with a
    linearised sandwich covariance: R's `svyolr`. `bands` are integer codes 0..J-1 of
    the firms in `rows`; `exog` has no intercept. The parameters are the slopes, then
    the J - 1 cut points (named `names` then `cut_1`...)."""
    from scipy.optimize import minimize

    from dmsurvey.analysis.regressions import _jacobian, _logistic_density

    rows = np.ones(design.n, bool) if rows is None else np.asarray(rows, bool)
    weights = design.weights[rows]
    weights = weights / weights.mean()
    bands = np.asarray(bands, dtype=np.int64)
    levels = int(bands.max()) + 1
    k = exog.shape[1]

    def cuts_of(theta: np.ndarray) -> np.ndarray:
        return np.cumsum(np.concatenate([theta[:1], np.exp(theta[1:])]))

    def pieces(beta: np.ndarray, cuts: np.ndarray):
        eta = exog @ beta
        bounds = np.concatenate([[-np.inf], cuts, [np.inf]])
        upper, lower = bounds[bands + 1] - eta, bounds[bands] - eta
        probability = _logistic(upper) - _logistic(lower)
        return upper, lower, np.maximum(probability, 1e-300)

    def scores(beta: np.ndarray, cuts: np.ndarray) -> np.ndarray:
        """Per-firm derivatives of the log-likelihood by slopes and cut points."""
        upper, lower, probability = pieces(beta, cuts)
        f_upper, f_lower = _logistic_density(upper), _logistic_density(lower)
        by_beta = -exog * ((f_upper - f_lower) / probability)[:, None]
        by_cut = np.zeros((len(bands), levels - 1))
        ends = bands < levels - 1
        by_cut[np.flatnonzero(ends), bands[ends]] += f_upper[ends] / probability[ends]
        starts = bands > 0
        by_cut[np.flatnonzero(starts), bands[starts] - 1] -= f_lower[starts] / probability[
            starts]
        return np.column_stack([by_beta, by_cut])

    def objective(point: np.ndarray):
        beta, theta = point[:k], point[k:]
        cuts = cuts_of(theta)
        _, _, probability = pieces(beta, cuts)
        per_firm = scores(beta, cuts) * weights[:, None]
        gradient = per_firm.sum(axis=0)
        # chain rule from cut points to theta (cut_j = theta_1 + sum exp(theta_2..j))
        jacobian = np.tril(np.ones((levels - 1, levels - 1))) * np.concatenate(
            [[1.0], np.exp(theta[1:])])[None, :]
        return (-float(weights @ np.log(probability)),
                -np.concatenate([gradient[:k], gradient[k:] @ jacobian]))

    shares = np.bincount(bands, weights=weights, minlength=levels).cumsum()[:-1] / weights.sum()
    start_cuts = np.log(shares / (1 - shares))
    start = np.concatenate([np.zeros(k), start_cuts[:1], np.log(np.diff(start_cuts))])
    found = minimize(objective, start, jac=True, method="BFGS",
                     options={"gtol": 1e-10, "maxiter": 1000})
    params = np.concatenate([found.x[:k], cuts_of(found.x[k:])])

    def total_score(point: np.ndarray) -> np.ndarray:
        return (scores(point[:k], point[k:]) * weights[:, None]).sum(axis=0)

    # BFGS stops near the optimum; Newton steps on slopes and cut points finish the job
    for _ in range(NEWTON_STEPS):
        step = np.linalg.solve(-_jacobian(total_score, params), total_score(params))
        params = params + step
        if np.max(np.abs(step)) < 1e-12:
            break
    beta, cuts = params[:k], params[k:]
    information = -_jacobian(total_score, params)
    per_firm = scores(beta, cuts) * weights[:, None]
    influence = np.zeros((design.n, len(params)))
    influence[rows] = per_firm @ np.linalg.inv(information)
    covariance = design.variance(influence)
    labels = [*names, *[f"cut_{j + 1}" for j in range(levels - 1)]]
    df = design.degrees_of_freedom(rows) - k
    return DesignFit(labels, params, covariance, df, exog, weights, "ordered_logit")


def _logistic(values: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return np.where(np.isinf(values), (values > 0).astype(float),
                        1 / (1 + np.exp(-np.where(np.isinf(values), 0, values))))


def logit_average_marginal_effect(fit: DesignFit, term: str) -> tuple[float, float]:
    """Weighted average of dP/dx for `term` in a design-based logit, with its delta-method
    standard error from the design-based covariance."""
    position = fit.names.index(term)
    share = fit.weights / fit.weights.sum()
    probability = 1 / (1 + np.exp(-(fit.exog @ fit.params)))
    slope = probability * (1 - probability)
    ame = fit.params[position] * float(share @ slope)
    gradient = fit.params[position] * ((share * slope * (1 - 2 * probability)) @ fit.exog)
    gradient[position] += float(share @ slope)
    return float(ame), float(np.sqrt(gradient @ fit.covariance @ gradient))
