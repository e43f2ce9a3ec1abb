"""Interviews with repeat sections on a real study store, driven by keys through a pipe:
instances added and stopped, counts lowered, pauses inside an instance, corrections."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dmsurvey.store.study import init_study, open_study

from ..interview.terminal import BACKSPACE, CTRL_B, CTRL_C, DOWN, ENTER, UP
from ..interview.test_session import START, SUBMIT, run, screen

HOUSEHOLD = Path(__file__).with_name("household.yaml")
NO = DOWN + ENTER  # "No more" on a screen adding an instance
PAUSE = CTRL_C + ENTER


@pytest.fixture
def study(tmp_path):
    return init_study(tmp_path / "study", HOUSEHOLD)


def stored(study, response_id):
    again = open_study(study.path)  # read back from disk, as another process would
    return again.get_answers(response_id), again.get_repeat_answers(response_id)


def removed(study, response_id) -> list[str]:
    trail = open_study(study.path).audit(response_id)
    return trail.loc[trail["action"] == "remove instance", "field"].tolist()


def test_instances_are_added_until_no_more_and_no_more_later_removes_the_rest(study):
    keys = [
        START, "2" + ENTER,
        "Li" + ENTER, "41" + ENTER,
        ENTER, "teacher" + ENTER,  # a first job
        ENTER, "farmer" + ENTER,  # another
        NO,
        "Wu" + ENTER, "9" + ENTER, NO,  # a child: no jobs
        CTRL_B * 6,  # from the comment back to "add a second job?" of the first member
        NO, "y",  # no second job after all: confirmed, so the farmer's job is removed
        ENTER, ENTER, NO,  # member 2 as before
        "ok" + ENTER,
        SUBMIT,
    ]
    result = run(study, "".join(keys), enumerator="Li")
    assert result.outcome == "submitted"
    assert stored(study, result.response_id) == (
        {"n_members": 2, "comment": "ok"},
        {"members": {"1": {"member_name": "Li", "age": 41}, "2": {"member_name": "Wu", "age": 9}},
         "jobs": {"1/1": {"job": "teacher"}}})
    assert removed(study, result.response_id) == ["jobs[1/2]"]


def test_a_lower_count_removes_the_instances_beyond_it_only_once_confirmed(study):
    keys = [
        START, "2" + ENTER,
        "Li" + ENTER, "41" + ENTER, NO,
        "Wu" + ENTER, "9" + ENTER, NO,
        CTRL_B * 7,  # from the comment back to the number of members
        BACKSPACE + "1" + ENTER, "n",  # not confirmed: the count stays 2
        BACKSPACE + "1" + ENTER, "y",
        ENTER, ENTER, NO,  # member 1 as before
        ENTER,  # no comment
        SUBMIT,
    ]
    result = run(study, "".join(keys))
    answers, instances = stored(study, result.response_id)
    assert answers == {"n_members": 1}
    assert instances == {"members": {"1": {"member_name": "Li", "age": 41}}, "jobs": {}}
    assert removed(study, result.response_id) == ["members[2]"]
    trail = open_study(study.path).audit(result.response_id)
    assert trail.loc[trail["field"] == "n_members", "new"].tolist() == ["2", "1"]


def test_a_pause_inside_an_instance_resumes_there(study):
    # The first member's age and the second's name are left blank on purpose.
    paused = run(study, "".join([START, "2" + ENTER, "Li" + ENTER, ENTER, NO, ENTER, PAUSE]))
    assert paused.outcome == "paused"
    assert open_study(study.path).paused_on(paused.response_id) == "age@members/2"
    output, printed = screen()
    run(study, "7" + ENTER + NO + PAUSE, resume_id=paused.response_id, output=output)
    assert "members · 6/8 — Members 2" in printed.getvalue()
    assert stored(study, paused.response_id)[1] == {
        "members": {"1": {"member_name": "Li"}, "2": {"age": 7}}, "jobs": {}}


def test_a_submitted_response_with_instances_is_corrected_with_edit(study):
    keys = [START, "1" + ENTER, "Li" + ENTER, "41" + ENTER, ENTER, "teacher" + ENTER, NO,
            ENTER, SUBMIT]
    first = run(study, "".join(keys))
    output, printed = screen()
    keys = [
        UP + UP + ENTER,  # from "Submit" up past "Closing" to the first member's first job
        ENTER,  # the job
        BACKSPACE * 7 + "baker" + ENTER,
        SUBMIT,
    ]
    again = run(study, "".join(keys), edit_id=first.response_id[:8], output=output)
    assert again.outcome == "submitted"
    assert "Members 1 › Jobs 1" in printed.getvalue()
    assert stored(study, first.response_id)[1]["jobs"] == {"1/1": {"job": "baker"}}
    assert open_study(study.path).get_response(first.response_id)["status"] == "complete"


def test_the_instances_are_asked_and_titled_in_chinese(study):
    output, printed = screen()
    keys = [START, "1" + ENTER, "李明" + ENTER, "41" + ENTER, PAUSE]
    paused = run(study, "".join(keys), language="zh", output=output)
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", printed.getvalue())
    assert "members · 2/5 — 成员 1" in shown and "jobs · 4/5 — 成员 1 › 工作 1" in shown
    assert "工作：是否需要填写？" in shown
    assert open_study(study.path).paused_on(paused.response_id) == "@jobs/1/1"


def test_answers_in_an_instance_that_no_longer_apply_are_cleared_on_submit(study):
    keys = [START, "1" + ENTER, "Li" + ENTER, "41" + ENTER, ENTER, "teacher" + ENTER, NO,
            ENTER, SUBMIT]
    first = run(study, "".join(keys))
    keys = [
        UP * 3 + ENTER,  # the review's page of the first member
        DOWN + ENTER,  # the age
        BACKSPACE * 2 + "9" + ENTER,  # a child: the job question no longer applies
        SUBMIT,
    ]
    run(study, "".join(keys), edit_id=first.response_id)
    assert stored(study, first.response_id)[1] == {
        "members": {"1": {"member_name": "Li", "age": 9}}, "jobs": {"1/1": {}}}
    trail = open_study(study.path).audit(first.response_id)
    cleared = trail[trail["field"] == "jobs[1/1].job"]
    assert cleared[["old", "new"]].fillna("").values.tolist() == [["", "teacher"], ["teacher", ""]]


def test_a_clerk_keys_the_instances_of_a_paper_form_with_number_keys(study):
    output, printed = screen()
    keys = ["1" + ENTER, "Li" + ENTER, "41" + ENTER,
            "1" + ENTER, "clerk" + ENTER,  # 1: a job
            "2" + ENTER,  # 2: no more
            "ok" + ENTER, SUBMIT]
    keyed = run(study, "".join(keys), mode="clerk", entry=1, form_number="7", output=output)
    assert stored(study, keyed.response_id)[1] == {
        "members": {"1": {"member_name": "Li", "age": 41}}, "jobs": {"1/1": {"job": "clerk"}}}
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", printed.getvalue())
    assert "Form 7 · entry 1 · jobs · 6/7 — Members 1 › Jobs 2\nnumber or ↑↓" in shown.replace(
        "\r", "")
