"""Commands: init, import, validate (a study folder and the data that goes into it)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(rich_markup_mode="markdown")

# Beyond this many problems the terminal shows the first ones; a CSV file holds them all.
SHOWN_PROBLEMS = 50

StudyArgument = Annotated[Path, typer.Argument(metavar="STUDY", help="The study folder.")]


class Source(StrEnum):
    paper = "paper"
    electronic = "electronic"


@app.command("init")
def init(
    study: StudyArgument,
    questionnaire: Annotated[
        str,
        typer.Option("--questionnaire", "-q", metavar="NAME|PATH",
                     help="A bundled questionnaire name, a YAML file or an XLSForm."),
    ] = "sme-digital-2020",
) -> None:
    """Create a study folder: a pinned copy of the questionnaire, a database, a reports folder.

    Example: **dmsurvey init my-study --questionnaire sme-digital-2020**
    """
    from dmsurvey.store.study import init_study

    created = init_study(study, questionnaire)
    q = created.questionnaire
    typer.echo(f"Created study {study} for questionnaire {q.name} version {q.version}.")
    typer.echo(f"Next: dmsurvey collect {study}   or   dmsurvey import {study} FILE.csv")


@app.command("import")
def import_command(
    study: StudyArgument,
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="CSV, .xlsx, JSON or "
                                                "Parquet files, or KoboToolbox/ODK exports.")],
    source: Annotated[Source | None, typer.Option(
        help="How the forms were filled in, for rows whose file does not say.")] = None,
    entry: Annotated[int | None, typer.Option(
        min=1, help="Data-entry round of paper forms (2 for the second keying).")] = None,
    encoding: Annotated[str | None, typer.Option(
        help="Encoding of CSV files (default: UTF-8 or GB18030, detected).")] = None,
    sheet: Annotated[str | None, typer.Option(help="Sheet of .xlsx files (name or number).")] \
        = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; store nothing.")] \
        = False,
    skip_invalid: Annotated[bool, typer.Option(
        "--skip-invalid", help="Store the valid rows; write the others to FILE.rejected.csv.")] \
        = False,
    ignore_columns: Annotated[bool, typer.Option(
        "--ignore-columns", help="Leave out columns the questionnaire does not know.")] = False,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Overwrite stored responses whose content differs (audited).")] = False,
    who: Annotated[str | None, typer.Option(
        help="Your name, for the audit trail (default: your login name).")] = None,
) -> None:
    """Import responses from files: every cell is checked; all or nothing by default.

    Cells may hold choice codes or labels in any questionnaire language; column order is
    free; group prefixes and system columns of KoboToolbox and ODK exports are understood.
    Importing the same file twice adds nothing.

    Example: **dmsurvey import my-study kobo-export.xlsx paper-forms.csv --source paper**
    """
    from dmsurvey.store.importing import import_files
    from dmsurvey.store.study import open_study

    opened = open_study(study)
    with _progress() as report:
        result = _problems_listed(opened, lambda: import_files(
            opened, files, source=source.value if source else None, entry=entry,
            encoding=encoding, sheet=sheet, dry_run=dry_run, skip_invalid=skip_invalid,
            ignore_columns=ignore_columns, replace=replace, who=who or _login_name(),
            progress=report))
    verb = "Would add" if dry_run else "Added"
    typer.echo(f"{verb} {result.added} responses, replaced {result.replaced}, "
               f"{result.unchanged} already stored, {result.rejected} rejected "
               f"(of {result.rows} rows in {len(result.files)} file(s)).")
    for file, column, why in result.dropped_columns:
        typer.echo(f"  left out column {column!r} of {Path(file).name}: {why}")
    for path in result.rejected_files:
        typer.echo(f"Rejected rows, with the reason, are in {path}")


@app.command("validate")
def validate(
    study: StudyArgument,
    json_output: Annotated[bool, typer.Option("--json", help="Print the issues as JSON.")] = False,
) -> None:
    """Report data-quality issues: missing answers, skip-logic violations, outliers, duplicates.

    Example: **dmsurvey validate my-study --json > issues.json**
    """
    from rich.console import Console
    from rich.table import Table

    from dmsurvey.store.quality import validate_study

    issues = validate_study(study)
    if json_output:
        records = issues.astype(object).where(issues.notna(), None).to_dict(orient="records")
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2, default=str))
        return
    if issues.empty:
        typer.echo("No data-quality issues found.")
        return
    table = Table("severity", "check", "response", "form", "question", "value", "message",
                  box=None, pad_edge=False)
    for row in issues.astype(object).where(issues.notna(), "").itertuples(index=False):
        table.add_row(row.severity, row.check, str(row.response_id)[:8], str(row.form_number),
                      str(row.question), str(row.value), row.message)
    console = Console()
    console.print(table)
    counts = issues.groupby("severity").size()
    console.print(", ".join(f"{count} {severity}" for severity, count in counts.items()))


def _login_name() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in this environment (some containers)
        return ""


def _progress():
    """A rich progress bar fed by the library's (description, done, total) reports."""
    from contextlib import contextmanager

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

    @contextmanager
    def bar():
        tasks: dict[str, int] = {}
        with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                      console=Console(stderr=True), transient=True,
                      disable=not sys.stderr.isatty()) as progress:
            def report(description: str, done: int, total: int) -> None:
                if description not in tasks:
                    tasks[description] = progress.add_task(description, total=total)
                progress.update(tasks[description], completed=done, total=total)

            yield report

    return bar()


def _problems_listed(study, work):
    """Run `work`; a refusal with very many problems lists the first and writes all to CSV."""
    from dmsurvey.errors import DataError
    from dmsurvey.store.db import now

    try:
        return work()
    except DataError as error:
        if len(error.problems) <= SHOWN_PROBLEMS:
            raise
        import pandas as pd

        path = study.reports_dir / f"import-problems-{now()[:19].replace(':', '')}.csv"
        pd.DataFrame([vars(p) for p in error.problems]).to_csv(path, index=False,
                                                               encoding="utf-8-sig")
        raise DataError(
            f"{error.message}\nThe first {SHOWN_PROBLEMS} of {len(error.problems)} are listed; "
            f"all are in {path}.", error.problems[:SHOWN_PROBLEMS]) from None
