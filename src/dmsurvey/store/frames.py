"""Responses as typed DataFrames: the shape every analysis, chart and export starts from.

    >>> responses = typed_responses(raw, questionnaire)          # one row per firm
    >>> tech = expand_multiselect(responses, "tech_used", questionnaire)   # 0/1 columns

Metadata columns come first (`response_id, source, enumerator, submitted_at, status, entry,
form_number, started_at, updated_at`, then the questionnaire's metadata fields), then one column
per answerable question in questionnaire order: integer -> `Int64`, decimal -> `Float64`,
select_one -> `Categorical` (codes in choice order, or labels with `labels=`), select_multiple
-> text of space-separated codes, text -> text. Empty text is "not answered".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from dmsurvey.errors import DataError, Problem
from dmsurvey.questionnaire.answer_columns import choice_categories
from dmsurvey.questionnaire.model import RESPONSE_METADATA, Question, Questionnaire
from dmsurvey.wording import plural

# Labels of a multi-select answer are joined with this (labels may contain spaces).
LABEL_SEPARATOR = "; "
INTEGER_METADATA = ("entry",)


def typed_responses(
    raw: pd.DataFrame, questionnaire: Questionnaire, *, labels: str | None = None
) -> pd.DataFrame:
    """`raw` (store rows, or a flat file of codes) with every column in its proper type.

    Missing metadata columns are added empty; missing question columns are added unanswered;
    other columns are kept at the end. A value that does not fit its question raises a
    `DataError` listing every such value.
    """
    problems: list[Problem] = []
    columns: dict[str, pd.Series] = {}
    metadata = list(RESPONSE_METADATA) + list(questionnaire.metadata_fields)
    for name in metadata:
        values = _column(raw, name)
        if name in INTEGER_METADATA:
            columns[name] = _numbers(values, name, "Int64", problems)
        else:
            columns[name] = _text(values)
    for question in questionnaire.answerable:
        columns[question.id] = _typed_answers(_column(raw, question.id), question, problems)
    if problems:
        raise DataError(
            f"{plural(len(problems), 'value')} {'does' if len(problems) == 1 else 'do'} not "
            f"fit the questionnaire {questionnaire.name!r}",
            problems,
        )
    extra = [name for name in raw.columns if name not in columns]
    frame = pd.DataFrame(columns, index=raw.index)
    if extra:
        frame = pd.concat([frame, raw[extra]], axis=1)
    if labels is not None:
        frame = with_labels(frame, questionnaire, labels)
    return frame.reset_index(drop=True)


def stored_responses(
    columns: Mapping[str, Sequence], questionnaire: Questionnaire, *, labels: str | None = None
) -> pd.DataFrame:
    """Typed responses from the store's columns (name -> values as SQLite gives them).

    The store checked every value on its way in, so a column is only given its type here,
    in a few operations on the whole column: a questionnaire of thousands of questions reads
    in time mostly spent on its cells. Should a value not fit all the same (a store changed by
    other means), the columns take the checking path of `typed_responses`, which names it.
    """
    kinds = {name: ("integer" if name in INTEGER_METADATA else "text", ())
             for name in [*RESPONSE_METADATA, *questionnaire.metadata_fields]}
    kinds.update({q.id: (q.type, q.choice_codes) for q in questionnaire.answerable})
    typed = {}
    for name, (kind, codes) in kinds.items():
        typed[name] = _stored_column(np.array(columns[name], dtype=object), kind, codes)
        if typed[name] is None:
            return typed_responses(object_frame(columns), questionnaire, labels=labels)
    frame = pd.DataFrame(typed)
    return with_labels(frame, questionnaire, labels) if labels is not None else frame


def object_frame(columns: Mapping[str, Sequence]) -> pd.DataFrame:
    """Columns of Python objects (name -> values) as a DataFrame, each left as it is."""
    return pd.DataFrame({
        name: pd.Series(np.array(values, dtype=object), dtype=object, copy=False)
        for name, values in columns.items()
    })


def _stored_column(values: np.ndarray, kind: str, codes: Sequence[str]):
    """`values` typed for a question of type `kind` (choices `codes`); None if one does not
    fit it."""
    try:
        if kind in ("integer", "decimal"):
            return pd.array(values, dtype="Int64" if kind == "integer" else "Float64")
        if kind == "select_one":
            chosen = pd.Categorical(values, dtype=choice_categories(tuple(codes)))
            unknown = (chosen.codes == -1) & pd.notna(values)
            return None if unknown.any() else chosen
    except (TypeError, ValueError):
        return None
    text = pd.Series(values, dtype="str")
    return text.where(text.str.strip() != "")


def _column(raw: pd.DataFrame, name: str) -> pd.Series:
    return raw[name] if name in raw.columns else pd.Series(pd.NA, index=raw.index, dtype=object)


def with_labels(frame: pd.DataFrame, questionnaire: Questionnaire, language: str) -> pd.DataFrame:
    """A copy of a typed frame with choice labels in `language` instead of codes."""
    language = questionnaire.label_language(language)
    labelled = {}
    for question in questionnaire.answerable:
        if question.id not in frame.columns or not question.is_select:
            continue
        names = choice_labels(question, language)
        if question.type == "select_one":
            labelled[question.id] = frame[question.id].cat.rename_categories(names)
        else:
            _, chosen = chosen_codes(frame[question.id], question.choice_codes)
            labelled[question.id] = _join_chosen(chosen, names, LABEL_SEPARATOR).set_axis(
                frame.index)
    # One new frame rather than a column replaced at a time: thousands of replacements
    # each cost time in proportion to the frame's width.
    return pd.DataFrame({name: labelled.get(name, frame[name]) for name in frame.columns},
                        index=frame.index)


def choice_labels(question: Question, language: str) -> list[str]:
    """Labels of the choices in `language`, made unique (a repeated label gets its code)."""
    labels = [choice.label.in_language(language) or choice.code for choice in question.choices]
    return [
        f"{label} ({choice.code})" if labels.count(label) > 1 else label
        for label, choice in zip(labels, question.choices, strict=True)
    ]


def expand_multiselect(
    frame: pd.DataFrame, question: str | Question, questionnaire: Questionnaire
) -> pd.DataFrame:
    """One 0/1 column per choice of a multi-select, named `question/code`.

    Unanswered rows are NaN in every column, so a mean is a share of those who answered.
    """
    if isinstance(question, str):
        question = questionnaire.question(question)
    if question.type != "select_multiple":
        raise DataError(f"{question.id} is a {question.type} question, not select_multiple.")
    answered, chosen = chosen_codes(frame[question.id], question.choice_codes)
    return pd.DataFrame(
        {f"{question.id}/{code}": np.where(answered, chosen[:, position], np.nan)
         for position, code in enumerate(question.choice_codes)},
        index=frame.index,
    )


def chosen_codes(answers: pd.Series, codes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Which rows hold an answer, and which of `codes` each row chose (rows x codes).

    Codes are separated by whitespace. Each distinct answer is read once (a multiple choice
    of n options has at most 2^n of them, however many rows), then spread to its rows.
    """
    rows, distinct = pd.factorize(answers.astype(object))
    position_of = {code: position for position, code in enumerate(codes)}
    # one more row, all False, for the unanswered (factorize numbers them -1)
    chosen = np.zeros((len(distinct) + 1, len(codes)), dtype=bool)
    answered = np.zeros(len(distinct) + 1, dtype=bool)
    for number, text in enumerate(distinct):
        picked = str(text).split()
        answered[number] = bool(picked)
        chosen[number, [position_of[code] for code in picked if code in position_of]] = True
    return answered[rows], chosen[rows]


def join_codes(chosen: np.ndarray, question: Question) -> pd.Series:
    """Canonical multi-select text from a boolean (rows x choices) array; NaN where none."""
    return _join_chosen(chosen, list(question.choice_codes), " ")


def _join_chosen(chosen: np.ndarray, names: list[str], separator: str) -> pd.Series:
    chosen = np.nan_to_num(np.asarray(chosen, dtype=float)) > 0
    distinct, rows = np.unique(chosen.reshape(len(chosen), -1), axis=0, return_inverse=True)
    texts = np.array([separator.join(name for name, picked in zip(names, selection,
                                                                     strict=True) if picked)
                      or None for selection in distinct], dtype=object)
    return pd.Series(texts[rows.reshape(-1)] if len(chosen) else [], dtype="str")


def _typed_answers(values: pd.Series, question: Question, problems: list[Problem]) -> pd.Series:
    if question.type == "integer":
        return _numbers(values, question.id, "Int64", problems)
    if question.type == "decimal":
        return _numbers(values, question.id, "Float64", problems)
    if question.type == "select_one":
        # codes read from the store are already text: no need to convert and strip them
        stored = values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in (
            "string", "empty")
        codes = values if stored else _code_text(values)
        unknown = codes.notna() & ~codes.isin(question.choice_codes)
        _report(problems, values, unknown, question.id, "unknown choice code",
                "one of " + ", ".join(question.choice_codes))
        return pd.Series(
            pd.Categorical(codes.where(~unknown), categories=list(question.choice_codes)),
            index=values.index,
        )
    if question.type == "select_multiple":
        text = _text(values).str.strip()
        known = "|".join(re.escape(code) for code in question.choice_codes)
        unknown = text.notna() & ~text.str.fullmatch(rf"(?:{known})(?: +(?:{known}))*")
        _report(problems, values, unknown.fillna(False), question.id, "unknown choice codes",
                "space-separated codes among " + ", ".join(question.choice_codes))
        return _text(values)
    return _text(values)


def _numbers(values: pd.Series, column: str, dtype: str, problems: list[Problem]) -> pd.Series:
    present = _text(values).notna() if not pd.api.types.is_numeric_dtype(values) else values.notna()
    numbers = pd.to_numeric(values.where(present), errors="coerce")
    bad = present & numbers.isna()
    if dtype == "Int64":
        bad |= numbers.notna() & (numbers % 1 != 0)
    _report(problems, values, bad, column, "not a number" if dtype == "Float64" else
            "not a whole number", "a number" if dtype == "Float64" else "an integer")
    return numbers.where(~bad).astype(dtype)


def _text(values: pd.Series) -> pd.Series:
    """Values as pandas text; empty text and missing values become NaN."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return _code_text(values)
    text = values.astype("str")
    return text.where(text.str.strip() != "")


def _code_text(values: pd.Series) -> pd.Series:
    """Codes as text; numbers read from a file (1, 1.0) become the code "1"."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = pd.to_numeric(values)
        if ((numbers % 1 == 0) | numbers.isna()).all():
            return numbers.astype("Int64").astype("str")
        return numbers.astype("str")
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    text = values.astype("str").str.strip()
    return text.where(text != "")


def _report(problems, values, bad, column, message, expected) -> None:
    for position in np.flatnonzero(np.asarray(bad, dtype=bool)):
        problems.append(
            Problem(message, row=int(position) + 1, column=column,
                    value=values.iloc[position], expected=expected)
        )
