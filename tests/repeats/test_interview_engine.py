"""The interview's screens with repeat sections: instances laid out by a count or added one
by one, back across instances, counts that go down, resuming inside an instance, review."""

from __future__ import annotations

from pathlib import Path

import pytest

from dmsurvey.interview.engine import Interview, InvalidAnswer, split_screen_name
from dmsurvey.questionnaire.loader import load_questionnaire, questionnaire_from_dict

HOUSEHOLD = Path(__file__).with_name("household.yaml")


@pytest.fixture
def household():
    return load_questionnaire(HOUSEHOLD)


def answer(interview: Interview, value) -> None:
    """Answer the screen shown (True/False on a screen adding an instance) and go on."""
    screen = interview.screen
    if screen.adds_instance:
        if value:
            interview.add_instance(screen)
    else:
        interview.record_on(screen, interview.parse(value, screen.question))
        interview.recalculate()
    interview.advance()


def test_a_count_lays_out_its_instances_and_a_repeat_without_one_asks_for_more(household):
    interview = Interview(household, language="en")
    assert [s.name for s in interview.screens()] == ["n_members", "comment"]
    answer(interview, "2")
    assert [s.name for s in interview.screens()] == [
        "n_members",
        "member_name@members/1", "age@members/1", "@jobs/1/1",
        "member_name@members/2", "age@members/2", "@jobs/2/1",
        "comment"]
    for value in ("李明", "41", True, "教师", True, "农民", False, "李娜", "9", False):
        answer(interview, value)
    assert interview.screen.name == "comment"
    assert interview.repeat_answers == {
        "members": {"1": {"member_name": "李明", "age": 41},
                    "2": {"member_name": "李娜", "age": 9}},
        "jobs": {"1/1": {"job": "教师"}, "1/2": {"job": "农民"}},
    }
    # a nine-year-old is asked whether she has a job; the job question itself does not apply
    assert "job@jobs/2/1" not in [s.name for s in interview.applicable_screens()]
    assert str(interview.progress()) == "closing · 12/12"


def test_back_crosses_from_an_instance_into_the_one_before_and_out_of_the_repeat(household):
    interview = Interview(household, {"n_members": 2}, repeat_answers={
        "members": {"1": {"member_name": "李明", "age": 41}}}, language="en")
    assert interview.screen.name == "@jobs/1/1"  # picks up after the last answer
    answer(interview, False)
    assert interview.screen.name == "member_name@members/2"
    interview.back()
    assert interview.screen.name == "@jobs/1/1"
    interview.back()
    assert interview.screen.name == "age@members/1"
    assert interview.answer_on(interview.screen) == 41
    for _ in range(2):
        interview.back()
    assert interview.screen.name == "n_members" and interview.at_first


def test_a_constraint_and_skip_logic_see_the_instance_they_are_asked_in(household):
    repeats = {"members": {"1": {"age": 41}, "2": {"age": 9}},
               "jobs": {"1/1": {}, "2/1": {}}}
    interview = Interview(household, {"n_members": 2}, repeat_answers=repeats, language="en")
    interview.go_to("age@members/2")
    with pytest.raises(InvalidAnswer, match="not allowed"):
        interview.parse("130")
    assert interview.parse("12") == 12
    applicable = [s.name for s in interview.applicable_screens()]
    assert "job@jobs/1/1" in applicable  # asked of the 41-year-old
    assert "job@jobs/2/1" not in applicable  # not of the 9-year-old


def test_a_count_that_goes_down_leaves_instances_to_remove(household):
    repeats = {"members": {"1": {"age": 41}, "2": {"age": 9}, "3": {"age": 7}},
               "jobs": {"1/1": {"job": "教师"}, "3/1": {"job": "学生"}}}
    interview = Interview(household, {"n_members": 3}, repeat_answers=repeats, language="en")
    assert interview.surplus_instances() == []
    interview.go_to("n_members")
    interview.record(1)
    surplus = [(repeat.id, key) for repeat, key in interview.surplus_instances()]
    assert surplus == [("members", "2"), ("members", "3")]  # the job of member 3 goes with it
    for repeat, key in reversed(interview.surplus_instances()):
        interview.remove_instance(repeat, key)
    assert interview.repeat_answers == {"members": {"1": {"age": 41}},
                                        "jobs": {"1/1": {"job": "教师"}}}


def test_no_more_instances_lists_those_it_would_remove(household):
    interview = Interview(household, {"n_members": 1}, repeat_answers={
        "members": {"1": {"age": 41}},
        "jobs": {"1/1": {"job": "a"}, "1/2": {"job": "b"}, "1/3": {"job": "c"}}})
    interview.go_to("@jobs/1/2")
    assert [key for _, key in interview.instances_from(interview.screen)] == ["1/2", "1/3"]


def test_resuming_goes_back_to_the_instance_it_paused_in(household):
    repeats = {"members": {"1": {"member_name": "李明", "age": 41}, "2": {}}}
    interview = Interview(household, {"n_members": 2}, repeat_answers=repeats)
    interview.pick_up("age@members/2")  # the name was left blank on purpose
    assert interview.screen.name == "age@members/2"
    assert split_screen_name("job@jobs/2/1") == ("job", "jobs", "2/1")
    assert split_screen_name("n_members") == ("n_members", None, None)


def test_the_review_lists_each_instance_under_its_number(household):
    repeats = {"members": {"1": {"member_name": "李明", "age": 41},
                           "2": {"member_name": "李娜", "age": 9}},
               "jobs": {"1/1": {"job": "教师"}}}
    interview = Interview(household, {"n_members": 2}, repeat_answers=repeats, language="zh")
    titles = [(interview.title(part.section, part.instance_key),
               [item.shown for item in part.items]) for part in interview.review()]
    assert titles == [("家庭", ["2"]), ("成员 1", ["李明", "41"]), ("成员 1 › 工作 1", ["教师"]),
                      ("成员 2", ["李娜", "9"]), ("结束", [""])]


def test_a_calculation_inside_an_instance_changes_what_it_asks():
    roster = questionnaire_from_dict({
        "name": "roster", "version": "1", "title": {"en": "Roster"}, "languages": ["en"],
        "sections": [{
            "id": "people", "title": {"en": "People"}, "repeat": {"count": "2"},
            "questions": [
                {"id": "born", "type": "integer", "label": {"en": "Born"}},
                {"id": "adult", "type": "calculate", "calculation": "${born} <= 2002"},
                {"id": "work", "type": "text", "label": {"en": "Work"},
                 "relevant": "${adult} = 'true'"},
            ]}],
    }, source="roster")
    interview = Interview(roster, language="en")
    answer(interview, "1980")
    assert interview.screen.name == "work@people/1"
    answer(interview, "baker")
    answer(interview, "2010")
    assert interview.screen is None  # the child is not asked about work
    assert interview.repeat_answers["people"] == {
        "1": {"born": 1980, "adult": "true", "work": "baker"},
        "2": {"born": 2010, "adult": "false"}}
