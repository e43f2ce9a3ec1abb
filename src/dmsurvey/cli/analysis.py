"""Commands: score, shares, analyze."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dmsurvey.cli._common import QuestionnaireOption, Source

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(rich_markup_mode="markdown")

Engine = Annotated[
    str,
    typer.Option("--engine", help="pandas (batches, any size on one machine) or dask "
                                  "(a local cluster, or the one at --scheduler)."),
]
Scheduler = Annotated[
    str | None,
    typer.Option("--scheduler", metavar="ADDRESS",
                 help="Dask scheduler to use with --engine dask, e.g. tcp://10.0.0.5:8786."),
]


@app.command()
def score(
    source: Source,
    questionnaire: QuestionnaireOption = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Scores file to write: .csv or .parquet.")
    ] = Path("scores.csv"),
    engine: Engine = "pandas",
    scheduler: Scheduler = None,
) -> None:
    """Score every firm's digital maturity: dimensions, composite and level.

    The rules come from the questionnaire's scoring block (see docs/methodology.md).
    A CSV file holds scores rounded to 2 decimals; Parquet keeps full precision.
    Parquet files and folders of Parquet parts are scored in batches, so they may be
    larger than memory, or on a Dask cluster with --engine dask.

    Example: **dmsurvey score my-study -o scores.parquet**

    Example: **dmsurvey score national/ --engine dask -o scores.parquet**
    """
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from dmsurvey.datasets import score_file

    console = Console(stderr=True)
    # Only on a terminal, and on stderr: elsewhere the finished bar leaves a blank line.
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), transient=True,
                  console=console, disable=not console.is_terminal) as bar:
        task = bar.add_task("Scoring firms", total=None)
        count = score_file(source, output, questionnaire, engine=engine, scheduler=scheduler,
                           on_batch=lambda rows: bar.advance(task, rows))
    from dmsurvey.wording import plural

    Console().print(f"Scored {plural(count, 'firm')} -> {output}")


@app.command()
def shares(
    source: Source,
    question: Annotated[str, typer.Argument(help="A select question's id, e.g. tech_used.")],
    questionnaire: QuestionnaireOption = None,
    by: Annotated[
        list[str] | None,
        typer.Option("--by", help="Break down by this column (repeat for several)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write the table as CSV.")
    ] = None,
    language: Annotated[
        str, typer.Option("--lang", help="Language of the table: en or zh.")
    ] = "en",
    engine: Engine = "pandas",
    scheduler: Scheduler = None,
) -> None:
    """Share of firms choosing each option of a question, with 95% Wilson intervals.

    Also says how many firms answered the question and how many did not. Works on a
    study, a response file, or a Parquet dataset of any size (in batches, or on a Dask
    cluster with --engine dask). Groups the analyses derive (size_class, level,
    revenue_2019_band, assets_2019_band) may be used with --by. A study with a survey
    design (dmsurvey design) gets design-based shares and logit intervals. A question of a
    repeat section (household members, plots) is tabulated over its instances, and the
    table says over how many instances in how many responses.

    Example: **dmsurvey shares my-study tech_used --by industry**

    Example: **dmsurvey shares my-study online_procurement_share --by size_class**
    """
    from rich.console import Console

    from dmsurvey.analysis.shares import answered_line
    from dmsurvey.datasets import shares_with_view
    from dmsurvey.reporting.texts import text

    table, view, firms = shares_with_view(source, question, questionnaire, by=by or None,
                                   language=language, engine=engine, scheduler=scheduler)
    if output:
        table.to_csv(output, index=False)
    view = view.rename(columns={column: text(f"terminal:{column}", language, default=column)
                                for column in view.columns})
    console = Console()
    console.print(_rich_table(view, text("terminal:share_title", language, question=question),
                              whole_first_column=False))
    if not by:
        console.print(answered_line(table, firms, language), highlight=False)
    if "over" in table.attrs:
        over = table.attrs["over"]
        console.print(f"{over[:1].upper()}{over[1:]}; unweighted, each instance counts once.",
                      highlight=False)
    elif "std_err" in table.columns:
        console.print("Design-based estimates with logit intervals (the study's survey "
                      "design).", highlight=False)
    elif source.is_dir():
        console.print("Unweighted: the study has no survey design.", highlight=False)


@app.command()
def analyze(
    source: Source,
    questionnaire: QuestionnaireOption = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for tables/*.csv.")
    ] = Path("analysis"),
    weights: Annotated[
        Path | None,
        typer.Option("--weights", metavar="MARGINS.csv",
                     help="Population counts to post-stratify on (variable,category,"
                          "population or one column per variable plus population)."),
    ] = None,
    language: Annotated[
        str, typer.Option("--lang", help="Language of the labels in the tables: en or zh.")
    ] = "en",
) -> None:
    """Run every analysis and write each table as a CSV under OUTPUT/tables/.

    Scores, reliability, shares, size regressions and gradients, obstacle and policy
    breakdowns; the regressions also as Markdown and LaTeX. Prints the shares of every
    select question and the key tables. Without employees_2019, revenue_2019 or assets_2019 in the
    questionnaire the size analyses are skipped, with a note saying so.

    Example: **dmsurvey analyze my-study -o results --weights zone_firms.csv**
    """
    from rich.console import Console

    from dmsurvey.analysis.outputs import analyze as run_analysis
    from dmsurvey.analysis.outputs import (
        basis_line,
        gradient_view,
        regression_summary,
        share_lines,
    )
    from dmsurvey.reporting.texts import text
    from dmsurvey.wording import plural

    console = Console()
    with console.status("Analysing") as status:
        run = run_analysis(source, output, questionnaire=questionnaire, weights=weights,
                           language=language,
                           on_step=lambda name: status.update(f"Analysing: {name}"))
    tables = run.tables
    # The shares first: the longest part, so the key tables below stay on screen.
    if len(tables.get("shares", ())):
        console.print(text("terminal:shares", language), style="bold", highlight=False)
        for line in share_lines(tables["shares"]):
            console.print(line, highlight=False, markup=False)
    if len(tables.get("size_regressions", ())):
        console.print(_rich_table(regression_summary(tables["size_regressions"]),
                                  text("terminal:regressions", language)))
    if len(tables.get("size_gradients", ())):
        console.print(_rich_table(gradient_view(tables["size_gradients"]),
                                  text("terminal:gradients", language)))
    if "reliability" in tables:
        console.print(_rich_table(tables["reliability"], text("terminal:reliability", language)))
    for reason in run.skipped:
        console.print(reason, highlight=False)
    console.print(basis_line(tables, language), highlight=False)
    console.print(text("terminal:written", language, files=plural(len(run.written), "file"),
                       count=len(run.written), folder=output / "tables"), highlight=False)


def _rich_table(frame: pd.DataFrame, title: str, *, whole_first_column: bool = True):
    """`frame` as a rich table; the first column (ids) stays on one line unless it holds
    labels, which may wrap like the rest."""
    from rich.table import Table

    table = Table(title=title, title_justify="left", header_style="bold")
    numeric = {column: frame[column].dtype.kind == "f" for column in frame.columns}
    for position, column in enumerate(frame.columns):
        # Long labels wrap (fold) rather than being cut off with an ellipsis.
        table.add_column(str(column), justify="right" if numeric[column] else "left",
                         no_wrap=whole_first_column and position == 0, overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*(_cell(value, numeric[column])
                        for value, column in zip(row, frame.columns, strict=True)))
    return table


def _cell(value, is_float: bool) -> str:
    from pandas import isna

    if isna(value):
        return ""
    return f"{value:.3f}" if is_float else str(value)
