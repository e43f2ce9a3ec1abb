"""Tables as a reader sees them in the report: labels in the report language, not codes.

    >>> html = html_table(tables["obstacle_breakdowns"], "zh", questionnaire=q)

The CSV files keep the codes; the report's tables name questions by their label, choices
by theirs, outcomes, tests, groupings and checks from `dmsurvey.reporting.texts`, and
translate the analysis notes. Missing values are blank, a column with nothing in it is
left out, and a note repeated on every row is printed once under the table.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dmsurvey.reporting.texts import TEXTS, text, translate_note

if TYPE_CHECKING:
    import pandas as pd

    from dmsurvey.questionnaire.model import Questionnaire

PERCENT_COLUMNS = ("share", "ci_low", "ci_high")
P_VALUE_COLUMNS = ("p_value", "trend_p_value")
NOTE_COLUMNS = ("note", "message")


@dataclass(frozen=True)
class Labels:
    """Names of the codes that appear in analysis tables, in one language."""

    questionnaire: Questionnaire | None
    language: str

    @property
    def lang(self) -> str:
        if self.questionnaire is None:
            return self.language
        return self.questionnaire.label_language(self.language)

    def question(self, name: str) -> str:
        """`industry` -> its caption; `policy_support/tax` -> "Policy support: Tax";
        `policy_support/any` -> "Policy support: any"; `a/b` of two questions -> "A / B"."""
        from dmsurvey.reporting.charts import question_caption

        q = self.questionnaire
        if q is None:
            return name
        if name in q:
            return question_caption(q, name, self.language)
        head, _, tail = name.partition("/")
        if head in q and tail:
            caption = question_caption(q, head, self.language)
            if tail == "any":
                return text("any_option", self.language, question=caption)
            if tail in q:
                return f"{caption} / {question_caption(q, tail, self.language)}"
            question = q.question(head)
            if question.is_select and tail in question.choice_codes:
                separator = "：" if self.language.startswith("zh") else ": "
                return caption + separator + question.choice(tail).label.in_language(self.lang)
        return name

    def grouping(self, name: str) -> str:
        key = f"by:{name}"
        if key in TEXTS:
            return text(key, self.language)
        return self.question(name)

    def group(self, value: str, by: str | None) -> str:
        """A group of a grouping: a size class, a level or a choice of the `by` question."""
        if f"size:{value}" in TEXTS:
            return text(f"size:{value}", self.language)
        q = self.questionnaire
        if q is None or by is None:
            return value
        if by == "level" and q.scoring is not None:
            return next((level.label.in_language(self.lang) for level in q.scoring.levels
                         if level.id == value), value)
        if by in q and q.question(by).is_select and value in q.question(by).choice_codes:
            return q.question(by).choice(value).label.in_language(self.lang)
        return value

    def dimension(self, name: str) -> str:
        if name == "composite":
            return text("composite", self.language)
        scoring = self.questionnaire.scoring if self.questionnaire is not None else None
        if scoring is None:
            return name
        return next((d.label.in_language(self.lang) for d in scoring.dimensions
                     if d.id == name), name)


def labelled(
    table: pd.DataFrame, labels: Labels, percent_columns: Iterable[str] = PERCENT_COLUMNS
) -> tuple[pd.DataFrame, list[str]]:
    """`table` with codes replaced by labels and notes translated, fractions in
    `percent_columns` as percentages, blanks for missing values, empty columns dropped;
    and the footnotes (a note shared by every row that has one)."""
    import pandas as pd

    percent_columns = set(percent_columns)
    shown = table.copy()
    if "item" in shown.columns and "label" in shown.columns:
        shown = shown.drop(columns="item")
    by = shown["by"].astype("object") if "by" in shown.columns else None
    for column in shown.columns:
        values = shown[column].astype("object")
        present = values.notna()
        if column in ("series", "question", "size_measure"):
            shown[column] = _each(values, labels.question)
        elif column == "outcome":
            shown[column] = _each(values, lambda v: text(f"outcome:{v}", labels.language,
                                                         default=v))
        elif column == "by":
            shown[column] = _each(values, labels.grouping)
        elif column == "group":
            shown[column] = [labels.group(str(v), None if by is None else str(b))
                             if ok else "" for v, b, ok in
                             zip(values, by if by is not None else [None] * len(values),
                                 present, strict=True)]
        elif column in ("size_class", "level"):
            shown[column] = [labels.group(str(v), column) if ok else ""
                             for v, ok in zip(values, present, strict=True)]
        elif column in ("test", "severity", "check"):
            shown[column] = _each(values, lambda v, c=column: text(f"{c}:{v}", labels.language,
                                                                   default=v))
        elif column in ("dimension", "dimension_id"):
            shown[column] = _each(values, labels.dimension)
        elif column in NOTE_COLUMNS:
            shown[column] = [translate_note(v, labels.language) for v in values]
        elif column in P_VALUE_COLUMNS and pd.api.types.is_float_dtype(table[column]):
            shown[column] = [p_value_text(v) for v in values]
        elif column in percent_columns and pd.api.types.is_float_dtype(table[column]):
            shown[column] = ["" if pd.isna(v) else f"{v:.1%}" for v in values]
        elif pd.api.types.is_float_dtype(table[column]):
            shown[column] = format_numbers(table[column])
        else:
            shown[column] = ["" if pd.isna(v) else str(v) for v in values]
    shown = shown[[c for c in shown.columns if (shown[c] != "").any()]]
    footnotes = []
    for column in NOTE_COLUMNS:
        if column in shown.columns:
            shared = set(shown[column]) - {""}
            if len(shared) == 1 and (shown[column] != "").sum() > 1:
                note = shared.pop()
                if (shown[column] != "").all():
                    footnotes.append(note)
                    shown = shown.drop(columns=column)
                else:
                    footnotes.append(f"* {note}")
                    shown[column] = shown[column].where(shown[column] == "", "*")
    return shown, footnotes


def _each(values: Iterable, name) -> list[str]:
    import pandas as pd

    return ["" if pd.isna(value) else name(str(value)) for value in values]


def p_value_text(p: float) -> str:
    """0.0455 -> "0.046", 0.00001 -> "<0.001", NaN -> ""."""
    if p is None or p != p:
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def format_numbers(values: pd.Series) -> list[str]:
    """A column of numbers with the same number of decimals throughout: three
    significant digits of its largest value (scores 10.0 and 19.3, coefficients -0.46)."""
    import numpy as np

    numbers = values.to_numpy(dtype=float, na_value=np.nan)
    finite = numbers[np.isfinite(numbers)]
    if finite.size == 0:
        return [""] * len(numbers)
    largest = float(np.abs(finite).max())
    if np.all(finite == np.round(finite)):
        decimals = 0
    else:
        decimals = 0 if largest >= 100 else (2 - math.floor(math.log10(largest))
                                             if largest > 0 else 1)
        decimals = min(max(decimals, 0), 3)
    return ["" if not np.isfinite(v) else f"{v:,.{decimals}f}" for v in numbers]


def html_table(
    table: pd.DataFrame,
    language: str,
    *,
    questionnaire: Questionnaire | None = None,
    percent_columns: Iterable[str] = PERCENT_COLUMNS,
) -> str:
    """The table as HTML with labels (see the module docstring); `percent_columns` are
    the columns of fractions to print as percentages."""
    import pandas as pd

    shown, footnotes = labelled(table, Labels(questionnaire, language), percent_columns)
    numeric = {column: pd.api.types.is_numeric_dtype(table[column]) for column in shown.columns}
    headers = "".join(
        f'<th{_align(numeric[c])}>{html.escape(text(f"column:{c}", language, default=str(c)))}'
        "</th>" for c in shown.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td{_align(numeric[c])}>{html.escape(value)}</td>"
                         for c, value in zip(shown.columns, row, strict=True)) + "</tr>"
        for row in shown.itertuples(index=False, name=None))
    body = (f'<table class="data"><thead><tr>{headers}</tr></thead>'
            f"<tbody>{rows}</tbody></table>")
    notes = "".join(
        f'<p class="note footnote">{html.escape(text("footnote", language, note=note))}</p>'
        for note in footnotes)
    return body + notes


def _align(numeric: bool) -> str:
    """Numbers line up on the right (the stylesheet's default), words on the left."""
    return "" if numeric else ' class="left"'
