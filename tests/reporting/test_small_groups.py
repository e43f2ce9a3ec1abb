"""Groups of fewer than five firms are drawn grey and hatched with "n<5" in their label,
and a group left out of a figure is named under it, its firms out of the title's base."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from dmsurvey.reporting.charts import chart_title
from dmsurvey.reporting.figures import other_figures
from dmsurvey.reporting.plots import plot_heatmap, plot_shares
from dmsurvey.reporting.theme import SMALL_GROUP_COLOUR


def figures_of(responses, questionnaire):
    figures = {figure.name: figure for figure in other_figures(responses, questionnaire)}
    yield figures
    plt.close("all")


def hatched(ax) -> list:
    return [patch for patch in ax.patches if patch.get_hatch()]


def test_bars_of_a_small_base_are_grey_and_hatched():
    table = pd.DataFrame({"label": ["a", "b"], "share": [1.0, 0.5], "ci_low": [0.2, 0.3],
                          "ci_high": [1.0, 0.7], "n": [1, 30]})
    ax = plot_shares(table)
    small, solid = ax.patches[:2]
    assert small.get_hatch() and small.get_facecolor()[:3] == pytest.approx(
        plt.matplotlib.colors.to_rgb(SMALL_GROUP_COLOUR))
    assert not solid.get_hatch()
    plt.close("all")


def test_small_columns_of_a_heatmap_are_flagged():
    table = pd.DataFrame({"column": ["big"] * 2 + ["tiny"] * 2, "label": ["x", "y"] * 2,
                          "share": [0.4, 0.6, 1.0, 0.0], "n": [40, 40, 1, 1]})
    ax = plot_heatmap(table, x="column", y="label")
    assert len(hatched(ax)) == 2
    assert {(patch.get_x(), patch.get_y()) for patch in hatched(ax)} == {(1, 0), (1, 1)}
    plt.close("all")


def test_the_one_large_firm_of_the_sample_is_flagged_or_named(sample, questionnaire):
    employees = pd.to_numeric(sample["employees_2019"], errors="coerce")
    large = int((employees >= 250).sum())
    assert large == 1
    for figures in figures_of(sample, questionnaire):
        heatmap = figures["obstacle_by_size"].figure.axes[0]
        labels = [label.get_text() for label in heatmap.get_xticklabels()]
        assert labels[-1].endswith("(1, n<5)")
        assert len(hatched(heatmap)) == sample["biggest_obstacle"].cat.categories.size
        gradient = figures["size_gradient"].figure
        plotted = int(employees.notna().sum()) - large
        assert gradient.axes[0].get_title() == f"Adoption by firm size ({plotted})"
        notes = " ".join(text.get_text() for text in gradient.texts)
        assert "Left out, fewer than 5 firms: Large (250+) (1)." in notes


def test_one_manufacturer_is_not_charted_as_solid(sample, questionnaire):
    ten = sample.head(10)
    makers = int((ten["industry"].astype(object) == "manufacturing").sum())
    assert makers == 1
    for figures in figures_of(ten, questionnaire):
        panel = figures["industry_distribution"].figure.axes[1]
        assert panel.get_title() == "Manufacturers by sub-sector (1, n<5)"
        assert hatched(panel)
    assert chart_title("03_smart_manufacturing", 1, "en") == (
        "Digital transformation of manufacturers (1, n<5)")
    assert chart_title("03_smart_manufacturing", 28, "en") == (
        "Digital transformation of manufacturers (28)")
