"""Merging laptops: same questionnaire only, idempotent, no duplicates, conflicts left alone."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from dmsurvey.errors import StudyError
from dmsurvey.store.merge import merge_log, merge_studies
from dmsurvey.store.study import init_study


@pytest.fixture
def laptops(tmp_path, questionnaire_file):
    """Three study folders started from the same questionnaire file, as on three laptops."""
    return [
        init_study(tmp_path / name, questionnaire=questionnaire_file) for name in ("hq", "a", "b")
    ]


def _interview(study, enumerator, answers, status="complete"):
    response_id = study.start_response(enumerator=enumerator)
    for question, value in answers.items():
        study.save_answer(response_id, question, value, who=enumerator)
    study.set_status(response_id, status, who=enumerator)
    return response_id


def _dump(study) -> list:
    """Every row of every table: what "changes nothing" is checked against."""
    connection = sqlite3.connect(study.database_path)
    try:
        tables = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return [(t, connection.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall())
                for t in tables]
    finally:
        connection.close()


def test_merge_adds_responses_with_metadata_and_audit(laptops):
    hq, a, b = laptops
    kept = _interview(hq, "Li", {"firm_name": "甲", "industry": "other"})
    first = _interview(a, "Wang", {"firm_name": "乙", "industry": "manufacturing",
                                   "mfg_subsector": "pharma", "employees_2019": 30})
    second = _interview(b, "Zhao", {"firm_name": "丙", "employees_2019": 7}, "in_progress")
    result = merge_studies(hq.path, [a.path, b.path], who="lead")
    assert result.added == {a.path: 1, b.path: 1}
    assert result.conflicts == []
    assert sorted(hq.response_ids()) == sorted([kept, first, second])
    assert hq.get_response(first) == a.get_response(first)
    assert hq.get_response(second)["status"] == "in_progress"
    audit = hq.audit(first)
    assert list(audit["action"])[-1] == "merge"
    assert len(audit) == len(a.audit(first)) + 1
    log = merge_log(hq)
    assert sorted(log["response_id"]) == sorted([first, second])
    assert set(log["who"]) == {"lead"}


def test_merging_twice_changes_nothing(laptops):
    hq, a, b = laptops
    _interview(a, "Wang", {"firm_name": "乙", "industry": "other"})
    merge_studies(hq, [a, b])
    before = _dump(hq)
    again = merge_studies(hq, [a, b])
    assert again.added == {a.path: 0, b.path: 0}
    assert again.already_present[a.path] == 1
    assert _dump(hq) == before
    assert len(hq.responses(status=None)) == 1


def test_conflicts_are_reported_and_not_overwritten(laptops):
    hq, a, _ = laptops
    response_id = _interview(a, "Wang", {"firm_name": "乙", "employees_2019": 30})
    merge_studies(hq, [a])
    a.save_answer(response_id, "employees_2019", 31, who="Wang")
    a.save_answer(response_id, "remarks", "corrected", who="Wang")
    result = merge_studies(hq, [a])
    assert [(c.response_id, c.fields) for c in result.conflicts] == [
        (response_id, ("employees_2019", "remarks"))
    ]
    assert hq.get_answers(response_id)["employees_2019"] == 30
    assert "employees_2019, remarks" in result.summary()


def test_different_questionnaire_is_refused_naming_both(laptops, tmp_path, questionnaire_file):
    hq, a, _ = laptops
    _interview(a, "Wang", {"firm_name": "乙"})
    edited = tmp_path / "edited.yaml"
    text = questionnaire_file.read_text(encoding="utf-8")
    edited.write_text(text.replace('version: "1"', 'version: "2"'), encoding="utf-8")
    other = init_study(tmp_path / "other", questionnaire=edited)
    _interview(other, "Zhao", {"firm_name": "丙"})
    before = _dump(hq)
    with pytest.raises(StudyError) as raised:
        merge_studies(hq, [a, other])
    message = str(raised.value)
    assert "version '2'" in message and "version '1'" in message
    assert str(other.path) in message and str(hq.path) in message
    assert _dump(hq) == before


def test_merging_a_study_into_itself_is_refused(laptops):
    hq = laptops[0]
    with pytest.raises(StudyError, match="itself"):
        merge_studies(hq, [hq.path])


def test_the_same_import_on_two_laptops_is_not_a_conflict(laptops, tmp_path):
    hq, a, _ = laptops
    path = tmp_path / "forms.csv"
    path.write_text("response_id,industry,employees_2019\nf1,other,12\n", encoding="utf-8")
    a.add_responses(pd.read_csv(path, dtype="str"), who="Wang")
    hq.add_responses(pd.read_csv(path, dtype="str"), who="Li")
    with hq.connect() as connection:  # imported at another time on the other laptop
        connection.execute("UPDATE responses SET started_at = '2020-07-01T08:00:00+00:00', "
                           "updated_at = '2020-07-01T08:00:00+00:00'")
    result = merge_studies(hq, [a])
    assert result.conflicts == []
    assert result.already_present == {a.path: 1}
    assert result.summary() == f"{a.path}: 0 responses added, 1 response already present"
