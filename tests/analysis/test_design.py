"""Design-based estimation on designs small enough to work by hand (R's figures for the
bundled sample are in test_survey_reference.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dmsurvey.analysis.design import (
    SurveyDesign,
    domain_mean,
    domain_total,
    proportion_interval,
)
from dmsurvey.errors import AnalysisError


@pytest.fixture
def two_strata() -> pd.DataFrame:
    # stratum a: 3 of 30 firms, stratum b: 2 of 40
    return pd.DataFrame({"stratum": ["a", "a", "a", "b", "b"],
                         "population": [30, 30, 30, 40, 40],
                         "weight": [10.0, 10.0, 10.0, 20.0, 20.0],
                         "y": [1.0, 0.0, 1.0, 0.0, 1.0]})


def test_stratified_total_variance_by_hand(two_strata):
    design = SurveyDesign.from_frame(two_strata, weights="weight", strata="stratum",
                                     fpc="population")
    result = domain_total(two_strata["y"], design)
    # stratum a: totals 10, 0, 10 (mean 20/3); b: 0, 20 (mean 10)
    a = (1 - 3 / 30) * 3 / 2 * ((10 - 20 / 3) ** 2 * 2 + (20 / 3) ** 2)
    b = (1 - 2 / 40) * 2 / 1 * (10**2 + 10**2)
    assert result["estimate"] == pytest.approx(40.0)
    assert result["std_err"] == pytest.approx(math.sqrt(a + b), rel=1e-12)
    assert result["df"] == 5 - 2


def test_clusters_are_summed_before_the_variance():
    data = pd.DataFrame({"psu": ["p1", "p1", "p2", "p2", "p3"], "y": [1.0, 2.0, 3.0, 4.0, 5.0]})
    design = SurveyDesign.from_frame(data, psu="psu")
    result = domain_total(data["y"], design)
    totals = np.array([3.0, 7.0, 5.0])
    assert result["std_err"] == pytest.approx(math.sqrt(3 / 2 * ((totals - 5) ** 2).sum()))
    assert result["df"] == 3 - 1


def test_domain_keeps_the_whole_design(two_strata):
    design = SurveyDesign.from_frame(two_strata, weights="weight", strata="stratum")
    in_a = (two_strata["stratum"] == "a").to_numpy()
    inside = domain_mean(two_strata["y"], design, in_a)
    # in a domain equal to one stratum the mean is that stratum's, with its own variance
    values = np.array([1.0, 0.0, 1.0])
    expected = 3 / 2 * ((values - 2 / 3) ** 2).sum() / 9
    assert inside["estimate"] == pytest.approx(2 / 3)
    assert inside["std_err"] == pytest.approx(math.sqrt(expected))
    assert inside["n"] == 3


def test_jackknife_equals_linearisation_for_a_total_and_bootstrap_is_close(two_strata):
    rng = np.random.default_rng(1)
    data = pd.DataFrame({"stratum": np.repeat(["a", "b", "c"], 20),
                         "weight": rng.uniform(1, 5, 60), "y": rng.normal(10, 3, 60)})
    design = SurveyDesign.from_frame(data, weights="weight", strata="stratum")
    taylor = domain_total(data["y"], design)["std_err"]
    jackknife = domain_total(data["y"], design.with_replicates("jackknife"))["std_err"]
    assert jackknife == pytest.approx(taylor, rel=1e-10)
    boot = domain_mean(data["y"], design.with_replicates("bootstrap", replicates=400,
                                                          seed=3))["std_err"]
    assert boot == pytest.approx(domain_mean(data["y"], design)["std_err"], rel=0.2)


def test_intervals_of_shares():
    low, high = proportion_interval(0.1, 0.03, df=50)
    assert low < 0.1 < high and high - 0.1 > 0.1 - low  # skewed away from 0
    kg_low, kg_high = proportion_interval(0.0, 0.0, df=50, n=60, method="korn_graubard")
    assert (kg_low, kg_high) == (0.0, 0.0)
    wide = proportion_interval(0.02, 0.018, df=20, n=60, method="korn_graubard")
    assert wide[0] >= 0 and wide[1] > 0.06
    with pytest.raises(AnalysisError, match="unknown interval"):
        proportion_interval(0.5, 0.1, df=10, method="wald")


def test_bad_design_columns_are_named():
    data = pd.DataFrame({"weight": [1.0, -2.0], "y": [1, 0]})
    with pytest.raises(AnalysisError) as error:
        SurveyDesign.from_frame(data, weights="weight")
    assert "row 2" in str(error.value) and "-2" in str(error.value)
    with pytest.raises(AnalysisError, match="missing column"):
        SurveyDesign.from_frame(data, strata="stratum")
