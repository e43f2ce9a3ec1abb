"""The executive summary is written from the data: change the data, the sentence follows."""

from __future__ import annotations

import pandas as pd
import pytest

from dmsurvey.reporting.summary import executive_summary

ABOVE_HALF = {"51_75", "76_100"}


def headlines(responses, questionnaire, language="en"):
    return {h.id: h for h in executive_summary(responses, questionnaire, language=language)}


def above_half(responses: pd.DataFrame, question: str) -> tuple[int, int]:
    answers = responses[question].astype(object).dropna()
    return int(answers.isin(ABOVE_HALF).sum()), len(answers)


@pytest.fixture(scope="module")
def original(sample, questionnaire):
    return headlines(sample, questionnaire)


def test_the_sample_reads_like_the_paper(original):
    assert original["online_trade"].text == (
        "Only 17% of the surveyed enterprises do more than 50% of their procurement online, "
        "and only 14% do more than 50% of their sales online.")
    assert original["sample"].text.startswith("We surveyed 99 enterprises (40 electronic and "
                                              "59 paper questionnaires); 86% of them")
    assert "among the 35 that have, 1 obtained more than 50%" in original["internet_finance"].text
    assert original["obstacles"].text.startswith("35% of the companies surveyed")


def test_changing_the_data_changes_the_sentence(sample, questionnaire, original):
    changed = sample.copy()
    without_online = changed.index[changed["online_procurement_share"].astype(object) == "none"]
    changed.loc[without_online[:12], "online_procurement_share"] = "76_100"
    count, n = above_half(changed, "online_procurement_share")
    sales_count, sales_n = above_half(changed, "online_sales_share")
    text = headlines(changed, questionnaire)["online_trade"].text
    assert text != original["online_trade"].text
    assert text == (f"Only {count / n:.0%} of the surveyed enterprises do more than 50% of their "
                    f"procurement online, and only {sales_count / sales_n:.0%} do more than 50% "
                    "of their sales online.")


def test_fewer_firms_change_every_count(sample, questionnaire):
    kept = sample.iloc[:60]
    found = headlines(kept, questionnaire)
    sources = kept["source"].astype(str).value_counts()
    assert found["sample"].text.startswith(
        f"We surveyed 60 enterprises ({sources.get('electronic', 0)} electronic and "
        f"{sources.get('paper', 0)} paper questionnaires)")
    finance = kept["internet_finance_share"].astype(object).dropna()
    users = int((finance != "none").sum())
    assert f"among the {users} that have" in found["internet_finance"].text


def test_the_biggest_obstacle_is_named_from_the_questionnaire(sample, questionnaire):
    changed = sample.copy()
    changed.loc[changed.index[:60], "biggest_obstacle"] = "lack_skills"
    label = questionnaire.question("biggest_obstacle").choice("lack_skills").label
    share = (changed["biggest_obstacle"].astype(object) == "lack_skills").mean()
    assert headlines(changed, questionnaire)["obstacles"].text.startswith(
        f"{share:.0%} of the companies surveyed said the biggest obstacle to digital "
        f"transformation was “{label['en']}”")
    assert f"“{label['zh']}”" in headlines(changed, questionnaire, "zh")["obstacles"].text


def test_findings_without_their_questions_are_left_out(sample, questionnaire):
    found = headlines(sample.drop(columns=["digital_helps"]), questionnaire)
    assert "outlook" not in found
    assert "online_trade" in found


def test_one_firm_gets_no_headline_resting_on_one_answer(sample, questionnaire):
    for language, small in (("en", "1 of them had fewer"), ("zh", "其中1家企业")):
        found = headlines(sample.iloc[:1], questionnaire, language)
        assert list(found) == ["sample", "too_small"]
        assert small in found["sample"].text
    assert found["too_small"].text.startswith("本次调查仅1家企业，样本过小")
    assert headlines(sample.iloc[:1], questionnaire)["too_small"].text == (
        "With 1 firm, the study is too small for some findings: a finding is stated only "
        "when at least 10 firms answered its questions.")


def test_ten_firms_keep_the_headlines_with_ten_answers(sample, questionnaire):
    kept = sample.iloc[:10]
    found = headlines(kept, questionnaire)
    manufacturers = int((kept["industry"].astype(object) == "manufacturing").sum())
    assert manufacturers < 10
    assert "smart_manufacturing" not in found
    procurement, n = above_half(kept, "online_procurement_share")
    assert n == 10 and f"Only {procurement / n:.0%} of the surveyed" in found["online_trade"].text
    # too few firms with the outcome for any procurement logit: no size sentence
    assert procurement < 5
    assert "size_gradient" not in found
    assert set(found["too_small"].figures["left_out"]) == {"smart_manufacturing",
                                                          "size_gradient"}


def test_only_is_said_of_low_shares_only(sample, questionnaire):
    changed = sample.copy()
    changed["online_procurement_share"] = changed["online_procurement_share"].where(
        changed.index >= 60, "76_100")
    count, n = above_half(changed, "online_procurement_share")
    text = headlines(changed, questionnaire)["online_trade"].text
    assert text.startswith(f"{count / n:.0%} of the surveyed enterprises do more than 50%")
    assert "only" not in text.lower()


def test_zero_shares_are_said_in_words(sample, questionnaire):
    changed = sample.copy()
    makers = changed["industry"].astype(object) == "manufacturing"
    changed.loc[makers, "smart_mfg"] = "none"
    finance = changed["internet_finance_share"].astype(object)
    changed.loc[finance.isin(ABOVE_HALF), "internet_finance_share"] = "1_25"
    found = headlines(changed, questionnaire)
    assert found["smart_manufacturing"].text == (
        f"None of the {int(makers.sum())} surveyed manufacturers reports any of smart "
        "production lines, smart workshops and smart factories.")
    assert "none of the 35 that have obtained more than 50%" in found["internet_finance"].text
    chinese = headlines(changed, questionnaire, "zh")
    assert "有0家" not in chinese["internet_finance"].text
    assert "不超过0%" not in chinese["smart_manufacturing"].text
    assert "too_small" not in found
