"""Commands: init, import, validate (a study folder and the data that goes into it)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from dmsurvey.cli._common import StudyArgument

app = typer.Typer(rich_markup_mode="markdown")

# Beyond this many problems the terminal shows the first ones; a CSV file holds them all.
SHOWN_PROBLEMS = 50



class Language(StrEnum):
    en = "en"
    zh = "zh"


LanguageOption = Annotated[Language, typer.Option(
    help="Language of the questionnaire's messages (constraints, required answers) in what "
         "is reported; the tool's own words are English.")]


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

    notes: list[str] = []
    created = init_study(study, questionnaire, warnings=notes)
    q = created.questionnaire
    typer.echo(f"Created study {study} for questionnaire {q.name} version {q.version}.")
    for note in notes:
        typer.echo(f"Note: {note}")
    if q.scoring is None:
        typer.echo("Note: this questionnaire has no scoring block: score, firm pages and the "
                   "maturity parts of the report will not apply (see docs/methodology.md)")
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
    strict: Annotated[bool, typer.Option(
        "--strict", help="Refuse blank answers to required questions, as the interview does.")] \
        = False,
    who: Annotated[str | None, typer.Option(
        help="Your name, for the audit trail (default: your login name).")] = None,
    max_mb: Annotated[float | None, typer.Option(
        "--max-mb", min=1, help="Largest file, and largest part of an .xlsx or .zip once "
        "unpacked, in MB (default 512).")] = None,
    max_cell: Annotated[int | None, typer.Option(
        "--max-cell", min=1, help="Longest cell, in characters (default 32767, as in Excel).")] \
        = None,
    lang: LanguageOption = Language.en,
    column_map: Annotated[Path | None, typer.Option(
        "--map", metavar="MAP.yaml",
        help="Read the files with this column map (see **dmsurvey map**).")] = None,
) -> None:
    """Import responses from files: every cell is checked; all or nothing by default.

    A wrong type, an unknown choice or a broken constraint refuses the import. A blank answer
    to a required question is item non-response: it is stored as missing and **dmsurvey
    validate** lists it (**--strict** refuses it instead). A question without a column was
    not asked by the instrument the file came from.

    Cells may hold choice codes or labels in any questionnaire language; column order is
    free; group prefixes and system columns of KoboToolbox and ODK exports are understood.
    Exports of 问卷星 (Wenjuanxing, by option text or number; .xlsx, .xls, .csv) and 腾讯问卷
    (Tencent Questionnaire) are recognised by their columns; any other spreadsheet imports
    with a column map that **dmsurvey map** proposes and you check. The summary says how
    each column was recognised.
    Repeat groups come with their responses: the repeat sheets of a KoboToolbox .xlsx export
    (**_parent_index**), the repeat CSV files of an ODK Central .zip export (**PARENT_KEY**),
    or the repeat sheets of a dmsurvey export or template (**instance_key**). A response
    comes in with all its instances or not at all.
    Importing the same file twice adds nothing, in one call or two: a row repeated exactly in
    another file is stored once.

    Paper forms keyed twice (**--entry 1**, then **--entry 2**, matched by form_number) count
    once: second keyings stay in progress, and so does the first keying of a form keyed twice
    until **dmsurvey reconcile** settles it and marks it complete. Forms keyed once are
    complete.

    Example: **dmsurvey import my-study kobo-export.xlsx paper-forms.csv --source paper**
    """
    from dmsurvey.store.importing import import_files
    from dmsurvey.store.mapping import read_map
    from dmsurvey.store.readers import ReadLimits
    from dmsurvey.store.study import open_study
    from dmsurvey.wording import plural

    opened = open_study(study)
    read = read_map(column_map, opened.questionnaire) if column_map else None
    limits = ReadLimits().raised(max_mb=max_mb, max_cell=max_cell)
    with _progress() as report:
        result = _problems_listed(opened, lambda: import_files(
            opened, files, source=source.value if source else None, entry=entry,
            encoding=encoding, sheet=sheet, dry_run=dry_run, skip_invalid=skip_invalid,
            ignore_columns=ignore_columns, replace=replace, strict=strict,
            who=who or _login_name(), language=lang.value, progress=report,
            column_map=read, limits=limits))
    for line in result.recognised:
        typer.echo(line)
    typer.echo(_import_summary(result, dry_run=dry_run))
    if result.awaiting_reconciliation:
        forms = result.awaiting_reconciliation
        typer.echo(f"{plural(forms, 'paper form')} now keyed twice; "
                   f"{'it counts' if forms == 1 else 'each counts'} once reconciled: "
                   f"dmsurvey reconcile {study}")
    for line in result.dropped_lines() + result.non_response_lines():
        typer.echo(f"  {line}")
    for path in result.rejected_files:
        typer.echo(f"Rejected rows, with the reason, are in {path}")


@app.command("validate")
def validate(
    study: StudyArgument,
    json_output: Annotated[bool, typer.Option("--json", help="Print the issues as JSON.")] = False,
    lang: LanguageOption = Language.en,
) -> None:
    """Report data-quality issues: stored answers the questionnaire refuses, required answers
    left blank (per question: how many firms, which), skip-logic violations, outliers,
    duplicates.

    Example: **dmsurvey validate my-study --json > issues.json**
    """
    import shutil

    from dmsurvey.store.quality import issue_lines, validate_study
    from dmsurvey.store.study import open_study

    opened = open_study(study)
    issues = validate_study(opened, language=lang.value)
    if json_output:
        records = issues.astype(object).where(issues.notna(), None).to_dict(orient="records")
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2, default=str))
    elif not opened.response_ids():
        typer.echo(f"The study has no responses yet. Add some with: dmsurvey collect {study}  "
                   f"or  dmsurvey import {study} FILE.csv")
    elif issues.empty:
        typer.echo("No data-quality issues found.")
    else:
        typer.echo("\n".join(issue_lines(issues, width=shutil.get_terminal_size().columns,
                                      language=lang.value)))


def _import_summary(result, *, dry_run: bool) -> str:
    """One sentence on what the import did, or, in a dry run, would do."""
    from dmsurvey.wording import plural

    skipped = plural(result.duplicates, "duplicate row")
    if dry_run:
        duplicates = f"{skipped} to skip, " if result.duplicates else ""
        outcome = (f"Would add {plural(result.added, 'response')} and replace "
                   f"{result.replaced:,}; {result.unchanged:,} already stored, {duplicates}"
                   f"{result.rejected:,} to reject")
    else:
        duplicates = f"{skipped} skipped, " if result.duplicates else ""
        outcome = (f"Added {plural(result.added, 'response')}, replaced {result.replaced:,}, "
                   f"{result.unchanged:,} already stored, {duplicates}"
                   f"{result.rejected:,} rejected")
    instances = "".join(f"; {'would store' if dry_run else 'stored'} "
                        f"{plural(count, 'instance')} of {repeat}"
                        for repeat, count in result.instances.items())
    return (f"{outcome} (of {plural(result.rows, 'row')} in "
            f"{plural(len(result.files), 'file')}){instances}.")


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

        from dmsurvey.store.exporting import spreadsheet_safe

        path = study.reports_dir / f"import-problems-{now()[:19].replace(':', '')}.csv"
        spreadsheet_safe(pd.DataFrame([vars(p) for p in error.problems])).to_csv(
            path, index=False, encoding="utf-8-sig")
        raise DataError(
            f"{error.message}\nThe first {SHOWN_PROBLEMS} of {len(error.problems)} are listed; "
            f"all are in {path}.", error.problems[:SHOWN_PROBLEMS]) from None
