"""The executive summary: findings stated in words, every number computed from the data.

    >>> for headline in executive_summary(responses, questionnaire, language="en"):
    ...     print(headline.text)
    Only 17% of the surveyed enterprises do more than 50% of their procurement online, ...

Each `Headline` keeps the numbers its sentence was written from (`figures`), which
`summary.json` publishes beside the text. A finding whose questions the questionnaire
lacks is left out. Sentences are in `SENTENCES` (English and Chinese); choice labels in
them come from the questionnaire.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dmsurvey.wording import plural

if TYPE_CHECKING:
    import pandas as pd

    from dmsurvey.questionnaire.model import Questionnaire

MORE_THAN_HALF = ("51_75", "76_100")
SMART_BUILDING = ("smart_lines", "smart_workshops", "smart_factories")
SIGNIFICANCE = 0.05
# A headline is stated only when at least this many firms answered the questions it rests
# on: below it one firm moves a share by 10 points or more (docs/methodology.md).
MIN_BASE = 10
# "Only" and "few" are said of shares below this.
LOW_SHARE = 0.4

SENTENCES: dict[str, dict[str, str]] = {
    "sample": {
        "en": "We surveyed {enterprises} ({electronic} electronic and {paper} paper "
              "questionnaires); {small} of them had fewer than 50 employees in 2019.",
        "zh": "本次调查共收集{n}家企业的有效问卷（电子问卷{electronic}份、纸质问卷{paper}份），"
              "其中{small}的企业2019年员工人数少于50人。",
    },
    "sample_count": {
        "en": "We surveyed {enterprises} ({electronic} electronic and {paper} paper "
              "questionnaires); {small_count} of them had fewer than 50 employees in 2019.",
        "zh": "本次调查共收集{n}家企业的有效问卷（电子问卷{electronic}份、纸质问卷{paper}份），"
              "其中{small_count}家企业2019年员工人数少于50人。",
    },
    "ai_bigdata": {
        "en": "{share} of the surveyed enterprises have not yet used artificial intelligence "
              "or big data in their production and business.",
        "zh": "{share}的受访企业尚未在生产经营中使用人工智能或大数据。",
    },
    "online_trade": {
        "en": "Only {procurement} of the surveyed enterprises do more than 50% of their "
              "procurement online, and only {sales} do more than 50% of their sales online.",
        "zh": "仅{procurement}的受访企业线上采购占采购总额的比例超过50%，"
              "仅{sales}的受访企业线上销售占销售总额的比例超过50%。",
    },
    "online_trade_plain": {
        "en": "{procurement} of the surveyed enterprises do more than 50% of their "
              "procurement online, and {sales} do more than 50% of their sales online.",
        "zh": "{procurement}的受访企业线上采购占采购总额的比例超过50%，"
              "{sales}的受访企业线上销售占销售总额的比例超过50%。",
    },
    "smart_manufacturing": {
        "en": "Of the {manufacturers}, no more than {highest} report any one of "
              "{items}.",
        "zh": "在{n}家受访制造业企业中，{items}的比例均不超过{highest}。",
    },
    "smart_manufacturing_none": {
        "en": "None of the {manufacturers} reports any of {items}.",
        "zh": "{n}家受访制造业企业中，没有企业{items}。",
    },
    "internet_finance": {
        "en": "{never} of the surveyed enterprises have never used internet finance to obtain "
              "financing; among the {used} that have, {above_half} obtained more than 50% of "
              "their financing through this channel.",
        "zh": "{never}的受访企业从未通过互联网金融获得融资；在使用过互联网融资的{used}家企业中，"
              "有{above_half}家通过该渠道获得的融资超过融资总额的50%。",
    },
    "internet_finance_none_above": {
        "en": "{never} of the surveyed enterprises have never used internet finance to obtain "
              "financing; none of the {used} that have obtained more than 50% of their "
              "financing through this channel.",
        "zh": "{never}的受访企业从未通过互联网金融获得融资；在使用过互联网融资的{used}家企业中，"
              "没有企业通过该渠道获得超过融资总额50%的融资。",
    },
    "internet_finance_never": {
        "en": "{never} of the surveyed enterprises have never used internet finance to obtain "
              "financing.",
        "zh": "{never}的受访企业从未通过互联网金融获得融资。",
    },
    "obstacles": {
        "en": "{first_share} of the companies surveyed said the biggest obstacle to digital "
              "transformation was “{first}”, while {second_share} said it was “{second}”.",
        "zh": "{first_share}的受访企业认为数字化转型的最大障碍是“{first}”，"
              "{second_share}认为是“{second}”。",
    },
    "obstacles_one": {
        "en": "{first_share} of the companies surveyed said the biggest obstacle to digital "
              "transformation was “{first}”.",
        "zh": "{first_share}的受访企业认为数字化转型的最大障碍是“{first}”。",
    },
    "policy": {
        "en": "Few enterprises receive policy support: {items}.",
        "zh": "获得政策支持的企业较少：{items}。",
    },
    "policy_plain": {
        "en": "Policy support received: {items}.",
        "zh": "获得政策支持的情况：{items}。",
    },
    "outlook": {
        "en": "At the same time, {share} of the companies surveyed realise that digital "
              "transformation can help improve their operating efficiency and development.",
        "zh": "同时，{share}的受访企业认识到数字化转型有助于提高经营效率、促进企业发展。",
    },
    "maturity": {
        "en": "The mean digital maturity index is {mean} out of 100; the most common level is "
              "“{level}” ({share} of the firms scored).",
        "zh": "受访企业数字化成熟度综合指数平均为{mean}分（满分100分），"
              "最常见的等级为“{level}”（占{share}）。",
    },
    "size_gradient": {
        "en": "The larger the enterprise, the more likely its online procurement exceeds 50% "
              "of the total (significant at 5% for {procurement}); for online sales {sales}.",
        "zh": "企业规模越大，线上采购占比超过50%的可能性越高（{procurement}在5%水平上显著）；"
              "线上销售{sales}。",
    },
    "size_gradient_none": {
        "en": "No clear relation between firm size and online procurement above 50% appears "
              "(no size measure is significant at 5%); for online sales {sales}.",
        "zh": "企业规模与线上采购占比超过50%之间没有明显关系（各规模指标在5%水平上均不显著）；"
              "线上销售{sales}。",
    },
    "too_small": {
        "en": "With {firms}, the study is too small for some findings: a finding is stated "
              "only when at least {minimum} firms answered its questions.",
        "zh": "本次调查仅{n}家企业，样本过小，部分结论未列出：只有至少{minimum}家企业"
              "作答了相关问题时才给出结论。",
    },
    "sales_related": {"en": "the same holds for {measures}", "zh": "对{measures}同样显著"},
    "sales_unrelated": {"en": "no clear relation with size appears",
                        "zh": "与企业规模没有明显关系"},
    "sales_unestimated": {"en": "too few firms sell more than half online to tell",
                          "zh": "线上销售占比超过50%的企业过少，无法判断"},
    "list_and": {"en": " and ", "zh": "和"},
    "list_comma": {"en": ", ", "zh": "、"},
    "measure:employees_2019": {"en": "employees", "zh": "员工人数"},
    "measure:revenue_2019": {"en": "revenue", "zh": "营业收入"},
    "measure:assets_2019": {"en": "assets", "zh": "资产总额"},
}


@dataclass(frozen=True)
class Headline:
    id: str
    text: str
    figures: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class SummaryInputs:
    """The data a summary is written from (tables computed once, shared with the report)."""

    responses: pd.DataFrame
    questionnaire: Questionnaire
    language: str = "en"
    charts: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    # findings left out because too few firms answered their questions
    too_small: list[str] = field(default_factory=list)
    # a SurveyDesign of the responses: shares are then design-based estimates
    design: Any = None

    def enough(self, finding: str, *bases: int) -> bool:
        """Whether every base holds `MIN_BASE` firms; notes `finding` as left out if not."""
        if min(bases) >= MIN_BASE:
            return True
        self.too_small.append(finding)
        return False

    def sentence(self, key: str, **values: Any) -> str:
        entry = SENTENCES[key]
        return (entry.get(self.language) or entry["en"]).format(**values)

    def has(self, *questions: str) -> bool:
        return all(q in self.questionnaire and q in self.responses.columns for q in questions)

    def shares(self, question: str) -> pd.DataFrame:
        from dmsurvey.analysis.shares import shares

        return shares(self.responses, question, questionnaire=self.questionnaire,
                      language=self.language, design=self.design)

    def share_of(self, values: pd.Series) -> float:
        """Mean of a 0/1 series over the firms that have a value: design-based with a
        design, else the plain share."""
        if self.design is None:
            return float(values.dropna().mean())
        from dmsurvey.analysis.design import domain_mean

        return float(domain_mean(values.to_numpy(dtype=float), self.design)["estimate"])

    def in_sentence(self, label: str) -> str:
        """A choice label inside an English sentence: lower case, unless it starts with
        an acronym (AI, 5G, CAD)."""
        if self.language.startswith("zh") or len(label) < 2 or not label[1].islower():
            return label
        return label[0].lower() + label[1:]

    def bracketed(self, label: str, share: float) -> str:
        """"smart production lines (12%)" or "建设智能生产线（12%）"."""
        brackets = "（{}）" if self.language.startswith("zh") else " ({})"
        return self.in_sentence(label) + brackets.format(percent(share))

    def join(self, items: list[str]) -> str:
        if len(items) <= 1:
            return "".join(items)
        return self.sentence("list_comma").join(items[:-1]) + self.sentence("list_and") + items[-1]


def percent(share: float) -> str:
    """A share as the report writes it: 0.1717 -> "17%"."""
    return f"{share:.0%}"


def _count_share(table: pd.DataFrame, codes) -> tuple[int, int, float]:
    """Firms choosing any of `codes` of a single-choice question, its base and share (the
    sum of the codes' shares: design-based ones when the table is)."""
    rows = table[table["item"].isin(codes)]
    count = int(rows["count"].sum())
    n = int(table["n"].iloc[0]) if len(table) else 0
    if "std_err" in table.columns and n:
        return count, n, float(rows["share"].sum())
    return count, n, count / n if n else float("nan")


def _sample(inputs: SummaryInputs) -> Headline | None:
    responses = inputs.responses
    if "source" not in responses.columns or "employees_2019" not in responses.columns:
        return None
    import pandas as pd

    sources = responses["source"].astype("str").value_counts()
    employees = pd.to_numeric(responses["employees_2019"], errors="coerce").dropna()
    if employees.empty:
        return None
    small = int((employees < 50).sum())
    figures = {"n": len(responses), "electronic": int(sources.get("electronic", 0)),
               "paper": int(sources.get("paper", 0)), "fewer_than_50_employees": small,
               "fewer_than_50_employees_share": small / len(employees)}
    # a share of fewer than MIN_BASE firms overstates what they show; say the count
    key = "sample" if len(employees) >= MIN_BASE else "sample_count"
    text = inputs.sentence(key, n=figures["n"], small_count=small,
                           enterprises=plural(figures["n"], "enterprise"),
                           electronic=figures["electronic"],
                           paper=figures["paper"], small=percent(small / len(employees)))
    return Headline("sample", text, figures)


def _ai_bigdata(inputs: SummaryInputs) -> Headline | None:
    from dmsurvey.analysis.regressions import adoption_outcomes

    if not inputs.has("tech_used"):
        return None
    uses = adoption_outcomes(inputs.responses, inputs.questionnaire).get("ai_or_big_data")
    if uses is None or uses.notna().sum() == 0:
        return None
    n = int(uses.notna().sum())
    if not inputs.enough("ai_bigdata", n):
        return None
    never = int((uses == 0).sum())
    share = inputs.share_of(1 - uses)
    return Headline("ai_bigdata", inputs.sentence("ai_bigdata", share=percent(share)),
                    {"count": never, "n": n, "share": share})


def _online_trade(inputs: SummaryInputs) -> Headline | None:
    table = inputs.charts.get("02_online_procurement_sales")
    if table is None:
        return None
    figures = {}
    for series, name in (("online_procurement_share", "procurement"),
                         ("online_sales_share", "sales")):
        count, n, share = _count_share(table[table["series"] == series], MORE_THAN_HALF)
        figures[name] = {"count": count, "n": n, "share": share}
    if not inputs.enough("online_trade", figures["procurement"]["n"], figures["sales"]["n"]):
        return None
    low = all(part["share"] < LOW_SHARE for part in figures.values())
    text = inputs.sentence("online_trade" if low else "online_trade_plain",
                           procurement=percent(figures["procurement"]["share"]),
                           sales=percent(figures["sales"]["share"]))
    return Headline("online_trade", text, figures)


def _smart_manufacturing(inputs: SummaryInputs) -> Headline | None:
    table = inputs.charts.get("03_smart_manufacturing")
    if table is None:
        return None
    rows = table[table["item"].isin(SMART_BUILDING)]
    if rows.empty or int(rows["n"].max()) == 0:
        return None
    n = int(rows["n"].iloc[0])
    if not inputs.enough("smart_manufacturing", n):
        return None
    highest = float(rows["share"].max())
    if highest > 0:
        key = "smart_manufacturing"
        items = [inputs.bracketed(label, share) for label, share in
                 zip(rows["label"], rows["share"], strict=True)]
    else:
        key = "smart_manufacturing_none"
        items = [inputs.in_sentence(label) for label in rows["label"]]
    text = inputs.sentence(key, n=n,
                           manufacturers=plural(n, "surveyed manufacturer"),
                           highest=percent(highest), items=inputs.join(items))
    return Headline("smart_manufacturing", text, {
        "n": n, "highest_share": highest,
        "shares": dict(zip(rows["item"], rows["share"].astype(float), strict=True)),
    })


def _internet_finance(inputs: SummaryInputs) -> Headline | None:
    table = inputs.charts.get("04_internet_finance")
    if table is None or table.empty:
        return None
    never, n, never_share = _count_share(table, ("none",))
    if not inputs.enough("internet_finance", n):
        return None
    above_half, _, _ = _count_share(table, MORE_THAN_HALF)
    key = ("internet_finance_never" if n == never
           else "internet_finance_none_above" if above_half == 0 else "internet_finance")
    text = inputs.sentence(key, never=percent(never_share), used=n - never,
                           above_half=above_half)
    return Headline("internet_finance", text, {
        "never": never, "n": n, "never_share": never_share, "used": n - never,
        "above_half": above_half,
    })


def _obstacles(inputs: SummaryInputs) -> Headline | None:
    table = inputs.charts.get("05_biggest_obstacles")
    if table is None or len(table) < 2:
        return None
    ranked = table.sort_values("share", ascending=False, kind="stable").head(2)
    first, second = ranked.to_dict("records")
    if not inputs.enough("obstacles", int(first["n"])):
        return None
    text = inputs.sentence("obstacles" if second["count"] else "obstacles_one",
                           first=first["label"], second=second["label"],
                           first_share=percent(first["share"]),
                           second_share=percent(second["share"]))
    return Headline("obstacles", text, {
        "first": first["item"], "first_share": float(first["share"]),
        "second": second["item"], "second_share": float(second["share"]), "n": int(first["n"]),
    })


def _policy(inputs: SummaryInputs) -> Headline | None:
    table = inputs.charts.get("06_policy_support")
    if table is None or table.empty:
        return None
    if not inputs.enough("policy", int(table["n"].max())):
        return None
    rows = table[table["item"] != "other"]
    items = [inputs.bracketed(label, share)
             for label, share in zip(rows["label"], rows["share"], strict=True)]
    few = bool((rows["share"] < LOW_SHARE).all())
    text = inputs.sentence("policy" if few else "policy_plain", items=inputs.join(items))
    return Headline("policy", text, {
        "n": int(table["n"].iloc[0]),
        "shares": dict(zip(rows["item"], rows["share"].astype(float), strict=True)),
    })


def _outlook(inputs: SummaryInputs) -> Headline | None:
    if not inputs.has("digital_helps"):
        return None
    count, n, share = _count_share(inputs.shares("digital_helps"), ("yes",))
    if not n or not inputs.enough("outlook", n):
        return None
    return Headline("outlook", inputs.sentence("outlook", share=percent(share)),
                    {"count": count, "n": n, "share": share})


def _maturity(inputs: SummaryInputs) -> Headline | None:
    scores = inputs.tables.get("scores")
    scoring = inputs.questionnaire.scoring
    if scores is None or scoring is None or scores["composite"].notna().sum() == 0:
        return None
    if not inputs.enough("maturity", int(scores["composite"].notna().sum())):
        return None
    if inputs.design is None:
        mean = float(scores["composite"].mean())
        levels = scores["level"].dropna().astype("str").value_counts()
    else:
        import numpy as np
        import pandas as pd

        weights = pd.Series(inputs.design.weights, index=scores.index)
        scored = scores["composite"].notna()
        mean = float(np.average(scores.loc[scored, "composite"], weights=weights[scored]))
        levels = weights.groupby(scores["level"].astype("str").where(scores["level"].notna())
                                 ).sum().sort_values(ascending=False, kind="stable")
    common = str(levels.index[0])
    lang = inputs.questionnaire.label_language(inputs.language)
    label = next((level.label.in_language(lang) for level in scoring.levels
                  if level.id == common), common)
    share = float(levels.iloc[0] / levels.sum())
    text = inputs.sentence("maturity", mean=f"{mean:.0f}", level=label, share=percent(share))
    return Headline("maturity", text, {"mean_composite": mean, "most_common_level": common,
                                       "most_common_level_share": share})


def _size_gradient(inputs: SummaryInputs) -> Headline | None:
    regressions = inputs.tables.get("size_regressions")
    if regressions is None or regressions.empty:
        return None
    # Models too few firms allow are listed without estimates (p-value NaN).
    plain = regressions[(regressions["model"] == "logit") & regressions["p_value"].notna()]

    def significant(outcome: str) -> list[str]:
        rows = plain[(plain["outcome"] == outcome) & (plain["coef"] > 0)
                     & (plain["p_value"] < SIGNIFICANCE)]
        return list(rows["size_measure"])

    procurement = significant("online_procurement_gt50")
    sales = significant("online_sales_gt50")
    if not (regressions["outcome"] == "online_procurement_gt50").any():
        return None
    if not (plain["outcome"] == "online_procurement_gt50").any():
        inputs.too_small.append("size_gradient")
        return None

    def names(measures: list[str]) -> str:
        return inputs.join([inputs.sentence(f"measure:{m}") for m in measures])

    if sales:
        sales_text = inputs.sentence("sales_related", measures=names(sales))
    elif (plain["outcome"] == "online_sales_gt50").any():
        sales_text = inputs.sentence("sales_unrelated")
    else:
        sales_text = inputs.sentence("sales_unestimated")
    key = "size_gradient" if procurement else "size_gradient_none"
    text = inputs.sentence(key, procurement=names(procurement), sales=sales_text)
    return Headline("size_gradient", text, {"online_procurement_gt50_significant": procurement,
                                            "online_sales_gt50_significant": sales,
                                            "significance_level": SIGNIFICANCE})


FINDINGS: tuple[Callable[[SummaryInputs], Headline | None], ...] = (
    _sample, _ai_bigdata, _online_trade, _smart_manufacturing, _internet_finance,
    _obstacles, _policy, _outlook, _maturity, _size_gradient,
)


def executive_summary(
    responses: pd.DataFrame,
    questionnaire: Questionnaire,
    *,
    language: str = "en",
    charts: Mapping[str, pd.DataFrame] | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
    design: Any = None,
) -> list[Headline]:
    """The findings the data support, in `language`, in the paper's order.

    `charts` (summary chart tables) and `tables` (from `analysis.run_all`) are computed
    when not given (only the scores and the plain size regressions are needed). With a
    `design` (a `SurveyDesign` of `responses`) every share and mean is design-based; the
    chart tables then carry design-based shares (`reporting.design_section`).
    """
    from dmsurvey.reporting.charts import summary_tables

    if charts is None:
        charts = summary_tables(responses, questionnaire, language=language)
    if tables is None:
        tables = _summary_tables(responses, questionnaire)
    inputs = SummaryInputs(responses, questionnaire, language, charts, tables, design=design)
    found = [headline for find in FINDINGS if (headline := find(inputs)) is not None]
    if inputs.too_small:
        n = len(responses)
        text = inputs.sentence("too_small", n=n, firms=plural(n, "firm"), minimum=MIN_BASE)
        found.append(Headline("too_small", text, {"n": n, "minimum_base": MIN_BASE,
                                                  "left_out": list(inputs.too_small)}))
    return found


def _summary_tables(responses: pd.DataFrame, questionnaire: Questionnaire) -> dict:
    from dmsurvey.analysis.regressions import size_regressions
    from dmsurvey.analysis.scoring import score

    tables = {"size_regressions": size_regressions(responses, questionnaire=questionnaire,
                                                   industry=None, ordered=())}
    if questionnaire.scoring is not None:
        tables["scores"] = score(responses, questionnaire)
    return tables
