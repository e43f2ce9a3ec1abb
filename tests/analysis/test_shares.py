import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from dmsurvey.analysis.shares import shares, wilson_interval
from dmsurvey.errors import AnalysisError

Z95 = 1.959963984540054


def wilson_by_hand(count: int, n: int) -> tuple[float, float]:
    p = count / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 / (1 + Z95**2 / n) * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n))
    return centre - half, centre + half


def test_wilson_matches_the_formula_and_statsmodels():
    for count, n in [(17, 99), (1, 99), (35, 99), (5, 5), (50, 100)]:
        low, high = wilson_interval(count, n)
        assert (low, high) == pytest.approx(wilson_by_hand(count, n), abs=1e-12)
        assert (low, high) == pytest.approx(
            proportion_confint(count, n, method="wilson"), abs=1e-12
        )


def test_wilson_zero_successes_has_closed_form_upper_bound():
    low, high = wilson_interval(0, 10)
    assert low == 0
    assert high == pytest.approx(Z95**2 / (10 + Z95**2))


def test_wilson_is_vectorised_and_empty_base_is_nan():
    low, high = wilson_interval(np.array([3, 0, 4]), np.array([10, 0, 4]), confidence=0.9)
    expected = proportion_confint(np.array([3, 4]), np.array([10, 4]), alpha=0.1,
                                  method="wilson")
    assert low[[0, 2]] == pytest.approx(expected[0])
    assert high[[0, 2]] == pytest.approx(expected[1])
    assert np.isnan(low[1]) and np.isnan(high[1])


@pytest.fixture
def answers():
    return pd.DataFrame(
        {
            "industry": ["manufacturing", "manufacturing", "software_it", "other", "other"],
            "tech_used": ["big_data ai", "none", "ai", None, ""],
            "procurement": pd.Categorical(["51_75", "none", "1_25", "51_75", None],
                                          categories=["none", "1_25", "26_50", "51_75",
                                                      "76_100"]),
        }
    )


def test_multiselect_has_a_row_per_option_over_answering_firms(answers, small_questionnaire):
    table = shares(answers, "tech_used", questionnaire=small_questionnaire)
    assert list(table.columns) == ["question", "item", "label", "count", "n", "share",
                                   "ci_low", "ci_high"]
    assert table["item"].tolist() == ["big_data", "ai", "cloud", "none"]
    assert table["label"].tolist() == ["Big Data", "Ai", "Cloud", "None"]
    assert table["count"].tolist() == [1, 2, 0, 1]
    assert (table["n"] == 3).all()
    assert table["share"].tolist() == pytest.approx([1 / 3, 2 / 3, 0, 1 / 3])
    ai = table.set_index("item").loc["ai"]
    assert (ai.ci_low, ai.ci_high) == pytest.approx(wilson_by_hand(2, 3))


def test_shares_by_group_keep_group_order(answers, small_questionnaire):
    table = shares(answers, "procurement", questionnaire=small_questionnaire, by="industry")
    assert list(table.columns[:2]) == ["industry", "question"]
    manufacturing = table[table["industry"] == "manufacturing"].set_index("item")
    assert manufacturing["n"].unique().tolist() == [2]
    assert manufacturing.loc["51_75", "count"] == 1
    other = table[table["industry"] == "other"].set_index("item")
    assert other.loc["51_75", ["count", "n"]].tolist() == [1, 1]
    assert len(table) == 3 * 5


def test_weighted_share_uses_kish_effective_n(answers, small_questionnaire):
    weights = pd.Series([1.0, 3.0, 2.0, 2.0, 1.0])
    table = shares(answers, "procurement", questionnaire=small_questionnaire, weights=weights)
    row = table.set_index("item").loc["51_75"]
    # answered: weights 1, 3, 2, 2; chose 51_75: weights 1 and 2
    assert row["share"] == pytest.approx(3 / 8)
    n_eff = 8**2 / (1 + 9 + 4 + 4)
    assert row["n_effective"] == pytest.approx(n_eff)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(
        proportion_confint(3 / 8 * n_eff, n_eff, method="wilson")
    )
    assert (row["count"], row["n"]) == (2, 4)


def test_equal_weights_give_the_unweighted_share(answers, small_questionnaire):
    plain = shares(answers, "tech_used", questionnaire=small_questionnaire)
    weighted = shares(answers, "tech_used", questionnaire=small_questionnaire,
                      weights=pd.Series(2.5, index=answers.index))
    for column in ["share", "ci_low", "ci_high"]:
        assert weighted[column].to_numpy() == pytest.approx(plain[column].to_numpy())


def test_labels_instead_of_codes_are_reported(answers, small_questionnaire):
    answers["procurement"] = ["More than half", "None", "None", "None", None]
    with pytest.raises(AnalysisError) as caught:
        shares(answers, "procurement", questionnaire=small_questionnaire)
    assert "More than half" in str(caught.value)


def test_unknown_question_and_non_select_are_errors(answers, small_questionnaire):
    with pytest.raises(AnalysisError, match="no question"):
        shares(answers, "nope", questionnaire=small_questionnaire)
    with pytest.raises(AnalysisError, match="integer"):
        shares(answers, "employees_2019", questionnaire=small_questionnaire)


def test_negative_weights_are_rejected(answers, small_questionnaire):
    with pytest.raises(AnalysisError, match="weights"):
        shares(answers, "tech_used", questionnaire=small_questionnaire,
               weights=pd.Series([1, -1, 1, 1, 1]))


def test_wilson_ends_are_exactly_0_and_1_at_the_extremes():
    # The formula leaves rounding residue (2.8e-17 at count 0); charts need exact ends.
    for n in (1, 7, 30, 99):
        low, high = wilson_interval(0, n)
        assert low == 0.0 and 0 < high < 1
        low, high = wilson_interval(n, n)
        assert high == 1.0 and 0 < low < 1
    low, high = wilson_interval(np.array([0, 3, 30]), np.array([30, 30, 30]))
    assert low[0] == 0.0 and high[2] == 1.0
    assert np.all((low >= 0) & (high <= 1) & (low <= high))
    shares_at_ends = np.array([0, 3, 30]) / 30
    assert np.all(shares_at_ends - low >= 0) and np.all(high - shares_at_ends >= 0)


def test_share_view_fits_a_terminal_with_labels(answers, small_questionnaire):
    from dmsurvey.analysis.shares import share_view

    table = shares(answers, "tech_used", questionnaire=small_questionnaire, by="industry",
                   language="en")
    view = share_view(table, questionnaire=small_questionnaire, language="en")
    assert list(view.columns) == ["industry", "answer", "firms", "share", "95% CI"]
    industry = small_questionnaire.question("industry")
    labels = {choice.label["en"] for choice in industry.choices}
    named = [name for name in view["industry"] if name]
    assert named and set(named) <= labels
    assert len(named) == table["industry"].nunique()
    first = table.iloc[0]
    assert view["firms"].iloc[0] == f"{first['count']}/{first['n']}"
