"""Repeat sections in the questionnaire model and in the study's own tables."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dmsurvey.errors import DataError, QuestionnaireError
from dmsurvey.questionnaire.loader import load_questionnaire, questionnaire_from_yaml
from dmsurvey.store.study import init_study

HOUSEHOLD = Path(__file__).with_name("household.yaml")


def test_repeat_questions_are_not_columns_of_the_responses_table(tmp_path):
    questionnaire = load_questionnaire(HOUSEHOLD)
    assert [q.id for q in questionnaire.questions] == ["n_members", "comment"]
    assert [s.id for s in questionnaire.repeats] == ["members", "jobs"]
    assert questionnaire.repeat("jobs").repeat.within == "members"
    assert questionnaire.repeat_of("job").id == "jobs"
    study = init_study(tmp_path / "study", HOUSEHOLD)
    with sqlite3.connect(study.database_path) as connection:
        responses = [row[1] for row in connection.execute("PRAGMA table_info(responses)")]
        jobs = [row[1] for row in connection.execute("PRAGMA table_info(repeat_jobs)")]
    assert "age" not in responses and "comment" in responses
    assert jobs == ["response_id", "instance_key", "parent_key", "instance", "job"]


def test_instances_are_stored_audited_and_removed_with_those_inside_them(tmp_path):
    study = init_study(tmp_path / "study", HOUSEHOLD)
    response = study.start_response()
    study.save_repeat_answer(response, "members", "1", "member_name", "李明")
    study.save_repeat_answer(response, "members", "1", "age", "41")  # typed text is read
    study.save_repeat_answer(response, "members", "2", "age", 9)
    study.save_repeat_answer(response, "jobs", "1/1", "job", "教师")
    study.save_repeat_answer(response, "jobs", "1/2", "job", "农民")
    assert study.get_repeat_answers(response) == {
        "members": {"1": {"member_name": "李明", "age": 41}, "2": {"age": 9}},
        "jobs": {"1/1": {"job": "教师"}, "1/2": {"job": "农民"}},
    }
    jobs = study.repeat_rows("jobs")
    assert jobs[["instance_key", "parent_key", "instance"]].values.tolist() == [
        ["1/1", "1", 1], ["1/2", "1", 2]]

    study.remove_repeat_instance(response, "members", "1")
    assert study.get_repeat_answers(response) == {"members": {"2": {"age": 9}}, "jobs": {}}
    trail = study.audit(response)
    removed = trail[trail["action"] == "remove instance"]
    assert removed["field"].tolist() == ["members[1]", "jobs[1/1]", "jobs[1/2]"]
    assert "李明" in removed["old"].iloc[0]  # what was typed stays in the audit trail


def test_an_answer_to_an_instance_is_checked_like_any_other(tmp_path):
    study = init_study(tmp_path / "study", HOUSEHOLD)
    response = study.start_response()
    with pytest.raises(DataError) as raised:
        study.save_repeat_answer(response, "members", "1", "age", "forty")
    assert raised.value.problems[0].column == "age"
    with pytest.raises(DataError, match="not an instance key"):
        study.save_repeat_answer(response, "jobs", "1", "job", "教师")  # needs its member
    assert study.get_repeat_answers(response) == {"members": {}, "jobs": {}}


def test_a_repeat_inside_an_unknown_section_and_a_key_column_name_are_refused():
    text = HOUSEHOLD.read_text(encoding="utf-8")
    with pytest.raises(QuestionnaireError) as raised:
        questionnaire_from_yaml(text.replace("within: members", "within: household"))
    assert "not an earlier repeat section" in str(raised.value.problems[0])
    with pytest.raises(QuestionnaireError) as raised:
        questionnaire_from_yaml(text.replace("id: job,", "id: Instance,"))
    assert "keys its instances" in str(raised.value.problems[0])


def test_an_expression_sees_its_own_instance_and_lists_of_the_others():
    from dmsurvey.questionnaire.repeats import POSITION, visible_answers

    questionnaire = load_questionnaire(HOUSEHOLD)
    repeats = {"members": {"1": {"age": 40}, "2": {"age": 12}},
               "jobs": {"1/1": {"job": "教师"}, "1/2": {"job": "农民"}, "2/1": {"job": "学生"}}}
    second = visible_answers(questionnaire, {"n_members": 2}, repeats, "members", "2")
    assert (second["age"], second["n_members"], second[POSITION]) == (12, 2, 2)
    assert second["job"] == ["学生"]  # only the jobs of this member
    job = visible_answers(questionnaire, {"n_members": 2}, repeats, "jobs", "1/2")
    assert (job["job"], job["age"], job[POSITION]) == ("农民", 40, 2)
    outside = visible_answers(questionnaire, {"n_members": 2}, repeats)
    assert outside["age"] == [40, 12] and outside["members"] == ["1", "2"]
    assert len(outside["job"]) == 3
