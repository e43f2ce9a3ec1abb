"""An Excel sheet for keying in paper questionnaires, made from the questionnaire.

The `data` sheet has a header row of question ids and, below it, a row of question labels,
which `dmsurvey import` recognises and skips, so a filled-in template is an ordinary response
file that imports as it is. Each id carries a comment, in the template's language and plain
words, saying what to type: the label, unit and hint, whether an answer is required, when the
question is asked (skip logic put into words where it is a simple condition, else a pointer to
the codebook sheet) and the questionnaire's own constraint message. Choices are typed as their
labels, as the importer accepts them in every questionnaire language: single choices get a
drop-down of labels, multiple choices take labels separated by semicolons (codes work too).
Numbers are checked against their constraint where it is a simple bound. A hidden `choices`
sheet holds the codes and labels the drop-downs use, and a `codebook` sheet documents every
question.

A questionnaire with repeat sections (household members, plots) gets one more sheet per
repeat, named after it: a row per instance, keyed by the paper form's `form_number` and the
`instance_key` (1, 2, 3 for the members of a form; 2/1 for the first job of its second
member), so a clerk can key a roster and the workbook imports as it is.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

from dmsurvey.questionnaire.model import Question, Questionnaire

# Metadata the clerk keys from the paper form itself, before the answers.
ENTRY_COLUMNS = ("form_number", "enumerator")
# A repeat's sheet: the form its row belongs to, and which instance of that form it is.
REPEAT_ENTRY_COLUMNS = ("form_number", "instance_key")
DEFAULT_ROWS = 1000
LABEL_ROW = 2
FIRST_DATA_ROW = 3
MAX_WIDTH = 40
MIN_WIDTH = 16
# A label row this high shows about three lines of a wrapped label.
LABEL_ROW_HEIGHT = 45
LABEL_LINES = 3

_BOUND = re.compile(r"^\s*\.\s*(>=|>|<=|<)\s*(-?\d+(?:\.\d+)?)\s*$")
_TEXT_CONDITION = re.compile(r"^\$\{(\w+)\}\s*(=|!=)\s*'([^']*)'$")
_SELECTED = re.compile(r"^selected\(\s*\$\{(\w+)\}\s*,\s*'([^']*)'\s*\)$")

# The template's own words; questionnaire texts come from the questionnaire.
WORDS = {
    "en": {
        "required": "Required.",
        "asked_if": "Only if {condition}; otherwise leave it empty.",
        "see_codebook": "Asked only in some cases: see the relevant column of the codebook "
                        "sheet; otherwise leave it empty.",
        "is": "{question} is {choice}",
        "is_not": "{question} is not {choice}",
        "answered": "{question} is answered",
        "unanswered": "{question} is not answered",
        "selected": "{choice} is chosen in {question}",
        "and": " and ",
        "or": " or ",
        "quote": "'{}'",
        "multiple": "Several answers allowed: type the choices separated by semicolons, "
                    "e.g. {example}",
        "multiple_prompt": "Type choices separated by ;",
        "single": "Pick from the list.",
        "rule": "Must satisfy a rule: see the codebook sheet.",
        "between": "A number from {low} to {high}.",
        "at_least": "A number of at least {low}.",
        "at_most": "A number of at most {high}.",
        "whole": "A whole number.",
        "number": "A number.",
        "form_number": "The number of the paper form this row belongs to (as on the data "
                       "sheet).",
        "instance_key": "Which one of the form: 1, 2, 3, ... in the order of the form.",
        "instance_key_within": "Which one of the form: the number of its {outer}, / and its "
                               "own number there (2/1 for the first of the second {outer}).",
        "instance_label": "number",
    },
    "zh": {
        "required": "必填。",
        "asked_if": "仅当{condition}时填写，否则留空。",
        "see_codebook": "仅在部分情况下填写：条件见 codebook 表的 relevant 列，否则留空。",
        "is": "{question}为{choice}",
        "is_not": "{question}不为{choice}",
        "answered": "{question}已填写",
        "unanswered": "{question}未填写",
        "selected": "{question}选了{choice}",
        "and": "且",
        "or": "或",
        "quote": "「{}」",
        "multiple": "可多选：填写选项，多个之间用分号隔开，例如：{example}",
        "multiple_prompt": "填写选项，用分号隔开",
        "single": "从下拉列表中选择。",
        "rule": "须符合规则：见 codebook 表。",
        "between": "数字，{low}至{high}。",
        "at_least": "数字，不小于{low}。",
        "at_most": "数字，不大于{high}。",
        "whole": "整数。",
        "number": "数字。",
        "form_number": "此行所属纸质问卷的编号（与 data 表相同）。",
        "instance_key": "本问卷中的第几个：1、2、3……按问卷上的顺序。",
        "instance_key_within": "本问卷中的第几个：所属{outer}的序号、/、再加本身的序号"
                               "（第2个{outer}的第1个写 2/1）。",
        "instance_label": "序号",
    },
}


def write_template(
    questionnaire: Questionnaire,
    path: str | os.PathLike,
    *,
    language: str | None = None,
    rows: int = DEFAULT_ROWS,
) -> Path:
    """Write an entry workbook for `questionnaire` to `path` (drop-downs for `rows` rows)."""
    from openpyxl import Workbook

    from dmsurvey.store.exporting import chosen_language, write_atomically
    from dmsurvey.store.instances import sheet_name

    language = chosen_language(questionnaire, language)
    workbook = Workbook()
    data_sheet = workbook.active
    data_sheet.title = "data"
    repeat_sheets = [(workbook.create_sheet(sheet_name(section.id)), section)
                     for section in questionnaire.repeats]
    choices_sheet = workbook.create_sheet("choices")
    choice_ranges = _write_choices(choices_sheet, questionnaire, language)
    choices_sheet.sheet_state = "hidden"
    _write_entry_sheet(data_sheet, questionnaire, list(questionnaire.answerable), language,
                       choice_ranges, rows, ENTRY_COLUMNS)
    for sheet, section in repeat_sheets:
        _write_entry_sheet(sheet, questionnaire,
                           [q for q in section.questions if q.asks_for_answer], language,
                           choice_ranges, rows, REPEAT_ENTRY_COLUMNS)
        _note_instance_columns(sheet, questionnaire, section, language)
    _append_codebook(workbook.create_sheet("codebook"), questionnaire, language)
    path = Path(path)
    write_atomically(path, workbook.save)
    return path


def _write_entry_sheet(sheet, questionnaire, questions, language, choice_ranges, rows,
                       entry_columns) -> None:
    """A sheet of entry columns, then a column per question with its drop-down or check."""
    _write_header(sheet, questionnaire, questions, language, entry_columns)
    first_question_column = len(entry_columns) + 1
    for offset, question in enumerate(questions):
        letter = _letter(first_question_column + offset)
        cells = f"{letter}{FIRST_DATA_ROW}:{letter}{FIRST_DATA_ROW + rows - 1}"
        validation = _validation(question, language, choice_ranges.get(question.id))
        if validation is not None:
            sheet.add_data_validation(validation)
            validation.add(cells)
        if question.type == "text":
            sheet.column_dimensions[letter].number_format = "@"


def _note_instance_columns(sheet, questionnaire: Questionnaire, section, language) -> None:
    """What to type in the key columns of a repeat's sheet, as comments and labels."""
    from openpyxl.comments import Comment

    words = _words(language)
    within = section.repeat.within
    outer = questionnaire.repeat(within).title.in_language(language) if within else ""
    notes = [words["form_number"], words["instance_key_within" if within else "instance_key"]
             .format(outer=outer)]
    title = section.title.in_language(language)
    for column, note in enumerate(notes, start=1):
        sheet.cell(row=1, column=column).comment = Comment(note, "dmsurvey", width=320,
                                                           height=80)
    sheet.cell(row=LABEL_ROW, column=2, value=f"{title} {words['instance_label']}")


def _write_header(sheet, questionnaire, questions, language, entry_columns=ENTRY_COLUMNS) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    bold = Font(bold=True)
    label_font = Font(italic=True, color="595959")
    label_alignment = Alignment(wrap_text=True, vertical="top")
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for column, name in enumerate(entry_columns, start=1):
        cell = sheet.cell(row=1, column=column, value=name)
        cell.font = bold
        sheet.column_dimensions[_letter(column)].width = 14
        # Text, so that a form number such as 007 keeps its zeros.
        sheet.column_dimensions[_letter(column)].number_format = "@"
    for offset, question in enumerate(questions):
        column = len(entry_columns) + 1 + offset
        cell = sheet.cell(row=1, column=column, value=question.id)
        cell.font = bold
        if question.required:
            cell.fill = required_fill
        label = sheet.cell(
            row=LABEL_ROW, column=column, value=question.label.in_language(language)
        )
        label.font, label.alignment = label_font, label_alignment
        note = _header_note(question, questionnaire, language)
        cell.comment = Comment(note, "dmsurvey", width=320, height=40 + 18 * note.count("\n"))
        sheet.column_dimensions[_letter(column)].width = _width(question, language)
    sheet.row_dimensions[LABEL_ROW].height = LABEL_ROW_HEIGHT
    sheet.freeze_panes = sheet.cell(row=FIRST_DATA_ROW, column=len(entry_columns) + 1)


def _header_note(question: Question, questionnaire: Questionnaire, language: str) -> str:
    """What to type in a question's column, in `language` and plain words."""
    words = _words(language)
    lines = [question.label.in_language(language)]
    if question.unit:
        lines[0] += f" ({question.unit.in_language(language)})"
    if question.hint:
        lines.append(question.hint.in_language(language))
    if question.required:
        lines.append(words["required"])
    rules = [rule for rule in (_section_of(questionnaire, question).relevant,
                               question.relevant) if rule]
    if rules:
        conditions = [describe_condition(rule, questionnaire, language) for rule in rules]
        lines.append(words["see_codebook"] if None in conditions else
                     words["asked_if"].format(condition=words["and"].join(conditions)))
    if question.type == "select_multiple":
        labels = [choice.label.in_language(language) for choice in question.choices
                  if choice.code not in question.exclusive]
        lines.append(words["multiple"].format(example="; ".join(labels[:2])))
    elif question.type == "select_one":
        lines.append(words["single"])
    elif question.is_numeric:
        lines.append(_number_words(question, language))
    return "\n".join(lines)


def _number_words(question: Question, language: str) -> str:
    words = _words(language)
    if question.constraint_message:
        return question.constraint_message.in_language(language)
    low, high = simple_bounds(question.constraint, whole=question.type == "integer")
    if low is not None and high is not None:
        return words["between"].format(low=_number(low), high=_number(high))
    if low is not None:
        return words["at_least"].format(low=_number(low))
    if high is not None:
        return words["at_most"].format(high=_number(high))
    if question.constraint:
        return words["rule"]
    return words["whole" if question.type == "integer" else "number"]


def describe_condition(expression: str, questionnaire: Questionnaire, language: str) -> str | None:
    """A skip-logic condition in words, or None where it is not a simple one.

    Simple: comparisons of an answer with a choice (`${q} = 'code'`, `!=`), with nothing
    (`${q} != ''`), and `selected(${q}, 'code')`, joined all by `and` or all by `or`.
    """
    words = _words(language)
    parts, joiner = [expression.strip()], "and"
    for candidate in ("and", "or"):
        split = re.split(rf"\s+{candidate}\s+", expression.strip())
        if len(split) > 1:
            parts, joiner = split, candidate
            break
    described = []
    for part in parts:
        text = _describe_comparison(part.strip(), questionnaire, language)
        if text is None:
            return None
        described.append(text)
    return words[joiner].join(described)


def _describe_comparison(part: str, questionnaire: Questionnaire, language: str) -> str | None:
    words = _words(language)
    comparison, selected = _TEXT_CONDITION.match(part), _SELECTED.match(part)
    match = comparison or selected
    if match is None or match.group(1) not in questionnaire:
        return None
    question = questionnaire[match.group(1)]
    name = words["quote"].format(question.label.in_language(language))
    code = match.group(3) if comparison else match.group(2)
    if comparison and code == "":
        return words["answered" if match.group(2) == "!=" else "unanswered"].format(
            question=name)
    if code not in question.choice_codes:
        return None
    choice = words["quote"].format(question.choice(code).label.in_language(language))
    if selected:
        return words["selected"].format(question=name, choice=choice)
    return words["is" if match.group(2) == "=" else "is_not"].format(question=name,
                                                                    choice=choice)


def _words(language: str) -> dict[str, str]:
    return WORDS.get(language, WORDS["en"])


def _section_of(questionnaire: Questionnaire, question: Question):
    return next(section for section in questionnaire.sections if section.id == question.section)


def _write_choices(sheet, questionnaire: Questionnaire, language: str) -> dict[str, str]:
    """Write every choice (question, code, labels) and return each select_one's label range."""
    languages = list(questionnaire.languages)
    sheet.append(["question", "code", *(f"label::{lang}" for lang in languages)])
    label_column = _letter(3 + languages.index(language))
    ranges: dict[str, str] = {}
    row = 1
    for question in questionnaire.answerable:
        if not question.is_select:
            continue
        first = row + 1
        for choice in question.choices:
            sheet.append(
                [question.id, choice.code,
                 *(choice.label.in_language(lang) for lang in languages)]
            )
            row += 1
        if question.type == "select_one":
            ranges[question.id] = f"choices!${label_column}${first}:${label_column}${row}"
    return ranges


def _validation(question: Question, language: str, choice_range: str | None):
    from openpyxl.worksheet.datavalidation import DataValidation

    message = question.constraint_message.in_language(language) if (
        question.constraint_message
    ) else None
    if question.type == "select_one" and choice_range:
        return DataValidation(
            type="list", formula1=choice_range, allow_blank=True, showErrorMessage=True,
            errorTitle=question.id, error=message,
        )
    if question.is_numeric:
        kind = "whole" if question.type == "integer" else "decimal"
        operator, formulas = _number_rule(question)
        return DataValidation(
            type=kind, operator=operator, formula1=formulas[0],
            formula2=formulas[1] if len(formulas) > 1 else None,
            allow_blank=True, showErrorMessage=True, errorTitle=question.id, error=message,
        )
    if question.type == "select_multiple":
        # No drop-down can pick several choices; the prompt lists them instead.
        prompt = "; ".join(choice.label.in_language(language) for choice in question.choices)
        return DataValidation(
            allow_blank=True, showInputMessage=True,
            promptTitle=_words(language)["multiple_prompt"][:32], prompt=prompt[:255],
        )
    return None


def _number_rule(question: Question) -> tuple[str, tuple[str, ...]]:
    """Excel's operator and bounds for `question`'s constraint where it is a simple bound."""
    low, high = simple_bounds(question.constraint, whole=question.type == "integer")
    if low is not None and high is not None:
        return "between", (_number(low), _number(high))
    if low is not None:
        return "greaterThanOrEqual", (_number(low),)
    if high is not None:
        return "lessThanOrEqual", (_number(high),)
    # Any number at all: the type check is what the clerk needs.
    return "between", ("-1E+300", "1E+300")


def simple_bounds(constraint: str | None, *, whole: bool) -> tuple[float | None, float | None]:
    """Inclusive (low, high) of a constraint such as `. >= 0 and . <= 100`, else (None, None).

    Only conjunctions of comparisons of `.` with a number are understood; anything else
    (references to other answers, `or`, functions) gives no bounds, and the importer checks it.
    Strict bounds of whole numbers move by one; of decimals they are kept as inclusive.
    """
    if not constraint:
        return None, None
    low = high = None
    for part in re.split(r"\s+and\s+", constraint.strip()):
        match = _BOUND.match(part)
        if match is None:
            return None, None
        operator, number = match.group(1), float(match.group(2))
        step = 1 if whole and operator in (">", "<") else 0
        if operator.startswith(">"):
            low = number + step if low is None else max(low, number + step)
        else:
            high = number - step if high is None else min(high, number - step)
    return low, high


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def _width(question: Question, language: str) -> int:
    """Wide enough for the id, for a choice label typed in full, and for the question label
    wrapped over the lines of the label row."""
    widths = [_display_width(question.id) + 2,
              -(-_display_width(question.label.in_language(language)) // LABEL_LINES) + 2]
    if question.is_select:
        widths += [_display_width(choice.label.in_language(language)) + 2
                   for choice in question.choices]
    return min(MAX_WIDTH, max(MIN_WIDTH, *widths))


def _display_width(text: str) -> int:
    # Chinese characters take two columns in Excel's default font.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _append_codebook(sheet, questionnaire: Questionnaire, language: str) -> None:
    from openpyxl.styles import Font

    codebook = questionnaire.codebook(language)
    sheet.append(list(codebook.columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in codebook.itertuples(index=False, name=None):
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # an expression such as "=..." is text, not a formula
    sheet.freeze_panes = "A2"
    for offset, name in enumerate(codebook.columns, start=1):
        longest = max([_display_width(str(v)) for v in codebook[name]] + [len(name)])
        sheet.column_dimensions[_letter(offset)].width = min(MAX_WIDTH, longest + 2)


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(column)
