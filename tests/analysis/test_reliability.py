import numpy as np
import pandas as pd
import pytest
from scipy.stats import f

from dmsurvey.analysis.reliability import (
    cronbach_alpha,
    feldt_interval,
    item_rest,
    principal_component,
    reliability,
)

ITEMS = pd.DataFrame({"a": [2, 4, 3, 5, 1], "b": [3, 4, 3, 4, 2], "c": [3, 5, 4, 5, 2]})


def test_alpha_against_a_hand_computation():
    # item variances 2.5, 0.7, 1.7 (sum 4.9); totals 8, 13, 10, 14, 5 have variance 13.5
    # alpha = 3/2 * (1 - 4.9 / 13.5) = 12.9 / 13.5
    assert cronbach_alpha(ITEMS) == pytest.approx(12.9 / 13.5)


def test_alpha_ignores_incomplete_rows_and_needs_two_items():
    with_gap = pd.concat([ITEMS, pd.DataFrame({"a": [np.nan], "b": [1], "c": [1]})])
    assert cronbach_alpha(with_gap) == pytest.approx(12.9 / 13.5)
    assert np.isnan(cronbach_alpha(ITEMS[["a"]]))


def test_feldt_interval_uses_the_f_distribution_with_the_right_degrees():
    alpha = 12.9 / 13.5
    low, high = feldt_interval(alpha, n=5, k=3)
    assert low < alpha < high
    assert (1 - low) / (1 - alpha) == pytest.approx(f.ppf(0.975, 4, 8))
    assert (1 - high) / (1 - alpha) == pytest.approx(f.ppf(0.025, 4, 8))


def dimension_firms():
    return pd.DataFrame({
        "industry": ["manufacturing"] * 5 + ["software_it"],
        "tech_used": ["big_data", "ai cloud", "none", "big_data ai", "cloud", "ai"],
        "procurement": ["1_25", "51_75", "none", "76_100", "26_50", "none"],
        "sales": ["none", "51_75", "1_25", "76_100", "1_25", None],
        "smart": ["lines", "lines factory", "none", "factory", "lines", None],
    })


def test_reliability_per_dimension(small_questionnaire):
    table = reliability(dimension_firms(), questionnaire=small_questionnaire).set_index(
        "dimension")
    # trade: two items, firms answering both
    trade = pd.DataFrame({"p": [12.5, 62.5, 0, 87.5, 37.5], "s": [0, 62.5, 12.5, 87.5, 12.5]})
    assert table.loc["trade", "alpha"] == pytest.approx(cronbach_alpha(trade))
    assert table.loc["trade", ["items", "n"]].tolist() == [2, 5]
    # a dimension of one multi-select question: its options are the items (KR-20), and
    # only the manufacturers it applies to count
    smart = pd.DataFrame({"lines": [1, 1, 0, 0, 1], "factory": [0, 1, 0, 1, 0]})
    assert table.loc["smart_manufacturing", "alpha"] == pytest.approx(cronbach_alpha(smart))
    assert table.loc["smart_manufacturing", "n"] == 5
    assert table.loc["tech", "items"] == 3  # big_data, ai, cloud (`none` scores nothing)


def test_a_dimension_of_one_single_choice_item_has_no_alpha(small_questionnaire):
    import dataclasses

    scoring = small_questionnaire.scoring
    one_item = dataclasses.replace(scoring.dimensions[1],
                                   items=scoring.dimensions[1].items[:1])
    questionnaire = dataclasses.replace(
        small_questionnaire, scoring=dataclasses.replace(scoring, dimensions=(one_item,)))
    table = reliability(dimension_firms(), questionnaire=questionnaire)
    assert np.isnan(table["alpha"].iloc[0])
    assert "one item" in table["note"].iloc[0]


def test_item_rest_correlation(small_questionnaire):
    table = item_rest(dimension_firms(), questionnaire=small_questionnaire)
    row = table.set_index("item").loc["procurement"]
    procurement = np.array([12.5, 62.5, 0, 87.5, 37.5])
    sales = np.array([0, 62.5, 12.5, 87.5, 12.5])
    assert row["item_rest_r"] == pytest.approx(np.corrcoef(procurement, sales)[0, 1])


def test_principal_component_against_numpy(small_questionnaire):
    table = principal_component(dimension_firms(), questionnaire=small_questionnaire)
    assert table["item"].tolist() == ["tech_used", "procurement", "sales"]
    # declared weights: tech 1/3; trade 2/3 split 1:3 between procurement and sales
    assert table["declared_weight"].tolist() == pytest.approx([1 / 3, 2 / 3 / 4, 2 / 3 * 3 / 4])
    points = np.array([[60, 12.5, 0], [90, 62.5, 62.5], [0, 0, 12.5], [100, 87.5, 87.5],
                       [30, 37.5, 12.5]])
    eigenvalues = np.linalg.eigvalsh(np.corrcoef(points, rowvar=False))
    assert table["explained_variance"].iloc[0] == pytest.approx(eigenvalues[-1] / 3)
    assert table["n"].iloc[0] == 5
    assert 0 < table["index_correlation"].iloc[0] <= 1
