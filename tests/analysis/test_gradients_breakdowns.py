import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact
from statsmodels.stats.contingency_tables import Table

from dmsurvey.analysis.breakdowns import crosstab_test, option_columns
from dmsurvey.analysis.gradients import cochran_armitage, size_gradient


def test_cochran_armitage_by_hand():
    # p = 9/30; T = 0(1-3) + 1(3-3) + 2(5-3) = 4; Var = 0.21 (10*5 - 30^2/30) = 4.2
    z, p_value = cochran_armitage([1, 3, 5], [10, 10, 10])
    assert z == pytest.approx(4 / math.sqrt(4.2))
    assert p_value == pytest.approx(0.05096, abs=1e-4)


def test_cochran_armitage_matches_linear_by_linear_association():
    counts, totals = np.array([0, 9, 7, 1]), np.array([31, 54, 13, 1])
    z, _ = cochran_armitage(counts, totals)
    table = Table(np.column_stack([counts, totals - counts]), shift_zeros=False)
    result = table.test_ordinal_association(row_scores=np.arange(4), col_scores=np.arange(2))
    # the linear-by-linear statistic is (N - 1) r^2; Cochran-Armitage's z^2 is N r^2
    n = totals.sum()
    assert z**2 == pytest.approx(result.zscore**2 * n / (n - 1))


def test_size_gradient_table():
    data = pd.DataFrame({
        "size_class": pd.Categorical(["micro"] * 10 + ["small"] * 10 + ["medium"] * 10,
                                     categories=["micro", "small", "medium", "large"],
                                     ordered=True),
        "adopted": [1] * 1 + [0] * 9 + [1] * 3 + [0] * 7 + [1] * 5 + [0] * 5,
    })
    table = size_gradient(data, outcomes=["adopted"], by="size_class")
    assert table["group"].tolist() == ["micro", "small", "medium"]
    assert table["share"].tolist() == pytest.approx([0.1, 0.3, 0.5])
    assert table["trend_z"].iloc[0] == pytest.approx(4 / math.sqrt(4.2))


def test_crosstab_chi_square_and_adjusted_residuals():
    data = pd.DataFrame({"obstacle": ["fees"] * 40 + ["funds"] * 60,
                         "size": ["small"] * 10 + ["large"] * 30 + ["small"] * 20
                         + ["large"] * 40})
    table = crosstab_test(data, "obstacle", by="size")
    cell = table[(table["group"] == "small") & (table["item"] == "fees")].iloc[0]
    # E = 30 * 40 / 100 = 12; r = (10 - 12) / sqrt(12 * 0.7 * 0.6)
    assert cell["expected"] == pytest.approx(12)
    assert cell["adjusted_residual"] == pytest.approx(-2 / math.sqrt(12 * 0.7 * 0.6))
    assert cell["test"] == "chi2"
    # for a 2x2 table Pearson's statistic is the squared adjusted residual
    assert cell["statistic"] == pytest.approx(cell["adjusted_residual"] ** 2)
    assert cell["n"] == 30 and cell["share"] == pytest.approx(1 / 3)


def test_small_cells_use_fisher_or_simulation():
    data = pd.DataFrame({"got": ["yes", "yes", "no", "no", "no", "yes"],
                         "funds": ["short", "short", "short", "fine", "fine", "short"]})
    table = crosstab_test(data, "got", by="funds")
    assert table["test"].iloc[0] == "fisher_exact"
    observed = pd.crosstab(data["funds"], data["got"]).to_numpy()
    assert table["p_value"].iloc[0] == pytest.approx(fisher_exact(observed).pvalue)
    three = pd.DataFrame({"a": list("xyzxyzxy"), "b": list("uuvvuvvu")})
    simulated = crosstab_test(three, "a", by="b", simulations=999)
    assert simulated["test"].iloc[0] == "chi2_monte_carlo"
    again = crosstab_test(three, "a", by="b", simulations=999)
    assert simulated["p_value"].iloc[0] == again["p_value"].iloc[0]  # seeded
    assert 0 < simulated["p_value"].iloc[0] <= 1


def test_option_columns(small_questionnaire):
    data = pd.DataFrame({"tech_used": ["ai cloud", "none", None]})
    options = option_columns(data, "tech_used", small_questionnaire)
    assert list(options.columns) == ["tech_used/big_data", "tech_used/ai", "tech_used/cloud",
                                     "tech_used/none"]
    assert options["tech_used/ai"].astype(object).tolist()[:2] == ["yes", "no"]
    assert pd.isna(options["tech_used/ai"].iloc[2])
