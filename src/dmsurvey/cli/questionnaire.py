"""Commands: questionnaire."""

from __future__ import annotations

import typer

from dmsurvey.cli.questionnaire_convert import convert

app = typer.Typer(help="Bundled questionnaires and questionnaire files: list, show, validate, convert.")
app.command("convert")(convert)
