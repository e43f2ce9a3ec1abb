"""The report's "Sample and weights" section on the bundled sample and its design."""

from __future__ import annotations

import numpy as np
import pytest

from dmsurvey.questionnaire.loader import load_questionnaire
from dmsurvey.reporting.design_section import headline_design_effects, sample_and_weights
from dmsurvey.sampling.record import respondent_design
from dmsurvey.sampling.sample_design import read_draw_csv
from dmsurvey.store.sample import QUESTIONNAIRE, read_sample_csv


@pytest.fixture(scope="module")
def bundled():
    responses = read_sample_csv()
    draw = read_draw_csv()
    return responses, load_questionnaire(QUESTIONNAIRE), draw


def test_section_describes_frame_response_and_weights(bundled):
    from dmsurvey.sampling.record import DesignSpec

    responses, questionnaire, draw = bundled
    spec = DesignSpec()
    design = respondent_design(responses, draw, spec)
    section = sample_and_weights(responses, questionnaire, (draw, spec), design, "en")
    first, second = section["paragraphs"]
    assert "162 firms were drawn from a frame of 7,967 in 14 strata; 99 answered (61%)" in first
    weights = draw.loc[draw["responded"] == 1, "weight"]
    kish = len(weights) * (weights**2).sum() / weights.sum() ** 2
    assert f"from {weights.min():.1f} to {weights.max():.1f}" in second
    assert f"{kish:.2f}" in second
    chinese = sample_and_weights(responses, questionnaire, (draw, spec), design, "zh")
    html = "".join(table for _, table in chinese["tables"])
    assert "business_services" not in html and "制造业" in html
    # the summary's percentages are estimates for the frame, and the reader is told so
    frame = int(draw.drop_duplicates("stratum")["population"].sum())
    assert f"design-based estimates for the {frame:,} firms" in section["summary_note"]
    assert f"not shares of the {len(responses)} firms that answered" in section["summary_note"]
    assert "抽样框" in chinese["summary_note"]


def test_headline_shares_are_weighted_means_with_design_effects(bundled):
    responses, questionnaire, draw = bundled
    design = respondent_design(responses, draw)
    table = headline_design_effects(responses, questionnaire, design, "en")
    weights = draw.set_index("response_id").loc[responses["response_id"], "weight"].to_numpy()
    answers = responses["online_procurement_share"]
    buys = answers.isin(["51_75", "76_100"]).to_numpy(float)
    row = table[table["outcome"] == "Online procurement above 50%"].iloc[0]
    assert row["estimate"] == pytest.approx(np.average(buys, weights=weights))
    assert row["unweighted"] == pytest.approx(buys.mean())
    assert row["deff"] > 0


def test_without_a_design_the_section_says_unweighted(bundled):
    responses, questionnaire, _ = bundled
    section = sample_and_weights(responses, questionnaire, None, None, "en")
    assert section["tables"] == []
    assert "unweighted" in section["paragraphs"][0]
    assert "summary_note" not in section


def test_headlines_are_design_based_when_a_design_exists(bundled):
    from dmsurvey.reporting.charts import summary_tables
    from dmsurvey.reporting.design_section import design_based_charts
    from dmsurvey.reporting.summary import executive_summary

    responses, questionnaire, draw = bundled
    design = respondent_design(responses, draw)
    charts = summary_tables(responses, questionnaire, language="en")
    plain = {h.id: h for h in executive_summary(responses, questionnaire, charts=charts)}
    weighted = {h.id: h for h in executive_summary(
        responses, questionnaire, charts=design_based_charts(charts, responses, questionnaire,
                                                             design), design=design)}
    weights = draw.set_index("response_id").loc[responses["response_id"], "weight"].to_numpy()
    buys = responses["online_procurement_share"].isin(["51_75", "76_100"]).to_numpy(float)
    procurement = weighted["online_trade"].figures["procurement"]
    assert procurement["share"] == pytest.approx(np.average(buys, weights=weights))
    assert plain["online_trade"].figures["procurement"]["share"] == pytest.approx(buys.mean())
    assert f"{np.average(buys, weights=weights):.0%}" in weighted["online_trade"].text
    # counts and bases stay firms
    assert procurement["n"] == plain["online_trade"].figures["procurement"]["n"] == 99
