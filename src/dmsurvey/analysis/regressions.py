"""Size-vs-adoption regressions: is a larger firm more likely to adopt?

For every adoption outcome (yes/no, derived from the answers), every maturity score and
every size measure (entered as its natural log), one row per model with the size
coefficient, in the columns of the `size_regressions.csv` contract:

    outcome, size_measure, model, n, coef, std_err, p_value, ci_low, ci_high,
    ame, ame_se, odds_ratio, events, note

Models: `logit` (outcome on log size and an intercept), `logit_industry` (plus industry
dummies), `ordered_logit` (the share band itself, five ordered bands), `ols` (a score on
log size, HC3 standard errors, t reference). Cases a model cannot answer (too few events, a size
measure with no variance, a singular design, perfect separation, no convergence) are rows with
empty estimates and the reason in `note`; every model is built and fitted inside that guard.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dmsurvey.analysis._answers import codes, indicators, question_of
from dmsurvey.analysis.tidy import empty_estimates, tidy_term
from dmsurvey.questionnaire.model import Questionnaire

if TYPE_CHECKING:
    from dmsurvey.analysis.design import DesignFit, SurveyDesign

CONTRACT_COLUMNS = ["outcome", "size_measure", "model", "n", "coef", "std_err", "p_value",
                    "ci_low", "ci_high"]
EXTRA_COLUMNS = ["ame", "ame_se", "odds_ratio", "events", "note"]
REGRESSION_COLUMNS = CONTRACT_COLUMNS + EXTRA_COLUMNS

SIZE_MEASURES = ("employees_2019", "revenue_2019", "assets_2019")
# A logit needs some firms on each side of a yes/no outcome; fewer and the estimate is
# noise (the usual rule of thumb asks for about ten per parameter).
MIN_EVENTS = 5
# Industries with fewer firms than this in a model are pooled into one control group.
MIN_INDUSTRY_FIRMS = 5
SIZE_TERM = "log_size"
DESIGN_NOTE = "design-based"


@dataclass(frozen=True)
class Outcome:
    """A yes/no adoption outcome: 1 when the answer to `question` includes any of `codes`."""

    name: str
    question: str
    codes: tuple[str, ...]


ADOPTION_OUTCOMES = (
    Outcome("online_procurement_gt50", "online_procurement_share", ("51_75", "76_100")),
    Outcome("online_sales_gt50", "online_sales_share", ("51_75", "76_100")),
    Outcome("internet_finance_any", "internet_finance_share",
            ("1_25", "26_50", "51_75", "76_100")),
    Outcome("internet_finance_gt50", "internet_finance_share", ("51_75", "76_100")),
    Outcome("ai_or_big_data", "tech_used", ("ai", "big_data")),
    Outcome("cloud_migrated", "cloud_status", ("migrated",)),
)
# Share-band questions modelled as ordered outcomes in their own right.
ORDERED_OUTCOMES = ("online_procurement_share", "online_sales_share", "internet_finance_share")


def adoption_outcomes(
    data: pd.DataFrame,
    questionnaire: Questionnaire,
    outcomes: Sequence[Outcome] = ADOPTION_OUTCOMES,
) -> pd.DataFrame:
    """0/1 columns (NaN where unanswered), one per outcome whose question the
    questionnaire and the data both have."""
    columns = {}
    for outcome in outcomes:
        if outcome.question not in questionnaire or outcome.question not in data.columns:
            continue
        marks = indicators(data[outcome.question], questionnaire.question(outcome.question))
        chosen = [code for code in outcome.codes if code in marks.columns]
        columns[outcome.name] = (marks[chosen].sum(axis=1) > 0).astype(float).where(
            marks.notna().all(axis=1)
        )
    return pd.DataFrame(columns, index=data.index)


def size_regressions(
    data: pd.DataFrame,
    *,
    questionnaire: Questionnaire,
    scores: pd.DataFrame | None = None,
    outcomes: Sequence[Outcome] = ADOPTION_OUTCOMES,
    ordered: Sequence[str] = ORDERED_OUTCOMES,
    size_measures: Sequence[str] = SIZE_MEASURES,
    industry: str | None = "industry",
    weights: str | pd.Series | None = None,
    design: SurveyDesign | None = None,
) -> pd.DataFrame:
    """Every size-vs-adoption model, one row each (columns `REGRESSION_COLUMNS`).

    `scores` (the output of `score`, same index as `data`) adds an `ols` row for every
    dimension and the composite. `weights` (column name or Series) turns the logits into
    weighted (pseudo-likelihood) GLMs with sandwich errors and the OLS into WLS; the
    ordered logit stays unweighted and says so in `note`.

    `design` (a `SurveyDesign` with one entry per row of `data`) makes every model
    design-based instead (R's `svyglm`/`svyolr`): pseudo-likelihood estimates, linearised
    standard errors with firms lacking a value kept in the design, and t references at
    the design's degrees of freedom; `weights` is then ignored.
    """
    if design is not None:
        weights = pd.Series(design.weights, index=data.index)
    weight = _weights(data, weights)
    binary = adoption_outcomes(data, questionnaire, outcomes)
    controls = codes(data[industry]) if industry and industry in data.columns else None
    rows = []
    for measure in size_measures:
        if measure not in data.columns:
            continue
        log_size = _log_size(data[measure])
        for name in binary.columns:
            rows.append(_row(name, measure, "logit",
                             _logit(binary[name], log_size, None, weight, design)))
            if controls is not None:
                rows.append(_row(name, measure, "logit_industry",
                                 _logit(binary[name], log_size, controls, weight, design)))
        for question in ordered:
            if question in questionnaire and question in data.columns:
                rows.append(_row(question, measure, "ordered_logit",
                                 _ordered_logit(data[question], questionnaire, log_size,
                                                weight is not None, design)))
        if scores is not None:
            for name in _score_columns(scores):
                rows.append(_row(name, measure, "ols",
                                 _ols(scores[name], log_size, weight, design)))
    return pd.DataFrame(rows, columns=REGRESSION_COLUMNS).astype(
        {"n": "int64", "events": "Int64", "note": "str"}
    )


def _score_columns(scores: pd.DataFrame) -> list[str]:
    skip = {"response_id", "level", "items_answered"}
    return [column for column in scores.columns
            if column not in skip and pd.api.types.is_float_dtype(scores[column].dtype)]


def _row(outcome: str, measure: str, model: str, fitted: dict) -> dict:
    return {"outcome": outcome, "size_measure": measure, "model": model, **fitted}


def _log_size(values: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    return np.log(numbers.where(numbers > 0))


def _weights(data: pd.DataFrame, weights: str | pd.Series | None) -> pd.Series | None:
    if weights is None:
        return None
    values = data[weights] if isinstance(weights, str) else pd.Series(weights, index=data.index)
    return pd.to_numeric(values, errors="coerce").astype(float)


def _result(n: int, note: str = "", events: int | None = None, **estimates) -> dict:
    out = {"n": n, **empty_estimates(), "ame": math.nan, "ame_se": math.nan,
           "odds_ratio": math.nan, "events": events, "note": note}
    out.update(estimates)
    return out


def _fit_quietly(fit):
    """Run `fit()` (which builds the model too); statsmodels' warnings and errors become
    notes on the row instead of output or a traceback."""
    from statsmodels.tools.sm_exceptions import (
        ConvergenceWarning,
        HessianInversionWarning,
        PerfectSeparationWarning,
    )

    notes = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fit()
        except (np.linalg.LinAlgError, ValueError, ArithmeticError) as error:
            return None, [f"could not be estimated ({error})"], False
    fatal = False
    for warning in caught:
        if issubclass(warning.category, PerfectSeparationWarning):
            notes.append("perfect separation: size predicts the outcome exactly")
            fatal = True
        elif issubclass(warning.category, ConvergenceWarning):
            notes.append("did not converge")
            fatal = True
        elif issubclass(warning.category, HessianInversionWarning):
            notes.append("standard errors unreliable (singular information matrix)")
    return result, list(dict.fromkeys(notes)), fatal


def _logit(
    outcome: pd.Series,
    log_size: pd.Series,
    industry: pd.Series | None,
    weight: pd.Series | None,
    survey_design: SurveyDesign | None = None,
) -> dict:
    import statsmodels.api as sm

    frame = pd.DataFrame({"y": outcome, SIZE_TERM: log_size})
    if weight is not None:
        frame["weight"] = weight
    notes = []
    if industry is not None:
        frame["industry"] = industry
    frame = frame.dropna()
    if industry is not None:
        frame, dropped = _industry_groups(frame)
        if dropped:
            notes.append("left out industries where every firm has the same outcome: "
                         + ", ".join(dropped))
    n = len(frame)
    events = int(frame["y"].sum())
    notes += [DESIGN_NOTE] if survey_design is not None else []
    if min(events, n - events) < MIN_EVENTS:
        return _result(n, _join(notes + [
            f"too few events: {events} of {n} firms have the outcome "
            f"(a logit needs at least {MIN_EVENTS} with and without it)"]), events)
    constant = _no_variance(frame[SIZE_TERM])
    if constant:
        return _result(n, _join(notes + [constant]), events)
    separation = _separation(frame["y"].to_numpy(), frame[SIZE_TERM].to_numpy())
    if separation:
        return _result(n, _join(notes + [separation]), events)
    design = sm.add_constant(frame[[SIZE_TERM]], has_constant="add")
    if industry is not None:
        dummies = pd.get_dummies(frame["industry"], prefix="industry", drop_first=True,
                                 dtype=float)
        design = pd.concat([design, dummies], axis=1)
    singular = _singular(design)
    if singular:
        return _result(n, _join(notes + [singular]), events)
    if survey_design is not None:
        return _design_logit(frame, design, survey_design, outcome.index, notes)
    if weight is None:
        def fit():
            return sm.GLM(frame["y"], design, family=sm.families.Binomial()).fit()
    else:
        def fit():
            normalised = frame["weight"] / frame["weight"].mean()
            return sm.GLM(frame["y"], design, family=sm.families.Binomial(),
                          var_weights=normalised).fit(cov_type="HC0")
    result, fit_notes, fatal = _fit_quietly(fit)
    notes += fit_notes
    if result is None or fatal:
        return _result(n, _join(notes), events)
    estimates = tidy_term(result, SIZE_TERM)
    ame, ame_se = average_marginal_effect(result, SIZE_TERM,
                                          None if weight is None else frame["weight"])
    return _result(n, _join(notes), events, **estimates, ame=ame, ame_se=ame_se,
                   odds_ratio=_odds_ratio(estimates["coef"]))


def _design_fit(fit, frame: pd.DataFrame, index: pd.Index, notes: list[str]):
    """Run a design-based fit on the firms of `frame` (a subset of `index`); returns the
    fit, or None with the reason added to `notes`."""
    rows = index.isin(frame.index)
    try:
        with np.errstate(all="ignore"):
            return fit(rows)
    except (np.linalg.LinAlgError, ValueError) as error:
        notes.append(f"could not be estimated ({error})")
        return None


def _design_logit(frame: pd.DataFrame, exog: pd.DataFrame, survey_design: SurveyDesign,
                  index: pd.Index, notes: list[str]) -> dict:
    from dmsurvey.analysis.design import design_glm, logit_average_marginal_effect

    n, events = len(frame), int(frame["y"].sum())
    fit: DesignFit | None = _design_fit(
        lambda rows: design_glm(frame["y"].to_numpy(float), exog.to_numpy(float),
                                survey_design, names=list(exog.columns), rows=rows),
        frame, index, notes)
    if fit is None:
        return _result(n, _join(notes), events)
    estimates = fit.term(SIZE_TERM)
    ame, ame_se = logit_average_marginal_effect(fit, SIZE_TERM)
    return _result(n, _join(notes), events, **estimates, ame=ame, ame_se=ame_se,
                   odds_ratio=math.exp(estimates["coef"]))


def average_marginal_effect(result, term: str, weights: pd.Series | None = None):
    """Average marginal effect of `term` in a fitted logit (`dP/dx` averaged over firms,
    weighted if `weights`), with its delta-method standard error."""
    design = np.asarray(result.model.exog, dtype=float)
    params = np.asarray(result.params, dtype=float)
    position = list(result.model.exog_names).index(term)
    w = np.ones(len(design)) if weights is None else np.asarray(weights, dtype=float)
    w = w / w.sum()
    probability = 1 / (1 + np.exp(-(design @ params)))
    slope = probability * (1 - probability)
    ame = params[position] * float(w @ slope)
    gradient = params[position] * ((w * slope * (1 - 2 * probability)) @ design)
    gradient[position] += float(w @ slope)
    covariance = np.asarray(result.cov_params(), dtype=float)
    return ame, float(np.sqrt(gradient @ covariance @ gradient))


def _industry_groups(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Pool small industries; drop industries whose firms all share one outcome (their
    dummy would separate them perfectly and tell nothing about size)."""
    counts = frame["industry"].value_counts()
    small = counts.index[counts < MIN_INDUSTRY_FIRMS]
    pooled = frame["industry"].where(~frame["industry"].isin(small), "pooled_small")
    frame = frame.assign(industry=pooled)
    variation = frame.groupby("industry")["y"].agg(["min", "max"])
    constant = variation.index[variation["min"] == variation["max"]].tolist()
    return frame[~frame["industry"].isin(constant)], sorted(map(str, constant))


def _no_variance(log_size: pd.Series) -> str:
    """A note when every firm in a model has the same size (nothing to regress on), else ''."""
    if log_size.nunique() > 1:
        return ""
    size = math.exp(log_size.iloc[0]) if len(log_size) else math.nan
    return f"size has no variance: every firm in the model has the same size ({size:g})"


def _singular(design: pd.DataFrame) -> str:
    """A note when the design's columns are linearly dependent (say size and an industry
    control carry the same information), else ''."""
    if np.linalg.matrix_rank(design.to_numpy(dtype=float)) < design.shape[1]:
        return ("singular design: size is collinear with the other terms "
                "(the industry controls), so its effect cannot be separated from theirs")
    return ""


def _band_separation(bands: pd.Series, size: pd.Series) -> str:
    """Name a (quasi-)complete separation of ordered bands by size, else ''.

    The ordered logit has no finite estimate when size orders the firms' bands exactly:
    every firm of a higher band is at least as large (or at most as large) as every firm of
    a lower one. A single split separated while others overlap is fine.
    """
    ranges = size.groupby(bands, observed=True).agg(["min", "max"])
    lows, highs = ranges["min"].to_numpy(), ranges["max"].to_numpy()
    rising_strictly = (highs[:-1] < lows[1:]).all()
    falling_strictly = (lows[:-1] > highs[1:]).all()
    if rising_strictly or falling_strictly:
        return "perfect separation: size orders the bands exactly"
    if (highs[:-1] <= lows[1:]).all() or (lows[:-1] >= highs[1:]).all():
        return "quasi-complete separation: size orders the bands exactly but at the edges"
    return ""


def _separation(outcome: np.ndarray, size: np.ndarray) -> str:
    """Name a (quasi-)complete separation of a yes/no outcome by size, else ''."""
    with_outcome, without = size[outcome == 1], size[outcome == 0]
    if with_outcome.min() > without.max() or with_outcome.max() < without.min():
        return "perfect separation: size predicts the outcome exactly"
    if with_outcome.min() >= without.max() or with_outcome.max() <= without.min():
        return "quasi-complete separation: size predicts the outcome exactly but at one value"
    return ""


def _ordered_logit_model():
    """statsmodels' OrderedModel (logit link) with the analytic gradient.

    OrderedModel differentiates its likelihood numerically, which costs a likelihood
    evaluation per parameter at every step and dominates `analyze` on large surveys. The
    estimates are the same; only the optimiser's gradient and the Hessian behind the
    standard errors (differentiated from the gradient) come from the formula.
    """
    from scipy.special import expit
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    class AnalyticOrderedLogit(OrderedModel):
        def loglikeobs(self, params):
            low, upp = self._bounds(params)
            return np.log(expit(upp) - expit(low) + 1e-20)

        def score(self, params):
            params = np.asarray(params, dtype=float)
            low, upp = self._bounds(params)
            probability = expit(upp) - expit(low) + 1e-20
            upper_part = _logistic_density(upp) / probability
            lower_part = _logistic_density(low) / probability
            n_thresholds = self.k_levels - 1
            # d loglike / d threshold_j: +f(upp)/P over firms in band j (it ends there),
            # -f(low)/P over firms in band j + 1 (it starts there)
            by_threshold = (
                np.bincount(self.endog, weights=upper_part, minlength=self.k_levels)[:-1]
                - np.bincount(self.endog, weights=lower_part, minlength=self.k_levels)[1:]
            )
            # threshold_j = p_0 + sum_{m=1..j} exp(p_m)
            by_param = np.empty(n_thresholds)
            by_param[0] = by_threshold.sum()
            by_param[1:] = np.cumsum(by_threshold[::-1])[::-1][1:] * np.exp(
                params[self.k_vars + 1:])
            by_exog = -(upper_part - lower_part) @ self.exog
            return np.concatenate([by_exog, by_param])

        def hessian(self, params):
            return _jacobian(self.score, np.asarray(params, dtype=float))

    return AnalyticOrderedLogit


def _logistic_density(values: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        exponent = np.exp(-np.abs(values))
    return exponent / (1 + exponent) ** 2


def _jacobian(function, point: np.ndarray) -> np.ndarray:
    """Central-difference Jacobian of a vector function (the Hessian from the gradient)."""
    steps = 1e-5 * np.maximum(np.abs(point), 1.0)
    columns = []
    for position, step in enumerate(steps):
        shift = np.zeros_like(point)
        shift[position] = step
        columns.append((function(point + shift) - function(point - shift)) / (2 * step))
    jacobian = np.column_stack(columns)
    return (jacobian + jacobian.T) / 2


def _ordered_logit(
    answers: pd.Series, questionnaire: Questionnaire, log_size: pd.Series, weighted: bool,
    survey_design: SurveyDesign | None = None,
) -> dict:
    OrderedModel = _ordered_logit_model()  # noqa: N806 (a class)

    question = question_of(questionnaire, answers.name, select=True)
    frame = pd.DataFrame({"band": codes(answers), SIZE_TERM: log_size}).dropna()
    notes = ["unweighted: the ordered logit takes no survey weights"] if (
        weighted and survey_design is None) else []
    notes += [DESIGN_NOTE] if survey_design is not None else []
    n = len(frame)
    counts = frame["band"].value_counts()
    observed = [code for code in question.choice_codes if counts.get(code, 0) > 0]
    if len(observed) < 2:
        return _result(n, _join(notes + ["fewer than two bands answered"]))
    constant = _no_variance(frame[SIZE_TERM])
    if constant:
        return _result(n, _join(notes + [constant]))
    sparse = [f"{code} ({counts[code]})" for code in observed if counts[code] < MIN_EVENTS]
    if sparse:
        notes.append("few firms in band " + ", ".join(sparse))
    band = pd.Series(pd.Categorical(frame["band"], categories=observed, ordered=True),
                     index=frame.index)
    separation = _band_separation(band, frame[SIZE_TERM])
    if separation:
        return _result(n, _join(notes + [separation]))
    if survey_design is not None:
        return _design_ordered_logit(band, frame, survey_design, answers.index, notes)
    result, fit_notes, fatal = _fit_quietly(
        lambda: OrderedModel(band, frame[[SIZE_TERM]], distr="logit").fit(
            method="bfgs", disp=False, maxiter=500)
    )
    notes += fit_notes
    if result is None or fatal or not result.mle_retvals.get("converged", True):
        return _result(n, _join(notes + ([] if fatal else ["did not converge"])))
    estimates = tidy_term(result, SIZE_TERM)
    return _result(n, _join(notes), **estimates, odds_ratio=_odds_ratio(estimates["coef"]))


def _design_ordered_logit(band: pd.Series, frame: pd.DataFrame, survey_design: SurveyDesign,
                          index: pd.Index, notes: list[str]) -> dict:
    from dmsurvey.analysis.design import design_ordered_logit

    fit = _design_fit(
        lambda rows: design_ordered_logit(band.cat.codes.to_numpy(), frame[[SIZE_TERM]]
                                          .to_numpy(float), survey_design,
                                          names=[SIZE_TERM], rows=rows),
        frame, index, notes)
    if fit is None:
        return _result(len(frame), _join(notes))
    estimates = fit.term(SIZE_TERM)
    return _result(len(frame), _join(notes), **estimates,
                   odds_ratio=math.exp(estimates["coef"]))


def _ols(values: pd.Series, log_size: pd.Series, weight: pd.Series | None,
         survey_design: SurveyDesign | None = None) -> dict:
    import statsmodels.api as sm

    frame = pd.DataFrame({"y": values, SIZE_TERM: log_size})
    if weight is not None:
        frame["weight"] = weight
    frame = frame.dropna()
    n = len(frame)
    if n < 3:
        return _result(n, f"too few firms with a score and a size ({n})")
    constant = _no_variance(frame[SIZE_TERM])
    if constant:
        return _result(n, constant)
    design = sm.add_constant(frame[[SIZE_TERM]], has_constant="add")
    design = sm.add_constant(frame[[SIZE_TERM]])
    if survey_design is not None:
        from dmsurvey.analysis.design import design_glm

        notes = [DESIGN_NOTE]
        fit = _design_fit(
            lambda rows: design_glm(frame["y"].to_numpy(float), design.to_numpy(float),
                                    survey_design, names=list(design.columns),
                                    family="gaussian", rows=rows),
            frame, values.index, notes)
        if fit is None:
            return _result(n, _join(notes))
        return _result(n, _join(notes), **fit.term(SIZE_TERM))
    if weight is None:
        # t (n - 2 degrees of freedom) rather than normal reference: with a handful of firms
        # the normal one makes HC3 p-values and intervals far too narrow
        def fit():
            return sm.OLS(frame["y"], design).fit(cov_type="HC3", use_t=True)
    else:
        def fit():
            return sm.WLS(frame["y"], design, weights=frame["weight"]).fit(cov_type="HC3",
                                                                             use_t=True)
    result, notes, fatal = _fit_quietly(fit)
    if result is None or fatal:
        return _result(n, _join(notes))
    return _result(n, _join(notes), **tidy_term(result, SIZE_TERM))


def _odds_ratio(coef: float) -> float:
    with np.errstate(over="ignore"):
        return float(np.exp(coef))


def _join(notes: Sequence[str]) -> str:
    return "; ".join(notes)
