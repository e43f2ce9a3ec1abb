"""The report's other figures: each draws the table it returns, from the analysis package."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest

from dmsurvey.analysis.scoring import score
from dmsurvey.questionnaire.loader import load_questionnaire
from dmsurvey.reporting.figures import other_figures
from dmsurvey.reporting.theme import chart_theme
from dmsurvey.store.sample import load_sample_responses

EXPECTED = ["industry_distribution", "size_distribution", "rd_digital", "online_marketing_spend",
            "supply_chain_platform_services", "covid_barriers", "maturity_scores",
            "size_gradient", "obstacle_by_size"]


@pytest.fixture(scope="module")
def figures():
    questionnaire = load_questionnaire("sme-digital-2020")
    responses = load_sample_responses()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph or a deprecated call fails
        with chart_theme("zh"):
            drawn = other_figures(responses, questionnaire, language="zh",
                                  scores=score(responses, questionnaire))
            for figure in drawn:
                figure.figure.canvas.draw()
    yield {figure.name: figure for figure in drawn}, responses
    plt.close("all")


def test_every_figure_is_drawn(figures):
    drawn, _ = figures
    assert list(drawn) == EXPECTED


def test_rd_bars_compare_all_firms_with_manufacturers(figures):
    drawn, responses = figures
    figure = drawn["rd_digital"]
    bars = {patch.get_gid(): patch.get_width() for patch in figure.figure.axes[0].patches}
    makers = responses[responses["industry"].astype(object) == "manufacturing"]
    answers = makers["rd_digital"].astype(object).dropna()
    cax = answers.str.split().map(lambda codes: "cax" in codes).mean()
    group = next(g for g in figure.table["group"].unique() if "28" in g)
    assert bars[f"rd_digital/cax/{group}"] == pytest.approx(cax)
    assert len(bars) == len(figure.table)


def test_shares_figures_plot_their_tables(figures):
    drawn, _ = figures
    for name in ("online_marketing_spend", "supply_chain_platform_services", "covid_barriers"):
        figure = drawn[name]
        widths = sorted(p.get_width() for p in figure.figure.axes[0].patches)
        assert widths == pytest.approx(sorted(figure.table["share"])), name


def test_obstacle_heatmap_cells_equal_the_shares_by_size(figures):
    drawn, responses = figures
    figure = drawn["obstacle_by_size"]
    cells = sorted(float(t.get_text().rstrip("%")) for t in figure.figure.axes[0].texts)
    expected = sorted(np.round(figure.table["share"].to_numpy() * 100))
    assert cells == pytest.approx(expected)
    small = figure.table[figure.table["size_class"] == "small"]
    assert small["n"].iloc[0] == int(((responses["employees_2019"] >= 10)
                                      & (responses["employees_2019"] < 50)).sum())


def test_size_gradient_lines_follow_the_gradient_table(figures):
    drawn, _ = figures
    figure = drawn["size_gradient"]
    lines = [container.lines[0] for container in figure.figure.axes[0].containers]
    plotted = sorted(round(y, 9) for line in lines for y in line.get_ydata())
    assert plotted == pytest.approx(sorted(round(s, 9) for s in figure.table["share"]))
