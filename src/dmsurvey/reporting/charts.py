"""The six summary charts of the report (**contract**: file stems and CSV columns).

    >>> tables = summary_charts(study.responses(), study.questionnaire, "out/charts")

Each chart is written as `<stem>.png` (200 dpi), `<stem>.svg` and `<stem>.csv`; the CSV
holds exactly what the chart plots, columns `series,item,label,count,n,share,ci_low,
ci_high` (one row per bar: `series` the question id, `item` the choice code, `share` a
fraction with its 95% Wilson interval). Shares come from `dmsurvey.analysis.shares`; this
module only chooses the rows, draws and saves.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from dmsurvey.errors import AnalysisError, DataError, Problem
from dmsurvey.reporting.plots import base_label, plot_shares
from dmsurvey.reporting.texts import text
from dmsurvey.reporting.theme import (
    MUTED_TEXT_COLOUR,
    PALETTE,
    REFERENCE_COLOUR,
    SAVE_DPI,
    STUDY_COLOUR,
    chart_theme,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from dmsurvey.questionnaire.model import Questionnaire

CHART_COLUMNS = ["series", "item", "label", "count", "n", "share", "ci_low", "ci_high"]
CHART_FORMATS = ("png", "svg", "csv")
NOTE_WIDTH = 150
REFERENCE_COLUMNS = [
    "reference", "reference_en", "reference_zh", "question", "group", "codes",
    "label_en", "label_zh", "share", "source",
]
COMPARISON_COLUMNS = [
    "series", "group", "label", "source", "count", "n", "share", "ci_low", "ci_high",
]


@dataclass(frozen=True)
class ChartRows:
    """The bars one question contributes: `items` (choice codes), or by default every
    choice that can be combined with others (so `none` of a multi-select is left out)."""

    question: str
    items: tuple[str, ...] | None = None


@dataclass(frozen=True)
class SummaryChart:
    stem: str
    rows: tuple[ChartRows, ...]
    # (question, code) restricting the base, such as manufacturers only.
    base: tuple[str, str] | None = None
    # Series over the same choices (share bands) drawn side by side per choice.
    grouped: bool = False

    @property
    def questions(self) -> tuple[str, ...]:
        extra = (self.base[0],) if self.base else ()
        return tuple(row.question for row in self.rows) + extra


SUMMARY_CHARTS = (
    SummaryChart(
        "01_technology_use",
        (ChartRows("tech_used"), ChartRows("large_data_transfer", ("yes",)),
         ChartRows("cloud_status", ("migrated",))),
    ),
    SummaryChart(
        "02_online_procurement_sales",
        (ChartRows("online_procurement_share"), ChartRows("online_sales_share")),
        grouped=True,
    ),
    SummaryChart("03_smart_manufacturing", (ChartRows("smart_mfg"),),
                 base=("industry", "manufacturing")),
    SummaryChart("04_internet_finance", (ChartRows("internet_finance_share"),)),
    SummaryChart("05_biggest_obstacles", (ChartRows("biggest_obstacle"),)),
    SummaryChart("06_policy_support", (ChartRows("policy_support"),)),
)
CHART_STEMS = tuple(chart.stem for chart in SUMMARY_CHARTS)


def summary_chart(stem: str) -> SummaryChart:
    for chart in SUMMARY_CHARTS:
        if chart.stem == stem:
            return chart
    raise AnalysisError(f"no summary chart {stem!r}; the charts are {', '.join(CHART_STEMS)}")


def available_charts(questionnaire: Questionnaire) -> tuple[SummaryChart, ...]:
    """The summary charts whose questions the questionnaire has."""
    return tuple(
        chart for chart in SUMMARY_CHARTS
        if all(question in questionnaire for question in chart.questions)
    )


def chart_base(responses: pd.DataFrame, chart: SummaryChart) -> pd.DataFrame:
    """The firms a chart is about (all firms, or those with the base's answer)."""
    if chart.base is None:
        return responses
    question, code = chart.base
    return responses[responses[question].astype("str") == code]


def answered_base(table: pd.DataFrame, firms: int) -> int:
    """The base a chart's title states: the firms that answered its questions (a firm that
    left a question blank is out of its base), else the firms it is about."""
    return int(table["n"].max()) if len(table) and table["n"].notna().any() else firms


def chart_table(
    responses: pd.DataFrame,
    questionnaire: Questionnaire,
    stem: str,
    *,
    language: str | None = None,
) -> pd.DataFrame:
    """What summary chart `stem` plots: the contract columns, one row per bar."""
    import pandas as pd

    from dmsurvey.analysis.shares import shares

    chart = summary_chart(stem)
    base = chart_base(responses, chart)
    parts = []
    for row in chart.rows:
        question = questionnaire.question(row.question)
        wanted = row.items or tuple(
            code for code in question.choice_codes if code not in question.exclusive
        )
        table = shares(base, row.question, questionnaire=questionnaire, language=language)
        parts.append(table[table["item"].isin(wanted)])
    result = pd.concat(parts, ignore_index=True).rename(columns={"question": "series"})
    return result[CHART_COLUMNS]


def load_references(path: str | Path | None = None) -> pd.DataFrame:
    """Reference figures from other surveys (the bundled file, or a user's own CSV).

    Columns `reference, reference_en, reference_zh, question, group, codes, label_en,
    label_zh, share, source`; `codes` lists the share bands a group covers.
    """
    import pandas as pd

    if path is None:
        source = resources.files("dmsurvey.reporting") / "data" / "reference_figures.csv"
        with resources.as_file(source) as bundled:
            table = pd.read_csv(bundled, dtype=str, keep_default_na=False)
        name = "reference_figures.csv"
    else:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        name = str(path)
    missing = [column for column in REFERENCE_COLUMNS if column not in table.columns]
    if missing:
        raise DataError(
            "the reference figures file lacks columns",
            [Problem("missing column", file=name, column=column) for column in missing],
        )
    shares = pd.to_numeric(table["share"], errors="coerce")
    bad = shares.isna() | (shares < 0) | (shares > 1)
    if bad.any():
        raise DataError(
            "reference shares must be fractions between 0 and 1",
            [Problem("bad share", file=name, row=int(i) + 2, column="share",
                     value=table.at[i, "share"]) for i in table.index[bad]],
        )
    table["share"] = shares.astype(float)
    return table[REFERENCE_COLUMNS]


def reference_comparison(
    chart_data: pd.DataFrame,
    references: pd.DataFrame,
    *,
    language: str = "en",
) -> pd.DataFrame:
    """The study's shares regrouped into each reference's groups, beside the reference.

    `chart_data` is a chart table (contract columns); the study's share of a group is
    the firms in any of its bands over those answering, with its Wilson interval.
    """
    import pandas as pd

    from dmsurvey.analysis.shares import wilson_interval

    label_column = "label_zh" if language.startswith("zh") else "label_en"
    name_column = "reference_zh" if language.startswith("zh") else "reference_en"
    rows = []
    for _, reference in references[references["question"].isin(chart_data["series"])].iterrows():
        series = chart_data[chart_data["series"] == reference["question"]]
        count = int(series.loc[series["item"].isin(reference["codes"].split()), "count"].sum())
        n = int(series["n"].iloc[0])
        low, high = wilson_interval(count, n)
        common = {"series": reference["question"], "group": reference["group"],
                  "label": reference[label_column]}
        rows.append(common | {"source": text("this_study", language), "count": count, "n": n,
                              "share": count / n if n else float("nan"),
                              "ci_low": low, "ci_high": high})
        rows.append(common | {"source": reference[name_column], "count": pd.NA, "n": pd.NA,
                              "share": reference["share"], "ci_low": float("nan"),
                              "ci_high": float("nan")})
    table = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    # The study first, then each reference, within each question and group.
    return table.astype({"count": "Int64", "n": "Int64"})


def reference_note(references: pd.DataFrame, chart_data: pd.DataFrame, language: str) -> str:
    """Where the reference figures beside a chart come from, in one sentence."""
    used = references[references["question"].isin(chart_data["series"])]
    if used.empty:
        return ""
    return text("reference_note", language, sources="; ".join(dict.fromkeys(used["source"])))


def chart_title(stem: str, base_n: int, language: str) -> str:
    return f"{text(stem, language)} ({base_label(base_n)})"


def source_line(source: str, language: str, *, intervals: bool = True) -> str:
    return text("source_line" if intervals else "source_only", language, source=source)


def question_caption(questionnaire: Questionnaire, question_id: str, language: str) -> str:
    """How a chart names a question: the reporting table's caption, else its label."""
    from dmsurvey.reporting.texts import TEXTS

    caption = TEXTS.get(f"caption:{question_id}")
    if caption:
        return caption.get(language) or caption["en"]
    lang = questionnaire.label_language(language)
    return questionnaire.question(question_id).label.in_language(lang)


def draw_summary_chart(
    table: pd.DataFrame,
    questionnaire: Questionnaire,
    stem: str,
    *,
    base_n: int,
    language: str = "en",
    source: str = "",
    comparison: pd.DataFrame | None = None,
    note: str = "",
) -> Figure:
    """The figure of summary chart `stem` from its table (and chart 2's comparison);
    `note` is printed under the source line (where chart 2's reference figures come from)."""
    import matplotlib.pyplot as plt

    chart = summary_chart(stem)
    title = chart_title(stem, base_n, language)
    captions = {q: question_caption(questionnaire, q, language) for q in table["series"].unique()}
    if chart.grouped:
        with_comparison = comparison is not None and not comparison.empty
        # The comparison goes under the study's chart, not beside it: every chart is shown at
        # one width in the report, and a wider one would have smaller text.
        compared = comparison["series"].nunique() if with_comparison else 0
        fig = plt.figure(figsize=(8, 5.2 + 2.4 * compared), layout="constrained")
        grid = fig.add_gridspec(1 + compared, 1, height_ratios=[5.2] + [2.4] * compared)
        ax = fig.add_subplot(grid[0, 0])
        plot_shares(table, hue="series", hue_labels=captions, title=title,
                    xlabel=text("share_axis", language), ax=ax,
                    empty_message=text("no_answers", language))
        if with_comparison:
            _draw_comparison(fig, grid, comparison, captions, language)
    else:
        rows = table.copy()
        # A single-choice indicator (transfers large data: yes) is named by its question.
        single = {q for q in rows["series"].unique()
                  if questionnaire.question(q).type == "select_one" and len(chart.rows) > 1}
        rows["caption"] = [captions[s] if s in single else label
                           for s, label in zip(rows["series"], rows["label"], strict=True)]
        height = 0.5 * len(rows) + 1.6
        fig, ax = plt.subplots(figsize=(8, height), layout="constrained")
        plot_shares(rows, y="caption", title=title, xlabel=text("share_axis", language), ax=ax,
                    empty_message=text("no_answers", language))
    lines = [source_line(source, language)] if source else []
    lines += textwrap.wrap(note, NOTE_WIDTH) if note else []
    if lines:
        fig.text(0.0, -0.01, "\n".join(lines), ha="left", va="top", fontsize=8,
                 color=MUTED_TEXT_COLOUR)
    return fig


def _draw_comparison(fig, grid, comparison, captions, language) -> None:
    sources = list(dict.fromkeys(comparison["source"]))
    colors = [STUDY_COLOUR, REFERENCE_COLOUR, *PALETTE[2:]]
    for row, (series, frame) in enumerate(comparison.groupby("series", sort=False)):
        ax = fig.add_subplot(grid[row + 1, 0])
        references = [s for s in sources if s != text("this_study", language)]
        last = row == comparison["series"].nunique() - 1
        plot_shares(
            frame, y="label", hue="source", colors=colors[: len(sources)],
            title=captions.get(series, series) + ("：" if language.startswith("zh") else ": ")
            + text("compared_with", language, reference=", ".join(references)),
            xlabel=text("share_axis", language) if last else None, legend=last, ax=ax,
                    empty_message=text("no_answers", language))
        ax.title.set_fontsize(9.5)


def save_figure(fig: Figure, directory: str | Path, stem: str) -> list[Path]:
    """Write `fig` as `stem.png` (200 dpi) and `stem.svg`; close it; return the paths."""
    import matplotlib.pyplot as plt

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / f"{stem}.png", directory / f"{stem}.svg"]
    # No creation date in the files, so unchanged data gives identical files.
    fig.savefig(paths[0], dpi=SAVE_DPI, bbox_inches="tight", metadata={"Software": None})
    fig.savefig(paths[1], bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return paths


def summary_charts(
    responses: pd.DataFrame,
    questionnaire: Questionnaire,
    out_dir: str | Path,
    *,
    language: str = "en",
    source: str | None = None,
    references: pd.DataFrame | None = None,
    progress=None,
) -> dict[str, pd.DataFrame]:
    """Write the six summary charts (PNG, SVG, CSV) to `out_dir`; return their tables.

    Charts whose questions the questionnaire lacks are left out. `source` is the data
    source named under each chart (default: the questionnaire's title); `references`
    are the benchmark figures of chart 2 (default: the bundled Wales 2019 figures).
    `progress(stem)` is called after each chart.
    """
    references = load_references() if references is None else references

    def draw(stem: str, source_text: str) -> tuple[pd.DataFrame, Figure]:
        chart = summary_chart(stem)
        table = chart_table(responses, questionnaire, stem, language=language)
        comparison, note = None, ""
        if chart.grouped:
            comparison = reference_comparison(table, references, language=language)
            note = reference_note(references, table, language)
        fig = draw_summary_chart(
            table, questionnaire, stem, language=language, source=source_text,
            base_n=answered_base(table, len(chart_base(responses, chart))),
            comparison=comparison, note=note,
        )
        return table, fig

    stems = [chart.stem for chart in available_charts(questionnaire)]
    return _write_charts(responses, questionnaire, out_dir, stems, draw, language=language,
                         source=source, progress=progress)


def summary_tables(
    responses: pd.DataFrame, questionnaire: Questionnaire, *, language: str = "en"
) -> Mapping[str, pd.DataFrame]:
    """The tables of the summary charts, without drawing them."""
    return {
        chart.stem: chart_table(responses, questionnaire, chart.stem, language=language)
        for chart in available_charts(questionnaire)
    }


QUESTION_CHART_PREFIX = "q_"


def question_chart_stem(question_id: str) -> str:
    """The file stem of the chart of one question (`q_sector` for `sector`)."""
    return f"{QUESTION_CHART_PREFIX}{question_id}"


def chart_questions(questionnaire: Questionnaire) -> tuple[str, ...]:
    """The select questions that get a chart of their own, in questionnaire order."""
    return tuple(question.id for question in questionnaire.answerable if question.is_select)


def question_table(
    responses: pd.DataFrame,
    questionnaire: Questionnaire,
    question_id: str,
    *,
    language: str | None = None,
) -> pd.DataFrame:
    """What the chart of one select question plots: the contract columns, one row per
    choice (every choice, `none` included), all firms that answered as the base."""
    from dmsurvey.analysis.shares import shares

    table = shares(responses, question_id, questionnaire=questionnaire, language=language)
    return table.rename(columns={"question": "series"})[CHART_COLUMNS]


def draw_question_chart(
    table: pd.DataFrame,
    questionnaire: Questionnaire,
    question_id: str,
    *,
    language: str = "en",
    source: str = "",
) -> Figure:
    """Horizontal bars with Wilson whiskers of one question's `question_table`."""
    import matplotlib.pyplot as plt

    answered = int(table["n"].iloc[0]) if len(table) else 0
    title = f"{question_caption(questionnaire, question_id, language)} ({base_label(answered)})"
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(table) + 1.6), layout="constrained")
    plot_shares(table, title=textwrap.fill(title, 70), xlabel=text("share_axis", language),
                ax=ax, empty_message=text("no_answers", language))
    if source:
        fig.text(0.0, -0.01, source_line(source, language), ha="left", va="top", fontsize=8,
                 color=MUTED_TEXT_COLOUR)
    return fig


def question_charts(
    responses: pd.DataFrame,
    questionnaire: Questionnaire,
    out_dir: str | Path,
    *,
    language: str = "en",
    source: str | None = None,
    progress=None,
) -> dict[str, pd.DataFrame]:
    """One chart per select question (PNG, SVG, CSV named `q_<question id>`) in `out_dir`;
    returns their tables by stem. For questionnaires the six summary charts do not fit."""
    by_stem = {question_chart_stem(q): q for q in chart_questions(questionnaire)}

    def draw(stem: str, source_text: str) -> tuple[pd.DataFrame, Figure]:
        table = question_table(responses, questionnaire, by_stem[stem], language=language)
        fig = draw_question_chart(table, questionnaire, by_stem[stem], language=language,
                                  source=source_text)
        return table, fig

    return _write_charts(responses, questionnaire, out_dir, list(by_stem), draw,
                         language=language, source=source, progress=progress)


def _write_charts(
    responses: pd.DataFrame,
    questionnaire: Questionnaire,
    out_dir: str | Path,
    stems: list[str],
    draw: Callable[[str, str], tuple[pd.DataFrame, Figure]],
    *,
    language: str,
    source: str | None,
    progress,
) -> dict[str, pd.DataFrame]:
    """Draw each chart with `draw(stem, source line)`, save it as PNG, SVG and the CSV of
    what it plots, and return the tables by stem."""
    from dmsurvey.analysis._answers import require_responses

    require_responses(responses)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lang = questionnaire.label_language(language)
    source = source if source is not None else questionnaire.title.in_language(lang)
    tables: dict[str, pd.DataFrame] = {}
    with chart_theme(language):
        for stem in stems:
            table, fig = draw(stem, source)
            save_figure(fig, out_dir, stem)
            table.to_csv(out_dir / f"{stem}.csv", index=False)
            tables[stem] = table
            if progress is not None:
                progress(stem)
    return tables


def study_charts(
    responses: pd.DataFrame,
    questionnaire: Questionnaire,
    out_dir: str | Path,
    *,
    language: str = "en",
    progress=None,
) -> dict[str, pd.DataFrame]:
    """The summary charts the questionnaire has questions for, or, where it has none of
    them, one chart per select question; their tables by stem. An `AnalysisError` when the
    questionnaire has neither (nothing to draw)."""
    if available_charts(questionnaire):
        return summary_charts(responses, questionnaire, out_dir, language=language,
                              progress=progress)
    if chart_questions(questionnaire):
        return question_charts(responses, questionnaire, out_dir, language=language,
                               progress=progress)
    raise AnalysisError(
        f"nothing to draw: questionnaire {questionnaire.name!r} has no select_one or "
        "select_multiple question (charts show the shares of such questions' choices)"
    )
