"""Double entry of a household roster: the instances of repeat sections are compared too."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from dmsurvey.errors import StudyError
from dmsurvey.store.reconcile import (
    Resolution,
    TerminalResolver,
    reconcile_study,
    resolutions_log,
)
from dmsurvey.store.study import init_study

from ..interview.terminal import DOWN, ENTER, Terminal

HOUSEHOLD = Path(__file__).with_name("household.yaml")


def key_household(study, form_number, entry, clerk, n_members, members, jobs=None):
    """Key one paper household form as a clerk would, one answer at a time."""
    response = study.start_response(source="paper", enumerator=clerk, entry=entry,
                                    form_number=form_number)
    study.save_answer(response, "n_members", n_members, who=clerk)
    for key, answers in members.items():
        for question, value in answers.items():
            study.save_repeat_answer(response, "members", key, question, value, who=clerk)
    for key, job in (jobs or {}).items():
        study.save_repeat_answer(response, "jobs", key, "job", job, who=clerk)
    return response


@pytest.fixture
def roster(tmp_path):
    """Form 7 keyed twice: the clerks disagree on the second member's age, and the second
    clerk left out the third member."""
    study = init_study(tmp_path / "study", HOUSEHOLD)
    first = key_household(study, "7", 1, "张", 3, {
        "1": {"member_name": "李明", "age": 41}, "2": {"member_name": "王芳", "age": 39},
        "3": {"member_name": "李小", "age": 12}}, {"1/1": "教师"})
    second = key_household(study, "7", 2, "李", 3, {
        "1": {"member_name": "李明", "age": "41"}, "2": {"member_name": "王芳", "age": 38}},
        {"1/1": "教师"})
    return study, first, second


def test_an_answer_and_a_missing_instance_are_listed(roster):
    study, first, _ = roster
    listed = reconcile_study(study).disagreements()
    assert list(listed["question"]) == ["members[2].age", "members[3]"]
    assert (listed.loc[0, "first_value"], listed.loc[0, "second_value"]) == ("39", "38")
    # the instance keyed once is shown with what it holds; the other side has none
    assert json.loads(listed.loc[1, "first_value"]) == {"member_name": "李小", "age": 12}
    assert listed.loc[1, "second_value"] == ""
    assert study.get_response(first)["status"] == "in_progress"


def test_settled_instances_go_to_the_first_keying_and_are_reapplied(roster):
    study, first, second = roster
    second_before = study.get_repeat_answers(second)
    result = reconcile_study(study, who="supervisor",
                             resolve=lambda d: Resolution(d.second, "second"))
    assert result.pending == [] and result.completed == ["7"]
    assert study.get_repeat_answers(first) == {
        "members": {"1": {"member_name": "李明", "age": 41},
                    "2": {"member_name": "王芳", "age": 38}},
        "jobs": {"1/1": {"job": "教师"}},
    }
    assert study.get_response(first)["status"] == "complete"
    log = resolutions_log(study)
    assert list(log["question"]) == ["members[2].age", "members[3]"]
    assert list(log["resolved_value"]) == ["38", "null"]
    trail = study.audit(first)
    assert "members[3]" in set(trail.loc[trail["action"] == "remove instance", "field"])

    audit_before = len(study.audit())
    again = reconcile_study(study)
    assert again.pending == [] and again.completed == []
    assert list(again.disagreements()["question"]) == ["members[2].age", "members[3]"]
    assert list(again.disagreements()["resolution"]) == ["second", "second"]
    assert len(study.audit()) == audit_before
    assert study.get_repeat_answers(second) == second_before


def test_a_write_back_that_fails_leaves_the_first_keying_as_it_was(roster):
    """The settled age is written before the left-out member is removed; the removal fails
    (the database refuses it), so the age is not written either."""
    study, first, _ = roster
    before = study.get_repeat_answers(first)
    with sqlite3.connect(study.database_path) as connection:
        connection.execute("CREATE TRIGGER refuse BEFORE DELETE ON repeat_members "
                           "BEGIN SELECT RAISE(ABORT, 'the disk is full'); END")
    with pytest.raises(StudyError, match="cannot be written: the disk is full"):
        reconcile_study(study, resolve=lambda d: Resolution(d.second, "second"))
    assert study.get_repeat_answers(first) == before
    assert study.get_response(first)["status"] == "in_progress"
    with sqlite3.connect(study.database_path) as connection:
        connection.execute("DROP TRIGGER refuse")
    # the resolutions were logged as they were made: the next run writes them back
    assert reconcile_study(study).completed == ["7"]
    assert study.get_repeat_answers(first)["members"]["2"]["age"] == 38
    assert "3" not in study.get_repeat_answers(first)["members"]


def test_an_instance_kept_from_the_second_keying_brings_its_answers_and_nested_ones(tmp_path):
    study = init_study(tmp_path / "study", HOUSEHOLD)
    first = key_household(study, "8", 1, "张", 2, {"1": {"member_name": "赵", "age": 50}})
    key_household(study, "8", 2, "李", 2, {
        "1": {"member_name": "赵", "age": 50}, "2": {"member_name": "钱", "age": 30}},
        {"2/1": "司机"})
    asked = []

    def take_second(disagreement):
        asked.append(disagreement.field)
        return Resolution(disagreement.second, "second")

    result = reconcile_study(study, resolve=take_second)
    # the job inside the second member is compared once that member is settled
    assert asked == ["members[2]", "jobs[2/1]"]
    assert result.pending == []
    assert study.get_repeat_answers(first) == {
        "members": {"1": {"member_name": "赵", "age": 50}, "2": {"member_name": "钱", "age": 30}},
        "jobs": {"2/1": {"job": "司机"}},
    }
    assert reconcile_study(study).disagreements()["resolution"].tolist() == ["second", "second"]


def test_an_instance_follows_its_own_skip_logic(tmp_path):
    """A job is asked of members over 15: keyed differently for a child, it is not compared;
    for an adult it is, as `jobs[2/1].job`."""
    study = init_study(tmp_path / "study", HOUSEHOLD)
    members = {"1": {"age": 9}, "2": {"age": 35}}
    key_household(study, "9", 1, "张", 2, members, {"1/1": "学生", "2/1": "厨师"})
    key_household(study, "9", 2, "李", 2, members, {"1/1": "小学生", "2/1": "厨 师"})
    result = reconcile_study(study)
    assert [d.field for d in result.pending] == ["jobs[2/1].job"]
    # the 2 questions asked once, each member's name (blank) and age, the adult's job
    assert result.comparisons[0].fields_compared == 2 + 4 + 1


def test_the_terminal_asks_about_instances_too(roster):
    study, first, _ = roster
    with create_pipe_input() as keys:
        # members[2].age: type 39 from the paper; members[3]: keep the first keying's
        keys.send_text(DOWN * 2 + ENTER + "39" + ENTER + ENTER)
        resolver = TerminalResolver(study.questionnaire, language="en", input=keys,
                                    output=DummyOutput())
        result = reconcile_study(study, who="Li", resolve=resolver)
    assert result.pending == []
    members = study.get_repeat_answers(first)["members"]
    assert members["2"]["age"] == 39 and members["3"] == {"member_name": "李小", "age": 12}
    assert list(resolutions_log(study)["choice"]) == ["typed", "first"]


def test_an_instance_shows_what_each_keying_holds(roster):
    study, _, _ = roster
    instance = reconcile_study(study).pending[1]
    resolver = TerminalResolver(study.questionnaire, language="en")
    assert resolver.shown_instance(instance.repeat, instance.first) == "Name 李小; Age 12"
    assert resolver.shown_instance(instance.repeat, instance.second) == "(not there)"


@pytest.mark.slow
def test_reconcile_asks_about_instances_in_a_real_terminal(roster):
    study, first, _ = roster
    terminal = Terminal("reconcile", str(study.path), "--who", "Li", "--lang", "en",
                        timeout=30)
    terminal.expect("Form 7, members[2].age (Age)")
    terminal.send(DOWN + ENTER)  # the second keying: 38
    terminal.expect("Form 7, members[3] (Members)")
    terminal.expect("Name 李小; Age 12")
    terminal.send(DOWN + ENTER)  # the second keying left the third member out
    terminal.expect("1 form reconciled and complete")
    status, _ = terminal.finish()
    assert status == 0
    assert study.get_repeat_answers(first)["members"] == {
        "1": {"member_name": "李明", "age": 41}, "2": {"member_name": "王芳", "age": 38}}
    assert list(resolutions_log(study)["who"]) == ["Li", "Li"]
