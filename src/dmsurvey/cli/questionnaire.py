"""Commands: questionnaire list, show, validate (and convert, in its own module)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from dmsurvey.cli.questionnaire_convert import convert, export
from dmsurvey.wording import plural

if TYPE_CHECKING:
    from rich.console import RenderableType

    from dmsurvey.questionnaire.model import Question, Questionnaire, Text

app = typer.Typer(
    help=(
        "Bundled questionnaires and questionnaire files: list, show, validate, convert, "
        "export.\n\n"
        "Example: **dmsurvey questionnaire show sme-digital-2020 --lang en**"
    ),
    rich_markup_mode="markdown",
    no_args_is_help=True,
)
app.command("convert")(convert)
app.command("export")(export)


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


# The codebook's own words; ids, types and expressions stay as written in the file.
_CODEBOOK_WORDS: dict[str, dict[str, str]] = {
    "languages": {"en": "languages", "zh": "语言"},
    "questions": {"en": "{count} questions", "zh": "{count} 道题"},
    "one_question": {"en": "1 question", "zh": "1 道题"},
    "id": {"en": "id", "zh": "编号"},
    "type": {"en": "type", "zh": "类型"},
    "question": {"en": "question", "zh": "题目"},
    "required": {"en": "required", "zh": "必答"},
    "pii": {"en": "pii", "zh": "个人信息"},
    "asked_if": {"en": "asked if", "zh": "提问条件"},
    "unit": {"en": "unit: ", "zh": "单位："},
    "exclusive": {"en": "(exclusive)", "zh": "（互斥）"},
    "check": {"en": "check", "zh": "校验"},
    "format": {"en": "format", "zh": "格式"},
    "firm_key": {"en": "firm key", "zh": "企业标识"},
    "previous": {"en": "earlier codes", "zh": "对应上一轮代码"},
    "scoring": {"en": "Scoring", "zh": "评分"},
    "dimension": {"en": "dimension", "zh": "维度"},
    "weight": {"en": "weight", "zh": "权重"},
    "items": {"en": "items (code: points)", "zh": "题目（代码：分值）"},
    "applies_if": {"en": "applies if", "zh": "适用条件"},
    "levels": {"en": "Levels", "zh": "等级"},
}


def codebook_renderables(questionnaire: Questionnaire, language: str) -> list[RenderableType]:
    """The codebook of `questionnaire` in `language`, as rich tables, one per section.

    The tool's own words are in Chinese for "zh" and in English otherwise.
    """
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text as RichText

    def text(value: Text | None) -> str:
        return escape(value.in_language(language)) if value else ""

    def say(key: str, **fields: object) -> str:
        words = _CODEBOOK_WORDS[key]
        return words.get(language, words["en"]).format(**fields)

    count = len(questionnaire.answerable)
    header = RichText.assemble(
        (questionnaire.title.in_language(language), "bold"),
        f"\n{questionnaire.name} {questionnaire.version} · "
        f"{say('languages')} {', '.join(questionnaire.languages)} · "
        + (say("one_question") if count == 1 else say("questions", count=f"{count:,}")),
    )
    parts: list[RenderableType] = [header]
    for section in questionnaire:
        title = f"[bold]{escape(section.id)}[/bold] {text(section.title)}"
        if section.relevant:
            title += f"\n[dim]{say('asked_if')}[/dim] {escape(section.relevant)}"
        table = Table(title=title, title_justify="left", expand=True)
        _add_folding_columns(table, say("id"), say("type"), say("question"))
        for question in section:
            table.add_row(
                escape(question.id),
                question_type(question, say),
                Group(*question_details(question, text, say)),
            )
        parts.append(table)
    if questionnaire.scoring:
        scoring = Table(title=f"[bold]{say('scoring')}[/bold]")
        _add_folding_columns(scoring, say("dimension"), say("weight"), say("items"))
        for dimension in questionnaire.scoring.dimensions:
            items = "\n".join(
                f"{item.question} ×{item.weight:g}: "
                + ", ".join(f"{code} {points:g}" for code, points in item.points.items())
                for item in dimension.items
            )
            condition = (
                f"\n[dim]{say('applies_if')}[/dim] {escape(dimension.applies_if)}"
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
            parts.append(f"[bold]{say('levels')}[/bold] {levels}")
    return parts


def _add_folding_columns(table, *headers: str) -> None:
    # Chinese has no spaces to wrap at: without folding, rich cuts a long label at the
    # column's edge with an ellipsis.
    for header in headers:
        table.add_column(header, overflow="fold")


def question_type(question: Question, say) -> str:
    flags = [key for key, on in (("required", question.required), ("pii", question.pii),
                                 ("firm_key", question.firm_key)) if on]
    return question.type + "".join(f"\n[dim]{say(flag)}[/dim]" for flag in flags)


def question_details(question: Question, text, say) -> list[RenderableType]:
    """The question cell: label, hint, unit, choices (each wrapping under its label), skip
    logic and check."""
    from rich.text import Text as RichText

    lines: list[RenderableType] = [text(question.label)]
    if question.hint:
        lines.append(f"[dim]{text(question.hint)}[/dim]")
    if question.unit:
        lines.append(f"[dim]{say('unit')}[/dim]{text(question.unit)}")
    for choice in question.choices:
        label = RichText.from_markup(text(choice.label))
        if choice.code in question.exclusive:
            label.append_text(RichText.from_markup(f" [dim]{say('exclusive')}[/dim]"))
        code = RichText.from_markup(f"  [cyan]{escape(choice.code)}[/cyan]  ")
        lines.append(_HangingLabel(code, label))
    if question.relevant:
        lines.append(f"[dim]{say('asked_if')}[/dim] {escape(question.relevant)}")
    if question.constraint:
        message = f" — {text(question.constraint_message)}" if question.constraint_message else ""
        lines.append(f"[dim]{say('check')}[/dim] {escape(question.constraint)}{message}")
    if question.format:
        lines.append(f"[dim]{say('format')}[/dim] {escape(question.format)}")
    if question.previous:
        mapped = ", ".join(f"{code} → {' '.join(earlier) or '—'}"
                           for code, earlier in question.previous)
        lines.append(f"[dim]{say('previous')}[/dim] {escape(mapped)}")
    return lines


class _HangingLabel:
    """A choice as "  code  label" whose label, when too long for the cell, goes on wrapping
    under itself rather than back at the cell's left edge (or, after a long code, on the
    lines below the code, indented)."""

    UNDER_CODE = 4

    def __init__(self, code, label):
        self.code = code
        self.label = label

    def __rich_console__(self, console, options):
        from rich.text import Text as RichText

        width = options.max_width
        lead, indent = self.code, self.code.cell_len
        if indent + self.label.cell_len > width and indent > width // 2:
            yield self.code
            lead, indent = RichText(" " * self.UNDER_CODE), self.UNDER_CODE
        for line in self.label.wrap(console, max(width - indent, 1), overflow="fold"):
            line.rstrip()
            yield lead + line
            lead = RichText(" " * indent)

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement

        widest = self.code.cell_len + self.label.cell_len
        return Measurement(min(widest, self.UNDER_CODE + 2), widest)
