"""Typed response frames and 0/1 expansion of multi-selects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dmsurvey.errors import DataError
from dmsurvey.questionnaire.loader import load_questionnaire
from dmsurvey.store.frames import expand_multiselect, typed_responses


@pytest.fixture
def mini(mini_path):
    return load_questionnaire(mini_path)


def test_a_flat_file_of_codes_becomes_typed_columns(mini):
    # as pandas reads a CSV: numbers inferred, numeric-looking codes as numbers
    raw = pd.DataFrame({
        "response_id": ["a", "b", "c"],
        "industry": ["other", "manufacturing", ""],
        "employees_2019": [3, np.nan, 10],
        "revenue_2019": ["2.5", "", "7"],
        "self_maturity": [1.0, 3.0, np.nan],
        "tech_used": ["ai 5g", np.nan, "none"],
        "notes_from_clerk": ["x", "y", "z"],
    })
    frame = typed_responses(raw, mini)
    assert frame["employees_2019"].tolist() == [3, pd.NA, 10]
    assert str(frame["employees_2019"].dtype) == "Int64"
    assert frame["revenue_2019"].tolist() == [2.5, pd.NA, 7.0]
    assert frame["self_maturity"].astype(object).tolist() == ["1", "3", np.nan]
    assert list(frame["self_maturity"].cat.categories) == ["1", "2", "3"]
    assert pd.isna(frame.loc[2, "industry"])
    assert frame["source"].isna().all() and str(frame["entry"].dtype) == "Int64"
    assert frame.columns[-1] == "notes_from_clerk"


def test_values_that_do_not_fit_are_all_reported(mini):
    raw = pd.DataFrame({
        "industry": ["farming", "other"],
        "employees_2019": ["1.5", "x"],
        "tech_used": ["ai,5g", "ai"],
    })
    with pytest.raises(DataError) as caught:
        typed_responses(raw, mini)
    found = {(p.row, p.column) for p in caught.value.problems}
    assert found == {(1, "industry"), (1, "employees_2019"), (2, "employees_2019"),
                     (1, "tech_used")}
    assert caught.value.message.startswith("4 values do not fit")
    with pytest.raises(DataError) as caught:
        typed_responses(raw.iloc[1:], mini)
    assert caught.value.message.startswith("1 value does not fit")


def test_expand_multiselect_gives_0_1_columns_and_nan_when_unanswered(mini):
    frame = pd.DataFrame({"tech_used": ["big_data ai", "none", None, "", "5g"]})
    expanded = expand_multiselect(frame, "tech_used", mini)
    assert list(expanded.columns) == ["tech_used/big_data", "tech_used/ai", "tech_used/5g",
                                      "tech_used/none"]
    expected = np.array([
        [1, 1, 0, 0],
        [0, 0, 0, 1],
        [np.nan] * 4,
        [np.nan] * 4,
        [0, 0, 1, 0],
    ])
    np.testing.assert_array_equal(expanded.to_numpy(), expected)
    # a mean is the share among those who answered: 1 of 3 used AI
    assert expanded["tech_used/ai"].mean() == pytest.approx(1 / 3)


def test_expand_multiselect_refuses_other_question_types(mini):
    with pytest.raises(DataError, match="not select_multiple"):
        expand_multiselect(pd.DataFrame({"industry": ["other"]}), "industry", mini)


def test_labels_in_a_language(mini):
    raw = pd.DataFrame({"industry": ["software_it"], "tech_used": ["big_data none"]})
    frame = typed_responses(raw, mini, labels="zh")
    assert frame.loc[0, "industry"] == "软件和信息技术服务业"
    assert list(frame["industry"].cat.categories) == ["制造业", "软件和信息技术服务业", "其他"]
    assert frame.loc[0, "tech_used"] == "大数据; 以上均未使用"
