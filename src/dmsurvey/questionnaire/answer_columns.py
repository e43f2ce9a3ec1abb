"""Judge whole columns of answers, without a loop over cells: the import's and `validate`'s way.

Each column is factorised first (pandas/pyarrow hashing): a column becomes, per row, the index
of its distinct value. The distinct values are judged once each by the very functions that
judge one answer in the interview (`dmsurvey.questionnaire.answers`): reading, the rules of
the question's type (`RULES`), so that no way in accepts what another refuses. Rows inherit
the verdict by integer indexing. Only plain numbers take a faster road, through pandas, which
reads exactly the texts `PLAIN_NUMBER` matches as `parse_number` does. Constraints and skip
logic are then evaluated column-wise over the whole frame with `Expression.holds_frame`.

The result keeps, for each row, the values as the store binds them (Python int, float, str or
None, the same object shared by equal cells, which is what makes a bulk insert fast), and
every problem with its row position, column, value, message and what was expected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from dmsurvey.errors import DataError
from dmsurvey.questionnaire.answers import (
    COMMA_MESSAGE,
    EXACT_INTEGER_LIMIT,
    PLAIN_NUMBER,
    AnswerChecker,
    Flaw,
    InvalidAnswer,
    choice_expectation,
    choice_mask,
    constraint_expectation,
    expression,
    find_choice,
    number_flaw,
    required_expectation,
    rule_flaw,
)
from dmsurvey.questionnaire.choice_filters import filtered_out
from dmsurvey.questionnaire.model import Question, Questionnaire
from dmsurvey.questionnaire.xlsform_values import PARSED_TYPES

MAX_MULTI_CHOICES = 62
TRUE_TEXT = frozenset({"1", "true", "yes", "1.0"})
FALSE_TEXT = frozenset({"0", "false", "no", "0.0"})
PROBLEM_COLUMNS = ["position", "column", "value", "message", "expected"]


@dataclass
class Coded:
    """A column as distinct texts (stripped, non-empty) and, per row, which one (-1: empty)."""

    codes: np.ndarray
    uniques: np.ndarray

    @classmethod
    def of(cls, column: pd.Series) -> Coded:
        codes, uniques = pd.factorize(column)
        # The distinct texts are few beside the rows: plain Python on them costs less than
        # a pandas operation on each column of a wide file.
        texts = uniques.tolist()
        if not all(type(text) is str for text in texts):
            texts = pd.Series(uniques).astype("str").tolist()
        stripped = [text.strip() for text in texts]
        if stripped == texts and "" not in stripped:
            return cls(codes, np.array(texts, dtype=object))
        # distinct texts may coincide once stripped; blank ones mean "not answered"
        refined, distinct = pd.factorize(np.array([text or None for text in stripped],
                                                  dtype=object))
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

    def add(self, bad, column: str, values, message, expected) -> None:
        positions = np.flatnonzero(np.asarray(bad, dtype=bool))
        if not len(positions):
            return
        values = np.asarray(values, dtype=object)

        def picked(array):
            array = np.asarray(array, dtype=object)
            return array[positions] if array.ndim else array

        self.parts.append(pd.DataFrame({
            "position": positions,
            "column": column,
            "value": picked(values),
            "message": picked(message),
            "expected": picked(expected),
        }))

    def add_distinct(self, coded: Coded, bad, column: str, message, expected) -> None:
        """Problems found on distinct texts, reported on every row holding one."""
        bad = np.asarray(bad, dtype=bool)
        if not bad.any():
            return
        messages = coded.spread(message) if np.ndim(message) else message
        expectations = coded.spread(expected) if np.ndim(expected) else expected
        self.add(coded.spread(bad, False), column, coded.texts(), messages, expectations)

    def add_flaws(self, coded: Coded, flaws: Sequence[Flaw | None], column: str) -> np.ndarray:
        """Report the flaw of each distinct text on its rows; True per distinct text flawed."""
        bad = np.array([flaw is not None for flaw in flaws], dtype=bool)
        if bad.any():
            self.add_distinct(coded, bad, column,
                              np.array([f.message if f else "" for f in flaws], dtype=object),
                              np.array([f.expected if f else "" for f in flaws], dtype=object))
        return bad

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=PROBLEM_COLUMNS)
        combined = pd.concat(self.parts, ignore_index=True)
        order = combined["column"].map(self.column_order).fillna(len(self.column_order))
        combined = combined.assign(_order=order).sort_values(["position", "_order"], kind="stable")
        return combined.drop(columns="_order").reset_index(drop=True)


def read_answers(question: Question, coded: Coded, checker: AnswerChecker, found: Collector,
                 header: str, options: Mapping[str, tuple[Coded, str]] | None = None):
    """(values as the store binds them, typed column) of one question's column.

    `options` are the 0/1 columns of a multi-select's choices: code -> (column, header).
    Values found wrong are reported to `found` and stored as None.
    """
    if question.type == "select_multiple":
        return _multi_select(coded, options or {}, question, checker, found, header)
    if question.type == "select_one":
        return _select_one(coded, question, checker, found, header)
    if question.is_numeric:
        return read_numbers(coded, question, found, header)
    if question.type in PARSED_TYPES:
        return _read_each_distinct(coded, question, checker, found, header)
    distinct = coded.uniques.copy()
    distinct[_broken_rules(coded, question, distinct, found, header)] = None
    values = coded.spread(distinct)
    return values, values


def _read_each_distinct(coded: Coded, question: Question, checker: AnswerChecker,
                        found: Collector, header: str):
    """Dates, times, GPS points and ranks in their stored form (ISO 8601, `lat lon alt acc`):
    each distinct text is read once, whatever the number of rows holding it."""
    distinct = np.empty(len(coded.uniques), dtype=object)
    flaws: list[Flaw | None] = []
    for index, text in enumerate(coded.uniques):
        try:
            distinct[index] = checker.read(question, text)
            flaws.append(None)
        except InvalidAnswer as invalid:
            flaws.append(invalid.flaw)
    distinct[found.add_flaws(coded, flaws, header)] = None
    values = coded.spread(distinct)
    return values, values


def _broken_rules(coded: Coded, question: Question, distinct: Sequence, found: Collector,
                  header: str) -> np.ndarray:
    """Per distinct value read, whether it breaks a rule of the question's type (reported)."""
    flaws = [None if value is None else rule_flaw(question, value) for value in distinct]
    return found.add_flaws(coded, flaws, header)


def read_numbers(coded: Coded, question: Question, found: Collector, header: str):
    """Numbers: plain ones through pandas in bulk, others (1,234 or full-width) one by one."""
    integer = question.type == "integer"
    texts = pd.Series(coded.uniques, dtype="str")
    plain = texts.str.fullmatch(PLAIN_NUMBER.pattern).fillna(False).to_numpy(dtype=bool)
    numbers = np.full(len(texts), np.nan)
    numbers[plain] = pd.to_numeric(texts[plain], errors="coerce").to_numpy(dtype="float64")
    simple = plain & np.isfinite(numbers)
    if integer:
        simple &= np.abs(np.where(simple, numbers, 0)) < EXACT_INTEGER_LIMIT
        simple &= np.mod(numbers, 1, where=simple, out=np.ones_like(numbers)) == 0
    stored = np.empty(len(texts), dtype=object)
    stored[simple] = (numbers[simple].astype(np.int64) if integer else numbers[simple]).tolist()
    flaws: list[Flaw | None] = [None] * len(texts)
    for position in np.flatnonzero(~simple):
        stored[position], flaws[position] = number_flaw(question, texts.iat[position])
    found.add_flaws(coded, flaws, header)
    stored[_broken_rules(coded, question, stored, found, header)] = None
    values = coded.spread(stored)
    typed = pd.array(coded.spread(np.array([np.nan if v is None else v for v in stored],
                                           dtype="float64"), np.nan), dtype="Float64")
    return values, (typed.astype("Int64") if integer else typed)


def _select_one(coded, question, checker, found, header):
    lookup = checker.lookup(question)
    positions = np.array([find_choice(text, lookup) for text in coded.uniques], dtype=int)
    found.add_distinct(coded, positions < 0, header, "unknown choice",
                       choice_expectation(question))
    codes = np.array([*question.choice_codes, None], dtype=object)
    positions[_broken_rules(coded, question, codes[positions], found, header)] = -1
    rows = coded.spread(positions, -1).astype(int)
    typed = pd.Categorical.from_codes(rows, dtype=choice_categories(question.choice_codes))
    return codes[rows], typed


@lru_cache(maxsize=4096)
def choice_categories(codes: tuple[str, ...]) -> pd.CategoricalDtype:
    """The categorical type of a single choice's codes, made once per list: checking the
    categories of a new type costs more than typing a column of a few hundred rows."""
    return pd.CategoricalDtype(list(codes))


def _multi_select(coded, options, question, checker, found, header):
    """Canonical multi-select text from a space-joined column and/or 0/1 option columns.

    A row's choices are held as the bits of one 64-bit integer.
    """
    if len(question.choices) > MAX_MULTI_CHOICES:
        raise DataError(f"{question.id} has {len(question.choices)} choices; importing a "
                        f"multi-select supports at most {MAX_MULTI_CHOICES}.")
    lookup = checker.lookup(question)
    parsed = [choice_mask(text, lookup) for text in coded.uniques]
    masks = np.array([mask for mask, _ in parsed], dtype=np.int64)
    messages = np.array([message for _, message in parsed], dtype=object)
    unreadable = np.array([message is not None for message in messages], dtype=bool)
    commas = messages == COMMA_MESSAGE
    found.add_distinct(coded, commas, header, messages,
                       "codes separated by spaces, such as 'big_data ai'")
    found.add_distinct(coded, unreadable & ~commas, header, messages,
                       choice_expectation(question))
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
    rows[broken] = 0
    # The rules of the type (exclusive choices and any registered) on each distinct selection.
    inverse, unique = _factorised(rows)
    texts = _mask_texts(unique, question.choice_codes)
    flaws = [rule_flaw(question, text) if text is not None else None for text in texts]
    bad = np.array([flaw is not None for flaw in flaws], dtype=bool)
    if bad.any():
        selections = Coded(inverse, unique)
        flagged = selections.spread(bad, False).astype(bool)
        found.add(flagged, header, coded.texts(),
                  selections.spread([f.message if f else "" for f in flaws]),
                  selections.spread([f.expected if f else "" for f in flaws]))
        rows[flagged] = 0
        inverse, unique = _factorised(rows)
        texts = _mask_texts(unique, question.choice_codes)
    return _joined(inverse, texts)


def _factorised(masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(per row, which distinct mask; the distinct masks), by hashing rather than sorting."""
    inverse, unique = pd.factorize(masks)
    return np.asarray(inverse), np.asarray(unique)


def _mask_texts(masks: np.ndarray, codes: Sequence[str]) -> list[str | None]:
    return [" ".join(c for bit, c in enumerate(codes) if int(m) >> bit & 1) or None
            for m in masks]


def _joined(inverse: np.ndarray, texts: list[str | None]) -> tuple[np.ndarray, pd.Categorical]:
    """Per row, the text of its distinct selection (`texts`, None for no choice), as objects
    and as a categorical."""
    table = np.array([*texts, None], dtype=object)
    values = table[inverse]
    answered = [text for text in texts if text]
    category = {text: number for number, text in enumerate(answered)}
    category_codes = np.array([category.get(text, -1) for text in texts], dtype=int)
    typed = pd.Categorical.from_codes(category_codes[inverse] if len(inverse) else
                                      np.array([], dtype=int), categories=answered)
    return values, typed


def check_rules(typed: pd.DataFrame, given: dict[str, np.ndarray], originals: dict[str, np.ndarray],
                questionnaire: Questionnaire, found: Collector, headers: dict[str, str],
                language: str | None = "en", *, required: bool = True) -> dict[str, np.ndarray]:
    """Constraints on answered cells; required answers where the question is asked.

    Returns, per required question, the rows of finished responses that leave it blank
    although it is asked (item non-response). With `required`, those are also problems (as
    when asking); without, they are stored as missing. A cell refused for its type or code is
    not counted again as a missing answer, and responses still `in_progress` may lack
    required answers. What a rule expects is said with the questionnaire's own message in
    `language` (its default language if it lacks that one).
    """
    rows = len(typed)
    in_progress = np.zeros(rows, dtype=bool)
    if "status" in typed:
        in_progress = pd.Series(typed["status"]).eq("in_progress").to_numpy(dtype=bool)
    language = questionnaire.label_language(language)
    blank: dict[str, np.ndarray] = {}
    known: dict[str, np.ndarray] = {}
    for question in questionnaire.answerable:
        header = headers.get(question.id, question.id)
        if question.constraint:
            answered = pd.Series(typed[question.id]).notna().to_numpy()
            broken = answered & ~constraint_holds(typed, question)
            found.add(broken, header, originals[question.id], "not allowed",
                      constraint_expectation(question, language))
        if question.choice_filter and question.is_select:
            outside = filtered_out(question, typed, pd.Series(typed[question.id]))
            found.add(outside, header, originals[question.id],
                      "a choice its choice_filter does not offer given the other answers",
                      f"a choice for which {question.choice_filter} holds")
        if question.required:
            missing = relevance(typed, questionnaire, question, known) & ~given[question.id]
            missing &= ~in_progress
            if missing.any():
                blank[question.id] = missing
            if required:
                found.add(missing, header, None, "no answer",
                          required_expectation(question, language))
    return blank


def constraint_holds(frame: pd.DataFrame, question: Question) -> np.ndarray:
    """Per row, whether the question's constraint holds (True where it has none)."""
    if not question.constraint:
        return np.ones(len(frame), dtype=bool)
    held = expression(question.constraint).holds_frame(frame, current=question.id)
    return held.to_numpy(dtype=bool)


def relevance(frame: pd.DataFrame, questionnaire: Questionnaire, question: Question,
              known: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Rows where `question` is asked: its own and its section's `relevant` both hold.

    `known`: rules already evaluated on this frame (rule -> rows), kept for the next
    question: the questions of a section, and often several others, share a rule."""
    known = {} if known is None else known
    applies = np.ones(len(frame), dtype=bool)
    section = next(s for s in questionnaire.sections if question.id in
                   {q.id for q in s.questions})
    for source in (section.relevant, question.relevant):
        if source:
            if source not in known:
                known[source] = expression(source).holds_frame(frame).to_numpy(dtype=bool)
            applies &= known[source]
    return applies


def stored_problems(raw: pd.DataFrame, questionnaire: Questionnaire,
                    language: str | None = "en") -> pd.DataFrame:
    """Stored answers that could not be stored today: (position, column, value, message,
    expected) for every answer that breaks its type, its choices, a rule of its type or its
    constraint. `raw` holds the values as the store gives them (one column per question).

    Each column is read back as text through `read_answers`, so `validate` judges a stored
    answer exactly as an import would judge it.
    """
    checker = AnswerChecker(questionnaire)
    found = Collector(list(raw.columns))
    typed = {}
    for question in questionnaire.answerable:
        if question.id not in raw:
            typed[question.id] = np.full(len(raw), None, dtype=object)
            continue
        coded = Coded.of(pd.Series(stored_texts(raw[question.id]), dtype=object))
        _, typed[question.id] = read_answers(question, coded, checker, found, question.id)
    frame = pd.DataFrame(typed, index=range(len(raw)))
    for question in questionnaire.answerable:
        if question.constraint and question.id in raw:
            answered = pd.Series(frame[question.id]).notna().to_numpy()
            found.add(answered & ~constraint_holds(frame, question), question.id,
                      stored_texts(raw[question.id]), "not allowed",
                      constraint_expectation(question, language))
    return found.frame()


def stored_texts(values: pd.Series) -> np.ndarray:
    """Stored values as the texts a file would hold (None for blank)."""
    def text(value):
        return repr(value) if isinstance(value, float) else str(value)

    # each distinct value once (SQLite's column types keep 1 and 1.0 apart in a column)
    rows, distinct = pd.factorize(values.astype(object))
    return np.array([*(text(value) for value in distinct), None], dtype=object)[rows]
