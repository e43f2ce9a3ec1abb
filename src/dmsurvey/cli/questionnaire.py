"""Commands: questionnaire list, show, validate (and convert, in its own module)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from dmsurvey.cli.questionnaire_convert import convert
from dmsurvey.wording import plural

if TYPE_CHECKING:
    from rich.console import RenderableType

    from dmsurvey.questionnaire.model import Question, Questionnaire, Text

app = typer.Typer(
    help=(
        "Bundled questionnaires and questionnaire files: list, show, validate, convert.\n\n"
        "Example: **dmsurvey questionnaire show sme-digital-2020 --lang en**"
    ),
    rich_markup_mode="markdown",
    no_args_is_help=True,
)
app.command("convert")(convert)


@app.command("list")
def list_command(
    lang: Annotated[str | None, typer.Option(help="Language of the titles (zh, en).")] = None,
) -> None:
    """List the questionnaires that come with dmsurvey.

    Any of them can be named wherever a questionnaire is asked for.

    Example: **dmsurvey questionnaire list --lang en**
    """
    from rich.console import Console
    from rich.table import Table

    from dmsurvey.questionnaire.bundled import list_bundled

    table = Table("name", "title", "version", "questions", box=None, pad_edge=False)
    for info in list_bundled(language=lang):
        table.add_row(info.name, info.title, info.version, str(info.questions))
    Console().print(table)


@app.command("show")
def show(
    questionnaire: Annotated[
        str, typer.Argument(metavar="NAME|PATH", help="A bundled name, a YAML file or an XLSForm.")
    ],
    lang: Annotated[str | None, typer.Option(help="Language to show (zh, en).")] = None,
) -> None:
    """Show a questionnaire as a codebook: sections, questions, choices, skip logic, checks.

    Example: **dmsurvey questionnaire show sme-digital-2020 --lang en**
    """
    from rich.console import Console

    from dmsurvey.questionnaire.loader import load_questionnaire

    loaded = load_questionnaire(questionnaire)
    Console().print(*codebook_renderables(loaded, loaded.label_language(lang)))


@app.command("validate")
def validate(
    path: Annotated[Path, typer.Argument(help="The questionnaire file (YAML or XLSForm).")],
) -> None:
    """Check a questionnaire file and list every problem in it, with its line.

    Exits with 0 when the file is valid and 1 when it is not.

    Example: **dmsurvey questionnaire validate my-survey.yaml**
    """
    from dmsurvey.errors import QuestionnaireError
    from dmsurvey.questionnaire.loader import load_questionnaire

    try:
        loaded = load_questionnaire(path)
    except QuestionnaireError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(code=1) from None
    parts = [
        f"{loaded.name} {loaded.version}",
        plural(len(loaded.sections), "section"),
        plural(len(loaded.answerable), "question"),
    ]
    if loaded.scoring:
        parts.append(plural(len(loaded.scoring.dimensions), "scoring dimension"))
    typer.echo(f"{path} is valid: {', '.join(parts)}, languages {', '.join(loaded.languages)}")


def codebook_renderables(questionnaire: Questionnaire, language: str) -> list[RenderableType]:
    """The codebook of `questionnaire` in `language`, as rich tables, one per section."""
    from rich.table import Table
    from rich.text import Text as RichText

    def text(value: Text | None) -> str:
        return escape(value.in_language(language)) if value else ""

    header = RichText.assemble(
        (questionnaire.title.in_language(language), "bold"),
        f"\n{questionnaire.name} {questionnaire.version} · "
        f"languages {', '.join(questionnaire.languages)} · "
        f"{plural(len(questionnaire.answerable), 'question')}",
    )
    parts: list[RenderableType] = [header]
    for section in questionnaire:
        title = f"[bold]{escape(section.id)}[/bold] {text(section.title)}"
        if section.relevant:
            title += f"\n[dim]asked if[/dim] {escape(section.relevant)}"
        table = Table(title=title, title_justify="left", expand=True)
        _add_folding_columns(table, "id", "type", "question")
        for question in section:
            table.add_row(
                escape(question.id), question_type(question), question_details(question, text)
            )
        parts.append(table)
    if questionnaire.scoring:
        scoring = Table(title="[bold]Scoring[/bold]")
        _add_folding_columns(scoring, "dimension", "weight", "items (code: points)")
        for dimension in questionnaire.scoring.dimensions:
            items = "\n".join(
                f"{item.question} ×{item.weight:g}: "
                + ", ".join(f"{code} {points:g}" for code, points in item.points.items())
                for item in dimension.items
            )
            condition = (
                f"\n[dim]applies if[/dim] {escape(dimension.applies_if)}"
                if dimension.applies_if
                else ""
            )
            scoring.add_row(
                f"{dimension.id}\n{text(dimension.label)}{condition}",
                f"{dimension.weight:g}",
                escape(items),
            )
        parts.append(scoring)
        levels = ", ".join(
            f"{text(level.label)} {level.min:g}–{level.max:g}"
            for level in questionnaire.scoring.levels
        )
        if levels:
            parts.append(f"[bold]Levels[/bold] {levels}")
    return parts


def _add_folding_columns(table, *headers: str) -> None:
    # Chinese has no spaces to wrap at: without folding, rich cuts a long label at the
    # column's edge with an ellipsis.
    for header in headers:
        table.add_column(header, overflow="fold")


def question_type(question: Question) -> str:
    flags = [flag for flag, on in (("required", question.required), ("pii", question.pii)) if on]
    return question.type + "".join(f"\n[dim]{flag}[/dim]" for flag in flags)


def question_details(question: Question, text) -> str:
    lines = [text(question.label)]
    if question.hint:
        lines.append(f"[dim]{text(question.hint)}[/dim]")
    if question.unit:
        lines.append(f"[dim]unit:[/dim] {text(question.unit)}")
    for choice in question.choices:
        exclusive = " [dim](exclusive)[/dim]" if choice.code in question.exclusive else ""
        lines.append(f"  [cyan]{escape(choice.code)}[/cyan]  {text(choice.label)}{exclusive}")
    if question.relevant:
        lines.append(f"[dim]asked if[/dim] {escape(question.relevant)}")
    if question.constraint:
        message = f" — {text(question.constraint_message)}" if question.constraint_message else ""
        lines.append(f"[dim]check[/dim] {escape(question.constraint)}{message}")
    return "\n".join(lines)
