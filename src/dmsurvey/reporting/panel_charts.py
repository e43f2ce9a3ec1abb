"""The charts of a comparison of two waves (`dmsurvey compare`, the report's change section).

    >>> tables = compare_waves(...)
    >>> panel_charts(tables, questionnaire, "out/charts", waves=("2020", "2022"))

Each chart is written as `<stem>.png`, `<stem>.svg` and `<stem>.csv` (exactly what it
plots), like the summary charts: a slope chart of the mean scores of the firms in both
waves, a heatmap of the level transitions (shares of each earlier level), and the share of
panel firms adopting each technology in both waves with 95% Wilson intervals (indicators
that changed for at least one firm).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from dmsurvey.reporting.charts import _write_charts, question_caption, source_line
from dmsurvey.reporting.plots import plot_heatmap, plot_shares, plot_slopes
from dmsurvey.reporting.texts import TEXTS, text
from dmsurvey.reporting.theme import MUTED_TEXT_COLOUR

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from dmsurvey.questionnaire.model import Questionnaire

PANEL_CHARTS = ("panel_01_score_slopes", "panel_02_level_transitions",
                "panel_03_adoption_both_waves")


def slope_table(tables: dict[str, pd.DataFrame], waves: tuple[str, str]) -> pd.DataFrame:
    """Mean score of each measure in both waves, over the firms scored in both."""
    import pandas as pd

    scores = tables["score_tests"]
    cross = tables["cross_sections"]
    labels = dict(zip(cross["item"], cross["label"], strict=False))
    rows = [{"measure": row.measure, "label": labels.get(row.measure, row.measure),
             "wave": waves[position], "n": row.n_pairs, "value": value}
            for row in scores.itertuples()
            for position, value in enumerate((row.mean_earlier, row.mean_later))]
    return pd.DataFrame(rows, columns=["measure", "label", "wave", "n", "value"])


def transition_table(tables: dict[str, pd.DataFrame], questionnaire: Questionnaire,
                     language: str) -> pd.DataFrame:
    transitions = tables["transitions"].copy()
    labels = {level.id: level.label.in_language(questionnaire.label_language(language))
              for level in questionnaire.scoring.levels}
    transitions["from_label"] = transitions["level_earlier"].map(labels)
    transitions["to_label"] = transitions["level_later"].map(labels)
    transitions["share"] = transitions["row_share"]
    return transitions


def adoption_table(tables: dict[str, pd.DataFrame], waves: tuple[str, str],
                   questionnaire: Questionnaire, language: str) -> pd.DataFrame:
    """Panel shares of the indicators that changed for a firm; a single-choice indicator
    under its question's short chart caption where the report has one."""
    tests = tables["adoption_tests"]
    if tests.empty:
        return tests
    changed = tests.loc[(tests["adopted"] + tests["dropped"]) > 0, "indicator"]
    cross = tables["cross_sections"]
    rows = cross[(cross["sample"] == "panel") & (cross["kind"] == "adoption")
                 & cross["item"].isin(changed)].copy()
    rows["wave"] = rows["wave"].map({"earlier": waves[0], "later": waves[1]})
    rows = rows.rename(columns={"item": "series", "value": "share"})
    for series in rows["series"].unique():
        question = series.split(":")[0]
        if questionnaire[question].type == "select_one" and f"caption:{question}" in TEXTS:
            rows.loc[rows["series"] == series, "label"] = question_caption(
                questionnaire, question, language)
    return rows[["series", "label", "wave", "count", "n", "share", "ci_low", "ci_high"]]


def panel_charts(
    tables: dict[str, pd.DataFrame],
    questionnaire: Questionnaire,
    responses: pd.DataFrame,
    out_dir: str | Path,
    *,
    waves: tuple[str, str] = ("earlier", "later"),
    language: str = "en",
) -> dict[str, pd.DataFrame]:
    """Draw the comparison charts into `out_dir`; their tables by stem. `responses` are the
    later wave's (for the source line); `questionnaire` the later wave's."""
    import matplotlib.pyplot as plt

    shown = {wave: text("wave_of", language, wave=wave) for wave in waves}
    n_pairs = int(tables["score_tests"]["n_pairs"].max()) if len(tables["score_tests"]) else 0
    base = text("panel_base", language, n=n_pairs)

    def draw(stem: str, source: str) -> tuple[pd.DataFrame, Figure]:
        title = text(stem, language, earlier=waves[0], later=waves[1])
        fig, ax = plt.subplots(figsize=(7.5, 5), layout="constrained")
        if stem == "panel_01_score_slopes":
            table = slope_table(tables, waves)
            plot_slopes(table, x_labels=shown, ylabel=text("mean_score_axis", language), ax=ax,
                        title=f"{title} ({base})")
        elif stem == "panel_02_level_transitions":
            table = transition_table(tables, questionnaire, language)
            plot_heatmap(table, x="to_label", y="from_label", value="share", ax=ax,
                         title=f"{title} ({base})")
            ax.set_ylabel(text("level_in", language, wave=waves[0]))
            ax.set_xlabel(text("level_in", language, wave=waves[1]))
        else:
            table = adoption_table(tables, waves, questionnaire, language)
            fig.set_size_inches(8, 0.7 * table["series"].nunique() + 2)
            plot_shares(table, hue="wave", hue_labels=shown, ax=ax,
                        xlabel=text("share_axis", language),
                        title=textwrap.fill(f"{title} ({base})", 70),
                        empty_message=text("no_answers", language))
        intervals = stem == "panel_03_adoption_both_waves"
        fig.text(0.0, -0.01, source_line(source, language, intervals=intervals), ha="left",
                 va="top", fontsize=8, color=MUTED_TEXT_COLOUR)
        return table, fig

    return _write_charts(responses, questionnaire, out_dir, list(PANEL_CHARTS), draw,
                         language=language, source=None, progress=None)
