"""Commands that move data in and out of a study: export, template, merge, reconcile."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dmsurvey.cli._common import StudyArgument

app = typer.Typer(rich_markup_mode="markdown")

WhoOption = Annotated[
    str | None, typer.Option(help="Your name for the logs (default: your login name).")
]
# Studies may use any questionnaire, so the languages are checked against the study's own.
LanguageOption = Annotated[
    str | None, typer.Option("--labels", metavar="LANG", show_default="codes, no labels",
                             help="Write choice labels in this language of the "
                                  "questionnaire (e.g. zh, en).")
]


@app.command("export")
def export(
    study: StudyArgument,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The file to write; its extension "
                           "(.csv .xlsx .parquet .json .dta .sav) chooses the format.")
    ],
    labels: LanguageOption = None,
    anonymize: Annotated[
        bool, typer.Option("--anonymize",
                           help="Leave out questions marked pii (firm names, phones), free-text "
                                "answers, enumerators and form numbers; replace response ids "
                                "by pseudonyms that link this study's anonymised exports; cut "
                                "times to the date.")
    ] = False,
    keep_text: Annotated[
        bool, typer.Option("--keep-text",
                           help="With --anonymize, keep free-text answers not marked pii.")
    ] = False,
    all_responses: Annotated[
        bool, typer.Option("--all", help="Also responses in progress (unfinished interviews, "
                                         "paper forms not yet reconciled).")
    ] = False,
    raw: Annotated[
        bool, typer.Option("--raw", help="CSV: the exact text, for programs; without it, text "
                           "a spreadsheet would run as a formula gets a leading '.")
    ] = False,
) -> None:
    """Export the complete responses of a study to CSV, Excel, Parquet, JSON, Stata or SPSS.

    Complete responses are what **score** and **report** count: a paper form keyed twice counts
    once, after **dmsurvey reconcile**. **--all** adds the responses in progress.

    A CSV is written for Excel and WPS: UTF-8 with a byte-order mark, and text starting with
    = + - @ (a formula to a spreadsheet) preceded by ' so it shows as text; **--raw** keeps
    the exact text for programs.

    Stata (.dta) and SPSS (.sav) files get variable labels, value labels for every choice
    list (choices numbered 1..n) and 0/1 variables for multiple choices. A name the program
    does not accept is changed the same way every time, and the change is printed (Stata
    reserves **end**: it becomes **end_**).

    The instances of each repeat section (household members, plots, ...) go to one more
    sheet named after the repeat in Excel, and to one more file **STEM-REPEAT.EXT** beside
    the main file in the other formats, each row with response_id, instance_key, parent_key
    and instance before its answers.

    Example: **dmsurvey export my-study -o firms.dta --labels en --anonymize**
    """
    from dmsurvey.store.exporting import export_study
    from dmsurvey.store.study import open_study
    from dmsurvey.wording import plural

    opened = open_study(study)
    result = export_study(
        opened, output, labels=labels, anonymize=anonymize, keep_text=keep_text,
        all_responses=all_responses, raw=raw,
    )
    which = ("complete response" if result.responses == "complete"
             else "response (complete and in progress)")
    typer.echo(f"Wrote {plural(result.rows, which, which.replace('response', 'responses', 1))} "
               f"({plural(result.columns, 'column')}) to {result.path}")
    for path in result.files[1:]:
        typer.echo(f"Wrote {path}")
    repeats = [section.id for section in opened.questionnaire.repeats]
    if repeats and len(result.files) <= 1:
        typer.echo(f"  with a sheet for each repeat section: {', '.join(repeats)}")
    for note in result.notes:
        typer.echo(note)


@app.command("template")
def template(
    study: StudyArgument,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The Excel file to write.")
    ] = Path("entry.xlsx"),
    lang: Annotated[
        str | None, typer.Option(metavar="LANG",
                                 show_default="the questionnaire's default language",
                                 help="Language of labels, notes and drop-downs: one of the "
                                      "questionnaire's (e.g. zh, en).")
    ] = None,
    rows: Annotated[int, typer.Option(min=1, help="Rows prepared with drop-downs.")] = 1000,
) -> None:
    """Write an Excel sheet for keying in paper questionnaires.

    One column per question, the question labels under the ids, and on each header a note in
    the chosen language saying what to type (required, when the question is asked, the
    questionnaire's rule). Choices are typed as labels: drop-downs for single choices, labels
    separated by semicolons for multiple choices. A codebook sheet documents every question.
    A repeat section (household members, plots) gets a sheet of its own: a row per instance,
    with the paper form's form_number and its instance_key (1, 2, 3; 2/1 for the first job of
    the second member).
    Fill it in and import it as it is (**dmsurvey import my-study entry.xlsx --source paper**).

    Example: **dmsurvey template my-study -o entry.xlsx --lang zh**
    """
    from dmsurvey.store.study import open_study
    from dmsurvey.store.template import write_template

    path = write_template(open_study(study).questionnaire, output, language=lang, rows=rows)
    typer.echo(f"Wrote the entry template {path}")


@app.command("merge")
def merge(
    study: StudyArgument,
    others: Annotated[
        list[Path], typer.Argument(metavar="OTHER...",
                                   help="Studies to bring in (same questionnaire, "
                                        "wording may differ).",
                                   show_default=False)
    ],
    who: WhoOption = None,
) -> None:
    """Bring the responses of other study folders (other laptops) into STUDY.

    The questionnaires must have the same name, metadata fields, questions, types and choice
    codes; if they differ only in wording (a corrected label, a reworded hint, scoring), the
    answers are merged with a note and STUDY keeps its own wording. Otherwise nothing is merged
    and every difference is listed. Responses already present are skipped, so merging twice
    changes nothing; a response whose id is present with different answers is reported as a
    conflict and left as it is.

    Example: **dmsurvey merge my-study laptop2/my-study laptop3/my-study**
    """
    from dmsurvey.store.merge import merge_studies

    result = merge_studies(study, others, who=_who(who))
    typer.echo(result.summary())
    if result.conflicts:
        raise typer.Exit(code=1)


@app.command("reconcile")
def reconcile(
    study: StudyArgument,
    report: Annotated[
        Path | None, typer.Option(help="Write the disagreements to this CSV file, without asking.")
    ] = None,
    who: WhoOption = None,
    lang: Annotated[
        str | None, typer.Option(metavar="LANG",
                                 show_default="the questionnaire's default language",
                                 help="Language of the labels shown: one of the "
                                      "questionnaire's (e.g. zh, en).")
    ] = None,
) -> None:
    """Compare paper forms keyed twice (entry 1 and entry 2) and resolve the differences.

    Forms are matched by form number. Each disagreement is shown with both values: take the
    first, the second, or type what the paper says. Resolutions are logged and re-applied the
    next time. A form whose two keyings agree (after resolution) becomes complete.

    Repeat sections are compared instance by instance: an answer as **members[2].age**, and
    an instance keyed in one keying only as **members[3]** (keep it as keyed, or leave it out).

    Example: **dmsurvey reconcile my-study --who Li**, or
    **dmsurvey reconcile my-study --report diffs.csv**
    """
    import sys

    from dmsurvey.store.exporting import chosen_language
    from dmsurvey.store.reconcile import TerminalResolver, reconcile_study
    from dmsurvey.store.study import open_study

    opened = open_study(study)
    language = chosen_language(opened.questionnaire, lang)
    interactive = report is None and sys.stdin.isatty()
    resolver = TerminalResolver(opened.questionnaire, language=language) if interactive else None
    try:
        result = reconcile_study(opened, who=_who(who), resolve=resolver)
    except KeyboardInterrupt:
        typer.echo("Stopped. What you settled is saved; run the command again to go on.")
        raise typer.Exit(code=130) from None
    if report is not None:
        typer.echo(f"Wrote every field keyed differently to {result.write_report(report)}")
    typer.echo(result.summary(reported=report is not None))


def _who(name: str | None) -> str:
    import getpass

    if name is not None:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in this environment
        return ""
