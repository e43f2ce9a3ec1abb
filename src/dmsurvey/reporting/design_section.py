"""The report's "Sample and weights" section: how the firms were drawn and weighted, and
how much the design changes the headline figures.

With a design: the frame, the allocation and response by stratum, the spread of the
weights, and the adoption shares design-based beside the unweighted ones with their design
effects. Without one: a sentence saying that the figures are unweighted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from dmsurvey.wording import translated

if TYPE_CHECKING:
    import pandas as pd

    from dmsurvey.analysis.design import SurveyDesign
    from dmsurvey.questionnaire.model import Questionnaire
    from dmsurvey.sampling.record import DesignSpec

DESIGN_TEXTS: dict[str, dict[str, str]] = {
    "title": {"en": "Sample and weights", "zh": "样本与权重"},
    "none": {
        "en": "The study has no survey design: every figure treats the firms as a simple "
              "random sample and is unweighted.",
        "zh": "本调查未记录抽样设计：所有数字均按简单随机样本计算，未加权。"},
    "frame": {
        "en": "{drawn} firms were drawn from a frame of {frame} in {strata} strata; {responded} "
              "answered ({rate}). Weights carry each respondent back to the firms of its "
              "stratum, adjusted for nonresponse. The summary's figures and the analysis "
              "tables (shares, regressions, tests) are design-based estimates with "
              "linearised standard errors; the charts count the firms that answered.",
        "zh": "从{frame}家企业的抽样框中按{strata}个层抽取{drawn}家企业，{responded}家作答"
              "（应答率{rate}）。权重将每家作答企业还原为其所在层的企业，并对无应答进行调整。"
              "摘要中的数字和分析表（比例、回归、检验）为基于抽样设计的估计，标准误采用泰勒"
              "线性化方法；图表按作答企业计数。"},
    "summary_note": {
        "en": "With the survey design, the percentages below are design-based estimates for "
              "the {frame} firms of the sampling frame, not shares of the {responded} firms "
              "that answered; both are compared in Sample and weights.",
        "zh": "由于记录了抽样设计，以下百分比为对抽样框中{frame}家企业的设计估计，而非{responded}"
              "家作答企业中的比例；两者的对比见“样本与权重”。"},
    "weights": {
        "en": "Weights range from {low} to {high} (median {median}); their unequal size alone "
              "inflates variances by a factor of {kish} (Kish).",
        "zh": "权重介于{low}与{high}之间（中位数{median}）；仅权重不等就使方差扩大{kish}倍"
              "（Kish）。"},
    "strata_caption": {"en": "Allocation and response by stratum", "zh": "各层样本分配与应答"},
    "deff_caption": {
        "en": "Headline shares: design-based against unweighted, with design effects",
        "zh": "主要比例：基于设计的估计与未加权估计及设计效应"},
    "stratum": {"en": "Stratum", "zh": "层"},
    "population": {"en": "Firms in frame", "zh": "抽样框企业数"},
    "drawn": {"en": "Drawn", "zh": "抽取"},
    "responded": {"en": "Answered", "zh": "作答"},
    "response_rate": {"en": "Response rate", "zh": "应答率"},
    "weight": {"en": "Weight", "zh": "权重"},
    "outcome": {"en": "Figure", "zh": "指标"},
    "unweighted": {"en": "Unweighted", "zh": "未加权"},
    "estimate": {"en": "Design-based", "zh": "基于设计"},
    "std_err": {"en": "Standard error", "zh": "标准误"},
    "ci": {"en": "95% CI (logit)", "zh": "95%置信区间（logit）"},
    "deff": {"en": "Design effect", "zh": "设计效应"},
    # size groups of strata (dmsurvey.sampling.sample_design.STRATA)
    "micro": {"en": "micro", "zh": "微型"},
    "small": {"en": "small", "zh": "小型"},
    "small_plus": {"en": "10 or more employees", "zh": "10人及以上"},
    "medium_large": {"en": "medium and large", "zh": "中型和大型"},
    "all_sizes": {"en": "all sizes", "zh": "所有规模"},
}


def sample_and_weights(responses: pd.DataFrame, questionnaire: Questionnaire,
                       recorded: tuple[pd.DataFrame, DesignSpec] | None,
                       design: SurveyDesign | None, language: str) -> dict[str, Any]:
    """Context of the section: `title`, `paragraphs` and `tables` (HTML)."""
    def say(key: str, **values: Any) -> str:
        return translated(DESIGN_TEXTS, key, language, **values)

    if recorded is None or design is None:
        return {"title": say("title"), "paragraphs": [say("none")], "tables": []}
    from dmsurvey.reporting.tables import html_table
    from dmsurvey.sampling.record import design_overview

    draw, spec = recorded
    overview = design_overview(draw, spec)
    strata = overview["strata"]
    spread = overview["weights"].iloc[0]
    drawn, responded = int(strata["drawn"].sum()), int(strata["responded"].sum())
    paragraphs = [
        say("frame", drawn=f"{drawn:,}", frame=f"{int(strata['population'].sum()):,}",
            strata=len(strata), responded=f"{responded:,}", rate=f"{responded / drawn:.0%}"),
        say("weights", low=f"{spread['min']:.1f}", high=f"{spread['max']:.1f}",
            median=f"{spread['median']:.1f}", kish=f"{spread['kish_deff']:.2f}"),
    ]
    shown = strata[["stratum", "population", "drawn", "responded", "response_rate", "weight"]]
    shown = shown.assign(weight=shown["weight"].round(1),
                         stratum=[stratum_label(key, questionnaire, language)
                                  for key in shown["stratum"]])
    tables = [(say("strata_caption"),
               html_table(shown.rename(columns={c: say(c) for c in shown.columns}), language,
                          percent_columns=[say("response_rate")]))]
    headline = headline_design_effects(responses, questionnaire, design, language)
    if len(headline):
        tables.append((say("deff_caption"),
                       html_table(headline.rename(columns={c: say(c) for c in headline}),
                                  language, percent_columns=[say("unweighted"),
                                                             say("estimate")])))
    return {"title": say("title"), "paragraphs": paragraphs, "tables": tables,
            "summary_note": say("summary_note", frame=f"{int(strata['population'].sum()):,}",
                                responded=f"{responded:,}")}


def stratum_label(key: str, questionnaire: Questionnaire, language: str) -> str:
    """A stratum key such as `manufacturing/micro` in words: choice labels of the
    questionnaire's select questions, and the names of size groups."""
    lang = questionnaire.label_language(language)
    labels = {choice.code: choice.label.in_language(lang)
              for question in questionnaire.answerable if question.is_select
              and question.id in ("industry", "size_class", "ownership")
              for choice in question.choices}
    parts = [labels.get(part) or (translated(DESIGN_TEXTS, part, language)
                                  if part in DESIGN_TEXTS else part)
             for part in key.split("/")]
    return " · ".join(parts)


def design_based_charts(charts: dict[str, pd.DataFrame], responses: pd.DataFrame,
                        questionnaire: Questionnaire, design: SurveyDesign
                        ) -> dict[str, pd.DataFrame]:
    """The summary chart tables with design-based shares, standard errors and logit
    intervals in place of the counted ones (counts and bases stay firms), for the
    executive summary's figures."""
    from dmsurvey.analysis.shares import shares

    result = {}
    for stem, table in charts.items():
        table = table.copy()
        if {"series", "item", "share"} <= set(table.columns):
            table["std_err"] = np.nan
            for series in table["series"].unique():
                if series not in questionnaire or not questionnaire.question(series).is_select:
                    continue
                estimates = shares(responses, series, questionnaire=questionnaire,
                                   design=design).set_index("item")
                rows = table["series"] == series
                for column in ("share", "ci_low", "ci_high", "std_err"):
                    table.loc[rows, column] = table.loc[rows, "item"].map(estimates[column])
        result[stem] = table
    return result


def headline_design_effects(responses: pd.DataFrame, questionnaire: Questionnaire,
                            design: SurveyDesign, language: str) -> pd.DataFrame:
    """The yes/no adoption figures of the summary: unweighted share, design-based share,
    its standard error, logit interval and design effect."""
    import pandas as pd

    from dmsurvey.analysis.design import design_means
    from dmsurvey.analysis.regressions import adoption_outcomes
    from dmsurvey.reporting.texts import text

    outcomes = adoption_outcomes(responses, questionnaire)
    if outcomes.empty:
        return pd.DataFrame()
    estimates = design_means(outcomes, list(outcomes.columns), design)
    return pd.DataFrame({
        "outcome": [text(f"outcome:{name}", language, default=name)
                    for name in estimates["variable"]],
        "unweighted": outcomes.mean().to_numpy(),
        "estimate": estimates["estimate"].to_numpy(),
        "std_err": estimates["std_err"].round(3).to_numpy(),
        "ci": [f"{100 * low:.1f}–{100 * high:.1f}%" if np.isfinite(low) else ""
               for low, high in zip(estimates["ci_low"], estimates["ci_high"], strict=True)],
        "deff": estimates["deff"].round(2).to_numpy(),
    })
