"""One answer checker: a value judged alone and the same value judged in a column agree."""

from __future__ import annotations

import pandas as pd
import pytest

from dmsurvey.questionnaire.answer_columns import Coded, Collector, read_answers
from dmsurvey.questionnaire.answers import RULES, AnswerChecker, Flaw, InvalidAnswer
from dmsurvey.questionnaire.loader import load_questionnaire

from .conftest import SURVEY_YAML

CASES = {
    "employees_2019": ["12", "1,200", "１２", "12.0", "1e3", "12.5", "-3", "many", "inf",
                       "1e999", "99999999999999999999", "1 234"],
    "revenue_2019": ["0.5", "1,234.5", "3。5", ".5", "1.2.3", "nan", "1.5e-07"],
    "industry": ["manufacturing", "other", "Manufacturing", "制造业", "farming", "OTHER"],
    "tech_used": ["big_data ai", "ai big_data", "none", "ai none", "Big data; AI", "ai,none",
                  "robots ai", "都没有"],
}


@pytest.fixture
def survey(tmp_path):
    path = tmp_path / "survey.yaml"
    path.write_text(SURVEY_YAML, encoding="utf-8")
    return load_questionnaire(path)


def one_by_one(checker, question, texts):
    results = []
    for text in texts:
        try:
            results.append((checker.read(question, text), None))
        except InvalidAnswer as invalid:
            results.append((None, invalid.flaw.message))
    return results


def as_column(checker, question, texts):
    found = Collector([question.id])
    values, _ = read_answers(question, Coded.of(pd.Series(texts, dtype="str")), checker, found,
                             question.id)
    problems = found.frame().set_index("position")["message"]
    return [(value, problems.get(position)) for position, value in enumerate(values)]


def test_a_value_alone_and_in_a_column_is_judged_alike(survey):
    checker = AnswerChecker(survey)
    for question_id, texts in CASES.items():
        question = survey[question_id]
        assert one_by_one(checker, question, texts) == as_column(checker, question, texts)


def test_a_registered_rule_is_enforced_by_every_way(survey):
    question = next(q for q in survey.answerable if q.type == "text")

    def no_digits(question, value):
        if any(character.isdigit() for character in value):
            return Flaw("no_digits", "digits in a name", "letters only")
        return None

    RULES["text"].append(no_digits)
    try:
        checker = AnswerChecker(survey)
        with pytest.raises(InvalidAnswer) as refused:
            checker.read(question, "Firm 42")
        assert refused.value.flaw.rule == "no_digits"
        assert as_column(checker, question, ["Firm 42", "Firm"]) == [
            (None, "digits in a name"), ("Firm", None)]
    finally:
        RULES["text"].remove(no_digits)
