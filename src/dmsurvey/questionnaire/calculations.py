"""`calculate` fields: worked out from the other answers, as ODK does, wherever answers change.

The interview works them out again after every answer (`calculate_answers`); an import works
them out for a whole file at once, column-wise (`calculate_frame`), and stores what it finds,
whatever the file says. A calculation is stored as the text XPath's `string()` gives it
(`4`, `2.5`, `true`, a code), and left empty where it comes out empty or not a number, or
where its question or section does not apply.

A calculation written as `once(...)` is worked out until it has a value, then kept: the
interview does not change it again, and an import keeps the value the file gives it (ODK
sets it once, when the form is first filled in).

The calculations of a repeat section are worked out per instance: pass the section's id as
`section` and the answers the instance sees (`repeats.visible_answers`; for a frame,
`repeats.visible_columns`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dmsurvey.questionnaire.answers import AnswerChecker, expression, is_blank

if TYPE_CHECKING:
    import pandas as pd

    from dmsurvey.questionnaire.expressions import Context
    from dmsurvey.questionnaire.model import Question, Questionnaire

# What XPath's string() gives for a number that is none.
_NOT_A_NUMBER = ("", "NaN", "Infinity", "-Infinity")


def calculations(questionnaire: Questionnaire, section: str | None = None) -> list[Question]:
    """The calculate questions asked once per response (or, with `section`, those of that
    repeat section) in an order where each comes after those it uses."""
    asked = (questionnaire.questions if section is None
             else questionnaire.repeat(section).questions)
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


def _context(questionnaire: Questionnaire, context: Context | None) -> Context:
    from dmsurvey.questionnaire.expressions import Context

    return context if context is not None else Context.of(questionnaire)


def calculate_answers(questionnaire: Questionnaire, answers: Mapping[str, Any],
                      checker: AnswerChecker | None = None, *, section: str | None = None,
                      context: Context | None = None) -> dict[str, str | None]:
    """Every calculate field's value given `answers` (None: empty).

    `context` gives `jr:choice-name` its language and `pulldata` its folder (by default the
    questionnaire's, see `Context.of`)."""
    checker = checker or AnswerChecker(questionnaire)
    context = _context(questionnaire, context)
    current = dict(answers)
    results: dict[str, str | None] = {}
    for question in calculations(questionnaire, section):
        rule = expression(question.calculation)
        if rule.is_once and not is_blank(current.get(question.id)):
            results[question.id] = current[question.id]
            continue
        value = None
        if checker.applies(question, current):
            text = expression(f"string({question.calculation})").evaluate(
                current, context=context)
            value = None if text in _NOT_A_NUMBER else text
        results[question.id] = current[question.id] = value
    return results


def calculate_frame(questionnaire: Questionnaire, frame: pd.DataFrame, *,
                    section: str | None = None,
                    context: Context | None = None) -> dict[str, pd.Series]:
    """Every calculate field's column for a frame of typed answers, without a loop over rows
    (`frame` gains the columns as they are worked out, so one may use another). A `once`
    calculation keeps the values the frame already has."""
    from dmsurvey.questionnaire.answer_columns import relevance

    context = _context(questionnaire, context)
    results = {}
    for question in calculations(questionnaire, section):
        text = expression(f"string({question.calculation})").evaluate_frame(
            frame, context=context)
        keep = ~text.isin(_NOT_A_NUMBER) & relevance(frame, questionnaire, question)
        column = text.astype(object).where(keep, None)
        if expression(question.calculation).is_once and question.id in frame.columns:
            given = frame[question.id]
            kept = given.notna() & (given.astype(str).str.strip() != "")
            column = given.astype(object).where(kept, column)
        frame[question.id] = column
        results[question.id] = column
    return results
