"""An Excel sheet for keying in paper questionnaires, made from the questionnaire.

The `data` sheet has a header row of question ids and, below it, a row of question labels,
which `dmsurvey import` recognises and skips, so a filled-in template is an ordinary response
file that imports as it is. Each id carries a comment with the label, unit, hint and what the
question accepts; single choices get a drop-down of their labels (the importer accepts labels
in any questionnaire language), numbers are checked against their constraint where it is a
simple bound. A hidden `choices` sheet holds the codes
and labels the drop-downs use, and a `codebook` sheet documents every question.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

from dmsurvey.questionnaire.model import Question, Questionnaire

# Metadata the clerk keys from the paper form itself, before the answers.
ENTRY_COLUMNS = ("form_number", "enumerator")
DEFAULT_ROWS = 1000
LABEL_ROW = 2
FIRST_DATA_ROW = 3
MAX_WIDTH = 40

_BOUND = re.compile(r"^\s*\.\s*(>=|>|<=|<)\s*(-?\d+(?:\.\d+)?)\s*$")


def write_template(
    questionnaire: Questionnaire,
    path: str | os.PathLike,
    *,
    language: str | None = None,
    rows: int = DEFAULT_ROWS,
) -> Path:
    """Write an entry workbook for `questionnaire` to `path` (drop-downs for `rows` rows)."""
    from openpyxl import Workbook

    from dmsurvey.store.exporting import write_atomically

    language = questionnaire.label_language(language)
    questions = list(questionnaire.answerable)
    workbook = Workbook()
    data_sheet = workbook.active
    data_sheet.title = "data"
    choices_sheet = workbook.create_sheet("choices")
    choice_ranges = _write_choices(choices_sheet, questionnaire, language)
    choices_sheet.sheet_state = "hidden"
    _write_header(data_sheet, questionnaire, questions, language)
    first_question_column = len(ENTRY_COLUMNS) + 1
    for offset, question in enumerate(questions):
        letter = _letter(first_question_column + offset)
        cells = f"{letter}{FIRST_DATA_ROW}:{letter}{FIRST_DATA_ROW + rows - 1}"
        validation = _validation(question, language, choice_ranges.get(question.id))
        if validation is not None:
            data_sheet.add_data_validation(validation)
            validation.add(cells)
        if question.type == "text":
            data_sheet.column_dimensions[letter].number_format = "@"
    _append_codebook(workbook.create_sheet("codebook"), questionnaire, language)
    path = Path(path)
    write_atomically(path, workbook.save)
    return path


def _write_header(sheet, questionnaire, questions, language) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    bold = Font(bold=True)
    label_font = Font(italic=True, color="595959")
    label_alignment = Alignment(wrap_text=True, vertical="top")
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for column, name in enumerate(ENTRY_COLUMNS, start=1):
        cell = sheet.cell(row=1, column=column, value=name)
        cell.font = bold
        sheet.column_dimensions[_letter(column)].width = 14
        # Text, so that a form number such as 007 keeps its zeros.
        sheet.column_dimensions[_letter(column)].number_format = "@"
    for offset, question in enumerate(questions):
        column = len(ENTRY_COLUMNS) + 1 + offset
        cell = sheet.cell(row=1, column=column, value=question.id)
        cell.font = bold
        if question.required:
            cell.fill = required_fill
        label = sheet.cell(
            row=LABEL_ROW, column=column, value=question.label.in_language(language)
        )
        label.font, label.alignment = label_font, label_alignment
        note = _header_note(question, language)
        cell.comment = Comment(note, "dmsurvey", width=320, height=40 + 18 * note.count("\n"))
        sheet.column_dimensions[_letter(column)].width = _width(question, language)
    sheet.row_dimensions[LABEL_ROW].height = 45
    sheet.freeze_panes = sheet.cell(row=FIRST_DATA_ROW, column=len(ENTRY_COLUMNS) + 1)


def _header_note(question: Question, language: str) -> str:
    lines = [question.label.in_language(language)]
    if question.unit:
        lines[0] += f" ({question.unit.in_language(language)})"
    if question.hint:
        lines.append(question.hint.in_language(language))
    if question.required:
        lines.append("required")
    if question.relevant:
        lines.append(f"only if {question.relevant}")
    if question.type == "select_multiple":
        codes = " ".join(question.choice_codes)
        lines.append(f"codes separated by spaces: {codes}")
    elif question.is_numeric and question.constraint:
        lines.append(f"must satisfy {question.constraint}")
    return "\n".join(lines)


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
        # No drop-down can pick several codes; the prompt lists them instead.
        prompt = " ".join(question.choice_codes)
        return DataValidation(
            allow_blank=True, showInputMessage=True, promptTitle=question.id[:32],
            prompt=prompt[:255],
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
    texts = [question.id]
    if question.type == "select_one":
        texts += [choice.label.in_language(language) for choice in question.choices]
    return min(MAX_WIDTH, max(12, *(_display_width(text) + 2 for text in texts)))


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
