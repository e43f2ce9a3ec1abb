"""The six summary charts: each CSV against an independent count, each bar against its CSV."""

from __future__ import annotations

import math
import warnings

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from dmsurvey.reporting.charts import (
    CHART_COLUMNS,
    CHART_STEMS,
    chart_table,
    draw_summary_chart,
    load_references,
    reference_comparison,
    summary_charts,
)
from dmsurvey.reporting.theme import chart_theme

Z95 = 1.959963984540054
EXPECTED_ROWS = {
    "01_technology_use": [("tech_used", c) for c in
                          ("industrial_internet", "5g", "big_data", "ai", "industrial_apps")]
    + [("large_data_transfer", "yes"), ("cloud_status", "migrated")],
    "02_online_procurement_sales": [(q, b) for q in ("online_procurement_share",
                                                     "online_sales_share")
                                    for b in ("none", "1_25", "26_50", "51_75", "76_100")],
    "03_smart_manufacturing": [("smart_mfg", c) for c in
                               ("equipment_networked", "smart_lines", "smart_workshops",
                                "smart_factories")],
    "04_internet_finance": [("internet_finance_share", b) for b in
                            ("none", "1_25", "26_50", "51_75", "76_100")],
    "05_biggest_obstacles": [("biggest_obstacle", c) for c in
                             ("provider_fees", "lack_funds", "no_urgency", "lack_skills",
                              "other")],
    "06_policy_support": [("policy_support", c) for c in ("tax", "finance", "subsidy", "other")],
}


def wilson(count: int, n: int) -> tuple[float, float]:
    """Wilson score interval, written out from Wilson (1927)."""
    p = count / n
    centre = p + Z95**2 / (2 * n)
    spread = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n))
    denominator = 1 + Z95**2 / n
    return (centre - spread) / denominator, (centre + spread) / denominator


def expected_row(responses: pd.DataFrame, question: str, code: str, manufacturers_only: bool):
    base = responses
    if manufacturers_only:
        base = responses[responses["industry"].astype(object) == "manufacturing"]
    answers = [value for value in base[question].astype(object) if isinstance(value, str) and value]
    count = sum(code in answer.split() for answer in answers)
    n = len(answers)
    low, high = wilson(count, n)
    return {"series": question, "item": code, "count": count, "n": n, "share": count / n,
            "ci_low": low, "ci_high": high}


@pytest.fixture(scope="module")
def written(tmp_path_factory, chart_responses, chart_questionnaire):
    out = tmp_path_factory.mktemp("charts")
    tables = summary_charts(chart_responses, chart_questionnaire, out, language="en")
    return out, tables


@pytest.mark.parametrize("stem", CHART_STEMS)
def test_chart_csv_equals_an_independent_count(written, chart_responses, stem):
    out, _ = written
    csv = pd.read_csv(out / f"{stem}.csv", dtype={"item": str})
    assert list(csv.columns) == CHART_COLUMNS
    assert list(zip(csv["series"], csv["item"], strict=True)) == EXPECTED_ROWS[stem]
    for row, (question, code) in zip(csv.to_dict("records"), EXPECTED_ROWS[stem], strict=True):
        expected = expected_row(chart_responses, question, code,
                                manufacturers_only=stem == "03_smart_manufacturing")
        assert row["count"] == expected["count"]
        assert row["n"] == expected["n"]
        for column in ("share", "ci_low", "ci_high"):
            assert row[column] == pytest.approx(expected[column], abs=1e-9)
        assert 0 <= row["ci_low"] <= row["share"] <= row["ci_high"] <= 1


def test_every_chart_is_written_in_three_formats(written):
    out, _ = written
    for stem in CHART_STEMS:
        for suffix in ("png", "svg", "csv"):
            assert (out / f"{stem}.{suffix}").stat().st_size > 0
        assert (out / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_labels_come_from_the_questionnaire_in_the_report_language(chart_responses,
                                                                   chart_questionnaire):
    table = chart_table(chart_responses, chart_questionnaire, "05_biggest_obstacles",
                        language="zh")
    question = chart_questionnaire.question("biggest_obstacle")
    assert list(table["label"]) == [choice.label["zh"] for choice in question.choices]


def bars_by_id(fig) -> dict[str, float]:
    return {patch.get_gid(): patch.get_width() for ax in fig.axes for patch in ax.patches
            if patch.get_gid()}


@pytest.mark.parametrize("stem", CHART_STEMS)
def test_plotted_bars_equal_the_csv(written, chart_responses, chart_questionnaire, stem):
    _, tables = written
    table = tables[stem]
    with chart_theme("en"):
        fig = draw_summary_chart(table, chart_questionnaire, stem, base_n=99)
    bars = bars_by_id(fig)
    whiskers = [collection for ax in fig.axes for collection in ax.collections]
    plt.close(fig)
    expected = {f"{s}/{i}": share for s, i, share in
                zip(table["series"], table["item"], table["share"], strict=True)}
    assert bars == pytest.approx(expected)
    assert whiskers, "every chart shows its Wilson intervals"


def test_title_carries_the_base_and_the_source_line(written, chart_questionnaire):
    _, tables = written
    with chart_theme("en"):
        fig = draw_summary_chart(tables["03_smart_manufacturing"], chart_questionnaire,
                                 "03_smart_manufacturing", base_n=28, source="My survey")
    title = fig.axes[0].get_title(loc="left")
    texts = [t.get_text() for t in fig.texts]
    plt.close(fig)
    assert title.endswith("(28)")
    assert any("My survey" in t for t in texts)


def test_chart_2_shows_the_wales_figures_beside_the_study(written, chart_questionnaire):
    _, tables = written
    table = tables["02_online_procurement_sales"]
    references = load_references()
    comparison = reference_comparison(table, references, language="en")
    with chart_theme("en"):
        fig = draw_summary_chart(table, chart_questionnaire, "02_online_procurement_sales",
                                 base_n=99, comparison=comparison)
    panel_bars = [sorted(p.get_width() for p in ax.patches) for ax in fig.axes[1:]]
    width = fig.get_size_inches()[0]
    plt.close(fig)
    assert width == 8  # as wide as every other chart, so its text is as large in the report
    wales = references[references["reference"] == "wales_2019"]
    assert sorted(wales["share"]) == pytest.approx([0.13, 0.2, 0.36, 0.44, 0.44, 0.44])
    assert len(panel_bars) == 2
    procurement = comparison[comparison["series"] == "online_procurement_share"]
    assert panel_bars[0] == pytest.approx(sorted(procurement["share"]))
    # The study regrouped: more than 50% is the two top bands together.
    top = table[(table["series"] == "online_procurement_share")
                & table["item"].isin(["51_75", "76_100"])]
    study_top = procurement[(procurement["group"] == "gt_50")
                            & (procurement["source"] == "This study")]
    assert study_top["share"].iloc[0] == pytest.approx(top["count"].sum() / top["n"].iloc[0])


def test_user_reference_file_is_checked(tmp_path):
    from dmsurvey.errors import DataError

    bad = tmp_path / "refs.csv"
    bad.write_text("reference,question,share\nx,online_sales_share,44\n", encoding="utf-8")
    with pytest.raises(DataError) as raised:
        load_references(bad)
    assert "reference_en" in str(raised.value)


def test_chinese_charts_render_every_glyph(tmp_path, chart_responses, chart_questionnaire):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summary_charts(chart_responses, chart_questionnaire, tmp_path, language="zh")
    svg = (tmp_path / "05_biggest_obstacles.svg").read_text(encoding="utf-8")
    assert "<svg" in svg
    csv = pd.read_csv(tmp_path / "05_biggest_obstacles.csv")
    assert csv["label"].iloc[0] == "服务商收费过高"
