"""Check every cell of a response file against the questionnaire, without a loop over cells.

Each column is factorised first (pandas/pyarrow hashing): a column becomes, per row, the index
of its distinct value. The distinct values are interpreted once each (a choice question has a
few dozen at most, however many rows there are) and rows inherit the result by integer
indexing: the code a label stands for, the number a text is, the canonical text of a
multi-select, and whether it is acceptable. Constraints and skip logic are then evaluated
column-wise over the whole frame with `Expression.holds_frame`.

The result keeps, for each row, the values as the store binds them (Python int, float, str or
None, the same object shared by equal cells, which is what makes a bulk insert fast), and
every problem with its row position, column, value, message and what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dmsurvey.errors import DataError
from dmsurvey.questionnaire.expressions import parse_expression
from dmsurvey.questionnaire.model import SOURCES, STATUSES, Question, Questionnaire

MAX_MULTI_CHOICES = 62
COMMAS = ",，、"
COMMA_MESSAGE = "choices separated by commas"
SEMICOLONS = re.compile(r"\s*[;；]\s*")
TRUE_TEXT = frozenset({"1", "true", "yes", "1.0"})
FALSE_TEXT = frozenset({"0", "false", "no", "0.0"})
TIMESTAMP_FIELDS = ("submitted_at", "started_at", "updated_at", "start", "end")
CANONICAL_TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d)?"
PROBLEM_COLUMNS = ["position", "column", "value", "message", "expected"]


@dataclass
class Coded:
    """A column as distinct texts (stripped, non-empty) and, per row, which one (-1: empty)."""

    codes: np.ndarray
    uniques: np.ndarray

    @classmethod
    def of(cls, column: pd.Series) -> Coded:
        codes, uniques = pd.factorize(column)
        texts = pd.Series(uniques).astype("str")
        stripped = texts.str.strip()
        if not ((stripped != texts) | (stripped == "")).any():
            return cls(codes, texts.to_numpy(dtype=object))
        # distinct texts may coincide once stripped; blank ones mean "not answered"
        refined, distinct = pd.factorize(stripped.where(stripped != ""))
        mapping = np.append(refined, -1)
        return cls(mapping[codes], np.asarray(distinct, dtype=object))

    @classmethod
    def empty(cls, rows: int) -> Coded:
        return cls(np.full(rows, -1), np.array([], dtype=object))

    def present(self) -> np.ndarray:
        return self.codes >= 0

    def spread(self, per_unique, missing=None) -> np.ndarray:
        """A value per row from a value per distinct text (`missing` where empty)."""
        per_unique = np.asarray(per_unique)
        if per_unique.dtype == object or missing is None:
            table = np.empty(len(per_unique) + 1, dtype=object)
            table[:-1] = per_unique
            table[-1] = missing
        else:
            table = np.append(per_unique, missing)
        return table[self.codes]

    def texts(self) -> np.ndarray:
        return self.spread(self.uniques)


class Collector:
    """Problems found column by column: positions and values in bulk."""

    def __init__(self, headers: Sequence[str] = ()) -> None:
        self.parts: list[pd.DataFrame] = []
        self.column_order = {header: position for position, header in enumerate(headers)}

    def add(self, bad, column: str, values, message, expected: str) -> None:
        positions = np.flatnonzero(np.asarray(bad, dtype=bool))
        if not len(positions):
            return
        values = np.asarray(values, dtype=object)
        messages = np.asarray(message, dtype=object)
        self.parts.append(pd.DataFrame({
            "position": positions,
            "column": column,
            "value": values[positions] if values.ndim else values,
            "message": messages[positions] if messages.ndim else messages,
            "expected": expected,
        }))

    def add_distinct(self, coded: Coded, bad, column: str, message, expected: str) -> None:
        """Problems found on distinct texts, reported on every row holding one."""
        bad = np.asarray(bad, dtype=bool)
        if not bad.any():
            return
        messages = coded.spread(message) if np.ndim(message) else message
        self.add(coded.spread(bad, False), column, coded.texts(), messages, expected)

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=PROBLEM_COLUMNS)
        combined = pd.concat(self.parts, ignore_index=True)
        order = combined["column"].map(self.column_order).fillna(len(self.column_order))
        combined = combined.assign(_order=order).sort_values(["position", "_order"], kind="stable")
        return combined.drop(columns="_order").reset_index(drop=True)


@dataclass
class CheckedColumns:
    """Per field: the values as the store binds them, and the typed column expressions see."""

    values: dict[str, np.ndarray]
    typed: dict[str, object]


def check_field(name: str, coded: Coded, questionnaire: Questionnaire, found: Collector,
                header: str, checked: CheckedColumns,
                options: dict[str, tuple[Coded, str]] | None = None) -> None:
    """Check one field's column, adding its store values and typed column to `checked`.

    `options` are the 0/1 columns of a multi-select's choices: code -> (column, header).
    """
    if name in questionnaire:
        question = questionnaire[name]
        if question.type == "select_multiple":
            value, typed = _multi_select(coded, options or {}, question, questionnaire, found,
                                         header)
        elif question.type == "select_one":
            value, typed = _select_one(coded, question, questionnaire, found, header)
        elif question.is_numeric:
            value, typed = _number(coded, question.type, found, header)
        else:
            value = typed = coded.texts()
    else:
        value = typed = _metadata(coded, name, found, header)
    checked.values[name] = value
    checked.typed[name] = typed


def _number(coded: Coded, kind: str, found: Collector, header: str):
    numbers = pd.to_numeric(pd.Series(coded.uniques, dtype="str"), errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan)
    expected = "a whole number" if kind == "integer" else "a number"
    not_number = np.isnan(numbers)
    infinite = np.isinf(numbers)
    found.add_distinct(coded, not_number, header, "not a number", expected)
    found.add_distinct(coded, infinite, header, "not a finite number", expected)
    bad = not_number | infinite
    if kind == "integer":
        fractional = ~bad & (np.mod(numbers, 1, where=~bad, out=np.zeros_like(numbers)) != 0)
        found.add_distinct(coded, fractional, header, "not a whole number", expected)
        bad |= fractional
    convert = int if kind == "integer" else float
    stored = [None if flaw else convert(number) for number, flaw in zip(numbers, bad, strict=True)]
    numbers = np.where(bad, np.nan, numbers)
    typed = pd.array(coded.spread(numbers, np.nan).astype("float64"), dtype="Float64")
    return coded.spread(np.array(stored, dtype=object)), (
        typed.astype("Int64") if kind == "integer" else typed)


def choice_lookup(question: Question, questionnaire: Questionnaire) -> dict[str, int]:
    """Text a cell may hold -> position of the choice: codes, then labels in each language."""
    lookup: dict[str, int] = {}
    for position, choice in enumerate(question.choices):
        lookup[choice.code] = position
        if choice.code.lstrip("-").isdigit():
            lookup.setdefault(f"{choice.code}.0", position)
    for language in questionnaire.languages:
        for position, choice in enumerate(question.choices):
            label = choice.label.in_language(language).strip()
            if label:
                lookup.setdefault(label, position)
    for text, position in list(lookup.items()):
        lookup.setdefault(text.casefold(), position)
    return lookup


def _find(text: str, lookup: dict[str, int]) -> int:
    position = lookup.get(text)
    return lookup.get(text.casefold(), -1) if position is None else position


def _select_one(coded: Coded, question: Question, questionnaire, found, header):
    lookup = choice_lookup(question, questionnaire)
    positions = np.array([_find(text, lookup) for text in coded.uniques], dtype=int)
    found.add_distinct(coded, positions < 0, header, "unknown choice",
                       "one of " + ", ".join(question.choice_codes) + " (or their labels)")
    rows = coded.spread(positions, -1).astype(int)
    codes = np.array([*question.choice_codes, None], dtype=object)
    typed = pd.Categorical.from_codes(rows, categories=list(question.choice_codes))
    return codes[rows], typed


def _multi_select(coded, options, question, questionnaire, found, header):
    """Canonical multi-select text from a space-joined column and/or 0/1 option columns.

    A row's choices are held as the bits of one 64-bit integer.
    """
    if len(question.choices) > MAX_MULTI_CHOICES:
        raise DataError(f"{question.id} has {len(question.choices)} choices; importing a "
                        f"multi-select supports at most {MAX_MULTI_CHOICES}.")
    lookup = choice_lookup(question, questionnaire)
    expected = "codes among " + ", ".join(question.choice_codes) + " (or their labels)"
    parsed = [_parse_choices(text, lookup) for text in coded.uniques]
    masks = np.array([mask for mask, _ in parsed], dtype=np.int64)
    messages = np.array([message for _, message in parsed], dtype=object)
    unreadable = np.array([message is not None for message in messages], dtype=bool)
    commas = messages == COMMA_MESSAGE
    found.add_distinct(coded, commas, header, messages,
                       "codes separated by spaces, such as 'big_data ai'")
    found.add_distinct(coded, unreadable & ~commas, header, messages, expected)
    rows = coded.spread(masks, 0).astype(np.int64)
    broken = coded.spread(unreadable, False).astype(bool)
    if options:
        from_options = np.zeros(len(rows), dtype=np.int64)
        given = np.zeros(len(rows), dtype=bool)
        for code, (column, option_header) in options.items():
            lowered = np.array([text.lower() for text in column.uniques], dtype=object)
            chosen = np.array([text in TRUE_TEXT for text in lowered], dtype=bool)
            bad = ~chosen & ~np.array([text in FALSE_TEXT for text in lowered], dtype=bool)
            found.add_distinct(column, bad, option_header, "not 0 or 1",
                               "1 (chosen), 0 or empty")
            broken |= column.spread(bad, False).astype(bool)
            bit = np.int64(1) << question.choice_codes.index(code)
            from_options |= np.where(column.spread(chosen, False).astype(bool), bit, 0)
            given |= column.present()
        answered = coded.present()
        differs = answered & given & ~broken & (from_options != rows)
        found.add(differs, header, coded.texts(), "disagrees with the 0/1 columns of its options",
                  "the same choices in both")
        broken |= differs
        rows = np.where(answered, rows, from_options)
    for code in question.exclusive:
        if code in question.choice_codes:
            bit = np.int64(1) << question.choice_codes.index(code)
            alone = ((rows & bit) != 0) & (np.bitwise_count(rows) > 1)
            found.add(alone, header, coded.texts(),
                      f"{code!r} cannot be combined with other choices", f"{code!r} alone")
            broken |= alone
    rows[broken] = 0
    return joined_codes(rows, question.choice_codes)


def _parse_choices(text: str, lookup: dict[str, int]) -> tuple[int, str | None]:
    """(bit mask of the choices, problem or None) for one distinct multi-select text."""
    whole = _find(text, lookup)
    if whole >= 0:
        return 1 << whole, None
    if any(comma in text for comma in COMMAS):
        return 0, COMMA_MESSAGE
    parts = SEMICOLONS.split(text) if SEMICOLONS.search(text) else text.split()
    mask = 0
    for part in parts:
        position = _find(part, lookup)
        if position < 0:
            return 0, f"unknown choice {part!r} in"
        mask |= 1 << position
    return mask, None


def joined_codes(masks: np.ndarray, codes: Sequence[str]) -> tuple[np.ndarray, pd.Categorical]:
    """Space-joined codes in choice order for bit masks (None for 0): objects and categorical."""
    unique, inverse = np.unique(masks, return_inverse=True)
    texts = [" ".join(c for bit, c in enumerate(codes) if int(m) >> bit & 1) for m in unique]
    table = np.array([text or None for text in texts] + [None], dtype=object)
    inverse = inverse.reshape(-1)
    values = table[inverse]
    answered = [text for text in texts if text]
    category = {text: number for number, text in enumerate(answered)}
    category_codes = np.array([category.get(text, -1) for text in texts], dtype=int)
    typed = pd.Categorical.from_codes(category_codes[inverse] if len(masks) else
                                      np.array([], dtype=int), categories=answered)
    return values, typed


def _metadata(coded: Coded, name: str, found: Collector, header: str) -> np.ndarray:
    texts = pd.Series(coded.uniques, dtype="str")
    if name == "response_id":
        return coded.spread(texts.str.removeprefix("uuid:").to_numpy(dtype=object))
    if name in ("source", "status"):
        allowed = SOURCES if name == "source" else STATUSES
        lowered = texts.str.lower()
        known = lowered.isin(allowed).to_numpy(dtype=bool)
        found.add_distinct(coded, ~known, header, f"unknown {name}",
                           "one of " + ", ".join(allowed))
        return coded.spread(lowered.where(known).to_numpy(dtype=object, na_value=None))
    if name == "entry":
        values, typed = _number(coded, "integer", found, header)
        low = (typed < 1).fillna(False).to_numpy(dtype=bool)
        found.add(low, header, coded.texts(), "not an entry number",
                  "1 for the first entry, 2 for the second")
        values[low] = None
        return values
    if name in TIMESTAMP_FIELDS:
        return _timestamps(coded, texts, found, header)
    return coded.texts()


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


def check_rules(typed: pd.DataFrame, given: dict[str, np.ndarray], originals: dict[str, np.ndarray],
                questionnaire: Questionnaire, found: Collector, headers: dict[str, str],
                language: str | None = "en") -> None:
    """Constraints on answered cells; required answers where the question is asked.

    A cell refused for its type or code is not reported again as a missing answer, and
    responses still `in_progress` may lack required answers. What a rule expects is said with
    the questionnaire's own message in `language` (its default language if it lacks that
    one); the expression itself only where the questionnaire gives no message.
    """
    rows = len(typed)
    in_progress = np.zeros(rows, dtype=bool)
    if "status" in typed:
        in_progress = pd.Series(typed["status"]).eq("in_progress").to_numpy(dtype=bool)
    language = questionnaire.label_language(language)
    for question in questionnaire.answerable:
        header = headers.get(question.id, question.id)
        answered = pd.Series(typed[question.id]).notna().to_numpy()
        if question.constraint:
            holds = parse_expression(question.constraint).holds_frame(typed, current=question.id)
            expected = (question.constraint_message.in_language(language)
                        if question.constraint_message
                        else f"a value for which {question.constraint} holds")
            found.add(answered & ~holds.to_numpy(dtype=bool), header, originals[question.id],
                      "not allowed", expected)
        if question.required:
            applies = relevance(typed, questionnaire, question)
            reason = (question.required_message.in_language(language)
                      if question.required_message else "the question is required")
            found.add(applies & ~given[question.id] & ~in_progress, header, None,
                      "no answer", f"an answer; {reason}")


def relevance(frame: pd.DataFrame, questionnaire: Questionnaire, question: Question) -> np.ndarray:
    """Rows where `question` is asked: its own and its section's `relevant` both hold."""
    applies = np.ones(len(frame), dtype=bool)
    section = next(s for s in questionnaire.sections if question.id in
                   {q.id for q in s.questions})
    for expression in (section.relevant, question.relevant):
        if expression:
            applies &= parse_expression(expression).holds_frame(frame).to_numpy(dtype=bool)
    return applies
