"""Command: map (propose which question each column of a spreadsheet holds)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dmsurvey.cli._common import StudyArgument

app = typer.Typer(rich_markup_mode="markdown")


@app.command("map")
def map_command(
    study: StudyArgument,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A response file (.csv, .xlsx, "
                                         ".xls, ...) with its own headers and labels.")],
    output: Annotated[Path, typer.Option("--output", "-o", metavar="MAP.yaml",
                                         help="Where to write the proposed column map.")],
    encoding: Annotated[str | None, typer.Option(
        help="Encoding of a CSV file (default: UTF-8 or GB18030, detected).")] = None,
    sheet: Annotated[str | None, typer.Option(help="Sheet of an Excel file (name or number).")] \
        = None,
) -> None:
    """Propose a column map: the question each column holds, the code each answer means.

    Headers and answers are matched to the questionnaire's labels in every language, after
    normalising (full-width and half-width forms, punctuation, spaces, numbering such as
    3、 or Q3.), then by closeness, by question number and by column order. Every proposal
    has a confidence and what it rests on; unmatched columns and answers come first. Check
    the file, fill in what is unmatched, then import with **--map**.

    Example: **dmsurvey map my-study firms.xlsx -o firms-map.yaml** then
    **dmsurvey import my-study firms.xlsx --map firms-map.yaml**
    """
    from dmsurvey.store.mapping import propose_map, write_map
    from dmsurvey.store.readers import read_table
    from dmsurvey.store.study import open_study
    from dmsurvey.wording import plural

    opened = open_study(study)
    proposal = propose_map(read_table(file, encoding=encoding, sheet=sheet),
                           opened.questionnaire)
    write_map(proposal, output)
    columns, answers = proposal.unmatched()
    typer.echo(f"Wrote the column map of {plural(len(proposal.columns), 'column')} to "
               f"{output}: {plural(len(columns), 'column')} and "
               f"{plural(len(answers), 'answer')} unmatched.")
    for header in columns:
        typer.echo(f"  unmatched column {header!r}")
    for header, text in answers:
        typer.echo(f"  unmatched answer {text!r} in column {header!r}")
    typer.echo(f"Check it, then: dmsurvey import {study} {file} --map {output}")
