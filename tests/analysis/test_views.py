"""The short views `dmsurvey analyze` prints: a reason wherever a number is missing."""

import math

import pandas as pd

from dmsurvey.analysis.gradients import size_gradient
from dmsurvey.analysis.outputs import gradient_view, p_text, regression_summary


def regression_rows(**rows):
    """One logit row per outcome: (coef, p_value, events, n, note)."""
    return pd.DataFrame([
        {"outcome": outcome, "size_measure": "employees_2019", "model": "logit", "n": n,
         "coef": coef, "p_value": p, "events": events, "note": note}
        for outcome, (coef, p, events, n, note) in rows.items()
    ])


def test_p_values_below_a_thousandth_are_not_printed_as_zero():
    assert p_text(0.00002) == "p<0.001"
    assert p_text(0.0462) == "p=0.046"
    assert p_text(math.nan) == ""


def test_a_regression_without_estimate_says_why():
    table = regression_rows(
        online_procurement_gt50=(1.2, 0.00001, 40, 99, ""),
        internet_finance_gt50=(math.nan, math.nan, 1, 99,
                               "too few events: 1 of 99 firms have the outcome (a logit "
                               "needs at least 5 with and without it)"),
        cloud_migrated=(math.nan, math.nan, 97, 99,
                        "too few events: 97 of 99 firms have the outcome (a logit needs at "
                        "least 5 with and without it)"),
    )
    view = regression_summary(table).set_index("outcome")["employees"]
    assert view["online_procurement_gt50"] == "+1.20 (p<0.001)"
    assert view["internet_finance_gt50"] == "too few events: 1 firm"
    assert view["cloud_migrated"] == "too few non-events: 2 firms"


def test_a_trend_without_statistic_says_why():
    data = pd.DataFrame({
        "size_class": pd.Categorical(["micro", "small", "small", "medium"] * 3,
                                     categories=["micro", "small", "medium", "large"],
                                     ordered=True),
        "never": [0.0] * 12,
        "always": [1.0] * 12,
        "some": [0.0, 1.0, 0.0, 1.0] * 3,
    })
    table = size_gradient(data, outcomes=["never", "always", "some"])
    view = gradient_view(table).set_index("outcome")["employees"]
    assert view["never"] == "no firm has the outcome"
    assert view["always"] == "every firm has the outcome"
    assert view["some"].startswith(("+", "-")) and "(p=" in view["some"]


def test_a_study_too_small_for_any_regression_says_so():
    table = regression_rows(
        cloud_migrated=(math.nan, math.nan, 1, 1,
                        "too few events: 1 of 1 firms have the outcome (a logit needs at "
                        "least 5 with and without it)"),
    )
    view = regression_summary(table).set_index("outcome")["employees"]
    assert view["cloud_migrated"] == "too few firms for regressions (n = 1)"
