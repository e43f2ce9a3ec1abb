"""The report's other figures: each draws the table it returns, from the analysis package."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
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


@pytest.mark.parametrize("label", [
    "基于数字模型的产品结构和性能仿真验证",
    "计算机辅助设计/工程/工艺/制造（CAD/CAE/CAPP/CAM）",
    "基于互联网的开放式研发平台（收集市场反馈）",
    "应用低成本、模块化的智能装备和系统（如工业机器人等）",
])
def test_chinese_labels_wrap_at_sensible_points(label):
    from dmsurvey.reporting.plots import wrap_label

    lines = wrap_label(label).split("\n")
    assert "".join(lines) == label
    assert len(lines) > 1
    assert not any(line.endswith(("（", "(")) for line in lines)
    assert not any(line.startswith(("）", ")", "、", "，")) for line in lines)
    assert len(lines[-1]) > 2
    # Latin runs such as CAD/CAE/... are split only after a slash.
    for line, following in zip(lines, lines[1:], strict=False):
        assert not (line[-1].isascii() and line[-1].isalnum()
                    and following[0].isascii() and following[0].isalnum())


@pytest.mark.parametrize("language", ["en", "zh"])
def test_heatmap_column_labels_do_not_overlap(language):
    from dmsurvey.reporting.figures import size_class_label
    from dmsurvey.reporting.plots import plot_heatmap
    columns = [f"{size_class_label(c, language)}\n(18)"
               for c in ("micro", "small", "medium", "large")]
    obstacles = [choice.label[language] for choice in
                 load_questionnaire("sme-digital-2020").question("biggest_obstacle").choices]
    table = pd.DataFrame([{"column": c, "label": row, "share": 0.25}
                          for c in columns for row in obstacles])
    with chart_theme(language):
        # The size of the report's figure (figures.obstacle_by_size).
        fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(obstacles) + 1.7),
                               layout="constrained")
        plot_heatmap(table, x="column", y="label", ax=ax)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        boxes = [label.get_window_extent(renderer) for label in ax.get_xticklabels()]
        plt.close(fig)
    for left, right in zip(boxes, boxes[1:], strict=False):
        assert left.x1 < right.x0


def test_whiskers_never_point_backwards():
    from dmsurvey.reporting.plots import plot_shares

    # A share at 0 with a low end of -3e-17 (as rounding left it), and a quoted figure
    # outside its own interval: both drawn, neither an error.
    table = pd.DataFrame({"label": ["a", "b"], "share": [0.0, 0.5],
                          "ci_low": [-2.8e-17, 0.55], "ci_high": [0.11, 0.7]})
    ax = plot_shares(table)
    plt.close(ax.figure)


def test_a_chart_without_answers_says_so():
    from dmsurvey.reporting.plots import plot_shares

    empty = pd.DataFrame(columns=["label", "share", "ci_low", "ci_high"])
    ax = plot_shares(empty, title="Manufacturers (0)", empty_message="No firm answered")
    assert [t.get_text() for t in ax.texts] == ["No firm answered"]
    plt.close(ax.figure)


def test_text_is_as_large_in_every_figure_of_the_report(figures):
    """The report shows every figure at the same width; a wider figure would be shrunk, and
    its values, legends and source line with it (to about 7 px at 1280 px)."""
    drawn, _ = figures
    widths = {name: figure.figure.get_size_inches()[0] for name, figure in drawn.items()}
    assert all(width <= 8.0 for width in widths.values()), widths
