"""What changed since the previous wave: the report's section and the firm pages' table.

    >>> section = change_section(responses_2022, q2022, previous, "report/", language="zh")
    >>> [headline.text for headline in section.headlines]

`previous` is a `PreviousWave`: the earlier wave's responses and questionnaire, and the
confirmed links between the waves (None pairs firms by firm key). The section's sentences
are written from `dmsurvey.analysis.panel.compare_waves` tables, like the executive summary
(every number from the data; a sentence only where at least `MIN_BASE` firms are in both
waves; differences called rises or falls only where their test says p < 0.05).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dmsurvey.reporting.summary import MIN_BASE, SIGNIFICANCE, Headline, percent
from dmsurvey.wording import translated

if TYPE_CHECKING:
    import pandas as pd

    from dmsurvey.questionnaire.model import Questionnaire

CHANGE_TEXTS: dict[str, dict[str, str]] = {
    "section": {"en": "What changed since {earlier}", "zh": "{earlier}年以来的变化"},
    "intro": {
        "en": "Firms that answered both in {earlier} and in {later} are compared with "
              "themselves: {how}. Tests are paired (McNemar, Wilcoxon signed-rank, paired t).",
        "zh": "对{earlier}年和{later}年均参与调查的企业进行前后对比：{how}。"
              "检验均为配对检验（McNemar检验、Wilcoxon符号秩检验、配对t检验）。",
    },
    "by_key": {"en": "firms are matched by their unified identifier", "zh": "按企业唯一标识匹配"},
    "by_links": {"en": "firms are matched by identifier and by links confirmed by hand",
                 "zh": "按企业唯一标识及人工确认的匹配结果匹配"},
    "panel": {
        "en": "{panel} of the {earlier_n} firms surveyed in {earlier} are linked to their "
              "answers of {later}; {new} firms of {later} are not linked to {earlier}.",
        "zh": "{earlier}年受访的{earlier_n}家企业中，有{panel}家与其{later}年的问卷相匹配；"
              "{later}年另有{new}家企业未与{earlier}年匹配。",
    },
    "composite_up": {
        "en": "Among them the composite index rose from {before} to {after} points "
              "(change {change}, 95% CI {low} to {high}; paired t-test {p}).",
        "zh": "这些企业的综合指数由{before}分升至{after}分（变化{change}分，"
              "95%置信区间{low}至{high}；配对t检验{p}）。",
    },
    "composite_down": {
        "en": "Among them the composite index fell from {before} to {after} points "
              "(change {change}, 95% CI {low} to {high}; paired t-test {p}).",
        "zh": "这些企业的综合指数由{before}分降至{after}分（变化{change}分，"
              "95%置信区间{low}至{high}；配对t检验{p}）。",
    },
    "composite_same": {
        "en": "Among them the composite index did not change significantly ({before} and "
              "{after} points; paired t-test {p}).",
        "zh": "这些企业的综合指数没有显著变化（{before}分和{after}分；配对t检验{p}）。",
    },
    "dimension": {
        "en": "The largest change was in {dimension} ({change} points, Wilcoxon {p}).",
        "zh": "变化最大的维度是{dimension}（{change}分，Wilcoxon检验{p}）。",
    },
    "no_dimension": {"en": "No dimension changed significantly.",
                     "zh": "各维度得分均无显著变化。"},
    "levels": {
        "en": "{up} firms moved up at least one maturity level, {down} moved down and "
              "{same} stayed at their level.",
        "zh": "{up}家企业的成熟度至少提升了一个等级，{down}家下降，{same}家保持不变。",
    },
    "adoption_up": {
        "en": "The share using {label} rose from {before} to {after} (McNemar {p}).",
        "zh": "采用{label}的企业比例由{before}升至{after}（McNemar检验{p}）。",
    },
    "adoption_down": {
        "en": "The share using {label} fell from {before} to {after} (McNemar {p}).",
        "zh": "采用{label}的企业比例由{before}降至{after}（McNemar检验{p}）。",
    },
    "no_adoption": {"en": "No adoption indicator changed significantly.",
                    "zh": "各项数字技术的采用比例均无显著变化。"},
    "size_larger": {
        "en": "Larger firms improved more: each doubling of employees went with {points} "
              "more points of change in the composite index ({p}).",
        "zh": "规模越大的企业进步越多：员工人数每增加一倍，综合指数的变化多{points}分（{p}）。",
    },
    "size_smaller": {
        "en": "Smaller firms improved more: each doubling of employees went with {points} "
              "fewer points of change in the composite index ({p}).",
        "zh": "规模越小的企业进步越多：员工人数每增加一倍，综合指数的变化少{points}分（{p}）。",
    },
    "size_none": {"en": "The change was not related to firm size ({p}).",
                  "zh": "变化幅度与企业规模无显著关系（{p}）。"},
    "attrition_selective": {
        "en": "The firms that did not answer again differ from those that did by {by} "
              "({p}): the panel is selective, so its change may not hold for every firm.",
        "zh": "未再次参与的企业与再次参与的企业在{by}上存在差异（{p}），"
              "样本存在选择性，变化结论未必适用于全部企业。",
    },
    "attrition_even": {
        "en": "The firms that did not answer again do not differ significantly by size "
              "class or industry ({p}).",
        "zh": "未再次参与的企业与再次参与的企业在规模和行业上无显著差异（{p}）。",
    },
    "by:size_class": {"en": "size class", "zh": "规模"},
    "by:industry": {"en": "industry", "zh": "行业"},
    "too_few": {"en": "Only {n} firms are in both waves: fewer than {minimum}, so no change "
                      "is stated.",
                "zh": "两轮均参与的企业仅{n}家，少于{minimum}家，不作变化判断。"},
    "not_comparable": {"en": "Not compared", "zh": "无法比较的内容"},
    # The firm page.
    "firm_section": {"en": "Your change since {earlier}", "zh": "贵企业{earlier}年以来的变化"},
    "firm_intro": {
        "en": "Your scores in {earlier} and {later} beside the mean change of peers who "
              "answered both times (shown only where at least {min_peers} did).",
        "zh": "贵企业{earlier}年与{later}年的得分，以及两次均作答的同类企业的平均变化"
              "（至少{min_peers}家时才显示）。",
    },
    "firm_not_in_panel": {
        "en": "Your enterprise is not linked to a response of {earlier}, so no change can "
              "be shown.",
        "zh": "贵企业未与{earlier}年的问卷匹配，无法显示变化。",
    },
    "your_change": {"en": "Your change", "zh": "贵企业变化"},
    "peer_change": {"en": "Peers' mean change", "zh": "同类企业平均变化"},
}


def change_text(key: str, language: str, **values: object) -> str:
    return translated(CHANGE_TEXTS, key, language, **values)


@dataclass(frozen=True)
class PreviousWave:
    """The earlier wave a report compares with."""

    responses: pd.DataFrame
    questionnaire: Questionnaire
    # `earlier_id, later_id` of the confirmed links; None pairs the firms by firm key.
    links: pd.DataFrame | None = None


@dataclass
class ChangeSection:
    title: str
    intro: str
    headlines: list[Headline]
    tables: dict[str, pd.DataFrame]
    charts: dict[str, pd.DataFrame]
    waves: tuple[str, str]
    not_comparable: list[tuple[str, str, str]] = field(default_factory=list)


def compare_with_previous(responses: pd.DataFrame, questionnaire: Questionnaire,
                          previous: PreviousWave, language: str):
    """The comparison tables and the names of the two waves."""
    from dmsurvey.analysis.panel import compare_waves, wave_name

    tables = compare_waves(previous.responses, responses,
                           earlier_questionnaire=previous.questionnaire,
                           later_questionnaire=questionnaire, links=previous.links,
                           language=language)
    waves = (wave_name(previous.responses, "earlier"), wave_name(responses, "later"))
    if waves[0] == waves[1]:
        waves = ("earlier", "later")
    return tables, waves


def change_section(responses: pd.DataFrame, questionnaire: Questionnaire,
                   previous: PreviousWave, out_dir: str | Path, *,
                   language: str = "en") -> ChangeSection:
    """Compare, draw the charts into `out_dir/charts`, and write the section's sentences."""
    from dmsurvey.reporting.panel_charts import panel_charts

    tables, waves = compare_with_previous(responses, questionnaire, previous, language)
    charts = panel_charts(tables, questionnaire, responses, Path(out_dir) / "charts",
                          waves=waves, language=language)
    how = change_text("by_key" if previous.links is None else "by_links", language)
    return ChangeSection(
        title=change_text("section", language, earlier=waves[0]),
        intro=change_text("intro", language, earlier=waves[0], later=waves[1], how=how),
        headlines=change_summary(tables, waves, language=language,
                                 earlier_n=len(previous.responses), later_n=len(responses)),
        tables=tables, charts=charts, waves=waves,
        not_comparable=list(tables["not_comparable"].itertuples(index=False, name=None)),
    )


def _p(p_value: float) -> str:
    from dmsurvey.analysis.outputs import p_text

    return p_text(p_value)


def _points(value: float) -> str:
    return f"{value:+.1f}"


def change_summary(tables: Mapping[str, pd.DataFrame], waves: tuple[str, str], *,
                   language: str = "en", earlier_n: int, later_n: int) -> list[Headline]:
    """The section's sentences, each with the figures it was written from."""
    say = lambda key, **values: change_text(key, language, **values)  # noqa: E731
    panel = len(tables["firm_changes"])
    figures: dict[str, Any] = {"panel": panel, "earlier_n": earlier_n,
                               "new": later_n - panel}
    headlines = [Headline("panel", say("panel", earlier=waves[0], later=waves[1], **figures),
                          figures)]
    if panel < MIN_BASE:
        headlines.append(Headline("too_few", say("too_few", n=panel, minimum=MIN_BASE),
                                  {"panel": panel}))
        return headlines
    scores = tables["score_tests"].set_index("measure")
    if "composite" in scores.index and scores.loc["composite", "n_pairs"] >= MIN_BASE:
        headlines.append(_composite(scores.loc["composite"], say))
    dimensions = scores.drop(index="composite", errors="ignore")
    dimensions = dimensions[(dimensions["wilcoxon_p_value"] < SIGNIFICANCE)
                            & (dimensions["n_pairs"] >= MIN_BASE)]
    labels = _measure_labels(tables)
    if dimensions.empty:
        headlines.append(Headline("dimension", say("no_dimension"), {}))
    else:
        largest = dimensions["mean_change"].abs().idxmax()
        row = dimensions.loc[largest]
        headlines.append(Headline("dimension", say(
            "dimension", dimension=labels.get(largest, largest),
            change=_points(row["mean_change"]), p=_p(row["wilcoxon_p_value"])),
            {"dimension": largest, "mean_change": row["mean_change"],
             "p_value": row["wilcoxon_p_value"]}))
    changes = tables["firm_changes"]
    if "level_steps" in changes:
        steps = changes["level_steps"].dropna()
        counts = {"up": int((steps > 0).sum()), "down": int((steps < 0).sum()),
                  "same": int((steps == 0).sum())}
        headlines.append(Headline("levels", say("levels", **counts), counts))
    headlines.append(_adoption(tables["adoption_tests"], say, language))
    headlines.append(_size(tables["size_change"], say))
    attrition = _attrition(tables["attrition"], say, language)
    if attrition is not None:
        headlines.append(attrition)
    return headlines


def _measure_labels(tables) -> dict[str, str]:
    cross = tables["cross_sections"]
    return dict(zip(cross["item"], cross["label"], strict=False))


def _composite(row, say) -> Headline:
    figures = {"mean_earlier": row["mean_earlier"], "mean_later": row["mean_later"],
               "mean_change": row["mean_change"], "ci_low": row["ci_low"],
               "ci_high": row["ci_high"], "p_value": row["t_p_value"]}
    values = {"before": f"{row['mean_earlier']:.1f}", "after": f"{row['mean_later']:.1f}",
              "change": _points(row["mean_change"]), "low": _points(row["ci_low"]),
              "high": _points(row["ci_high"]), "p": _p(row["t_p_value"])}
    p_value = row["t_p_value"]
    if math.isnan(p_value) or p_value >= SIGNIFICANCE:
        key = "composite_same"
    else:
        key = "composite_up" if row["mean_change"] > 0 else "composite_down"
    return Headline("composite", say(key, **values), figures)


def _adoption(tests: pd.DataFrame, say, language: str) -> Headline:
    if tests.empty:
        return Headline("adoption", say("no_adoption"), {})
    significant = tests[(tests["p_value"] < SIGNIFICANCE) & (tests["n_pairs"] >= MIN_BASE)]
    if significant.empty:
        return Headline("adoption", say("no_adoption"), {})
    row = significant.loc[significant["change"].abs().idxmax()]
    label = row["label"]
    if not language.startswith("zh") and len(label) > 1 and label[1].islower():
        label = label[0].lower() + label[1:]
    key = "adoption_up" if row["change"] > 0 else "adoption_down"
    return Headline("adoption", say(key, label=label, before=percent(row["share_earlier"]),
                                    after=percent(row["share_later"]), p=_p(row["p_value"])),
                    {"indicator": row["indicator"], "share_earlier": row["share_earlier"],
                     "share_later": row["share_later"], "p_value": row["p_value"]})


def _size(size_change: pd.DataFrame, say) -> Headline:
    rows = size_change[(size_change["measure"] == "composite") & (size_change["model"] == "size")
                       & size_change["coef"].notna()]
    if rows.empty:
        return Headline("size", say("size_none", p="—"), {})
    row = rows.iloc[0]
    per_doubling = row["coef"] * math.log(2)
    figures = {"coef_per_doubling": per_doubling, "p_value": row["p_value"]}
    if row["p_value"] >= SIGNIFICANCE:
        return Headline("size", say("size_none", p=_p(row["p_value"])), figures)
    key = "size_larger" if per_doubling > 0 else "size_smaller"
    return Headline("size", say(key, points=f"{abs(per_doubling):.1f}", p=_p(row["p_value"])),
                    figures)


def _attrition(attrition: pd.DataFrame, say, language: str) -> Headline | None:
    earlier = attrition[attrition["wave"] == "earlier"] if len(attrition) else attrition
    if earlier.empty:
        return None
    tests = earlier.groupby("by", sort=False)["p_value"].first().dropna()
    if tests.empty:
        return None
    figures = {f"p_{by}": p for by, p in tests.items()}
    selective = tests[tests < SIGNIFICANCE]
    if selective.empty:
        return Headline("attrition", say("attrition_even",
                                         p=", ".join(_p(p) for p in tests)), figures)
    joiner = "、" if language.startswith("zh") else " and "
    return Headline("attrition", say(
        "attrition_selective", by=joiner.join(say(f"by:{by}") for by in selective.index),
        p=", ".join(_p(p) for p in selective)), figures)


def firm_change_rows(tables: Mapping[str, pd.DataFrame], later_id: str, labels: dict[str, str],
                     groups: list[tuple[str, str, str]], *, min_peers: int) -> list[dict] | None:
    """One row per measure: the firm's two scores and change, and per peer group the mean
    change of the other panel firms in it (None where fewer than `min_peers`). None when the
    firm is not in the panel. `groups`: (caption, column of firm_changes, the firm's value)."""
    changes = tables["firm_changes"]
    mine = changes[changes["later_id"] == later_id]
    if mine.empty:
        return None
    mine = mine.iloc[0]
    others = changes[changes["later_id"] != later_id]
    rows = []
    for measure, label in labels.items():
        if f"{measure}_change" not in changes:
            continue
        peers = []
        for caption, column, value in groups:
            members = others if column is None else others[others[column] == value]
            peer_changes = members[f"{measure}_change"].dropna()
            mean = float(peer_changes.mean()) if len(peer_changes) >= min_peers else None
            peers.append({"group": caption, "n": len(peer_changes), "mean_change": mean})
        rows.append({"measure": measure, "label": label,
                     "earlier": mine[f"{measure}_earlier"], "later": mine[f"{measure}_later"],
                     "change": mine[f"{measure}_change"], "peers": peers})
    return rows
