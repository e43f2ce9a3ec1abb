"""The interview state machine: skip logic, back, progress, parsing and validation."""

from __future__ import annotations

import pytest

from dmsurvey.interview.engine import Interview, InvalidAnswer
from dmsurvey.questionnaire.answers import parse_number


@pytest.mark.parametrize(
    ("typed", "integer", "expected"),
    [
        ("1234", True, 1234),
        ("1,234", True, 1234),
        ("1,234,567", True, 1234567),
        ("１２３４", True, 1234),  # full-width digits from a Chinese input method
        ("１，２３４", True, 1234),  # full-width comma
        ("1 234", True, 1234),
        ("  42 ", True, 42),
        ("－５", True, -5),
        ("12.0", True, 12),
        ("1,234.5", False, 1234.5),
        ("３．５", False, 3.5),
        ("3。5", False, 3.5),
        (".5", False, 0.5),
        ("", True, None),
        ("   ", False, None),
        # as spreadsheets write very large or small numbers, so every way in reads them
        ("1e3", False, 1000.0),
        ("1.5E+3", True, 1500),
    ],
)
def test_numbers_are_read_as_people_type_them(typed, integer, expected):
    value = parse_number(typed, integer=integer)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("typed", "integer"),
    [
        ("12.5", True),
        ("1,23", False),
        ("12,34,567", True),
        ("abc", False),
        ("1.5e0", True),
        ("1e999", False),
        ("1.2.3", False),
        ("--1", True),
        ("nan", False),
    ],
)
def test_what_is_not_a_number_is_refused(typed, integer):
    with pytest.raises(ValueError):
        parse_number(typed, integer=integer)


def walk(interview: Interview, answers: dict) -> list[str]:
    """Answer as the interview asks; returns the ids in the order they were asked."""
    asked = []
    while interview.current is not None:
        question = interview.current
        asked.append(question.id)
        if question.asks_for_answer:
            interview.record(interview.parse(answers.get(question.id), question))
        interview.advance()
    return asked


def test_skip_logic_asks_manufacturers_more(questionnaire):
    answers = {
        "industry": "manufacturing",
        "mfg_subsector": "pharma",
        "employees": "12",
        "tech_used": ["ai"],
        "smart_mfg": ["lines"],
    }
    interview = Interview(questionnaire, language="en")
    asked = walk(interview, answers)
    assert asked == [
        "industry",
        "mfg_subsector",
        "employees",
        "revenue",
        "tech_used",
        "thanks",
        "comment",
        "smart_mfg",
    ]
    assert interview.answers == {
        "industry": "manufacturing",
        "mfg_subsector": "pharma",
        "employees": 12,
        "tech_used": "ai",
        "smart_mfg": "lines",
    }


def test_skip_logic_skips_question_and_section_for_services(questionnaire):
    interview = Interview(questionnaire, language="en")
    asked = walk(interview, {"industry": "services", "employees": "1,200", "tech_used": ["none"]})
    assert asked == ["industry", "employees", "revenue", "tech_used", "thanks", "comment"]
    assert interview.answers == {"industry": "services", "employees": 1200, "tech_used": "none"}


def test_progress_counts_only_what_applies(questionnaire):
    interview = Interview(questionnaire, language="en")
    assert str(interview.progress()) == "A · 1/5"  # services-or-unknown: no subsector, no C
    interview.record("manufacturing")
    interview.advance()
    assert str(interview.progress()) == "A · 2/7"
    interview.go_to("tech_used")
    assert str(interview.progress()) == "B · 5/7"
    interview.go_to("thanks")  # a note counts as the question before it
    assert str(interview.progress()) == "B · 5/7"


def test_back_goes_to_the_previous_question_that_applies(questionnaire):
    interview = Interview(questionnaire, {"industry": "services"}, language="en")
    assert interview.current.id == "employees"
    assert interview.back().id == "industry"  # mfg_subsector does not apply
    assert interview.at_first
    assert interview.back().id == "industry"  # nothing before the first question
    interview.record("manufacturing")
    interview.advance()
    assert interview.current.id == "mfg_subsector"


def test_back_from_the_review_returns_to_the_last_question(questionnaire):
    answers = {
        "industry": "services",
        "employees": 3,
        "tech_used": "ai",
        "comment": "ok",
        "revenue": 1.5,
    }
    interview = Interview(questionnaire, answers, language="en")
    assert interview.current is None
    assert interview.back().id == "comment"


def test_a_paused_interview_picks_up_after_the_last_answer(questionnaire):
    # The subsector was left blank (optional) before the employees were given.
    interview = Interview(questionnaire, {"industry": "manufacturing", "employees": 5})
    assert interview.current.id == "revenue"
    # Blanks, stale answers and the note do not count; every answer given: the review.
    later = {"industry": "services", "employees": 5, "tech_used": "ai", "smart_mfg": "lines"}
    assert Interview(questionnaire, later).current.id == "comment"
    assert Interview(questionnaire, later | {"comment": "ok"}).current is None


def test_resume_goes_to_the_first_unanswered_question(questionnaire):
    interview = Interview(questionnaire, {"industry": "manufacturing", "employees": 5})
    assert interview.resume().id == "mfg_subsector"
    assert interview.resume(skipping={"mfg_subsector", "revenue"}).id == "tech_used"


def test_constraint_message_in_the_questionnaire_language(questionnaire):
    english = Interview(questionnaire, language="en")
    with pytest.raises(InvalidAnswer, match="Between 0 and 99,999 persons"):
        english.parse("-3", questionnaire["employees"])
    chinese = Interview(questionnaire, language="zh")
    with pytest.raises(InvalidAnswer, match="人数须在0到99999之间"):
        chinese.parse("１００，０００", questionnaire["employees"])
    assert chinese.parse("99,999", questionnaire["employees"]) == 99999


def test_default_messages_when_the_questionnaire_has_none(questionnaire):
    interview = Interview(questionnaire, language="en")
    with pytest.raises(InvalidAnswer, match="This answer is not allowed"):
        interview.parse("-1", questionnaire["revenue"])
    with pytest.raises(InvalidAnswer, match="An answer is required"):
        interview.parse("", questionnaire["employees"])
    with pytest.raises(InvalidAnswer, match="whole number"):
        interview.parse("2.5", questionnaire["employees"])
    with pytest.raises(InvalidAnswer, match="请输入数字"):
        Interview(questionnaire, language="zh").parse("十", questionnaire["revenue"])
    assert interview.parse("", questionnaire["revenue"]) is None  # optional: unanswered


def test_multi_select_is_canonical_and_none_is_exclusive(questionnaire):
    interview = Interview(questionnaire, language="en")
    tech = questionnaire["tech_used"]
    assert interview.parse(["ai", "big_data"], tech) == "big_data ai"  # questionnaire order
    assert interview.parse(["none"], tech) == "none"
    with pytest.raises(InvalidAnswer, match="“None” cannot be ticked together"):
        interview.parse(["ai", "none"], tech)
    with pytest.raises(InvalidAnswer, match="Tick at least one"):
        interview.parse([], tech)


def test_review_lists_every_applicable_answer_by_section(questionnaire):
    answers = {
        "industry": "manufacturing",
        "employees": 1200,
        "revenue": 25000.5,
        "tech_used": "big_data ai",
        "smart_mfg": "none",
    }
    review = Interview(questionnaire, answers, language="en").review()
    assert [part.section.id for part in review] == ["A", "B", "C"]
    shown = {item.question.id: item.shown for part in review for item in part.items}
    assert shown == {
        "industry": "Manufacturing",
        "mfg_subsector": "",
        "employees": "1200 persons",  # grouped only from 10,000, so that years look right
        "revenue": "25,000.5 RMB 10,000",
        "tech_used": "Big data, AI",
        "comment": "",
        "smart_mfg": "None",
    }
    chinese = Interview(questionnaire, answers, language="zh").review()
    assert chinese[1].items[0].shown == "大数据、人工智能"


def test_answers_that_stop_applying_are_found_for_clearing(questionnaire):
    answers = {"industry": "manufacturing", "mfg_subsector": "pharma", "smart_mfg": "lines"}
    interview = Interview(questionnaire, answers)
    interview.record("services", questionnaire["industry"])
    assert interview.stale_answers() == ["mfg_subsector", "smart_mfg"]
    assert [q.id for q in interview.missing_required()] == ["employees", "tech_used"]
