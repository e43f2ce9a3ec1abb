"""The sample's answers hang together as real answers do, so its maturity index is reliable.

Cronbach's alpha is computed here with plain numpy from the CSV and the points of the
questionnaire's scoring block, then compared with dmsurvey's own reliability table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dmsurvey.analysis.reliability import reliability
from dmsurvey.store.sample import load_sample_responses


def points(answer: str | float, table) -> float:
    """An answer's points: the sum over its codes, at most 100; NaN when unanswered."""
    if pd.isna(answer):
        return np.nan
    return min(100, sum(table.get(code, 0) for code in answer.split()))


def alpha_by_hand(firms: pd.DataFrame, dimension) -> tuple[float, int]:
    items = pd.DataFrame(
        {item.question: firms[item.question].map(lambda a, t=item.points: points(a, t))
         for item in dimension.items}
    ).dropna()
    k = items.shape[1]
    total = items.sum(axis=1).var(ddof=1)
    return k / (k - 1) * (1 - items.var(ddof=1).sum() / total), len(items)


@pytest.mark.parametrize("dimension_id", ["online_trade", "internet_finance"])
def test_multi_item_dimensions_are_reliable(firms, questionnaire, dimension_id):
    alpha, n = alpha_by_hand(firms, questionnaire.scoring.dimension(dimension_id))
    assert alpha >= 0.5
    table = reliability(load_sample_responses(), questionnaire=questionnaire)
    row = table.set_index("dimension").loc[dimension_id]
    assert row["n"] == n
    assert row["alpha"] == pytest.approx(alpha)


def test_internet_borrowers_are_keener_on_financing_platforms(firms):
    borrowed = firms["internet_finance_share"] != "none"
    keen = firms["fin_platform_interest"] == "high"
    assert keen[borrowed].mean() > 2 * keen[~borrowed].mean()
    uninterested = firms["fin_platform_interest"] == "none"
    assert uninterested[~borrowed].mean() > uninterested[borrowed].mean()


def test_bigger_internet_borrowers_use_more_channels(firms):
    borrowers = firms[firms["internet_finance_share"] != "none"]
    channels = borrowers["internet_finance_channels"].str.split().str.len()
    above_quarter = borrowers["internet_finance_share"] != "1_25"
    assert channels[above_quarter].mean() > channels[~above_quarter].mean()
    assert (channels > 1).sum() > 5
