"""Commands: collect (the terminal interview)."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated

import typer

from dmsurvey.cli._common import fail

app = typer.Typer(rich_markup_mode="markdown")


class Language(enum.StrEnum):
    zh = "zh"
    en = "en"


@app.command()
def collect(
    study: Annotated[
        Path, typer.Argument(metavar="STUDY", help="The study folder (made by dmsurvey init).")
    ],
    enumerator: Annotated[
        str, typer.Option("--enumerator", "-e", help="Who is interviewing or keying in.")
    ] = "",
    lang: Annotated[
        Language | None,
        typer.Option("--lang", help="Language of questions and messages [default: the form's]."),
    ] = None,
    resume: Annotated[
        str | None,
        typer.Option(
            "--resume",
            metavar="ID",
            help="Go straight to this unfinished response (the first characters of its id do).",
        ),
    ] = None,
    edit: Annotated[
        str | None,
        typer.Option(
            "--edit",
            metavar="ID",
            help="Reopen a submitted response to correct it (the audit trail keeps the old "
                 "answers).",
        ),
    ] = None,
    entry: Annotated[
        int | None,
        typer.Option("--entry", min=1, max=2, help="Key in a paper form: first or second entry."),
    ] = None,
    form: Annotated[
        str | None, typer.Option("--form", help="Number of the paper form (with --entry).")
    ] = None,
    self_completion: Annotated[
        bool, typer.Option("--self", help="The respondent fills it in alone; shows instructions.")
    ] = False,
) -> None:
    """Interview a firm in the terminal, one question at a time; every answer is saved at once.

    Ctrl-B goes back, Ctrl-C pauses (or discards); run it again to resume. Submitting asks
    for a confirmation; a submitted form is corrected with **--edit ID**.

    Example: **dmsurvey collect my-study --enumerator Li --lang en**

    Paper forms: **dmsurvey collect my-study --entry 1 --form 017**
    """
    from dmsurvey.interview.messages import message

    if (entry is None) != (form is None):
        raise typer.BadParameter("--entry and --form go together", param_hint="--entry/--form")
    if edit and resume:
        raise typer.BadParameter("--edit reopens a submitted response, --resume an unfinished "
                                 "one: give one of them", param_hint="--edit")
    if entry and self_completion:
        raise typer.BadParameter("paper forms are keyed by a clerk", param_hint="--self")
    language = lang.value if lang else None
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise fail(message("no_terminal", language))
    from dmsurvey.interview.session import collect as run_interview

    mode = "clerk" if entry else "self" if self_completion else "interview"
    result = run_interview(
        study,
        language=language,
        enumerator=enumerator,
        mode=mode,
        entry=entry,
        form_number=form,
        resume_id=resume,
        edit_id=edit,
    )
    typer.echo(
        message(result.outcome, result.language, study=study, response_id=result.response_id)
    )
