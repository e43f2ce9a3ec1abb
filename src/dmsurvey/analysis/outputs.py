"""Writing the analysis tables to a folder, and the short views a terminal shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dmsurvey.analysis.tidy import to_latex, to_markdown
from dmsurvey.questionnaire.model import Questionnaire
from dmsurvey.wording import plural

SIZE_GROUP_NAMES = {"size_class": "employees", "revenue_2019_band": "revenue",
                    "assets_2019_band": "assets"}


@dataclass(frozen=True)
class AnalysisRun:
    """What `analyze` computed and wrote: the tables by name, the files written and the
    analyses skipped (one sentence each, saying why)."""

    tables: dict[str, pd.DataFrame]
    written: list[Path]
    skipped: list[str]


def analyze(
    source: str | Path,
    output: str | Path,
    *,
    questionnaire: str | Path | Questionnaire | None = None,
    weights: str | Path | None = None,
    language: str = "en",
    on_step: Callable[[str], None] | None = None,
) -> AnalysisRun:
    """Run every analysis on a study folder or response file and write the tables as
    `output/tables/<name>.csv`, plus the regressions as Markdown and LaTeX; labels in
    `language`."""
    from dmsurvey.analysis import run_all, size_skip_reason
    from dmsurvey.analysis.inputs import load_responses

    responses, model = load_responses(source, questionnaire)
    design = study_design(source, responses)
    tables = run_all(responses, model, None if design is not None else weights,
                     language=language, on_step=on_step, design=design)
    written = write_tables(tables, output)
    skipped = [reason for reason in (size_skip_reason(model),) if reason]
    return AnalysisRun(tables, written, skipped)


def study_design(source: str | Path, responses: pd.DataFrame):
    """The `SurveyDesign` of a study folder's responses, or None (a file, or a study that
    has no design recorded)."""
    if not Path(source).is_dir():
        return None
    from dmsurvey.sampling.record import load_design, respondent_design

    recorded = load_design(source)
    return None if recorded is None else respondent_design(responses, *recorded)


BASIS_TEXTS = {
    "design-based": {
        "en": "Estimates: design-based ({firms} firms in {strata} strata, weights summing to "
              "{total:,.0f}).",
        "zh": "估计方法：基于抽样设计（{firms}家企业，{strata}个层，权重合计{total:,.0f}）。"},
    "weighted": {
        "en": "Estimates: weighted (post-stratification; intervals at Kish's effective n).",
        "zh": "估计方法：加权（事后分层；区间按Kish有效样本量计算）。"},
    "unweighted": {
        "en": "Estimates: unweighted (the study has no survey design).",
        "zh": "估计方法：未加权（本调查未记录抽样设计）。"},
}


def basis_line(tables: dict[str, pd.DataFrame], language: str = "en") -> str:
    """One sentence saying what the estimates rest on, from the `analysis_basis` table
    (unweighted when there is none)."""
    from dmsurvey.wording import translated

    basis = tables.get("analysis_basis")
    if basis is None or not len(basis):
        return translated(BASIS_TEXTS, "unweighted", language)
    row = basis.iloc[0]
    if row["basis"] == "design-based":
        return translated(BASIS_TEXTS, "design-based", language, firms=int(row["firms"]),
                          strata=int(row["strata"]), total=float(row["weight_total"]))
    return translated(BASIS_TEXTS, "weighted", language)


def write_tables(tables: dict[str, pd.DataFrame], output: str | Path) -> list[Path]:
    """Each table that has rows as `output/tables/<name>.csv` (UTF-8, no index); the size
    regressions also as `size_regressions.md` and `size_regressions.tex`. Returns the paths
    written."""
    folder = Path(output) / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    tables = {name: table for name, table in tables.items() if len(table)}
    for name, table in tables.items():
        path = folder / f"{name}.csv"
        table.to_csv(path, index=False)
        written.append(path)
    if "size_regressions" in tables:
        brief = regression_view(tables["size_regressions"])
        for suffix, render in ((".md", to_markdown), (".tex", to_latex)):
            path = folder / f"size_regressions{suffix}"
            path.write_text(render(brief), encoding="utf-8")
            written.append(path)
    return written


def regression_view(table: pd.DataFrame) -> pd.DataFrame:
    """The columns a paper's table needs: coefficient, error, p-value, AME, n, note."""
    columns = ["outcome", "size_measure", "model", "n", "coef", "std_err", "p_value", "ame",
               "note"]
    return table[columns].reset_index(drop=True)


def p_text(p_value: float) -> str:
    """A p-value as a table prints it: `p=0.046`, or `p<0.001` (never `p=0.000`)."""
    if pd.isna(p_value):
        return ""
    return "p<0.001" if p_value < 0.001 else f"p={p_value:.3f}"


def regression_reason(row) -> str:
    """Why a regression row has no estimate, in a few words (`too few events: 1 firm`)."""
    from dmsurvey.analysis.regressions import MIN_EVENTS

    note = str(row.note) if pd.notna(row.note) else ""
    if note.startswith("too few events") and pd.notna(row.events):
        events, n = int(row.events), int(row.n)
        if n < 2 * MIN_EVENTS:
            return f"too few firms for regressions (n = {n})"
        if events <= n - events:
            return f"too few events: {plural(events, 'firm')}"
        return f"too few non-events: {plural(n - events, 'firm')}"
    return note.split(":")[0] or "not estimated"


def regression_summary(table: pd.DataFrame, model: str = "logit") -> pd.DataFrame:
    """One row per outcome, one column per size measure: `coef (p=...)` of `model`, or
    the reason it has no estimate."""
    rows = table[table["model"] == model]
    cells = [
        f"{row.coef:+.2f} ({p_text(row.p_value)})" if pd.notna(row.coef)
        else regression_reason(row)
        for row in rows.itertuples()
    ]
    wide = rows.assign(cell=cells).pivot(index="outcome", columns="size_measure",
                                         values="cell")
    wide = wide.reindex(index=list(dict.fromkeys(rows["outcome"])),
                        columns=list(dict.fromkeys(rows["size_measure"])))
    wide.columns = [column.removesuffix("_2019") for column in wide.columns]
    return wide.reset_index()


def trend_reason(rows: pd.DataFrame) -> str:
    """Why the trend test of one outcome and grouping has no statistic (the rows of
    `size_gradients` for that pair), or "" where it has one."""
    if pd.notna(rows["trend_z"].iloc[0]):
        return ""
    if len(rows) < 2:
        return "fewer than two groups with firms"
    if rows["count"].sum() == 0:
        return "no firm has the outcome"
    if (rows["count"] == rows["n"]).all():
        return "every firm has the outcome"
    return "no variation to test"


def gradient_view(table: pd.DataFrame) -> pd.DataFrame:
    """One row per outcome, one column per size grouping: the trend test's
    `z (p=...)`, or why there is none."""
    if table.empty:
        return table
    pairs = table.groupby(["outcome", "by"], sort=False)
    cells = pd.DataFrame([
        {"outcome": outcome, "by": by,
         "cell": f"{rows['trend_z'].iloc[0]:+.2f} ({p_text(rows['trend_p_value'].iloc[0])})"
         if pd.notna(rows["trend_z"].iloc[0]) else trend_reason(rows)}
        for (outcome, by), rows in pairs
    ])
    wide = cells.pivot(index="outcome", columns="by", values="cell")
    wide = wide.reindex(index=list(dict.fromkeys(cells["outcome"])),
                        columns=list(dict.fromkeys(cells["by"])))
    wide.columns = [SIZE_GROUP_NAMES.get(column, column) for column in wide.columns]
    return wide.reset_index()


def share_lines(table: pd.DataFrame) -> list[str]:
    """The `shares` table in one line per question, for a terminal:
    `sector (n = 31): Manufacturing 51.6%, Retail 19.4%`."""
    lines = []
    for question, rows in table.groupby("question", sort=False):
        answered = int(rows["n"].max())
        parts = ", ".join(f"{label} {100 * share:.1f}%" if pd.notna(share) else f"{label} –"
                          for label, share in zip(rows["label"], rows["share"], strict=True))
        lines.append(f"{question} (n = {answered}): {parts}")
    return lines
