"""The `questionnaire convert` command: XLSForm to dmsurvey YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dmsurvey.wording import plural


def convert(
    form: Annotated[
        Path, typer.Argument(metavar="FORM", help="The XLSForm (.xlsx or .xls) to convert.")
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="YAML file to write (default: FORM with .yaml)."),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Refuse the form, rather than adapt it, where ODK would differ."
        ),
    ] = False,
) -> None:
    """Convert an ODK/KoboToolbox XLSForm into a dmsurvey questionnaire file.

    Groups become sections; labels in every language, relevant, constraint and required carry over.

    Any form pyxform accepts converts: what dmsurvey does differently from ODK (a repeat asked
    once, a rule it cannot evaluate) is listed with its sheet row; **--strict** refuses instead.

    Example: **dmsurvey questionnaire convert household.xlsx -o household.yaml**
    """
    from dmsurvey.questionnaire.xlsform import convert_xlsform

    output = output or form.with_suffix(".yaml")
    notes: list[str] = []
    questionnaire = convert_xlsform(form, output, warnings=notes, strict=strict)
    summary = (
        f"Wrote {output}: {plural(len(questionnaire.sections), 'section')}, "
        f"{plural(len(questionnaire.questions), 'question')}, "
        f"languages {', '.join(questionnaire.languages)}"
    )
    if questionnaire.metadata_fields:
        summary += f", metadata {', '.join(questionnaire.metadata_fields)}"
    typer.echo(summary)
    if notes:
        typer.echo("Adapted, left out or marked (where dmsurvey differs from ODK, display "
                   "only, or personal data):")
        for note in notes:
            typer.echo(f"  - {note}")
    typer.echo(f"Check it with: dmsurvey questionnaire show {output}")
