"""What every command shares: turning library errors into one message and exit code 1."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path
from typing import Annotated

import typer

from dmsurvey.errors import DmsurveyError

DEBUG = bool(os.environ.get("DMSURVEY_DEBUG"))

# The study folder the command was given, named when its database turns out to be damaged.
_study_in_use: list[Path] = []


def _remember_study(path: Path | None) -> Path | None:
    if path is not None and path.is_dir():
        _study_in_use[:] = [path]
    return path


# Arguments and options several command groups share.
StudyArgument = Annotated[
    Path, typer.Argument(metavar="STUDY", help="The study folder.", show_default=False,
                         callback=_remember_study)
]
Source = Annotated[
    Path,
    typer.Argument(metavar="STUDY|FILE",
                   help="A study folder, or a response file (.csv, .xlsx, .parquet) of codes.",
                   callback=_remember_study),
]
QuestionnaireOption = Annotated[
    str | None,
    typer.Option("--questionnaire", "-q", metavar="NAME|PATH",
                 help="Questionnaire of a response file (default: sme-digital-2020); "
                      "a study uses its own."),
]


def fail(message: str) -> typer.Exit:
    """Print `message` to stderr and return the exit to raise: `raise fail("...")`."""
    typer.echo(f"Error: {shown(message)}", err=True)
    return typer.Exit(code=1)


def shown(text: object) -> str:
    """`text` safe to print: values from files and studies may hold escape sequences that
    would retitle or clear the terminal."""
    from dmsurvey.questionnaire.values import printable

    return printable(str(text), keep="\t\n")


def run_app(app: typer.Typer) -> None:
    """Run the app; input errors become one readable message and exit code 1."""
    try:
        app()
    except DmsurveyError as error:
        if DEBUG:
            raise
        typer.echo(f"Error: {shown(error)}", err=True)
        sys.exit(1)
    except sqlite3.DatabaseError as error:
        # A study database damaged after it was opened (a bad disk, a copy cut short).
        if DEBUG:
            raise
        from dmsurvey.store.db import damage_advice
        from dmsurvey.store.study import DATABASE_FILE

        database = (_study_in_use or [Path("STUDY")])[0] / DATABASE_FILE
        typer.echo(shown(f"Error: the study database {database} is damaged or unreadable "
                         f"({error}); nothing was changed. {damage_advice(database)}"), err=True)
        sys.exit(1)
    except OSError as error:
        # Files that cannot be read or written are the user's to fix, not a crash.
        if DEBUG:
            raise
        where = f": {error.filename}" if error.filename else ""
        typer.echo(shown(f"Error: {error.strerror or error}{where}"), err=True)
        sys.exit(1)
