"""Repeat groups in files: KoboToolbox and ODK Central exports with repeats (a nested one too)
import with their parents, all or nothing, and export back with the same answers."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from dmsurvey.errors import DataError
from dmsurvey.store.exporting import export_study
from dmsurvey.store.importing import import_files
from dmsurvey.store.study import init_study

HOUSEHOLD = Path(__file__).with_name("household.yaml")

# Three households as the field team entered them: members in order, each member's jobs.
HOUSEHOLDS = [
    {"uuid": "0b1e6c1a-0000-4000-8000-000000000001", "n_members": 2, "comment": "好",
     "members": [("李明", 41, ["教师", "农民"]), ("小红", 9, [])]},
    {"uuid": "0b1e6c1a-0000-4000-8000-000000000002", "n_members": 3, "comment": None,
     "members": [("Wang Fang", 30, ["driver"]), ("Wang Lei", 33, []),
                 ("Wang Xiu", 70, ["farmer", "trader", "cook"])]},
    {"uuid": "0b1e6c1a-0000-4000-8000-000000000003", "n_members": 0, "comment": "empty house",
     "members": []},
]
MAIN_SHEET = "Household roster"
SUBMISSION_COLUMNS = ["_submission__id", "_submission__uuid", "_submission__submission_time",
                      "_submission__validation_status", "_submission__notes",
                      "_submission__status", "_submission__submitted_by",
                      "_submission___version__", "_submission__tags"]


def kobo_export(path: Path, households=HOUSEHOLDS) -> Path:
    """An XLSX export as KoboToolbox writes it with group names in headers: the main sheet
    named after the form's title, then one sheet per repeat linked by _index/_parent_index."""
    workbook = openpyxl.Workbook()
    main = workbook.active
    main.title = MAIN_SHEET
    main.append(["start", "end", "household/n_members", "closing/comment", "__version__",
                 "meta/instanceID", "_id", "_uuid", "_submission_time", "_validation_status",
                 "_notes", "_status", "_submitted_by", "_tags", "_index"])
    members = workbook.create_sheet("members")
    members.append(["members/member_name", "members/age", "_index", "_parent_table_name",
                    "_parent_index", *SUBMISSION_COLUMNS])
    jobs = workbook.create_sheet("jobs")
    jobs.append(["members/jobs/job", "_index", "_parent_table_name", "_parent_index",
                 *SUBMISSION_COLUMNS])
    member_index = job_index = 0
    for number, household in enumerate(households, start=1):
        submission = [900 + number, household["uuid"], f"2024-05-0{number}T10:00:00", "",
                      "", "submitted_via_web", "enumerator1", "vAbC", ""]
        main.append(["2024-05-01T09:00:00.000+08:00", "2024-05-01T09:20:00.000+08:00",
                     household["n_members"], household["comment"], "vAbC",
                     f"uuid:{household['uuid']}", 900 + number, household["uuid"],
                     f"2024-05-0{number}T10:00:00", "", "", "submitted_via_web", "enumerator1",
                     "", number])
        for name, age, member_jobs in household["members"]:
            member_index += 1
            members.append([name, age, member_index, MAIN_SHEET, number, *submission])
            for job in member_jobs:
                job_index += 1
                jobs.append([job, job_index, "members", member_index, *submission])
    workbook.save(path)
    return path


def odk_export(path: Path, households=HOUSEHOLDS) -> Path:
    """A ZIP export as ODK Central writes it (Briefcase's CSV layout): the form's CSV, then
    one CSV per repeat whose PARENT_KEY is the KEY of its parent row, and SET-OF columns
    naming each set of instances."""
    def text(rows):
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue()

    main = [["SubmissionDate", "household-n_members", "SET-OF-members", "closing-comment",
             "meta-instanceID", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
             "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits",
             "FormVersion"]]
    members = [["member_name", "age", "SET-OF-jobs", "PARENT_KEY", "KEY", "SET-OF-members"]]
    jobs = [["job", "PARENT_KEY", "KEY", "SET-OF-jobs"]]
    for household in households:
        key = f"uuid:{household['uuid']}"
        main.append(["2024-05-01T10:00:00.000Z", household["n_members"], f"{key}/members",
                     household["comment"] or "", key, key, "5", "collector", "0", "0", "",
                     "", "collect:abc", "0", "1"])
        for position, (name, age, member_jobs) in enumerate(household["members"], start=1):
            member_key = f"{key}/members[{position}]"
            members.append([name, age, f"{member_key}/jobs", key, member_key, f"{key}/members"])
            for number, job in enumerate(member_jobs, start=1):
                jobs.append([job, member_key, f"{member_key}/jobs[{number}]", f"{member_key}/jobs"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("household-roster.csv", text(main))
        archive.writestr("household-roster-members.csv", text(members))
        archive.writestr("household-roster-jobs.csv", text(jobs))
    return path


def expected_members(households=HOUSEHOLDS):
    return [[household["uuid"], str(number), None, number, name, age]
            for household in households
            for number, (name, age, _) in enumerate(household["members"], start=1)]


def expected_jobs(households=HOUSEHOLDS):
    return [[household["uuid"], f"{member}/{number}", str(member), number, job]
            for household in households
            for member, (_, _, member_jobs) in enumerate(household["members"], start=1)
            for number, job in enumerate(member_jobs, start=1)]


def stored_instances(study, repeat):
    frame = study.repeat_rows(repeat).astype(object)
    frame = frame.where(frame.notna(), None)
    return frame.values.tolist()


@pytest.fixture
def study(tmp_path):
    return init_study(tmp_path / "study", HOUSEHOLD)


@pytest.mark.parametrize("write", [kobo_export, odk_export], ids=["kobo", "odk"])
def test_an_export_with_repeats_imports_each_instance_under_its_parent(study, tmp_path, write):
    path = write(tmp_path / ("export.xlsx" if write is kobo_export else "export.zip"))
    checked = import_files(study, [path], dry_run=True)
    assert (checked.added, checked.instances) == (3, {"members": 5, "jobs": 6})
    assert study.repeat_rows("members").empty
    result = import_files(study, [path])
    assert (result.added, result.instances) == (3, {"members": 5, "jobs": 6})
    assert stored_instances(study, "members") == expected_members()
    assert stored_instances(study, "jobs") == expected_jobs()
    responses = study.responses()
    assert responses["n_members"].tolist() == [2, 3, 0]
    assert responses["response_id"].tolist() == [h["uuid"] for h in HOUSEHOLDS]

    again = import_files(study, [path])  # the same file again adds nothing
    assert (again.added, again.unchanged, again.instances) == (0, 3, {})
    assert len(study.repeat_rows("jobs")) == 6


@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".parquet", ".json", ".dta", ".sav"])
@pytest.mark.parametrize("write", [kobo_export, odk_export], ids=["kobo", "odk"])
def test_exports_write_each_repeat_beside_the_responses_with_the_same_answers(
        study, tmp_path, write, suffix):
    import_files(study, [write(tmp_path / ("export.xlsx" if write is kobo_export
                                           else "export.zip"))])
    target = tmp_path / "out" / f"roster{suffix}"
    result = export_study(study, target)
    written = [target.with_name(f"roster-{repeat}{suffix}") for repeat in ("members", "jobs")]
    if suffix == ".xlsx":
        assert result.files == (target,)
        sheets = pd.read_excel(target, sheet_name=None)
        assert list(sheets)[:3] == ["data", "members", "jobs"]
        main, members, jobs = sheets["data"], sheets["members"], sheets["jobs"]
    else:
        assert result.files == (target, *written)
        main, members, jobs = (_read(path) for path in (target, *written))
    assert _rows(main[["response_id", "n_members", "comment"]]) == _rows(pd.DataFrame(
        [[h["uuid"], h["n_members"], h["comment"]] for h in HOUSEHOLDS]))
    columns = ["response_id", "instance_key", "parent_key", "instance"]
    assert list(members.columns) == [*columns, "member_name", "age"]
    assert list(jobs.columns) == [*columns, "job"]
    assert _rows(members) == _rows(pd.DataFrame(expected_members(), columns=members.columns))
    assert _rows(jobs) == _rows(pd.DataFrame(expected_jobs(), columns=jobs.columns))


def test_a_dmsurvey_workbook_with_repeat_sheets_imports_back_into_a_new_study(study, tmp_path):
    import_files(study, [kobo_export(tmp_path / "kobo.xlsx")])
    exported = export_study(study, tmp_path / "roster.xlsx").path
    copy = init_study(tmp_path / "copy", HOUSEHOLD)
    result = import_files(copy, [exported])
    assert result.instances == {"members": 5, "jobs": 6}
    assert stored_instances(copy, "members") == expected_members()
    assert stored_instances(copy, "jobs") == expected_jobs()


def test_a_child_without_its_parent_refuses_the_whole_import(study, tmp_path):
    path = odk_export(tmp_path / "export.zip")
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name).decode() for name in archive.namelist()}
    files["household-roster-jobs.csv"] = files["household-roster-jobs.csv"].replace(
        "/members[3]", "/members[4]", 1)
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    with pytest.raises(DataError) as raised:
        import_files(study, [path])
    problem = raised.value.problems[0]
    assert "parent is missing" in problem.message
    assert (problem.file, problem.row, problem.column) == (
        f"{path}:household-roster-jobs.csv", 5, "PARENT_KEY")
    assert problem.value.endswith("/members[4]")
    assert study.response_ids() == [] and study.repeat_rows("members").empty


def test_a_bad_answer_in_a_repeat_sheet_refuses_the_whole_import(study, tmp_path):
    households = [dict(HOUSEHOLDS[0]), *HOUSEHOLDS[1:]]
    households[0]["members"] = [("李明", 41, ["教师"]), ("小红", "nine", [])]
    path = kobo_export(tmp_path / "kobo.xlsx", households)
    with pytest.raises(DataError) as raised:
        import_files(study, [path], skip_invalid=True)
    [problem] = raised.value.problems
    assert (problem.file, problem.sheet, problem.row, problem.column, problem.value) == (
        str(path), "members", 3, "members/age", "nine")
    assert "whole number" in problem.expected
    assert "Nothing was imported" in str(raised.value)
    assert study.response_ids() == []


def test_replacing_a_response_replaces_its_instances(study, tmp_path):
    import_files(study, [kobo_export(tmp_path / "first.xlsx")])
    changed = [dict(HOUSEHOLDS[0]), *HOUSEHOLDS[1:]]
    changed[0]["members"] = [("李明", 42, [])]
    path = kobo_export(tmp_path / "second.xlsx", changed)
    with pytest.raises(DataError, match="other instances of members, jobs"):
        import_files(study, [path])
    result = import_files(study, [path], replace=True)
    assert (result.replaced, result.instances) == (1, {"members": 1})
    by_response = sorted  # the replaced response's instances are stored last
    assert by_response(stored_instances(study, "members")) == expected_members(changed)
    assert by_response(stored_instances(study, "jobs")) == expected_jobs(changed)
    trail = study.audit(HOUSEHOLDS[0]["uuid"])
    removed = trail[trail["action"] == "remove instance"]["field"].tolist()
    assert removed == ["members[1]", "members[2]", "jobs[1/1]", "jobs[1/2]"]


def test_a_file_without_repeat_data_imports_its_responses_without_instances(study, tmp_path):
    path = tmp_path / "main.csv"
    path.write_text("response_id,n_members,comment\nr1,2,ok\n", encoding="utf-8")
    result = import_files(study, [path])
    assert (result.added, result.instances) == (1, {})
    assert study.repeat_rows("members").empty


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=object)
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".json":
        return pd.read_json(path, dtype=False)
    if path.suffix == ".dta":
        return pd.read_stata(path)
    return pd.read_spss(path)


def _rows(frame: pd.DataFrame) -> list[list[str]]:
    """Cells as text, whole numbers without .0 and empty cells as "": what each format keeps
    of an answer, compared alike."""
    def text(value) -> str:
        if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    return [[text(value) for value in row] for row in frame.astype(object).values.tolist()]


def test_validate_checks_the_stored_instances_and_their_number(study, tmp_path):
    import sqlite3

    from dmsurvey.store.quality import validate_study

    households = [dict(HOUSEHOLDS[0]), *HOUSEHOLDS[1:]]
    households[0]["n_members"] = 3  # two members keyed where the household says three
    import_files(study, [odk_export(tmp_path / "export.zip", households)])
    with sqlite3.connect(study.database_path) as connection:  # got in before a rule existed
        connection.execute("UPDATE repeat_members SET age = 150 WHERE instance_key = '2' AND "
                           "response_id = ?", (HOUSEHOLDS[1]["uuid"],))
    issues = validate_study(study)
    invalid = issues[issues["check"] == "invalid_answer"]
    assert invalid[["response_id", "question", "value"]].values.tolist() == [
        [HOUSEHOLDS[1]["uuid"], "members[2].age", "150"]]
    counted = issues[issues["check"] == "repeat_count"]
    assert counted[["response_id", "question", "message"]].values.tolist() == [
        [HOUSEHOLDS[0]["uuid"], "members", "n_members asks for 3 of members but 2 stored"]]


def test_calculations_in_and_over_repeats_are_worked_out_from_the_instances(tmp_path):
    text = HOUSEHOLD.read_text(encoding="utf-8")
    calculate = "      - {{id: {}, type: calculate, calculation: \"{}\"}}\n"
    comment = "      - {id: comment, type: text, label: {en: Anything else?, zh: 其他？}}\n"
    age = "        constraint: \". < 120\"\n"
    job = "      - {id: job, type: text, label: {en: Job, zh: 工作}, relevant: \"${age} > 15\"}\n"
    text = (text.replace(comment, comment + calculate.format("total_age", "sum(${age})")
                         + calculate.format("first_born", "min(${birth_year})"))
            .replace(age, age + calculate.format("birth_year", "2024 - ${age}"))
            .replace(job, job + calculate.format("job_of", "concat(${member_name}, ': ', ${job})")))
    (tmp_path / "roster.yaml").write_text(text, encoding="utf-8")
    study = init_study(tmp_path / "study", tmp_path / "roster.yaml")
    path = kobo_export(tmp_path / "kobo.xlsx")
    workbook = openpyxl.load_workbook(path)
    # the file's totals, one of them wrong; its birth years, one of them wrong
    totals = [sum(age for _, age, _ in household["members"]) for household in HOUSEHOLDS]
    main = workbook[MAIN_SHEET]
    main.cell(1, main.max_column + 1, "closing/total_age")
    for row, value in enumerate([totals[0], 999, totals[2]], start=2):
        main.cell(row, main.max_column, value)
    members = workbook["members"]
    members.cell(1, members.max_column + 1, "members/birth_year")
    ages = [age for household in HOUSEHOLDS for _, age, _ in household["members"]]
    for row, age in enumerate(ages, start=2):
        members.cell(row, members.max_column, 2024 - age + (1 if row == 6 else 0))
    workbook.save(path)

    result = import_files(study, [path])
    # one response each: the second household's total and its third member's birth year
    assert result.recalculated == {"total_age": 1, "birth_year": 1}
    responses = study.responses().set_index("response_id")
    uuids = [household["uuid"] for household in HOUSEHOLDS]
    assert responses.loc[uuids, "total_age"].tolist() == [str(total) for total in totals]
    assert responses.loc[uuids, "first_born"].fillna("none").tolist() == [
        str(2024 - max(age for _, age, _ in household["members"])) if household["members"]
        else "none" for household in HOUSEHOLDS]
    stored = study.repeat_rows("members")
    assert stored["birth_year"].tolist() == [str(2024 - age) for age in ages]
    jobs = study.repeat_rows("jobs")
    assert jobs["job_of"].tolist() == [
        f"{name}: {job}" for household in HOUSEHOLDS
        for name, _, member_jobs in household["members"] for job in member_jobs]


def test_the_commands_say_what_instances_came_in_and_which_files_went_out(study, tmp_path):
    from typer.testing import CliRunner

    from dmsurvey.cli import app

    runner = CliRunner()
    path = kobo_export(tmp_path / "kobo.xlsx")
    imported = runner.invoke(app, ["import", str(study.path), str(path), "--who", "clerk"])
    assert imported.exit_code == 0, imported.output
    assert "stored 5 instances of members; stored 6 instances of jobs." in imported.output
    exported = runner.invoke(app, ["export", str(study.path), "-o", str(tmp_path / "r.csv")])
    assert exported.exit_code == 0, exported.output
    for name in ("r.csv", "r-members.csv", "r-jobs.csv"):
        assert str(tmp_path / name) in exported.output.replace("\n", "")
    workbook = runner.invoke(app, ["export", str(study.path), "-o", str(tmp_path / "r.xlsx")])
    assert "with a sheet for each repeat section: members, jobs" in workbook.output
    assert openpyxl.load_workbook(tmp_path / "r.xlsx").sheetnames[1:3] == ["members", "jobs"]

    broken = tmp_path / "broken.xlsx"
    workbook = openpyxl.load_workbook(path)
    workbook["jobs"]["D2"] = 99  # a job of a member no sheet row has
    workbook.save(broken)
    fresh = init_study(tmp_path / "fresh", HOUSEHOLD)
    refused = subprocess.run([sys.executable, "-m", "dmsurvey", "import", str(fresh.path),
                              str(broken)], capture_output=True, text=True, check=False)
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    assert "Nothing was imported: 1 problem found" in refused.stderr
    assert (f"{broken}, jobs sheet row 2, column _parent_index: an instance of jobs whose "
            "parent is missing: no row of the members sheet has this _index: '99'"
            in refused.stderr)
    assert fresh.response_ids() == []


def test_merging_laptops_studies_brings_the_instances_of_the_responses_merged_in(tmp_path):
    from dmsurvey.store.merge import merge_studies

    first, second = (init_study(tmp_path / name, HOUSEHOLD) for name in ("laptop1", "laptop2"))
    import_files(first, [kobo_export(tmp_path / "one.xlsx", HOUSEHOLDS[:1])])
    import_files(second, [kobo_export(tmp_path / "two.xlsx", HOUSEHOLDS[1:])])
    merge_studies(first, [second])
    assert stored_instances(first, "members") == expected_members()
    assert stored_instances(first, "jobs") == expected_jobs()
    merge_studies(first, [second])  # merging again changes nothing
    assert len(first.repeat_rows("members")) == 5


def test_studies_whose_repeat_sections_differ_do_not_merge(study, tmp_path):
    from dmsurvey.errors import StudyError
    from dmsurvey.store.merge import merge_studies

    text = HOUSEHOLD.read_text(encoding="utf-8")
    (tmp_path / "other.yaml").write_text(
        text.replace("{id: job, type: text", "{id: job, type: integer"), encoding="utf-8")
    other = init_study(tmp_path / "other", tmp_path / "other.yaml")
    with pytest.raises(StudyError) as raised:
        merge_studies(study, [other])
    assert "question job: type text vs integer" in str(raised.value)
