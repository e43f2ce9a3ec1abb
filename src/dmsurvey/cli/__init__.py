"""The `dmsurvey` command line: a thin layer over the library.

Each command group lives in its own module and is joined here. Commands import pandas,
statsmodels and the like inside their bodies, so `dmsurvey --help` and the interview start
instantly.
"""

from __future__ import annotations

import typer

from dmsurvey.cli import (
    analysis,
    collect,
    data,
    exchange,
    mapping,
    panel,
    questionnaire,
    report,
    sampling,
)
from dmsurvey.cli._common import run_app

app = typer.Typer(
    name="dmsurvey",
    help=(
        "Surveys of SME digital maturity: questionnaire, interview, import, scoring, "
        "analysis and report.\n\n"
        "Start with **dmsurvey demo** to see the whole pipeline on the bundled "
        "sample study, or **dmsurvey init my-study** to begin your own."
    ),
    rich_markup_mode="markdown",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(questionnaire.app, name="questionnaire")
app.add_typer(sampling.app, name="sample")
for group in (data.app, mapping.app, exchange.app, collect.app, analysis.app,
              sampling.design_app, panel.app, report.app):
    app.add_typer(group)


def _print_version(asked: bool) -> None:
    if asked:
        from dmsurvey import __version__

        typer.echo(f"dmsurvey {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(
        False, "--debug", help="Show the full traceback when something goes wrong."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True,
        help="Print the version of dmsurvey and exit.",
    ),
) -> None:
    if debug:
        from dmsurvey.cli import _common

        _common.DEBUG = True


def main() -> None:
    run_app(app)
