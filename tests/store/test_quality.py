"""`dmsurvey validate`: the data-quality report."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from dmsurvey.cli import app
from dmsurvey.store.importing import import_files
from dmsurvey.store.quality import ISSUE_COLUMNS, quality_issues, robust_z, validate_study


def add(study, status="complete", entry=1, form_number=None, **answers) -> str:
    rid = study.start_response(entry=entry, form_number=form_number)
    for question, value in answers.items():
        study.save_answer(rid, question, value)
    study.set_status(rid, status)
    return rid


@pytest.fixture
def firms(study):
    """Ten ordinary firms (revenue about 10 per employee) and one of each problem."""
    rng = np.random.default_rng(7)
    ids = {}
    for number in range(10):
        employees = int(rng.integers(5, 200))
        ids[f"ok{number}"] = add(
            study, firm_name=f"Firm {number}", industry="other", employees_2019=employees,
            revenue_2019=round(employees * float(rng.uniform(8, 12)), 1),
            tech_used="ai", cloud="yes", self_maturity="2",
        )
    ids["outlier"] = add(study, firm_name="Giant", industry="other", employees_2019=10,
                         revenue_2019=90000.0, cloud="no")
    ids["no_subsector"] = add(study, firm_name="Maker", industry="manufacturing")
    ids["not_asked"] = add(study, firm_name="Shop", industry="other", mfg_subsector="pharma")
    ids["acme"] = add(study, firm_name="Acme Ltd.", industry="other")
    ids["acme_again"] = add(study, firm_name=" ACME ltd", industry="software_it")
    ids["unfinished"] = add(study, status="in_progress", industry="manufacturing")
    ids["void"] = add(study, status="void", industry="manufacturing")
    same = dict(industry="software_it", employees_2019=3, revenue_2019=30.0, tech_used="5g",
                cloud="no", self_maturity="1")
    ids["twin_a"] = add(study, firm_name="Twin A", form_number="7", **same)
    ids["twin_b"] = add(study, firm_name="Twin B", **same)
    ids["second_entry"] = add(study, firm_name="Twin A", entry=2, form_number="7", **same)
    return ids


def issues_of(issues, check):
    return issues[issues["check"] == check]


def test_each_kind_of_issue_is_found_and_nothing_else(study, firms):
    issues = validate_study(study)
    assert list(issues.columns) == ISSUE_COLUMNS
    missing = issues_of(issues, "missing_required")
    assert missing[["response_id", "question"]].values.tolist() == [
        [firms["no_subsector"], "mfg_subsector"]
    ]
    assert missing["severity"].tolist() == ["warning"]  # item non-response: data, not a fault
    not_relevant = issues_of(issues, "not_relevant")
    assert not_relevant[["response_id", "question", "value"]].values.tolist() == [
        [firms["not_asked"], "mfg_subsector", "pharma"]
    ]
    assert "${" not in " ".join(issues["message"])  # skip logic is not shown as an expression
    implausible = issues_of(issues, "implausible")
    assert implausible["response_id"].tolist() == [firms["outlier"]]
    assert implausible["value"].tolist() == [9000.0]
    # one warning per pair, on the later response, naming the earlier one as lines show ids
    names = issues_of(issues, "duplicate_name")
    assert names[["response_id", "message"]].values.tolist() == [
        [firms["acme_again"], f"same firm name as {firms['acme'][:8]}"]
    ]
    twins = issues_of(issues, "duplicate_answers")  # not entry 2
    assert twins[["response_id", "message"]].values.tolist() == [
        [firms["twin_b"], f"identical answers to {firms['twin_a'][:8]}"]
    ]
    assert issues_of(issues, "unfinished")["response_id"].tolist() == [firms["unfinished"]]
    # form 7 is keyed twice: awaiting reconciliation, reported once, not as unfinished
    assert issues_of(issues, "unreconciled")["response_id"].tolist() == [firms["twin_a"]]
    assert firms["void"] not in set(issues["response_id"])
    assert issues["severity"].tolist() == sorted(
        issues["severity"], key=["error", "warning", "info"].index)


def test_robust_z_matches_a_hand_computation():
    import pandas as pd

    values = pd.Series([1.0, 2.0, 3.0, 4.0, 100.0])
    # median 3, absolute deviations 2 1 0 1 97 -> MAD 1
    assert robust_z(values).tolist() == pytest.approx([-1.349, -0.6745, 0.0, 0.6745, 65.4265])


def test_validate_on_an_empty_study_says_there_is_nothing_yet(study):
    result = CliRunner().invoke(app, ["validate", str(study.path)])
    assert result.exit_code == 0
    assert result.output.startswith("The study has no responses yet.")
    assert "No data-quality issues" not in result.output


def test_clean_data_has_no_issues(study):
    add(study, firm_name="Only", industry="other")
    assert quality_issues(study.responses(status=None), study.questionnaire).empty


def test_validate_command_prints_a_list_or_json(study, firms):
    runner = CliRunner()
    listing = runner.invoke(app, ["validate", str(study.path)], env={"COLUMNS": "80"})
    assert listing.exit_code == 0, listing.output
    lines = listing.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[0] == "5 warnings:"
    assert lines[1] == f"  mfg_subsector: 1 firm left it blank: {firms['no_subsector'][:8]}"
    outlier = next(line for line in lines if line.startswith(f"  {firms['outlier'][:8]}"))
    assert "revenue_2019/employees_2019 = 9000.0: revenue per employee" in outlier
    as_json = runner.invoke(app, ["validate", str(study.path), "--json"])
    records = json.loads(as_json.output)
    assert {record["check"] for record in records} == {
        "missing_required", "not_relevant", "implausible", "duplicate_name",
        "duplicate_answers", "unfinished", "unreconciled",
    }
    assert set(records[0]) == set(ISSUE_COLUMNS)


def test_answers_skip_logic_rules_out_are_imported_and_flagged(study, tmp_path):


    path = tmp_path / "paper.csv"
    path.write_text("response_id,industry,mfg_subsector\np1,other,pharma\n", encoding="utf-8")
    assert import_files(study, [path]).added == 1
    assert study.get_answers("p1")["mfg_subsector"] == "pharma"  # kept as keyed
    issues = validate_study(study.path)
    assert issues[["check", "response_id", "question"]].values.tolist() == [
        ["not_relevant", "p1", "mfg_subsector"]
    ]


def test_a_firm_imported_twice_is_one_warning_with_the_strongest_reason(study):
    answers = dict(industry="software_it", employees_2019=3, revenue_2019=30.0,
                   tech_used="5g", cloud="no", self_maturity="1")
    first = add(study, firm_name="Acme", **answers)
    again = add(study, firm_name="ACME", **answers)
    namesake = add(study, firm_name="acme", industry="other")
    issues = validate_study(study)
    duplicates = issues[issues["check"].str.startswith("duplicate")]
    # three pairs: (first, again) identical answers; (first, namesake) and (again, namesake)
    # only share the name, reported once on the later response of the pair
    assert duplicates[["check", "response_id", "message"]].values.tolist() == [
        ["duplicate_answers", again, f"identical answers to {first[:8]}"],
        ["duplicate_name", namesake, f"same firm name as {first[:8]}, {again[:8]}"],
    ]
    lines = CliRunner().invoke(app, ["validate", str(study.path)]).output.splitlines()
    assert f"  {again[:8]}: identical answers to {first[:8]}" in lines


def test_ids_that_are_not_uuids_are_shown_whole(study, tmp_path):


    path = tmp_path / "firms.csv"
    path.write_text("response_id,firm_name,industry\nfirm-0012,Acme,other\n"
                    "firm-0013,Acme,software_it\n", encoding="utf-8")
    import_files(study, [path])
    output = CliRunner().invoke(app, ["validate", str(study.path)]).output
    assert "  firm-0013 firm_name = Acme: same firm name as firm-0012" in output.splitlines()


def test_an_unfinished_interview_counts_its_questions_in_good_english(study):
    import pandas as pd

    from dmsurvey.questionnaire.loader import questionnaire_from_yaml

    one_question = questionnaire_from_yaml(
        "name: tiny\ntitle: Tiny\nversion: '1'\nlanguages: [en]\nsections:\n  - id: A\n"
        "    title: A\n    questions:\n      - {id: firm_name, type: text, label: Name}\n"
    )
    data = pd.DataFrame({"response_id": ["r1"], "status": ["in_progress"],
                         "firm_name": [None]})
    issues = quality_issues(data, one_question)
    assert issues["message"].tolist() == ["interview not finished: 0 of 1 question answered"]


def test_validate_finds_stored_answers_the_questionnaire_refuses(study, tmp_path):
    """Answers that got in before a rule was enforced (a negative head count kept by an old
    reconciliation, a fraction in an integer column, a choice since removed) are errors."""
    path = tmp_path / "clean.csv"
    path.write_text("response_id,industry,employees_2019,tech_used\n"
                    "a,other,7,ai\nb,other,8,ai\nc,other,9,big_data\n", encoding="utf-8")
    import_files(study, [path])
    assert validate_study(study).empty
    with study.connect() as connection:
        connection.execute("UPDATE responses SET employees_2019 = -7 WHERE response_id = 'a'")
        connection.execute("UPDATE responses SET employees_2019 = 3.5 WHERE response_id = 'b'")
        connection.execute("UPDATE responses SET tech_used = 'ai none' WHERE response_id = 'c'")
        connection.commit()
    issues = validate_study(study)
    found = issues[issues["check"] == "invalid_answer"]
    assert sorted(zip(found["response_id"], found["question"], found["value"], found["severity"],
                      strict=True)) == [
        ("a", "employees_2019", "-7", "error"),
        ("b", "employees_2019", "3.5", "error"),
        ("c", "tech_used", "ai none", "error"),
    ]
    assert "Cannot be negative" in found.set_index("response_id").at["a", "message"]
    listing = CliRunner().invoke(app, ["validate", str(study.path), "--json"])
    assert {(r["response_id"], r["check"]) for r in json.loads(listing.output)} >= {
        ("a", "invalid_answer"), ("b", "invalid_answer"), ("c", "invalid_answer")}
    chinese = validate_study(study, language="zh")
    assert "不能为负数" in chinese.set_index("response_id").at["a", "message"]
