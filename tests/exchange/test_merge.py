"""Merging laptops: same questionnaire structure, idempotent, no duplicates, conflicts kept."""

from __future__ import annotations

import hashlib
import sqlite3

import pandas as pd
import pytest
from typer.testing import CliRunner

from dmsurvey.cli import app
from dmsurvey.errors import StudyError
from dmsurvey.store.importing import import_files
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


def _edited_study(tmp_path, questionnaire_file, name, *replacements):
    """A study started from the questionnaire file edited by (old, new) text replacements."""
    text = questionnaire_file.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    edited = tmp_path / f"{name}.yaml"
    edited.write_text(text, encoding="utf-8")
    return init_study(tmp_path / name, questionnaire=edited)


def _refusal(hq, other) -> str:
    """The error of a refused merge, after checking that it changed nothing."""
    before = _dump(hq)
    with pytest.raises(StudyError) as raised:
        merge_studies(hq, [other])
    assert _dump(hq) == before
    assert "Nothing was merged" in str(raised.value)
    return str(raised.value)


def test_wording_only_difference_merges_with_a_note(laptops, tmp_path, questionnaire_file):
    hq, a, _ = laptops
    other = _edited_study(
        tmp_path, questionnaire_file, "corrected",
        ('version: "1"', 'version: "1.1"'),
        ("{zh: 企业名称, en: Firm name}", "{zh: 企业全称, en: Full firm name}"),
        ("{zh: 其他, en: Other}", "{zh: 其他行业, en: Other industry}"),
    )
    response_id = _interview(other, "Zhao", {"firm_name": "丙", "industry": "other"})
    result = merge_studies(hq, [a, other])
    assert result.added == {a.path: 0, other.path: 1}
    assert hq.get_answers(response_id) == {"firm_name": "丙", "industry": "other"}
    ours = hashlib.sha256((hq.path / "questionnaire.yaml").read_bytes()).hexdigest()
    theirs = hashlib.sha256((other.path / "questionnaire.yaml").read_bytes()).hexdigest()
    assert ours != theirs
    note = (
        f"{other.path}: the questionnaires differ in wording only (version '1', hash "
        f"{ours[:12]} vs version '1.1', hash {theirs[:12]}); answers were merged; the target "
        "keeps its own wording"
    )
    assert result.notes == [note]
    assert result.summary().splitlines()[0] == note
    assert hq.questionnaire["firm_name"].label["zh"] == "企业名称"
    assert list(hq.audit(response_id)["action"])[-1] == "merge"
    again = merge_studies(hq, [other])
    assert again.added == {other.path: 0} and again.already_present == {other.path: 1}


def test_choices_listed_in_another_order_are_stored_in_the_targets_order(
    laptops, tmp_path, questionnaire_file
):
    hq, _, _ = laptops
    employee_sharing = "- {code: employee_sharing, label: {zh: 员工共享, en: Employee sharing}}"
    production_line = (
        "- {code: production_line_config, label: {zh: 产线配置, en: Production line set-up}}"
    )
    other = _edited_study(
        tmp_path, questionnaire_file, "reordered",
        (employee_sharing, "EMPLOYEE_SHARING"),
        (production_line, employee_sharing),
        ("EMPLOYEE_SHARING", production_line),
    )
    assert other.questionnaire["supply_chain_platform_services"].choice_codes[0] == (
        "production_line_config"
    )
    response_id = _interview(other, "Zhao", {
        "supply_chain_platform_services": "production_line_config employee_sharing"})
    merge_studies(hq, [other])
    assert hq.get_answers(response_id) == {
        "supply_chain_platform_services": "employee_sharing production_line_config"}
    assert merge_studies(hq, [other]).conflicts == []


def test_a_changed_type_is_refused_naming_the_question(laptops, tmp_path, questionnaire_file):
    hq = laptops[0]
    other = _edited_study(
        tmp_path, questionnaire_file, "decimal",
        ("id: employees_2019\n        type: integer", "id: employees_2019\n        type: decimal"),
    )
    _interview(other, "Zhao", {"employees_2019": 12.5})
    message = _refusal(hq, other)
    assert f"{other.path}: question employees_2019: type integer vs decimal" in message
    assert str(hq.path) in message
    assert message.count("\n  - ") == 1


def test_changed_codes_are_refused_listing_added_and_removed(
    laptops, tmp_path, questionnaire_file
):
    hq = laptops[0]
    other = _edited_study(
        tmp_path, questionnaire_file, "recoded",
        ("code: software_it", "code: software"),
        ("code: other_mfg,", "code: textiles, label: {zh: 纺织, en: Textiles}}\n"
                             "          - {code: other_mfg,"),
    )
    message = _refusal(hq, other)
    assert "question industry: codes added: software; removed: software_it" in message
    assert "question mfg_subsector: codes added: textiles" in message
    assert "mfg_subsector: codes added: textiles;" not in message


def test_a_question_in_one_study_only_is_refused(laptops, tmp_path, questionnaire_file):
    hq = laptops[0]
    other = _edited_study(
        tmp_path, questionnaire_file, "renamed",
        ("id: remarks", "id: comments"),
        ("name: small-survey", "name: small-survey-b"),
    )
    message = _refusal(hq, other)
    assert "questionnaire name 'small-survey' vs 'small-survey-b'" in message
    assert f"question remarks only in {hq.path}" in message
    assert f"question comments only in {other.path}" in message


def test_the_command_prints_the_wording_note(laptops, tmp_path, questionnaire_file):
    hq, _, _ = laptops
    other = _edited_study(tmp_path, questionnaire_file, "typo",
                          ("{zh: 备注, en: Remarks}", "{zh: 备住, en: Remarks}"))
    _interview(other, "Zhao", {"remarks": "ok"})
    outcome = CliRunner().invoke(app, ["merge", str(hq.path), str(other.path)])
    assert outcome.exit_code == 0, outcome.output
    assert "differ in wording only" in outcome.output
    assert f"{other.path}: 1 response added" in outcome.output


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


def test_the_same_paper_file_imported_on_two_laptops_merges_without_conflict(laptops, tmp_path):
    """Only the time of the import differs: that is not a conflict."""
    hq, a, _ = laptops
    paper = tmp_path / "paper.csv"
    paper.write_text("form_number,industry,employees_2019\n7,other,12\n8,other,30\n",
                     encoding="utf-8")
    import_files(hq, [paper])
    import_files(a, [paper])
    with sqlite3.connect(a.database_path) as connection:  # imported a day later on laptop a
        connection.execute("UPDATE responses SET submitted_at = '2020-07-11T09:00:00+08:00', "
                           "started_at = submitted_at, updated_at = submitted_at")
    result = merge_studies(hq.path, [a.path])
    assert result.conflicts == []
    assert result.already_present == {a.path: 2}
    outcome = CliRunner().invoke(app, ["merge", str(hq.path), str(a.path)])
    assert outcome.exit_code == 0, outcome.output
    assert "differ" not in outcome.output


def test_an_answer_the_questionnaire_refuses_stops_the_merge(laptops):
    hq, a, _ = laptops
    bad = _interview(a, "Wang", {"firm_name": "乙", "employees_2019": 30})
    with sqlite3.connect(a.database_path) as connection:
        connection.execute("UPDATE responses SET employees_2019 = -7")
    before = _dump(hq)
    with pytest.raises(StudyError) as refused:
        merge_studies(hq.path, [a.path])
    [problem] = refused.value.problems
    assert (problem.column, problem.value) == ("employees_2019", "-7")
    assert bad in problem.message
    assert _dump(hq) == before
