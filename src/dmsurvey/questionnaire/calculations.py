"""`calculate` fields: worked out from the other answers, as ODK does, wherever answers change.

The interview works them out again after every answer (`calculate_answers`); an import works
them out for a whole file at once, column-wise (`calculate_frame`), and stores what it finds,
whatever the file says. A calculation is stored as the text XPath's `string()` gives it
(`4`, `2.5`, `true`, a code), and left empty where it comes out empty or not a number, or
where its question or section does not apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dmsurvey.questionnaire.answers import AnswerChecker, expression

if TYPE_CHECKING:
    import pandas as pd

    from dmsurvey.questionnaire.model import Question, Questionnaire

# What XPath's string() gives for a number that is none.
_NOT_A_NUMBER = ("", "NaN", "Infinity", "-Infinity")


def calculations(questionnaire: Questionnaire, section: str | None = None) -> list[Question]:
    """The calculate questions in an order where each comes after those it uses: those asked
    once per response, or with `section` those of that repeat section."""
    asked = questionnaire.questions if section is None else questionnaire.repeat(section)
    pending = [q for q in asked if q.type == "calculate" and q.calculation]
    names = {q.id for q in pending}
    ordered: list[Question] = []
    done: set[str] = set()
    while pending:
        ready = [q for q in pending
                 if expression(q.calculation).references & names <= done | {q.id}]
        # a cycle (which ODK refuses) is worked out in questionnaire order
        for question in ready or pending[:1]:
            ordered.append(question)
            done.add(question.id)
            pending.remove(question)
    return ordered


def calculate_answers(questionnaire: Questionnaire, answers: Mapping[str, Any],
                      checker: AnswerChecker | None = None, *,
                      section: str | None = None) -> dict[str, str | None]:
    """Every calculate field's value given `answers` (None: empty). With `section`, those of
    that repeat section, for one instance: `answers` are then what the instance sees
    (`questionnaire.repeats.visible_answers`)."""
    checker = checker or AnswerChecker(questionnaire)
    current = dict(answers)
    results: dict[str, str | None] = {}
    for question in calculations(questionnaire, section):
        value = None
        if checker.applies(question, current):
            text = expression(f"string({question.calculation})").evaluate(current)
            value = None if text in _NOT_A_NUMBER else text
        results[question.id] = current[question.id] = value
    return results


def calculate_frame(questionnaire: Questionnaire, frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Every calculate field's column for a frame of typed answers, without a loop over rows
    (`frame` gains the columns as they are worked out, so one may use another)."""
    from dmsurvey.questionnaire.answer_columns import relevance

    results = {}
    for question in calculations(questionnaire):
        text = expression(f"string({question.calculation})").evaluate_frame(frame)
        keep = ~text.isin(_NOT_A_NUMBER) & relevance(frame, questionnaire, question)
        column = text.astype(object).where(keep, None)
        frame[question.id] = column
        results[question.id] = column
    return results
