"""The worked example of docs/methodology.md, recomputed from the bundled sample."""

import pandas as pd
import pytest

from dmsurvey.analysis.scoring import score
from dmsurvey.questionnaire.loader import load_questionnaire
from dmsurvey.store.sample import load_sample_responses

FIRM = "9f40470e-3eff-5dcd-ad79-a2ec8357ed43"


@pytest.fixture(scope="module")
def firm():
    responses = load_sample_responses()
    return responses[responses["response_id"] == FIRM].reset_index(drop=True)


@pytest.fixture(scope="module")
def questionnaire():
    return load_questionnaire("sme-digital-2020")


def test_worked_example(firm, questionnaire):
    row = score(firm, questionnaire).iloc[0]
    assert row["ai_bigdata"] == pytest.approx(215 / 6)
    assert row["online_trade"] == pytest.approx(215 / 7)
    assert row["smart_manufacturing"] == pytest.approx(35)
    assert row["internet_finance"] == pytest.approx(246 / 4)
    assert row["composite"] == pytest.approx((215 / 6 + 215 / 7 + 35 + 246 / 4) / 4)
    assert row["level"] == "average"
    assert row["items_answered"] == 14


def test_worked_example_variants(firm, questionnaire):
    software = firm.copy()
    software["industry"] = pd.Categorical(["software_it"],
                                          categories=firm["industry"].cat.categories)
    software["smart_mfg"] = None
    row = score(software, questionnaire).iloc[0]
    assert pd.isna(row["smart_manufacturing"])
    assert row["composite"] == pytest.approx((215 / 6 + 215 / 7 + 246 / 4) / 3)

    skipped = firm.copy()
    skipped["online_marketing"] = None
    skipped["online_marketing_spend_share"] = None
    assert score(skipped, questionnaire).iloc[0]["online_trade"] == pytest.approx(20.4)
