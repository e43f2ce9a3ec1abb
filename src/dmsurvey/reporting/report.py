"""The report folder: one self-contained HTML report, its charts, tables and summary.json.

    >>> write_report(study.responses(), study.questionnaire, "reports/2020", language="zh")

Layout (**contract**, see the design notes):

    OUT/report.html        self-contained (images embedded), opens offline, prints well
    OUT/charts/<stem>.*    the six summary charts: PNG, SVG, CSV
    OUT/figures/<name>.*   the other figures: PNG, SVG, CSV
    OUT/tables/*.csv       scores, regressions, breakdowns (from `dmsurvey.analysis`)
    OUT/summary.json       headline figures and the tables, machine-readable
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dmsurvey.reporting.charts import (
    CHART_STEMS,
    available_charts,
    chart_base,
    load_references,
    question_caption,
    question_charts,
    reference_comparison,
    save_figure,
    study_charts,
    summary_charts,
)
from dmsurvey.reporting.pages import render_template
from dmsurvey.reporting.tables import html_table
from dmsurvey.reporting.texts import TEXTS, text
from dmsurvey.wording import plural

if TYPE_CHECKING:
    import pandas as pd

    from dmsurvey.questionnaire.model import Questionnaire
    from dmsurvey.reporting.change import PreviousWave

REPORT_FILE = "report.html"
SUMMARY_FILE = "summary.json"
SIZE_CAPTIONS = ("employees_2019", "revenue_2019", "assets_2019")
QUALITY_ROWS_SHOWN = 50
# Below this many firms the size regressions are not shown (every model lacks events).
MIN_FIRMS_FOR_REGRESSIONS = 10


@dataclass(frozen=True)
class Image:
    """A figure ready for the page: title, embedded SVG, the table it plots."""

    name: str
    title: str
    data_uri: str
    table_html: str


def write_report(
    responses: pd.DataFrame,
    questionnaire: Questionnaire,
    out_dir: str | Path,
    *,
    language: str = "en",
    study_name: str | None = None,
    quality: pd.DataFrame | None = None,
    references: pd.DataFrame | None = None,
    progress: Callable[[str], None] | None = None,
    design: tuple[pd.DataFrame, Any] | None = None,
    previous: PreviousWave | None = None,
    instances: dict[str, pd.DataFrame] | None = None,
) -> Path:
    """Write the whole report folder for `responses` in `language`; return report.html.

    `design` is the study's draw and design spec (`dmsurvey.sampling.record.load_design`):
    with it every table is design-based and the report has a "Sample and weights" section
    that shows the design; without it the section says the figures are unweighted.

    `quality` is the store's data-quality issues (`dmsurvey.store.quality`, one row per
    issue) to list in the report; None says no checks were run. With `previous` (an
    earlier wave of the same firms) the report adds a "What changed" section, its charts
    and its tables (`dmsurvey.reporting.change`).
    `progress(step)` is called as each part is done. `instances`: per repeat section, the
    instances of these responses (`dmsurvey.store.instances.instance_frames`), whose select
    questions "Results by question" tabulates over the instances.
    """
    from dmsurvey import __version__
    from dmsurvey.analysis import run_all
    from dmsurvey.analysis._answers import require_responses
    from dmsurvey.analysis.outputs import write_tables
    from dmsurvey.reporting.figures import other_figures
    from dmsurvey.reporting.summary import executive_summary
    from dmsurvey.reporting.theme import chart_theme

    require_responses(responses)
    step = progress or (lambda name: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    lang = questionnaire.label_language(language)
    source = questionnaire.title.in_language(lang)
    references = load_references() if references is None else references

    from dmsurvey.reporting.design_section import design_based_charts, sample_and_weights
    from dmsurvey.sampling.record import respondent_design

    survey_design = None if design is None else respondent_design(responses, *design)
    tables = run_all(responses, questionnaire, language=language, design=survey_design)
    step("analysis")
    charts = summary_charts(responses, questionnaire, out / "charts", language=language,
                            source=source, references=references)
    # Without the summary charts' questions, every select question gets its own chart.
    by_question = {} if charts else question_charts(
        responses, questionnaire, out / "charts", language=language, source=source)
    over = {} if charts else _instance_charts(instances or {}, questionnaire, out / "charts",
                                              language, source, by_question)
    step("charts")
    comparison_table = None
    if "02_online_procurement_sales" in charts:
        comparison_table = reference_comparison(charts["02_online_procurement_sales"],
                                                references, language=language)
        tables["reference_comparison"] = comparison_table
    write_tables(tables, out)
    step("tables")

    with chart_theme(language):
        figures = other_figures(responses, questionnaire, language=language, source=source,
                                scores=tables.get("scores"))
        figure_images = {}
        for figure in figures:
            svg = save_figure(figure.figure, out / "figures", figure.name)[1]
            figure.table.to_csv(out / "figures" / f"{figure.name}.csv", index=False)
            figure_images[figure.name] = Image(figure.name, figure.title, _svg_data_uri(svg),
                                               html_table(figure.table, language,
                                                          questionnaire=questionnaire))
    step("figures")

    change = None if previous is None else _change(responses, questionnaire, previous, out,
                                                   language)
    headline_charts = charts if survey_design is None else design_based_charts(
        charts, responses, questionnaire, survey_design)
    headlines = executive_summary(responses, questionnaire, language=language,
                                  charts=headline_charts, tables=tables, design=survey_design)
    chart_images = [
        Image(chart.stem, text(chart.stem, language),
              _svg_data_uri(out / "charts" / f"{chart.stem}.svg"),
              html_table(charts[chart.stem], language, questionnaire=questionnaire))
        for chart in available_charts(questionnaire)
    ]
    question_images = [
        Image(stem, _with_base(question_caption(over.get(stem, (questionnaire,))[0],
                                                table["series"].iloc[0], language),
                               over.get(stem, (None, ""))[1]),
              _svg_data_uri(out / "charts" / f"{stem}.svg"),
              # The caption names the question, so the table need not on every row.
              html_table(table.drop(columns="series"), language, questionnaire=questionnaire))
        for stem, table in by_question.items()
    ]
    context = {
        "lang": language,
        "t": lambda key, **values: text(key, language, **values),
        # The title speaks of digital maturity only where the report has its charts.
        "title": text("report_title", language) if charts else source,
        "subtitle": source if charts else text("results_subtitle", language),
        "study_name": study_name or "",
        "generated": text("generated", language, version=__version__,
                          date=dt.date.today().isoformat(), n=len(responses),
                          responses=plural(len(responses), "response")),
        "headlines": headlines,
        "overview": list(sample_overview(responses, questionnaire, language)
                         .itertuples(index=False, name=None)),
        "show_study_name": _informative(study_name, questionnaire),
        "n_firms": len(responses),
        "n_manufacturers": _manufacturers(responses),
        "charts": chart_images,
        "question_results": question_images,
        "media_note": _media_note(questionnaire, language),
        "skipped_charts": [stem for stem in CHART_STEMS if stem not in charts] if charts
        else [],
        "figures": figure_images,
        "maturity": _maturity_tables(tables, questionnaire, language),
        "regressions": _regression_tables(tables, questionnaire, language),
        "breakdowns": _breakdown_tables(tables, questionnaire, language),
        "quality": None if quality is None else _quality_tables(quality, questionnaire,
                                                                language),
        "methodology": _methodology(questionnaire, language, charts=charts, tables=tables),
        "sample_design": sample_and_weights(responses, questionnaire, design, survey_design,
                                            language),
        "reference_sources": sorted(set(references["source"])) if comparison_table is not None
        else [],
        "change": change,
    }
    html = render_template("report.html.j2", context)
    path = out / REPORT_FILE
    path.write_text(html, encoding="utf-8")
    summary = {
        "title": context["title"],
        "study": study_name or questionnaire.name,
        "questionnaire": {"name": questionnaire.name, "version": questionnaire.version},
        "language": language,
        "generated_by": f"dmsurvey {__version__}",
        "n_firms": len(responses),
        "headlines": [{"id": h.id, "text": h.text, "figures": h.figures} for h in headlines],
        "charts": {stem: _records(table) for stem, table in (charts | by_question).items()},
        "tables": {name: _records(table) for name, table in tables.items()},
    }
    if change is not None:
        summary["change"] = [{"id": h.id, "text": h.text, "figures": h.figures}
                             for h in change["headlines"]]
    (out / SUMMARY_FILE).write_text(
        json.dumps(_json_safe(summary), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    step("report")
    return path


def report_study(
    source: str | Path,
    out_dir: str | Path | None = None,
    *,
    questionnaire: str | Path | None = None,
    language: str = "en",
    progress: Callable[[str], None] | None = None,
    previous: str | Path | None = None,
    links: str | Path | None = None,
) -> Path:
    """The report of a study folder (or a response file with its questionnaire).

    `out_dir` defaults to the study's reports folder (`<study>/reports/report-<lang>`).
    `previous`: the study folder of an earlier wave to compare with; `links`: the links
    file of `dmsurvey link` (without it, firms are paired by firm key).
    """
    from dmsurvey.analysis.inputs import load_responses
    from dmsurvey.sampling.record import load_design

    responses, model = load_responses(source, questionnaire)
    path = Path(source)
    if out_dir is None:
        out_dir = _default_out(path, f"report-{language}")
    instances = None
    if path.is_dir() and model.repeats:
        from dmsurvey.store.instances import instance_frames
        from dmsurvey.store.study import open_study

        instances = instance_frames(open_study(path), responses["response_id"].tolist())
    return write_report(responses, model, out_dir, language=language,
                        study_name=path.name, instances=instances,
                        quality=data_quality(path, responses, model, language),
                        progress=progress,
                        design=load_design(path) if path.is_dir() else None,
                        previous=previous_wave(previous, links))


def previous_wave(previous: str | Path | None, links: str | Path | None = None):
    """The earlier wave of a study folder, with the confirmed links of a links file."""
    if previous is None:
        return None
    from dmsurvey.reporting.change import PreviousWave
    from dmsurvey.store.linking import confirmed_links
    from dmsurvey.store.study import open_study

    study = open_study(previous)
    return PreviousWave(study.responses(), study.questionnaire,
                        None if links is None else confirmed_links(links))


def _change(responses, questionnaire, previous, out: Path, language: str) -> dict:
    """The "What changed" section: charts and tables written, the template's context."""
    from dmsurvey.analysis.outputs import write_tables
    from dmsurvey.reporting.change import change_section, change_text

    section = change_section(responses, questionnaire, previous, out, language=language)
    write_tables(section.tables, out)
    earlier, later = section.waves
    images = [Image(stem, text(stem, language, earlier=earlier, later=later),
                    _svg_data_uri(out / "charts" / f"{stem}.svg"),
                    html_table(table, language, questionnaire=questionnaire))
              for stem, table in section.charts.items()]
    return {"title": section.title, "intro": section.intro, "headlines": section.headlines,
            "images": images, "not_comparable": section.not_comparable,
            "not_comparable_title": change_text("not_comparable", language)}


def chart_study(
    source: str | Path,
    out_dir: str | Path | None = None,
    *,
    questionnaire: str | Path | None = None,
    language: str = "en",
    progress: Callable[[str], None] | None = None,
) -> tuple[Path, list[str]]:
    """The charts of a study folder (or response file): the six summary charts, or one
    per select question where the questionnaire lacks their questions (`study_charts`).
    Returns the folder and the stems of the charts drawn.

    `out_dir` defaults to the study's reports folder (`<study>/reports/charts-<lang>`).
    """
    from dmsurvey.analysis.inputs import load_responses

    responses, model = load_responses(source, questionnaire)
    out = Path(out_dir) if out_dir is not None else _default_out(Path(source), f"charts-{language}")
    tables = study_charts(responses, model, out, language=language, progress=progress)
    return out, list(tables)


def firm_sheet(
    source: str | Path,
    firm_id: str,
    out_dir: str | Path | None = None,
    *,
    questionnaire: str | Path | None = None,
    language: str = "en",
    previous: str | Path | None = None,
    links: str | Path | None = None,
) -> Path:
    """The feedback page of one firm of a study folder (or response file); with `previous`
    (and `links`) also its change since that earlier wave."""
    from dmsurvey.analysis.inputs import load_responses
    from dmsurvey.reporting.feedback import write_firm_feedback

    responses, model = load_responses(source, questionnaire)
    out = Path(out_dir) if out_dir is not None else _default_out(Path(source), "firms")
    return write_firm_feedback(responses, model, firm_id, out, language=language,
                               previous=previous_wave(previous, links))


def _default_out(source: Path, name: str) -> Path:
    """`name` in the study's reports folder, or beside a response file."""
    if source.is_dir():
        from dmsurvey.store.study import REPORTS_DIR

        return source / REPORTS_DIR / name
    return source.parent / f"{source.stem}-reports" / name


def data_quality(source: Path, responses: pd.DataFrame, questionnaire: Questionnaire,
                 language: str = "en") -> pd.DataFrame:
    """The store's data-quality issues (`dmsurvey.store.quality`): of every response of a
    study folder, or of the responses read from a file; the questionnaire's own messages
    quoted in them are in `language`."""
    from dmsurvey.store import quality

    if source.is_dir():
        return quality.validate_study(source, language=language)
    return quality.quality_issues(responses, questionnaire, language=language)


def _instance_charts(instances: dict[str, pd.DataFrame], questionnaire: Questionnaire,
                     out_dir: Path, language: str, source: str,
                     by_question: dict[str, pd.DataFrame]) -> dict[str, tuple]:
    """Charts of the select questions of repeat sections, over their instances, added to
    `by_question`; returns, per chart, the repeat's own questionnaire and what it is over."""
    from dmsurvey.analysis.shares import instances_line
    from dmsurvey.reporting.charts import chart_questions, question_charts
    from dmsurvey.store.instances import repeat_questionnaire

    over = {}
    for repeat, frame in instances.items():
        asked = repeat_questionnaire(questionnaire, repeat)
        if frame.empty or not chart_questions(asked):
            continue
        tables = question_charts(frame, asked, out_dir, language=language, source=source)
        by_question.update(tables)
        line = instances_line(frame, questionnaire, chart_questions(asked)[0], language)
        over.update({stem: (asked, line) for stem in tables})
    return over


def _with_base(caption: str, over: str) -> str:
    return f"{caption} ({over})" if over else caption


def _media_note(questionnaire: Questionnaire, language: str | None) -> str:
    """Says that photos, recordings and files are not shown, naming their questions
    (those of repeat sections too)."""
    from dmsurvey.questionnaire.model import MEDIA_TYPES

    media = [q.id for q in questionnaire.all_questions if q.type in MEDIA_TYPES]
    return text("media_note", language, questions=", ".join(media)) if media else ""


def _svg_data_uri(path: Path) -> str:
    """An SVG file as a data URI: each image its own document, so ids never collide."""
    encoded = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}"


def sample_overview(
    responses: pd.DataFrame, questionnaire: Questionnaire, language: str
) -> pd.DataFrame:
    """The few facts a reader checks first: firms, how they answered, their size."""
    import pandas as pd

    rows = [(text("firms", language), str(len(responses)))]
    if "source" in responses.columns:
        sources = responses["source"].astype("str").value_counts()
        for source in ("electronic", "paper"):
            rows.append((text(source, language), str(int(sources.get(source, 0)))))
    manufacturers = _manufacturers(responses)
    if manufacturers is not None:
        rows.append((text("manufacturers", language), str(manufacturers)))
    for measure in SIZE_CAPTIONS:
        if measure in responses.columns and measure in questionnaire:
            values = pd.to_numeric(responses[measure], errors="coerce").dropna()
            if values.empty:
                continue
            caption = question_caption(questionnaire, measure, language)
            rows.append((text("median_of", language, caption=caption),
                         quantity(values.median(), questionnaire.question(measure).unit,
                                  language)))
    return pd.DataFrame(rows, columns=[text("fact", language), text("value", language)])


def quantity(value: float, unit, language: str) -> str:
    """A number with its unit as a sentence reads it: 512 of a 万元 unit is "RMB 5.12
    million" in English and "512万元" in Chinese (`money`); 20 persons; 20人."""
    from dmsurvey.analysis.sizes import money

    number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    if unit is None:
        return number
    if unit.get("zh") == "万元":
        return money(value, language)
    label = unit.in_language(language)
    return f"{number}{label}" if language.startswith("zh") else f"{number} {label}"


def _informative(study_name: str | None, questionnaire: Questionnaire) -> bool:
    """Whether the study's folder name says more than the questionnaire's title does."""
    if not study_name:
        return False
    generic = {"study", "data", "survey", "responses", questionnaire.name.lower()}
    return study_name.lower() not in generic


def _manufacturers(responses: pd.DataFrame) -> int | None:
    from dmsurvey.reporting.charts import summary_chart

    chart = summary_chart("03_smart_manufacturing")
    if chart.base[0] not in responses.columns:
        return None
    return len(chart_base(responses, chart))


def _maturity_tables(tables, questionnaire: Questionnaire, language: str) -> dict | None:
    import pandas as pd

    scores = tables.get("scores")
    if scores is None or questionnaire.scoring is None:
        return None
    lang = questionnaire.label_language(language)
    dimensions = [(d.id, d.label.in_language(lang)) for d in questionnaire.scoring.dimensions]
    dimensions.append(("composite", text("composite", language)))
    summary = pd.DataFrame([
        {text("dimension", language): label,
         text("firms_scored", language): int(scores[dimension].notna().sum()),
         text("mean", language): scores[dimension].mean(),
         text("median", language): scores[dimension].median()}
        for dimension, label in dimensions
    ])
    counts = scores["level"].astype("str").value_counts()
    scored = int(scores["level"].notna().sum())
    levels = pd.DataFrame([
        {text("level", language): level.label.in_language(lang),
         text("count", language): int(counts.get(level.id, 0)),
         "share": counts.get(level.id, 0) / scored if scored else float("nan")}
        for level in questionnaire.scoring.levels
    ])
    description = questionnaire.scoring.description
    return {
        "summary": html_table(summary, language),
        "levels": html_table(levels.rename(columns={"share": text("share", language)}),
                             language, percent_columns=(text("share", language),)),
        "reliability": html_table(tables["reliability"], language,
                                  questionnaire=questionnaire, percent_columns=())
        if "reliability" in tables else None,
        "description": description.in_language(lang) if description else "",
    }


def _regression_tables(tables, questionnaire: Questionnaire, language: str) -> dict | None:
    """The plain logits (one row per outcome and size measure, with why a row has no
    estimate) and the trend tests; or only the reason where no model could be fitted."""
    import pandas as pd

    from dmsurvey.analysis.outputs import gradient_view, regression_reason

    regressions = tables.get("size_regressions")
    if regressions is None or regressions.empty:
        return None
    logits = regressions[regressions["model"] == "logit"]
    firms = int(logits["n"].max()) if len(logits) else 0
    if firms < MIN_FIRMS_FOR_REGRESSIONS:
        return {"reason": text("too_few_for_regressions", language, n=firms,
                               minimum=MIN_FIRMS_FOR_REGRESSIONS),
                "logits": None, "gradients": None}
    view = logits[["outcome", "size_measure", "n", "coef", "ci_low", "ci_high",
                   "p_value"]].copy()
    view["note"] = ["" if pd.notna(row.coef) else regression_reason(row)
                    for row in logits.itertuples()]
    gradients = tables.get("size_gradients")
    trend = None
    if gradients is not None and not gradients.empty:
        wide = gradient_view(gradients)
        wide = wide.rename(columns={c: text(f"gradient:{c}", language)
                                    for c in wide.columns if f"gradient:{c}" in TEXTS})
        wide = wide.apply(lambda column: column.map(
            lambda cell: _trend_cell(cell, language)) if column.name != "outcome" else column)
        trend = html_table(wide, language, questionnaire=questionnaire)
    return {
        "reason": "",
        "logits": html_table(view, language, questionnaire=questionnaire, percent_columns=()),
        "gradients": trend,
    }


def _trend_cell(cell: str, language: str) -> str:
    """A trend cell (`+2.00 (p=0.046)`) as it is, or its reason in `language`."""
    from dmsurvey.reporting.texts import translate_note

    if not isinstance(cell, str) or cell.startswith(("+", "-")):
        return cell
    return translate_note(cell, language)


def _quality_tables(issues: pd.DataFrame, questionnaire: Questionnaire, language: str) -> dict:
    """Issues counted by check and severity, and the first of them in full."""
    if issues.empty:
        return {"count": 0, "summary": "", "details": "", "shown": 0}
    summary = (issues.groupby(["check", "severity"], sort=False).size()
               .rename("issues").reset_index())
    shown = issues.head(QUALITY_ROWS_SHOWN)
    return {"count": len(issues), "issues": plural(len(issues), "issue"),
            "summary": html_table(summary, language, questionnaire=questionnaire),
            "details": html_table(shown, language, questionnaire=questionnaire),
            "shown": len(shown), "all_shown": len(shown) == len(issues)}


def _breakdown_tables(tables, questionnaire: Questionnaire,
                      language: str) -> list[dict[str, str]]:
    """Title and either a table with one line per test (question by grouping) of the
    obstacle and the policy breakdowns, or one sentence when no test could be run."""
    shown = []
    for name in ("obstacle_breakdowns", "policy_breakdowns"):
        table = tables.get(name)
        if table is None or table.empty:
            continue
        tests = table.drop_duplicates(["question", "by"])[
            ["question", "by", "test", "statistic", "df", "p_value", "note"]
        ]
        entry = {"title": text(f"title:{name}", language), "table": "", "sentence": ""}
        if tests["statistic"].isna().all():
            entry["sentence"] = text("breakdowns_untestable", language)
        else:
            entry["table"] = html_table(tests, language, questionnaire=questionnaire,
                                        percent_columns=())
        shown.append(entry)
    return shown


def _methodology(questionnaire: Questionnaire, language: str, *,
                 charts: Mapping[str, pd.DataFrame],
                 tables: Mapping[str, pd.DataFrame]) -> dict:
    """The methodology paragraph, naming only what the report computed, and the scoring
    rules (if any) in brief."""
    lang = questionnaire.label_language(language)
    chinese = language.startswith("zh")
    weight_mark = "（权重{:g}）" if chinese else " (weight {:g})"
    separator = "；" if chinese else "; "
    dimensions = []
    if questionnaire.scoring is not None:
        for dimension in questionnaire.scoring.dimensions:
            items = []
            for item in dimension.items:
                label = (questionnaire.question(item.question).label.in_language(lang)
                         if item.question in questionnaire else item.question)
                items.append(f"{label}{weight_mark.format(item.weight)}")
            dimensions.append({"label": dimension.label.in_language(lang),
                               "weight": weight_mark.format(dimension.weight),
                               "items": separator.join(items)})
    scored = questionnaire.scoring is not None and "scores" in tables
    sentences = [
        "shares",
        "manufacturers" if "03_smart_manufacturing" in charts else None,
        "scoring" if scored else None,
        "regressions" if len(tables.get("size_regressions", ())) else None,
        "formulas_scored" if scored else "formulas",
    ]
    paragraph = ("" if chinese else " ").join(
        text(f"methodology:{sentence}", language) for sentence in sentences if sentence)
    return {"text": paragraph, "dimensions": dimensions}


def _records(table: pd.DataFrame) -> list[dict]:
    return json.loads(table.to_json(orient="records", force_ascii=False, date_format="iso"))


def _json_safe(value: Any) -> Any:
    """numpy scalars and NaN into what JSON holds (NaN becomes null)."""
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
