"""Check the columns of a response file: answers through the questionnaire's answer checker,
metadata (ids, source, status, entry, timestamps) here.

Answers are judged by `dmsurvey.questionnaire.answer_columns`, the column-wise form of the
checker every way in uses; see there how a column is judged once per distinct value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dmsurvey.questionnaire.answer_columns import Coded, Collector, read_answers, read_numbers
from dmsurvey.questionnaire.answers import AnswerChecker
from dmsurvey.questionnaire.model import SOURCES, STATUSES, Question, Questionnaire, Text
from dmsurvey.questionnaire.values import TEXT_EXPECTED, control_character_problem

TIMESTAMP_FIELDS = ("submitted_at", "started_at", "updated_at", "start", "end")
CANONICAL_TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d)?"
# How the entry number is read: a whole number, as an integer question is.
ENTRY_QUESTION = Question("entry", "integer", Text(), "")


@dataclass
class CheckedColumns:
    """Per field: the values as the store binds them, and the typed column expressions see."""

    values: dict[str, np.ndarray]
    typed: dict[str, object]


def check_field(name: str, coded: Coded, questionnaire: Questionnaire, found: Collector,
                header: str, checked: CheckedColumns,
                options: dict[str, tuple[Coded, str]] | None = None,
                checker: AnswerChecker | None = None) -> None:
    """Check one field's column, adding its store values and typed column to `checked`.

    `options` are the 0/1 columns of a multi-select's choices: code -> (column, header).
    """
    if name in questionnaire:
        checker = checker or AnswerChecker(questionnaire)
        value, typed = read_answers(questionnaire[name], coded, checker, found, header, options)
    else:
        value = typed = _metadata(coded, name, found, header)
    checked.values[name] = value
    checked.typed[name] = typed


def _metadata(coded: Coded, name: str, found: Collector, header: str) -> np.ndarray:
    texts = pd.Series(coded.uniques, dtype="str")
    if name == "response_id":
        ids = Coded(coded.codes, texts.str.removeprefix("uuid:").to_numpy(dtype=object))
        return _text(ids, found, header)
    if name in ("source", "status"):
        allowed = SOURCES if name == "source" else STATUSES
        lowered = texts.str.lower()
        known = lowered.isin(allowed).to_numpy(dtype=bool)
        found.add_distinct(coded, ~known, header, f"unknown {name}",
                           "one of " + ", ".join(allowed))
        return coded.spread(lowered.where(known).to_numpy(dtype=object, na_value=None))
    if name == "entry":
        values, typed = read_numbers(coded, ENTRY_QUESTION, found, header)
        low = (typed < 1).fillna(False).to_numpy(dtype=bool)
        found.add(low, header, coded.texts(), "not an entry number",
                  "1 for the first entry, 2 for the second")
        values[low] = None
        return values
    if name in TIMESTAMP_FIELDS:
        return _timestamps(coded, texts, found, header)
    return _text(coded, found, header)


def _text(coded: Coded, found: Collector, header: str) -> np.ndarray:
    """Free text such as an id or an enumerator's name: refused if it holds control
    characters, as a text answer is."""
    problems = np.array([control_character_problem(text) for text in coded.uniques],
                        dtype=object)
    refused = np.array([problem is not None for problem in problems], dtype=bool)
    found.add_distinct(coded, refused, header, problems, TEXT_EXPECTED)
    return coded.spread(np.where(refused, None, coded.uniques))


def _timestamps(coded: Coded, texts: pd.Series, found: Collector, header: str) -> np.ndarray:
    """ISO 8601 text; other readable forms (Excel dates, milliseconds) are rewritten."""
    canonical = texts.str.fullmatch(CANONICAL_TIMESTAMP).to_numpy(dtype=bool)
    parsed = pd.to_datetime(texts.where(canonical), format="ISO8601", errors="coerce", utc=True)
    result = texts.to_numpy(dtype=object)
    invalid = canonical & parsed.isna().to_numpy()
    for position in np.flatnonzero(~canonical):
        result[position] = _timestamp_text(result[position])
    invalid |= ~canonical & pd.isna(result)
    found.add_distinct(coded, invalid, header, "not a date and time",
                       "ISO 8601, such as 2020-07-10T09:30:00+08:00")
    result[invalid] = None
    return coded.spread(result)


def _timestamp_text(text: str) -> str | None:
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        return None
    if pd.isna(stamp):
        return None
    return stamp.isoformat(timespec="seconds")
