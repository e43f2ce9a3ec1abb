"""The report's "What changed" sentences and the firm page's change table."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from dmsurvey.analysis.panel import compare_waves
from dmsurvey.reporting.change import PreviousWave, change_summary
from dmsurvey.reporting.feedback import write_firm_feedback

SCORED_CHANGES = ["cloud_status", "online_sales_share", "online_procurement_share", "tech_used"]


@pytest.fixture(scope="module")
def answers(waves):
    return [study.responses() for study in waves]


def sentences(answers, questionnaire, language="en", later=None) -> dict[str, str]:
    earlier, original_later = answers
    later = original_later if later is None else later
    tables = compare_waves(earlier, later, earlier_questionnaire=questionnaire,
                           language=language)
    return {headline.id: headline.text for headline in change_summary(
        tables, ("2020", "2022"), language=language, earlier_n=len(earlier),
        later_n=len(later))}, tables


def test_the_sentences_state_the_numbers_of_the_tables(waves, answers):
    said, tables = sentences(answers, waves[0].questionnaire)
    composite = tables["score_tests"].set_index("measure").loc["composite"]
    assert said["composite"].startswith("Among them the composite index rose from "
                                        f"{composite['mean_earlier']:.1f} to "
                                        f"{composite['mean_later']:.1f} points")
    assert f"{composite['ci_low']:+.1f} to {composite['ci_high']:+.1f}" in said["composite"]
    panel = len(tables["firm_changes"])
    assert said["panel"].startswith(f"{panel} of the 99 firms surveyed in 2020")
    steps = tables["firm_changes"]["level_steps"]
    assert said["levels"].startswith(f"{int((steps > 0).sum())} firms moved up")
    assert re.search(r"The share using .+ rose from \d+% to \d+% \(McNemar p", said["adoption"])


def test_the_sentences_change_when_the_data_change(waves, answers):
    questionnaire = waves[0].questionnaire
    before, _ = sentences(answers, questionnaire)
    # The same firms answering in 2022 exactly as in 2020: nothing changed.
    earlier, later = (frame.copy() for frame in answers)
    by_code = earlier.dropna(subset=["credit_code"]).set_index("credit_code")
    keyed = later["credit_code"].isin(by_code.index)
    for column in SCORED_CHANGES:
        later.loc[keyed, column] = by_code.loc[later.loc[keyed, "credit_code"], column].to_numpy()
    after, _ = sentences(answers, questionnaire, later=later)
    assert after["composite"] != before["composite"]
    assert "did not change significantly" in after["composite"]
    assert after["adoption"] == "No adoption indicator changed significantly."
    assert after["dimension"] == "No dimension changed significantly."
    assert after["panel"] == before["panel"]


def test_the_sentences_speak_chinese(waves, answers):
    said, _ = sentences(answers, waves[0].questionnaire, language="zh")
    assert said["composite"].startswith("这些企业的综合指数由")
    assert not re.search(r"[A-Za-z]{4,}", said["levels"])


def test_too_few_firms_in_both_waves_state_no_change(waves, answers):
    earlier, later = answers
    few = later[~later["credit_code"].isin(earlier["credit_code"].dropna())]
    few = pd.concat([few, later[later["credit_code"].isin(earlier["credit_code"].dropna())]
                     .head(5)])
    said, _ = sentences(answers, waves[0].questionnaire, later=few)
    assert set(said) == {"panel", "too_few"}


def peer_cells(html: str, measure: str) -> list[str]:
    rows = re.findall(rf'<tr data-change="{measure}">(.*?)</tr>', html, flags=re.S)
    return [re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", row)).strip() for row in rows]


def test_a_firm_page_shows_both_waves_beside_its_peers_change(waves, answers, tmp_path):
    earlier, later = answers
    questionnaire = waves[0].questionnaire
    firm = later[later["credit_code"].isin(earlier["credit_code"].dropna())].iloc[0]
    path = write_firm_feedback(later, questionnaire, firm["response_id"], tmp_path,
                               previous=PreviousWave(earlier, questionnaire))
    html = path.read_text(encoding="utf-8")
    assert "Your change since 2020" in html
    # Independently: composite change of every firm in both waves, by credit code.
    from dmsurvey.analysis.scoring import score

    scored = [frame.assign(composite=score(frame, questionnaire)["composite"].to_numpy())
              for frame in answers]
    pairs = scored[0].dropna(subset=["credit_code"]).merge(scored[1], on="credit_code",
                                                          suffixes=("_2020", "_2022"))
    pairs["change"] = pairs["composite_2022"] - pairs["composite_2020"]
    others = pairs[pairs["response_id_2022"] != firm["response_id"]]
    mine = pairs[pairs["response_id_2022"] == firm["response_id"]].iloc[0]
    rows = peer_cells(html, "composite")
    assert rows[0].startswith(f"Composite index {mine['composite_2020']:.0f} "
                              f"{mine['composite_2022']:.0f} {mine['change']:+.1f}")
    assert rows[-1].endswith(f"All other enterprises {others['change'].mean():+.1f} "
                             f"(n={len(others)})")
    same_industry = others[others["industry_2020"].astype(str) == str(firm["industry"])]
    industry_row = rows[0]
    if len(same_industry) >= 10:
        assert f"{same_industry['change'].mean():+.1f} (n={len(same_industry)})" in industry_row
    else:
        assert "fewer than 10 peers" in industry_row


def test_the_ten_peer_rule_holds_on_the_firm_page(waves, answers, tmp_path):
    earlier, later = answers
    questionnaire = waves[0].questionnaire
    firm = later[later["credit_code"].isin(earlier["credit_code"].dropna())].iloc[0]
    path = write_firm_feedback(later, questionnaire, firm["response_id"], tmp_path,
                               previous=PreviousWave(earlier, questionnaire), min_peers=1000)
    html = path.read_text(encoding="utf-8")
    cells = peer_cells(html, "composite")
    assert cells and all("fewer than 1000 peers" in cell for cell in cells)
    assert not re.search(r"[+-]\d+\.\d \(n=", " ".join(cells))


def test_a_firm_not_in_both_waves_is_told_so(waves, answers, tmp_path):
    earlier, later = answers
    questionnaire = waves[0].questionnaire
    newcomer = later[later["credit_code"].isna()].iloc[0]
    path = write_firm_feedback(later, questionnaire, newcomer["response_id"], tmp_path,
                               previous=PreviousWave(earlier, questionnaire))
    html = path.read_text(encoding="utf-8")
    assert "is not linked to a response of 2020" in html
    assert 'data-change="' not in html
