"""Cascading selects: a question's `choice_filter` keeps the choices that fit earlier answers.

In XLSForm a choice filter names the columns of the choice list bare (`district = ${region}`,
`name != 'other'`) and the questions with `${...}`. Here each bare name becomes a reference to
the choice's own value (`${_choice.district}`), so the one expression language evaluates it
for one interview or, column-wise, for a whole imported file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dmsurvey.questionnaire.answers import expression

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from dmsurvey.questionnaire.expressions import Context
    from dmsurvey.questionnaire.model import Choice, Question

CHOICE_PREFIX = "_choice."
_KEYWORDS = frozenset({"and", "or", "div", "mod"})
_PIECES = re.compile(
    r"""(?P<kept>'[^']*'|"[^"]*"|\$\{[^}]*\})"""
    r"|(?<![\w.$-])(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)(?P<call>\s*\()?"
)


def bare_names(text: str) -> list[str]:
    """The choice columns a choice filter names (bare names that are not functions)."""
    return [
        match["name"] for match in _PIECES.finditer(text)
        if match["name"] and not match["call"] and match["name"] not in _KEYWORDS
    ]


def filter_expression(text: str) -> str:
    """The choice filter as an expression: `cf = ${state}` -> `${_choice.cf} = ${state}`."""

    def replace(match: re.Match) -> str:
        name = match["name"]
        if not name or match["call"] or name in _KEYWORDS:
            return match[0]
        return f"${{{CHOICE_PREFIX}{name}}}"

    return _PIECES.sub(replace, text)


def choice_columns(choice: Choice, properties: tuple[tuple[str, str], ...] | None = None
                   ) -> dict[str, str]:
    """What a filter sees of a choice: its code as `name` and its other columns (those of
    `properties`, one of `choice.property_sets`; by default its first row's)."""
    properties = choice.properties if properties is None else properties
    return {f"{CHOICE_PREFIX}name": choice.code,
            **{f"{CHOICE_PREFIX}{key}": value for key, value in properties}}


def offered_choices(question: Question, answers: Mapping[str, Any],
                    context: Context | None = None) -> tuple[Choice, ...]:
    """The choices the question's filter keeps, given the answers so far (a choice listed
    on several rows is kept when one of them fits); `context` as for `Expression.holds`."""
    if not question.choice_filter:
        return question.choices
    rule = expression(filter_expression(question.choice_filter))
    return tuple(choice for choice in question.choices
                 if any(rule.holds({**answers, **choice_columns(choice, properties)},
                                   context=context)
                        for properties in choice.property_sets))


def filtered_out(question: Question, frame: pd.DataFrame, codes: pd.Series) -> np.ndarray:
    """Rows whose chosen code the filter does not offer, given each row's other answers (for
    a select_multiple, rows with any such code among those chosen).

    One column-wise evaluation: each row (each chosen code, for a select_multiple) gets the
    columns of the choice it chose, looked up by code, and the filter is evaluated over the
    whole frame at once."""
    import numpy as np

    if not question.choice_filter:
        return np.zeros(len(frame), dtype=bool)
    chosen = codes.reset_index(drop=True).astype(object)
    rows = frame.reset_index(drop=True)
    if question.type != "select_multiple":
        return _not_offered(question, rows, chosen)
    # one row per chosen code, beside the other answers of its response
    each = chosen.where(chosen.notna(), None).str.split().explode().dropna()
    positions = each.index.to_numpy(dtype=int)
    outside = _not_offered(question, rows.iloc[positions].reset_index(drop=True),
                           each.reset_index(drop=True))
    found = np.zeros(len(frame), dtype=bool)
    np.logical_or.at(found, positions, outside)
    return found


def _not_offered(question: Question, frame: pd.DataFrame, chosen: pd.Series) -> np.ndarray:
    """Per row of `frame`, whether the code in `chosen` is one the filter does not offer.

    A code listed on several rows is offered when one fits: the filter is evaluated once
    with every code's first row, again with the second rows of the codes that have one, ..."""
    import numpy as np

    rule = expression(filter_expression(question.choice_filter))
    offered = np.zeros(len(frame), dtype=bool)
    rows = max((len(choice.property_sets) for choice in question.choices), default=1)
    for number in range(rows):
        by_column: dict[str, dict[str, str]] = {}
        for choice in question.choices:
            if number < len(choice.property_sets):
                properties = choice.property_sets[number]
                for column, value in choice_columns(choice, properties).items():
                    by_column.setdefault(column, {})[choice.code] = value
        listed = chosen.isin(by_column.get(f"{CHOICE_PREFIX}name", {})).to_numpy()
        columns = {column: chosen.map(values).fillna("").to_numpy(dtype=object)
                   for column, values in by_column.items()}
        holds = rule.holds_frame(frame.assign(**columns)).to_numpy(dtype=bool)
        offered |= listed & holds
    return chosen.notna().to_numpy() & ~offered
