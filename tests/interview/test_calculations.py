"""`calculate` fields in the interview: worked out after every answer, used by later skip
logic, stored with the response."""

from __future__ import annotations

import pytest

from dmsurvey.interview.engine import Interview
from dmsurvey.questionnaire.calculations import calculate_answers, calculations
from dmsurvey.questionnaire.loader import questionnaire_from_dict

STAFF = {
    "name": "staff",
    "version": "1",
    "title": {"en": "Staff"},
    "languages": ["en"],
    "sections": [{
        "id": "firm",
        "title": {"en": "Firm"},
        "questions": [
            {"id": "staff", "type": "integer", "label": {"en": "Staff"}},
            {"id": "managers", "type": "integer", "label": {"en": "Managers"}},
            {"id": "size", "type": "calculate",
             "calculation": "if(${staff} + ${managers} > 10, 'large', 'small')"},
            {"id": "per_manager", "type": "calculate", "calculation": "${staff} div ${managers}"},
            {"id": "hr_contact", "type": "text", "label": {"en": "HR contact"},
             "relevant": "${size} = 'large'"},
        ],
    }],
}


@pytest.fixture
def staff():
    return questionnaire_from_dict(STAFF, source="staff")


def test_a_calculation_changes_what_is_asked_later(staff):
    interview = Interview(staff, language="en")
    for question_id, value in (("staff", 12), ("managers", 3)):
        interview.record(value, staff[question_id])
        interview.recalculate()
    assert interview.answers["size"] == "large"
    assert interview.answers["per_manager"] == "4"
    assert interview.applies(staff["hr_contact"])
    interview.record(2, staff["staff"])
    assert interview.recalculate() == {"size": "small", "per_manager": repr(2 / 3)}
    assert interview.answers["size"] == "small"
    assert not interview.applies(staff["hr_contact"])


def test_empty_or_not_a_number_is_left_empty(staff):
    assert calculate_answers(staff, {"staff": 5, "managers": 0}) == {
        "size": "small", "per_manager": None}  # 5 div 0 is Infinity
    assert calculate_answers(staff, {}) == {"size": "small", "per_manager": None}


def test_calculations_are_ordered_by_what_they_use():
    data = {**STAFF, "sections": [{**STAFF["sections"][0], "questions": [
        {"id": "b", "type": "calculate", "calculation": "${a} * 2"},
        {"id": "a", "type": "calculate", "calculation": "3"},
    ]}]}
    questionnaire = questionnaire_from_dict(data, source="order")
    assert [q.id for q in calculations(questionnaire)] == ["a", "b"]
    assert calculate_answers(questionnaire, {}) == {"a": "3", "b": "6"}
