"""Reading answers out of a response frame the same way in every analysis.

Responses arrive typed (`Study.responses()`: categoricals, Arrow strings, nullable
integers) or straight from a file (objects, floats). These helpers turn a question's
column into plain codes with a missing marker, and a select question into 0/1 indicator
columns per choice, without a Python loop over rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from dmsurvey.errors import AnalysisError, Problem
from dmsurvey.questionnaire.model import Question, Questionnaire
from dmsurvey.wording import NO_RESPONSES


def question_of(
    questionnaire: Questionnaire, question_id: str, *, select: bool = False
) -> Question:
    """The question `question_id`, or an `AnalysisError` saying what exists."""
    if question_id not in questionnaire:
        raise AnalysisError(
            f"questionnaire {questionnaire.name!r} has no question {question_id!r}"
        )
    question = questionnaire.question(question_id)
    if select and not question.is_select:
        raise AnalysisError(
            f"{question_id} is {_article(question.type)} {question.type} question; "
            "this analysis needs a "
            "select_one or select_multiple question"
        )
    return question




def require_responses(responses: pd.DataFrame) -> None:
    """An `AnalysisError` where there is not a single response to analyse."""
    if len(responses) == 0:
        raise AnalysisError(NO_RESPONSES)


def require_columns(data: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [column for column in columns if column not in data.columns]
    if missing:
        raise AnalysisError(
            f"the responses have no column for {what}",
            [Problem("missing column", column=column) for column in missing],
        )


def codes(series: pd.Series) -> pd.Series:
    """Answers as stripped text codes (`str` dtype); unanswered (NaN, None, '') is NaN.

    Whole numbers read from a file as floats (`3.0`) become `"3"`, so numeric-looking
    codes such as a 1-5 rating match the questionnaire's codes.
    """
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        if np.all(~np.isfinite(values) | (values == np.round(values))):
            series = series.astype("Int64")
    text = series.astype("str").str.strip()
    return text.where(text != "")


def indicators(series: pd.Series, question: Question) -> pd.DataFrame:
    """0/1 columns, one per choice code of `question` (NaN where unanswered).

    A select_one answer marks its code; a select_multiple answer (codes separated by
    spaces) marks every code it contains. Answers with codes outside the question's
    choices raise `AnalysisError` listing them (a frame with labels instead of codes
    is the usual cause).

    Surveys repeat a handful of distinct answers over many firms, so the work is done
    once per distinct answer and then spread to the rows.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        categorical = series.cat.remove_unused_categories()
    else:
        categorical = series.astype("category")
    distinct = codes(pd.Series(categorical.cat.categories, dtype=object))
    choice_codes = question.choice_codes
    position = {code: index for index, code in enumerate(choice_codes)}
    # one row per distinct answer, and a last row of NaN that category code -1 selects
    table = np.full((len(distinct) + 1, len(choice_codes)), np.nan)
    unknown: set[str] = set()
    for row, answer in enumerate(distinct):
        if not isinstance(answer, str):
            continue
        chosen = answer.split() if question.type == "select_multiple" else [answer]
        unknown.update(code for code in chosen if code not in position)
        table[row] = 0.0
        table[row, [position[code] for code in chosen if code in position]] = 1.0
    if unknown:
        raise AnalysisError(
            f"{question.id} has answers that are not codes of its choices "
            "(pass responses with codes, not labels)",
            [Problem("unknown code", column=question.id, value=code,
                     expected=", ".join(choice_codes)) for code in sorted(unknown)[:20]],
        )
    marks = table[categorical.cat.codes.to_numpy()]
    return pd.DataFrame(marks, index=series.index, columns=list(choice_codes))


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"
