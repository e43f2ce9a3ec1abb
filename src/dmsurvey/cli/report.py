"""Commands: charts, report, demo."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from dmsurvey.cli._common import QuestionnaireOption, Source

app = typer.Typer(rich_markup_mode="markdown")


class Language(StrEnum):
    en = "en"
    zh = "zh"


LanguageOption = Annotated[
    Language, typer.Option("--lang", help="Language of titles, labels and text.")
]


@contextmanager
def _progress(
    description: str, steps: Sequence[str] | None = None
) -> Iterator[Callable[[str], None]]:
    """A rich progress bar advanced by one for each step name reported (without `steps`,
    a bar of unknown length)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               TextColumn("{task.fields[step]}"))
    console = Console(stderr=True)
    # Only on a terminal, and on stderr: elsewhere the finished bar leaves a blank line.
    with Progress(*columns, transient=True, console=console,
                  disable=not console.is_terminal) as bar:
        task = bar.add_task(description, total=None if steps is None else len(steps),
                            step="")
        yield lambda step: bar.update(task, advance=1, step=step)


@app.command()
def charts(
    source: Source,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o",
                     help="Folder for the charts (default: STUDY/reports/charts-LANG)."),
    ] = None,
    lang: LanguageOption = Language.en,
    questionnaire: QuestionnaireOption = None,
) -> None:
    """Draw the six summary charts: PNG (200 dpi), SVG and the CSV of what each plots.

    A questionnaire without the questions of those charts gets one chart per select
    question instead (files q_QUESTION.png, .svg, .csv).

    Example: **dmsurvey charts my-study -o charts --lang zh**
    """
    from dmsurvey.reporting.report import chart_study
    from dmsurvey.wording import plural

    with _progress("Drawing charts") as step:
        folder, stems = chart_study(source, output, questionnaire=questionnaire,
                                    language=lang.value, progress=step)
    typer.echo(f"{plural(len(stems), 'chart')} written to {folder}: {', '.join(stems)}")


@app.command()
def report(
    source: Source,
    output: Annotated[
        Path | None, typer.Option("--output", "-o",
                                  help="Report folder (default: STUDY/reports/report-LANG).")
    ] = None,
    lang: LanguageOption = Language.en,
    firm: Annotated[
        str | None, typer.Option("--firm", metavar="RESPONSE_ID",
                                 help="Write only the feedback page of this firm "
                                      "(a response id, or its first characters).")
    ] = None,
    questionnaire: QuestionnaireOption = None,
    previous: Annotated[
        Path | None, typer.Option("--previous", metavar="STUDY",
                                  help="An earlier wave of the same firms: adds what changed "
                                       "since then (to the firm page too).")
    ] = None,
    links: Annotated[
        Path | None, typer.Option("--links", help="Links file of **dmsurvey link** with the "
                                                  "proposals you confirmed (with --previous).")
    ] = None,
) -> None:
    """Write the report: one self-contained HTML file, charts, tables and summary.json.

    With --firm, write the firm's feedback page instead: its scores against its peers'
    (shown only where at least 10 peers answered) and what its peers use that it does not.
    With --previous, the report adds a "What changed" section and the firm page the firm's
    scores in both waves beside its peers' change.

    Example: **dmsurvey report my-study -o report --lang zh**

    Example: **dmsurvey report zone-2022 --previous zone-2020 --links links.csv**
    """
    from dmsurvey.reporting.demo import REPORT_STEPS
    from dmsurvey.reporting.report import firm_sheet, report_study

    if firm is not None:
        path = firm_sheet(source, firm, output, questionnaire=questionnaire, language=lang.value,
                          previous=previous, links=links)
        typer.echo(f"Feedback page written to {path}")
        return
    with _progress("Writing the report", REPORT_STEPS) as step:
        path = report_study(source, output, questionnaire=questionnaire, language=lang.value,
                            progress=step, previous=previous, links=links)
    typer.echo(f"Report written to {path}\nOpen it in a browser; it works offline.")


@app.command()
def demo(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for the sample study and its report.")
    ] = Path("reports/demo"),
) -> None:
    """Run the whole pipeline on the bundled sample of 99 firms: study, analysis, report.

    Writes the report in English to OUTPUT and in Chinese to OUTPUT/zh, and the sample as
    问卷星 and 腾讯问卷 export it to OUTPUT/platform-exports (each imports as it is); then
    the 2022 wave of the same zone, its links (OUTPUT/panel/links.csv) and the report of
    what changed since 2020 to OUTPUT/panel and OUTPUT/panel/zh.

    Example: **dmsurvey demo -o reports/demo**
    """
    from dmsurvey.reporting.demo import DEMO_STEPS, build_demo

    with _progress("Building the demo", DEMO_STEPS) as step:
        paths = build_demo(output, progress=step)
    typer.echo(f"Sample study: {paths.study}\n"
               f"Report (English): {paths.report_en}\n"
               f"Report (Chinese): {paths.report_zh}\n"
               f"The sample as platform exports: {paths.platform_exports}\n"
               f"What changed by 2022 (English): {paths.panel_en}\n"
               f"What changed by 2022 (Chinese): {paths.panel_zh}")
