import dataclasses

import numpy as np
import pandas as pd
import pytest

from dmsurvey.analysis.scoring import level_of, score
from dmsurvey.errors import AnalysisError


@pytest.fixture
def firms():
    return pd.DataFrame(
        {
            "response_id": ["a", "b", "c", "d"],
            "industry": pd.Categorical(["manufacturing", "software_it", "other",
                                        "manufacturing"],
                                       categories=["manufacturing", "software_it", "other"]),
            "tech_used": ["big_data ai", "none", None, "cloud"],
            "procurement": ["51_75", "none", None, "76_100"],
            "sales": ["1_25", None, "", "76_100"],
            # b answers a manufacturing-only question: it still must not count
            "smart": ["lines", "factory", None, "lines factory"],
        }
    )


def test_scores_worked_by_hand(firms, small_questionnaire):
    scores = score(firms, small_questionnaire).set_index("response_id")
    assert list(scores.columns) == ["tech", "trade", "smart_manufacturing", "composite",
                                    "level", "items_answered"]
    # a: tech 60+60 capped at 100; trade (62.5*1 + 12.5*3)/4 = 25; smart 50
    #    composite (100*1 + 25*2 + 50*1) / 4 = 50 -> advanced (50 <= 50 < 75)
    assert scores.loc["a", ["tech", "trade", "smart_manufacturing", "composite"]].tolist() == [
        100, 25, 50, 50]
    assert scores.loc["a", "level"] == "advanced"
    assert scores.loc["a", "items_answered"] == 4
    # b: not a manufacturer -> smart does not apply; trade has 1 of 2 items (= half) -> 0
    assert scores.loc["b", ["tech", "trade", "composite"]].tolist() == [0, 0, 0]
    assert np.isnan(scores.loc["b", "smart_manufacturing"])
    assert scores.loc["b", "level"] == "beginner"
    assert scores.loc["b", "items_answered"] == 2
    # c: nothing answered -> everything missing
    assert scores.loc["c", ["tech", "trade", "composite"]].isna().all()
    assert pd.isna(scores.loc["c", "level"])
    assert scores.loc["c", "items_answered"] == 0
    # d: 30; 87.5; 50+100 capped at 100; composite (30 + 175 + 100) / 4
    assert scores.loc["d", "composite"] == pytest.approx(76.25)
    assert scores.loc["d", "level"] == "leader"


def test_dimension_below_min_answered_is_missing(firms, small_questionnaire):
    scoring = small_questionnaire.scoring
    stricter = dataclasses.replace(scoring.dimensions[1], min_answered=0.75)
    questionnaire = dataclasses.replace(
        small_questionnaire,
        scoring=dataclasses.replace(scoring, dimensions=(scoring.dimensions[0], stricter)),
    )
    scores = score(firms, questionnaire).set_index("response_id")
    assert np.isnan(scores.loc["b", "trade"])
    assert scores.loc["b", "composite"] == 0  # only tech is left
    assert scores.loc["a", "trade"] == 25


def test_levels_bands_include_the_last_maximum(small_questionnaire):
    levels = level_of([0, 24.999, 25, 74.9, 75, 100, np.nan, 100.5], small_questionnaire.scoring)
    assert list(levels.astype(object)) == ["beginner", "beginner", "developing", "advanced",
                                           "leader", "leader", np.nan, np.nan]


def test_scoring_is_a_function_of_each_row(firms, small_questionnaire):
    whole = score(firms, small_questionnaire)
    parts = pd.concat([score(firms.iloc[:1], small_questionnaire),
                       score(firms.iloc[1:], small_questionnaire)])
    pd.testing.assert_frame_equal(whole, parts)


def test_missing_column_and_labels_are_reported(firms, small_questionnaire):
    with pytest.raises(AnalysisError, match="no column"):
        score(firms.drop(columns="sales"), small_questionnaire)
    firms["procurement"] = "Most"
    with pytest.raises(AnalysisError, match="not codes"):
        score(firms, small_questionnaire)


def test_questionnaire_without_scoring_is_an_error(firms, small_questionnaire):
    with pytest.raises(AnalysisError, match="scoring"):
        score(firms, dataclasses.replace(small_questionnaire, scoring=None))
