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
    if questionnaire.repeats:
        repeated = len(questionnaire.all_questions) - len(questionnaire.questions)
        summary += (f", {plural(len(questionnaire.repeats), 'repeat')} "
                    f"({', '.join(s.id for s in questionnaire.repeats)}) of "
                    f"{plural(repeated, 'question')}")
    if questionnaire.metadata_fields:
        summary += f", metadata {', '.join(questionnaire.metadata_fields)}"
    typer.echo(summary)
    if notes:
        typer.echo("Adapted, left out or marked (where dmsurvey differs from ODK, display "
                   "only, or personal data):")
        for note in notes:
            typer.echo(f"  - {note}")
    typer.echo(f"Check it with: dmsurvey questionnaire show {output}")


def export(
    questionnaire: Annotated[
        str, typer.Argument(metavar="NAME|PATH", help="A bundled name, a YAML file or an XLSForm.")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The XLSForm (.xlsx) to write.")
    ],
) -> None:
    """Write a questionnaire as an XLSForm, to deploy on KoboToolbox or ODK.

    Every language becomes label::Chinese (zh)-style columns; skip logic, constraints and choices
    carry over. Units, scoring and translated titles go on a sheet of their own, so converting
    the XLSForm back gives the same questionnaire.

    Example: **dmsurvey questionnaire export sme-digital-2020 -o sme-2020.xlsx**
    """
    from dmsurvey.questionnaire.loader import load_questionnaire
    from dmsurvey.questionnaire.xlsform_export import write_xlsform

    loaded = load_questionnaire(questionnaire)
    write_xlsform(loaded, output)
    typer.echo(
        f"Wrote {output}: {plural(len(loaded.sections), 'group')}, "
        f"{plural(len(loaded.questions), 'question')}, languages {', '.join(loaded.languages)}"
    )
    typer.echo("Upload it to KoboToolbox or ODK Central; import their exports with: "
               "dmsurvey import STUDY export.xlsx")
