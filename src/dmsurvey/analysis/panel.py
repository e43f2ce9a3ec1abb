"""Two waves of a survey: what changed for each firm and for the panel of firms in both.

    >>> tables = compare_waves(responses_2020, responses_2022, links=links,
    ...                        earlier_questionnaire=q2020, later_questionnaire=q2022)

`links` pairs the firms (`earlier_id, later_id`: key matches and confirmed proposals, see
`dmsurvey.store.linking`); without it the firms are paired by firm key alone. Questions and
codes are matched as `dmsurvey.questionnaire.waves` says; what cannot be compared is listed
in `not_comparable` and left out of every other table.

Adoption indicators are the codes of the select-multiple questions of the scoring (except
codes like `none` that exclude the others) and the single-choice answers that earn full
points (cloud `migrated`, bought data services `yes`, ...), as common categories of both
waves. Change is always later minus earlier.

Tables and their columns:

- `firm_changes`: earlier_id, later_id, firm_name, industry, size_class, then
  `<measure>_earlier`, `<measure>_later`, `<measure>_change` for every comparable dimension
  and the composite, level_earlier, level_later, level_steps, adopted, dropped
- `transitions`: level_earlier, level_later, count, row_n, row_share (every pair of levels)
- `adoption_tests`: indicator, question, category, label, n_pairs, both, adopted, dropped,
  neither, share_earlier, share_later, change, change_ci_low, change_ci_high, test,
  statistic, p_value (McNemar: exact binomial below 25 discordant pairs, else chi-squared
  with continuity correction; change CI: Wald for paired proportions)
- `score_tests`: measure, n_pairs, mean_earlier, mean_later, mean_change, ci_low, ci_high
  (paired t interval of the change), t_statistic, t_p_value, median_change,
  wilcoxon_statistic, wilcoxon_p_value, note
- `change_by_group`: by, group, measure, n, mean_change, ci_low, ci_high (by size_class and
  industry of the earlier wave)
- `size_change`: measure, model, term, coef, std_err, p_value, ci_low, ci_high, n, r_squared,
  note (OLS of the change on log employees, alone and with the earlier score; HC1 errors)
- `attrition`: wave, by, group, status, count, n, share, test, statistic, df, p_value, note
  (firms in the panel or in one wave only, by size class and industry, with a test)
- `cross_sections`: wave, sample (all / panel), kind (score / adoption), item, label, n,
  count, value, ci_low, ci_high (means with t intervals; shares with Wilson intervals)
- `not_comparable`: item, code, reason
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dmsurvey.analysis._answers import codes
from dmsurvey.errors import AnalysisError
from dmsurvey.questionnaire.model import Questionnaire
from dmsurvey.questionnaire.waves import WaveAlignment, align_waves

WAVES = ("earlier", "later")
GROUPINGS = ("size_class", "industry")
# Fewer discordant pairs than this: McNemar's exact (binomial) test.
EXACT_BELOW = 25
MIN_PAIRS = 2
SIZE_CHANGE_COLUMNS = ["measure", "model", "term", "coef", "std_err", "p_value", "ci_low",
                       "ci_high", "n", "r_squared", "note"]


@dataclass(frozen=True)
class Indicator:
    """Adoption of one common category of a select question (see the module notes)."""

    question: str
    category: str
    labels: dict[str, str]

    @property
    def id(self) -> str:
        return f"{self.question}:{self.category}"

    def label(self, language: str) -> str:
        return self.labels.get(language) or next(iter(self.labels.values()))


def adoption_indicators(alignment: WaveAlignment, later: Questionnaire) -> list[Indicator]:
    """The adoption indicators both waves can be compared on, in the questionnaire's order."""
    if later.scoring is None:
        return []
    indicators: list[Indicator] = []
    seen: set[str] = set()
    for dimension in later.scoring.dimensions:
        for item in dimension.items:
            aligned = alignment.question(item.question)
            if aligned is None or not aligned.later or item.question in seen:
                continue
            seen.add(item.question)
            question = later[item.question]
            if question.type == "select_multiple":
                adopting = [code for code in question.choice_codes
                            if code not in question.exclusive]
            else:
                top = max(item.points.values(), default=0)
                adopting = [code for code, points in item.points.items()
                            if points == top and top >= 100]
            for category in aligned.categories:
                members = [code for code, name in aligned.later.items() if name == category]
                if not any(code in adopting for code in members):
                    continue
                labels = {language: " / ".join(question.choice(code).label.in_language(language)
                                               for code in members)
                          for language in later.languages}
                if question.type == "select_one":
                    caption = question.label
                    labels = {language: caption.in_language(language)
                              + ("：" if language.startswith("zh") else ": ") + labels[language]
                              for language in labels}
                indicators.append(Indicator(item.question, category, labels))
    return indicators


def indicator_values(responses: pd.DataFrame, indicator: Indicator, alignment: WaveAlignment,
                     wave: str) -> pd.Series:
    """1 where a firm's answer falls in the indicator's category, 0 where not, NaN unanswered.

    A single-choice answer without counterpart in the other wave is NaN: it cannot be said
    whether it would have been the category.
    """
    aligned = alignment.question(indicator.question)
    mapping = aligned.earlier if wave == "earlier" else aligned.later
    answers = codes(responses[indicator.question])
    multiple = aligned.type == "select_multiple"

    def value(answer) -> float:
        if not isinstance(answer, str):
            return math.nan
        chosen = answer.split() if multiple else [answer]
        if not multiple and answer not in mapping:
            return math.nan
        return float(any(mapping.get(code) == indicator.category for code in chosen))

    return answers.map(value).astype(float)


def key_links(earlier: pd.DataFrame, later: pd.DataFrame, earlier_questionnaire: Questionnaire,
              later_questionnaire: Questionnaire) -> pd.DataFrame:
    """Pairs by firm key alone (`earlier_id, later_id`), for a comparison without a links file."""
    from dmsurvey.store.linking import link_firms

    links = link_firms(earlier, later, earlier_questionnaire=earlier_questionnaire,
                       later_questionnaire=later_questionnaire)
    return links.loc[links["match"] == "key", ["earlier_id", "later_id"]].reset_index(drop=True)


def compare_waves(
    earlier: pd.DataFrame,
    later: pd.DataFrame,
    *,
    earlier_questionnaire: Questionnaire,
    later_questionnaire: Questionnaire | None = None,
    links: pd.DataFrame | None = None,
    language: str = "en",
) -> dict[str, pd.DataFrame]:
    """Every table of the module notes, by name; labels in `language`."""
    from dmsurvey.analysis.scoring import score
    from dmsurvey.analysis.sizes import size_class

    later_questionnaire = later_questionnaire or earlier_questionnaire
    if earlier_questionnaire.scoring is None or later_questionnaire.scoring is None:
        raise AnalysisError("comparing waves needs questionnaires with a scoring block")
    alignment = align_waves(earlier_questionnaire, later_questionnaire)
    if links is None:
        links = key_links(earlier, later, earlier_questionnaire, later_questionnaire)
    links = links[["earlier_id", "later_id"]].astype("str")
    frames = {"earlier": earlier.reset_index(drop=True), "later": later.reset_index(drop=True)}
    unknown = {wave: sorted(set(links[f"{wave}_id"]) - set(frames[wave]["response_id"]))
               for wave in WAVES}
    if unknown["earlier"] or unknown["later"]:
        wave = "earlier" if unknown["earlier"] else "later"
        raise AnalysisError(f"the links name {len(unknown[wave])} {wave} responses the study "
                            f"does not have (complete), e.g. {unknown[wave][0]}")
    measures = [*alignment.dimensions, *(["composite"] if alignment.composite_comparable else [])]
    indicators = adoption_indicators(alignment, later_questionnaire)
    per_wave = {}
    for wave, questionnaire in (("earlier", earlier_questionnaire),
                                ("later", later_questionnaire)):
        frame = frames[wave]
        table = score(frame, questionnaire)[["response_id", *measures, "level"]]
        table["level"] = table["level"].astype("object")
        for indicator in indicators:
            table[indicator.id] = indicator_values(frame, indicator, alignment, wave).to_numpy()
        for column in ("firm_name", "industry", "employees_2019"):
            table[column] = frame[column].to_numpy() if column in frame else None
        table["industry"] = codes(pd.Series(table["industry"], dtype="object"))
        table["size_class"] = (size_class(frame).astype("object").to_numpy()
                               if "employees_2019" in frame else None)
        per_wave[wave] = table
    pairs = (links.merge(per_wave["earlier"].add_suffix("_earlier"),
                         left_on="earlier_id", right_on="response_id_earlier")
             .merge(per_wave["later"].add_suffix("_later"),
                    left_on="later_id", right_on="response_id_later"))
    levels = [level.id for level in later_questionnaire.scoring.levels]
    labels = _labels(earlier_questionnaire, later_questionnaire, indicators, language)
    tables = {
        "firm_changes": _firm_changes(pairs, measures, indicators, levels, labels,
                                      alignment.levels_comparable),
        "transitions": (_transitions(pairs, levels) if alignment.levels_comparable
                        else pd.DataFrame()),
        "adoption_tests": _adoption_tests(pairs, indicators, labels),
        "score_tests": _score_tests(pairs, measures),
        "change_by_group": _change_by_group(pairs, measures),
        "size_change": _size_change(pairs, measures),
        "attrition": _attrition(per_wave, links),
        "cross_sections": _cross_sections(per_wave, links, measures, indicators, labels),
        "not_comparable": pd.DataFrame(list(alignment.not_comparable),
                                       columns=["item", "code", "reason"]),
    }
    return tables


def _labels(earlier: Questionnaire, later: Questionnaire, indicators, language) -> dict:
    labels = {indicator.id: indicator.label(language) for indicator in indicators}
    for dimension in later.scoring.dimensions:
        labels[dimension.id] = dimension.label.in_language(language)
    from dmsurvey.reporting.texts import text

    labels["composite"] = text("composite", language)
    return labels


def _firm_changes(pairs, measures, indicators, levels, labels, levels_comparable):
    table = pd.DataFrame({
        "earlier_id": pairs["earlier_id"], "later_id": pairs["later_id"],
        "firm_name": pairs["firm_name_later"].fillna(pairs["firm_name_earlier"]),
        "industry": pairs["industry_earlier"], "size_class": pairs["size_class_earlier"],
    })
    for measure in measures:
        table[f"{measure}_earlier"] = pairs[f"{measure}_earlier"]
        table[f"{measure}_later"] = pairs[f"{measure}_later"]
        table[f"{measure}_change"] = pairs[f"{measure}_later"] - pairs[f"{measure}_earlier"]
    if levels_comparable:
        table["level_earlier"] = pairs["level_earlier"]
        table["level_later"] = pairs["level_later"]
        rank = {level: position for position, level in enumerate(levels)}
        table["level_steps"] = (pairs["level_later"].map(rank) - pairs["level_earlier"].map(rank))
    adopted, dropped = [], []
    for _, row in pairs.iterrows():
        adopted.append("; ".join(labels[i.id] for i in indicators
                                 if row[f"{i.id}_earlier"] == 0 and row[f"{i.id}_later"] == 1))
        dropped.append("; ".join(labels[i.id] for i in indicators
                                 if row[f"{i.id}_earlier"] == 1 and row[f"{i.id}_later"] == 0))
    table["adopted"] = adopted
    table["dropped"] = dropped
    return table


def _transitions(pairs, levels) -> pd.DataFrame:
    both = pairs.dropna(subset=["level_earlier", "level_later"])
    counts = {(row_level, column_level): 0 for row_level in levels for column_level in levels}
    for key, count in both.groupby(["level_earlier", "level_later"]).size().items():
        counts[key] = int(count)
    table = pd.DataFrame([(e, later, c) for (e, later), c in counts.items()],
                         columns=["level_earlier", "level_later", "count"])
    table["row_n"] = table.groupby("level_earlier", sort=False)["count"].transform("sum")
    with np.errstate(invalid="ignore", divide="ignore"):
        table["row_share"] = table["count"] / table["row_n"].replace(0, np.nan)
    return table


def mcnemar_test(both: int, dropped: int, adopted: int, neither: int) -> tuple[str, float, float]:
    """McNemar's test on a paired 2x2 table: (test name, statistic, p-value)."""
    from statsmodels.stats.contingency_tables import mcnemar

    discordant = adopted + dropped
    if discordant == 0:
        return "", math.nan, math.nan
    exact = discordant < EXACT_BELOW
    result = mcnemar([[both, dropped], [adopted, neither]], exact=exact, correction=True)
    return ("mcnemar_exact" if exact else "mcnemar_chi2"), float(result.statistic), float(
        result.pvalue)


def paired_proportion_interval(adopted: int, dropped: int, n: int, confidence: float = 0.95):
    """Wald interval of the change in a paired proportion, (adopted - dropped) / n."""
    from scipy.stats import norm

    if n == 0:
        return math.nan, math.nan
    change = (adopted - dropped) / n
    spread = math.sqrt(max(adopted + dropped - (adopted - dropped) ** 2 / n, 0)) / n
    z = norm.ppf(0.5 + confidence / 2)
    return max(change - z * spread, -1.0), min(change + z * spread, 1.0)


def _adoption_tests(pairs, indicators, labels) -> pd.DataFrame:
    rows = []
    for indicator in indicators:
        both_waves = pairs[[f"{indicator.id}_earlier", f"{indicator.id}_later"]].dropna()
        before = both_waves.iloc[:, 0].to_numpy() == 1
        after = both_waves.iloc[:, 1].to_numpy() == 1
        cells = {"both": int((before & after).sum()), "adopted": int((~before & after).sum()),
                 "dropped": int((before & ~after).sum()), "neither": int((~before & ~after).sum())}
        n = len(both_waves)
        test, statistic, p_value = mcnemar_test(cells["both"], cells["dropped"],
                                                cells["adopted"], cells["neither"])
        low, high = paired_proportion_interval(cells["adopted"], cells["dropped"], n)
        rows.append({
            "indicator": indicator.id, "question": indicator.question,
            "category": indicator.category, "label": labels[indicator.id], "n_pairs": n,
            **cells,
            "share_earlier": before.mean() if n else math.nan,
            "share_later": after.mean() if n else math.nan,
            "change": (cells["adopted"] - cells["dropped"]) / n if n else math.nan,
            "change_ci_low": low, "change_ci_high": high,
            "test": test, "statistic": statistic, "p_value": p_value,
        })
    return pd.DataFrame(rows)


def _score_tests(pairs, measures) -> pd.DataFrame:
    from scipy import stats

    rows = []
    for measure in measures:
        both = pairs[[f"{measure}_earlier", f"{measure}_later"]].dropna()
        before, after = both.iloc[:, 0].to_numpy(float), both.iloc[:, 1].to_numpy(float)
        change = after - before
        row = {"measure": measure, "n_pairs": len(both),
               "mean_earlier": before.mean() if len(both) else math.nan,
               "mean_later": after.mean() if len(both) else math.nan,
               "mean_change": change.mean() if len(both) else math.nan,
               "ci_low": math.nan, "ci_high": math.nan, "t_statistic": math.nan,
               "t_p_value": math.nan,
               "median_change": float(np.median(change)) if len(both) else math.nan,
               "wilcoxon_statistic": math.nan, "wilcoxon_p_value": math.nan, "note": ""}
        if len(both) < MIN_PAIRS:
            row["note"] = f"fewer than {MIN_PAIRS} firms with a score in both waves"
        elif not np.any(change):
            row["note"] = "no firm's score changed"
        else:
            t_test = stats.ttest_rel(after, before)
            interval = t_test.confidence_interval(0.95)
            wilcoxon = stats.wilcoxon(after, before)
            row |= {"ci_low": float(interval.low), "ci_high": float(interval.high),
                    "t_statistic": float(t_test.statistic), "t_p_value": float(t_test.pvalue),
                    "wilcoxon_statistic": float(wilcoxon.statistic),
                    "wilcoxon_p_value": float(wilcoxon.pvalue)}
        rows.append(row)
    return pd.DataFrame(rows)


def mean_interval(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and its t interval; NaN bounds for fewer than two values."""
    from scipy import stats

    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return math.nan, math.nan, math.nan
    mean = float(values.mean())
    if len(values) < 2:
        return mean, math.nan, math.nan
    half = stats.t.ppf(0.5 + confidence / 2, len(values) - 1) * values.std(ddof=1) / math.sqrt(
        len(values))
    return mean, mean - half, mean + half


def _change_by_group(pairs, measures) -> pd.DataFrame:
    rows = []
    for by in GROUPINGS:
        groups = pairs[f"{by}_earlier"]
        if groups.isna().all():
            continue
        for group in pd.unique(groups.dropna()):
            members = pairs[groups == group]
            for measure in measures:
                change = (members[f"{measure}_later"] - members[f"{measure}_earlier"]).dropna()
                mean, low, high = mean_interval(change)
                rows.append({"by": by, "group": group, "measure": measure, "n": len(change),
                             "mean_change": mean, "ci_low": low, "ci_high": high})
    table = pd.DataFrame(rows, columns=["by", "group", "measure", "n", "mean_change", "ci_low",
                                        "ci_high"])
    return table.sort_values(["by", "measure", "group"], kind="stable", ignore_index=True)


def _size_change(pairs, measures) -> pd.DataFrame:
    import statsmodels.api as sm

    rows = []
    employees = pd.to_numeric(pairs["employees_2019_earlier"], errors="coerce")
    for measure in measures:
        frame = pd.DataFrame({
            "change": pairs[f"{measure}_later"] - pairs[f"{measure}_earlier"],
            "log_employees": np.log(employees.where(employees > 0)),
            "earlier_score": pairs[f"{measure}_earlier"],
        }).dropna()
        for model, terms in (("size", ["log_employees"]),
                             ("size_and_baseline", ["log_employees", "earlier_score"])):
            if len(frame) <= len(terms) + 2 or frame["log_employees"].nunique() < 2:
                continue
            if frame["change"].nunique() < 2:
                rows.append({"measure": measure, "model": model, "n": len(frame),
                             "note": "no firm's score changed"})
                continue
            fitted = sm.OLS(frame["change"], sm.add_constant(frame[terms])).fit(cov_type="HC1")
            interval = fitted.conf_int()
            for term in terms:
                rows.append({"measure": measure, "model": model, "term": term,
                             "coef": fitted.params[term], "std_err": fitted.bse[term],
                             "p_value": fitted.pvalues[term], "ci_low": interval.loc[term, 0],
                             "ci_high": interval.loc[term, 1], "n": int(fitted.nobs),
                             "r_squared": fitted.rsquared, "note": ""})
    return pd.DataFrame(rows, columns=SIZE_CHANGE_COLUMNS)


def _attrition(per_wave, links) -> pd.DataFrame:
    from dmsurvey.analysis.breakdowns import crosstab_test

    parts = []
    for wave, only in (("earlier", "earlier_only"), ("later", "later_only")):
        frame = per_wave[wave]
        status = np.where(frame["response_id"].isin(links[f"{wave}_id"]), "panel", only)
        data = pd.DataFrame({"status": pd.Categorical(status, categories=["panel", only]),
                             "size_class": frame["size_class"], "industry": frame["industry"]})
        for by in GROUPINGS:
            if data[by].isna().all():
                continue
            data[by] = data[by].astype("object")
            cells = crosstab_test(data, "status", by=by)
            cells.insert(0, "wave", wave)
            parts.append(cells.rename(columns={"item": "status"}).drop(columns=["question"]))
    if not parts:
        return pd.DataFrame()
    table = pd.concat(parts, ignore_index=True)
    return table[["wave", "by", "group", "status", "count", "n", "share", "test", "statistic",
                  "df", "p_value", "note"]]


def _cross_sections(per_wave, links, measures, indicators, labels) -> pd.DataFrame:
    from dmsurvey.analysis.shares import wilson_interval

    rows = []
    for wave in WAVES:
        frame = per_wave[wave]
        in_panel = frame["response_id"].isin(links[f"{wave}_id"])
        for sample, members in (("all", frame), ("panel", frame[in_panel])):
            for measure in measures:
                values = members[measure].dropna()
                mean, low, high = mean_interval(values)
                rows.append({"wave": wave, "sample": sample, "kind": "score", "item": measure,
                             "label": labels[measure], "n": len(values), "count": math.nan,
                             "value": mean, "ci_low": low, "ci_high": high})
            for indicator in indicators:
                values = members[indicator.id].dropna()
                count = int(values.sum())
                low, high = wilson_interval(count, len(values))
                rows.append({"wave": wave, "sample": sample, "kind": "adoption",
                             "item": indicator.id, "label": labels[indicator.id],
                             "n": len(values), "count": count,
                             "value": count / len(values) if len(values) else math.nan,
                             "ci_low": float(low), "ci_high": float(high)})
    return pd.DataFrame(rows)


def wave_name(responses: pd.DataFrame, default: str) -> str:
    """What to call a wave: the year most of its responses were submitted, else `default`."""
    if "submitted_at" not in responses:
        return default
    years = pd.Series(responses["submitted_at"], dtype="object").dropna().astype(str).str[:4]
    years = years[years.str.fullmatch(r"\d{4}")]
    return str(years.mode().iloc[0]) if len(years) else default


def compare_studies(earlier_path, later_path, output, *, links=None,
                    language: str = "en") -> tuple[list, int]:
    """`compare_waves` on two study folders, written to `output` (tables/ and charts/).

    `links`: a links file (only key matches and confirmed proposals count). Returns the
    files written and the number of firms in both waves.
    """
    from pathlib import Path

    from dmsurvey.analysis.outputs import write_tables
    from dmsurvey.reporting.panel_charts import panel_charts
    from dmsurvey.store.linking import confirmed_links
    from dmsurvey.store.study import open_study
    from dmsurvey.wording import NO_RESPONSES

    studies = [open_study(earlier_path), open_study(later_path)]
    responses = [study.responses() for study in studies]
    for study, frame in zip(studies, responses, strict=True):
        if frame.empty:
            raise AnalysisError(f"{study.path}: {NO_RESPONSES}")
    pairs = confirmed_links(links) if links is not None else None
    tables = compare_waves(*responses, earlier_questionnaire=studies[0].questionnaire,
                           later_questionnaire=studies[1].questionnaire, links=pairs,
                           language=language)
    waves = (wave_name(responses[0], "earlier"), wave_name(responses[1], "later"))
    written = write_tables(tables, output)
    charts = Path(output) / "charts"
    panel_charts(tables, studies[1].questionnaire, responses[1], charts, waves=waves,
                 language=language)
    written += sorted(charts.iterdir())
    return written, len(tables["firm_changes"])
