"""The report's other figures: sample profile, R&D, marketing, supply-chain platforms,
COVID-19 barriers, maturity scores, the size gradient and obstacles by size.

    >>> for figure in other_figures(responses, questionnaire, language="zh"):
    ...     save_figure(figure.figure, "out/figures", figure.name)

Each builder returns a `ReportFigure` (name, matplotlib Figure, the table it plots) or
None when the questionnaire lacks its questions. Numbers come from the analysis package
(`shares`, `score`, `size_class`, `size_gradient`); this module only arranges and draws.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dmsurvey.reporting.charts import question_caption, source_line
from dmsurvey.reporting.plots import (
    MIN_GROUP_FIRMS,
    base_label,
    plot_gradient,
    plot_heatmap,
    plot_score_distribution,
    plot_shares,
)
from dmsurvey.reporting.texts import text
from dmsurvey.reporting.theme import MUTED_TEXT_COLOUR

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from dmsurvey.questionnaire.model import Questionnaire

MANUFACTURING = ("industry", "manufacturing")
# Outcomes of the size gradient, as named by `dmsurvey.analysis.regressions`.
GRADIENT_OUTCOMES = ("online_procurement_gt50", "online_sales_gt50", "internet_finance_any",
                     "ai_or_big_data", "cloud_migrated")
SIZE_MEASURE_COLUMNS = ("employees_2019", "revenue_2019", "assets_2019")


@dataclass(frozen=True)
class ReportFigure:
    name: str
    title: str
    figure: Figure
    table: pd.DataFrame


@dataclass(frozen=True)
class FigureContext:
    """What every builder needs: the data, the questionnaire, the language, the source."""

    responses: pd.DataFrame
    questionnaire: Questionnaire
    language: str
    source: str
    scores: pd.DataFrame | None = None

    def has(self, *questions: str) -> bool:
        return all(q in self.questionnaire and q in self.responses.columns for q in questions)

    def shares(self, question: str, *, base: tuple[str, str] | None = None,
               adopted_only: bool = False, by: str | None = None,
               data: pd.DataFrame | None = None) -> pd.DataFrame:
        """`analysis.shares` of `question` as a plot table (`series` for the question)."""
        from dmsurvey.analysis.shares import shares

        frame = self.responses if data is None else data
        if base is not None:
            frame = frame[frame[base[0]].astype("str") == base[1]]
        table = shares(frame, question, questionnaire=self.questionnaire, by=by,
                       language=self.language)
        if adopted_only:
            exclusive = self.questionnaire.question(question).exclusive
            table = table[~table["item"].isin(exclusive)]
        return table.rename(columns={"question": "series"}).reset_index(drop=True)

    def base_size(self, base: tuple[str, str] | None = None) -> int:
        if base is None:
            return len(self.responses)
        return int((self.responses[base[0]].astype("str") == base[1]).sum())

    def title(self, key: str, base: tuple[str, str] | None = None, *,
              firms: int | None = None) -> str:
        """The figure's title with its base: the firms in `base`, or `firms` if given."""
        n = self.base_size(base) if firms is None else firms
        return f"{text(key, self.language)} ({base_label(n)})"

    def finish(self, name: str, fig: Figure, table: pd.DataFrame, *,
               intervals: bool = True, note: str = "") -> ReportFigure:
        lines = [source_line(self.source, self.language, intervals=intervals)
                 if self.source else "", note]
        if any(lines):
            fig.text(0.0, -0.01, "\n".join(line for line in lines if line),
                     ha="left", va="top", fontsize=8, color=MUTED_TEXT_COLOUR)
        return ReportFigure(name, text(name, self.language), fig, table)


def _figure(rows: int, width: float = 8.0):
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, 0.45 * rows + 1.7), layout="constrained")


def _stacked_panels(rows: list[int]):
    """A figure of bar panels one under another, each as tall as its bars need.

    Side by side they would make the figure wider than the others, and the report, which
    shows every figure at one width, would shrink its text with it.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(rows), 1, figsize=(8.0, 0.45 * sum(rows) + 1.4 * len(rows)),
                             height_ratios=[count + 2 for count in rows],
                             layout="constrained", squeeze=False)
    return fig, axes[:, 0]


def industry_distribution(context: FigureContext) -> ReportFigure | None:
    """Industry of all firms, and sub-sector of the manufacturers beside it."""
    import pandas as pd

    if not context.has("industry"):
        return None
    industry = context.shares("industry")
    panels = [(industry, context.title("industry_distribution"))]
    if context.has("mfg_subsector"):
        panels.append((context.shares("mfg_subsector", base=MANUFACTURING),
                       context.title("mfg_subsector_distribution", MANUFACTURING)))
    fig, axes = _stacked_panels([len(table) for table, _ in panels])
    for ax, (table, title) in zip(axes, panels, strict=True):
        plot_shares(table, title=title, xlabel=text("share_axis", context.language), ax=ax,
                    empty_message=text("no_answers", context.language))
    return context.finish("industry_distribution", fig,
                          pd.concat([table for table, _ in panels], ignore_index=True))


def size_distribution(context: FigureContext) -> ReportFigure | None:
    """Firms by employee size class (EU classes) and by revenue and asset bands."""
    import pandas as pd

    from dmsurvey.analysis.sizes import size_band, size_class

    measures = [m for m in SIZE_MEASURE_COLUMNS if m in context.responses.columns]
    if not measures:
        return None
    panels = []
    for measure in measures:
        if measure == "employees_2019":
            groups = size_class(context.responses, employees=measure).map(
                lambda group: size_class_label(group, context.language))
        else:
            groups = size_band(context.responses[measure], language=context.language)
        panels.append(_category_shares(groups, measure,
                                       question_caption(context.questionnaire, measure,
                                                        context.language)))
    fig, axes = _stacked_panels([len(table) for table in panels])
    for ax, table in zip(axes, panels, strict=True):
        plot_shares(table, title=table["caption"].iloc[0], ax=ax,
                    empty_message=text("no_answers", context.language))
        ax.title.set_fontsize(10)
    fig.suptitle(context.title("size_distribution"), x=0.0, ha="left", fontweight="bold")
    table = pd.concat(panels, ignore_index=True).drop(columns="caption")
    return context.finish("size_distribution", fig, table)


def _category_shares(groups: pd.Series, series: str, caption: str) -> pd.DataFrame:
    """Firms per category of a derived grouping (size class), with Wilson intervals."""
    import pandas as pd

    from dmsurvey.analysis.shares import wilson_interval

    counts = groups.value_counts(sort=False, dropna=True)
    n = int(counts.sum())
    low, high = wilson_interval(counts.to_numpy(), n)
    return pd.DataFrame({
        "series": series, "item": [str(c) for c in counts.index],
        "label": [str(c) for c in counts.index], "count": counts.to_numpy(), "n": n,
        "share": counts.to_numpy() / n if n else float("nan"), "ci_low": low,
        "ci_high": high, "caption": caption,
    })


def _compare_groups(context: FigureContext, question: str, name: str) -> ReportFigure | None:
    """Adoption among all firms beside adoption among manufacturers."""
    import pandas as pd

    if not context.has(question, "industry"):
        return None
    everyone = context.shares(question, adopted_only=True)
    everyone["group"] = (f"{text('all_firms', context.language)} "
                         f"({base_label(context.base_size())})")
    makers = context.shares(question, base=MANUFACTURING, adopted_only=True)
    makers["group"] = (f"{text('manufacturers', context.language)} "
                       f"({base_label(context.base_size(MANUFACTURING))})")
    table = pd.concat([everyone, makers], ignore_index=True)
    fig, ax = _figure(len(everyone) * 2)
    plot_shares(table, hue="group", title=text(name, context.language),
                xlabel=text("share_axis", context.language), ax=ax,
                empty_message=text("no_answers", context.language))
    return context.finish(name, fig, table)


def rd_digital(context: FigureContext) -> ReportFigure | None:
    return _compare_groups(context, "rd_digital", "rd_digital")


def _one_question(context: FigureContext, question: str, name: str, *,
                  adopted_only: bool = False) -> ReportFigure | None:
    if not context.has(question):
        return None
    table = context.shares(question, adopted_only=adopted_only)
    fig, ax = _figure(len(table))
    answered = int(table["n"].iloc[0]) if len(table) else 0
    plot_shares(table, title=f"{text(name, context.language)} ({base_label(answered)})",
                xlabel=text("share_axis", context.language), ax=ax,
                empty_message=text("no_answers", context.language))
    return context.finish(name, fig, table)


def online_marketing_spend(context: FigureContext) -> ReportFigure | None:
    return _one_question(context, "online_marketing_spend_share", "online_marketing_spend")


def supply_chain_platform_services(context: FigureContext) -> ReportFigure | None:
    return _one_question(context, "supply_chain_platform_services",
                         "supply_chain_platform_services", adopted_only=True)


def covid_barriers(context: FigureContext) -> ReportFigure | None:
    """Barriers with online customer contact and with remote work, side by side."""
    import pandas as pd

    questions = [q for q in ("covid_customer_comm", "covid_remote_work") if context.has(q)]
    if not questions:
        return None
    table = pd.concat([context.shares(q) for q in questions], ignore_index=True)
    captions = {q: question_caption(context.questionnaire, q, context.language)
                for q in questions}
    fig, ax = _figure(len(table))
    plot_shares(table, hue="series", hue_labels=captions, title=context.title("covid_barriers"),
                xlabel=text("share_axis", context.language), ax=ax,
                empty_message=text("no_answers", context.language))
    return context.finish("covid_barriers", fig, table)


def maturity_scores(context: FigureContext) -> ReportFigure | None:
    """Every firm's score on every dimension and the composite (boxes and points)."""
    import pandas as pd

    questionnaire = context.questionnaire
    if questionnaire.scoring is None or context.scores is None:
        return None
    lang = questionnaire.label_language(context.language)
    names = {d.id: d.label.in_language(lang) for d in questionnaire.scoring.dimensions}
    names["composite"] = text("composite", context.language)
    long = context.scores.melt(id_vars="response_id", value_vars=list(names),
                               var_name="dimension_id", value_name="score").dropna()
    long["dimension"] = pd.Categorical(long["dimension_id"].map(names),
                                       categories=list(names.values()))
    fig, ax = _figure(len(names) * 1.3)
    plot_score_distribution(long, title=context.title("maturity_scores"),
                            xlabel=text("score_axis", context.language), ax=ax)
    return context.finish("maturity_scores", fig, long.drop(columns="dimension"),
                          intervals=False)


def size_gradient_figure(context: FigureContext) -> ReportFigure | None:
    """Adoption by employee size class (EU classes), with Wilson intervals."""
    import matplotlib.pyplot as plt

    from dmsurvey.analysis.gradients import size_gradient
    from dmsurvey.analysis.regressions import adoption_outcomes
    from dmsurvey.analysis.sizes import size_class

    if "employees_2019" not in context.responses.columns:
        return None
    outcomes = adoption_outcomes(context.responses, context.questionnaire)
    shown = [name for name in GRADIENT_OUTCOMES if name in outcomes.columns]
    if not shown:
        return None
    classes = size_class(context.responses)
    data = outcomes[shown].assign(size_class=classes)
    # A class of a few firms would swing the lines from 0% to 100%: leave it out, say so.
    firms = classes.astype("str")[classes.notna()].value_counts()
    kept = [group for group in firms.index if firms[group] >= MIN_GROUP_FIRMS]
    table = size_gradient(data, outcomes=shown)
    table = table[table["group"].astype("str").isin(kept)].reset_index(drop=True)
    if table.empty:
        return None
    left_out = [f"{size_class_label(group, context.language)} ({firms[group]})"
                for group in map(str, classes.cat.categories)
                if group in firms.index and group not in kept]
    note = (text("left_out_groups", context.language, k=MIN_GROUP_FIRMS,
                 groups=text("list_separator", context.language).join(left_out))
            if left_out else "")
    table["label"] = [size_class_label(group, context.language) for group in table["group"]]
    fig, ax = plt.subplots(figsize=(8, 4.6), layout="constrained")
    captions = {name: text(f"outcome:{name}", context.language, default=name) for name in shown}
    plot_gradient(table, x="label", hue="outcome", hue_labels=captions,
                  title=context.title("size_gradient", firms=int(firms[kept].sum())),
                  ylabel=text("share_axis", context.language), ax=ax)
    return context.finish("size_gradient", fig, table.drop(columns="label"), note=note)


def size_class_label(size_class: str, language: str) -> str:
    """`micro` -> "Micro (<10)": the class and its employee bounds."""
    return text(f"size:{size_class}", language, default=size_class)


def obstacle_by_size(context: FigureContext) -> ReportFigure | None:
    """Share naming each biggest obstacle, per employee size class."""
    from dmsurvey.analysis.sizes import size_class

    if not context.has("biggest_obstacle") or "employees_2019" not in context.responses:
        return None
    data = context.responses.assign(size_class=size_class(context.responses))
    table = context.shares("biggest_obstacle", by="size_class", data=data)
    table["size_class"] = table["size_class"].astype("str")
    firms = table.groupby("size_class")["n"].first()
    table["column"] = [f"{size_class_label(group, context.language)}\n"
                       f"({base_label(firms[group])})" for group in table["size_class"]]
    fig, ax = _figure(table["item"].nunique(), width=7.5)
    plot_heatmap(table, x="column", y="label", title=context.title("obstacle_by_size"),
                 ax=ax)
    return context.finish("obstacle_by_size", fig, table.drop(columns="column"),
                          intervals=False)


FIGURE_BUILDERS: tuple[Callable[[FigureContext], ReportFigure | None], ...] = (
    industry_distribution,
    size_distribution,
    rd_digital,
    online_marketing_spend,
    supply_chain_platform_services,
    covid_barriers,
    maturity_scores,
    size_gradient_figure,
    obstacle_by_size,
)


def other_figures(
    responses: pd.DataFrame,
    questionnaire: Questionnaire,
    *,
    language: str = "en",
    source: str | None = None,
    scores: pd.DataFrame | None = None,
) -> list[ReportFigure]:
    """Every other figure the questionnaire's questions allow, drawn in `language`.

    Call inside `chart_theme(language)` for the report's look (the report does).
    """
    lang = questionnaire.label_language(language)
    context = FigureContext(responses, questionnaire, language,
                            source if source is not None else questionnaire.title.in_language(lang),
                            scores)
    return [figure for build in FIGURE_BUILDERS if (figure := build(context)) is not None]
