"""XLSForm repeat groups convert to repeat sections and go back out as repeats.

The forms are laid out as KoboToolbox's form builder writes them: a household roster whose
`repeat_count` is an earlier answer, a fixed count (which pyxform turns into a generated
`${..._count}` calculation), a repeat inside a repeat asked until there are no more, a group
inside a repeat, and a question of a repeat written after the repeat nested in it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from pyxform.xls2xform import convert as pyxform_convert
from typer.testing import CliRunner

from dmsurvey.cli import app
from dmsurvey.errors import QuestionnaireError
from dmsurvey.questionnaire.loader import load_questionnaire
from dmsurvey.questionnaire.model import Repeat
from dmsurvey.questionnaire.xlsform import convert_xlsform, xlsform_to_dict
from dmsurvey.questionnaire.xlsform_export import write_xlsform

from ..xlsform.conftest import write_xlsform as write_sheets

runner = CliRunner()
HOUSEHOLD = Path(__file__).with_name("household.yaml")
XFORMS = "{http://www.w3.org/2002/xforms}"

ROSTER = [
    ["type", "name", "label::English (en)", "label::Chinese (zh)", "relevant",
     "repeat_count", "calculation"],
    ["integer", "n_members", "How many people live here?", "家里住几个人？"],
    ["begin_repeat", "members", "Member", "成员", None, "${n_members}"],
    ["text", "member_name", "Name", "姓名"],
    ["integer", "age", "Age", "年龄"],
    ["begin_group", "school", "School", "上学", "${age} < 18"],
    ["select_one yes_no", "in_school", "In school?", "上学吗？", "${age} >= 6"],
    ["end_group"],
    ["begin_repeat", "jobs", "Job", "工作", "${age} > 15"],
    ["text", "job", "Job", "工作"],
    ["end_repeat"],
    ["decimal", "income", "Income", "收入"],
    ["end_repeat"],
    ["begin_repeat", "visits", "Visit", "走访", None, "2"],
    ["date", "visit_date", "Date", "日期"],
    ["end_repeat"],
    ["text", "comment", "Anything else?", "其他？"],
]
YES_NO = [["list_name", "name", "label::English (en)", "label::Chinese (zh)"],
          ["yes_no", "yes", "Yes", "是"], ["yes_no", "no", "No", "否"]]


@pytest.fixture
def roster(tmp_path) -> Path:
    return write_sheets(tmp_path / "roster.xlsx", ROSTER, YES_NO,
                        [["form_title", "form_id"], ["Household roster", "roster"]])


def xform_of(path: Path) -> ElementTree.Element:
    result = pyxform_convert(xlsform=str(path), warnings=[], validate=False)
    return ElementTree.fromstring(result.xform)


def test_a_kobo_roster_becomes_repeat_sections(roster):
    notes: list[str] = []
    questionnaire = convert_xlsform(roster, warnings=notes)
    assert [(s.id, s.repeat) for s in questionnaire.sections] == [
        ("general", None),
        ("members", Repeat(count="${n_members}")),
        ("jobs", Repeat(within="members")),
        ("visits", Repeat(count="2")),  # pyxform's generated ${visits_count} is resolved
        ("general_2", None),
    ]
    assert [q.id for q in questionnaire.questions] == ["n_members", "comment"]
    # the group inside the repeat is flattened; its condition joins its question's own
    assert [q.id for q in questionnaire.repeat("members")] == [
        "member_name", "age", "in_school", "income"]
    assert questionnaire.find("in_school").relevant == "(${age} < 18) and (${age} >= 6)"
    assert questionnaire.repeat("jobs").relevant == "${age} > 15"
    assert questionnaire.find("visit_date").type == "date"
    # income is written after the jobs repeat but asked before it: listed by its row
    assert ("survey sheet row 12: 'income' comes after repeat 'jobs' inside repeat "
            "'members': it is asked before it") in notes
    assert not any("asked once" in note for note in notes)


def test_convert_says_how_many_questions_are_repeated(roster):
    result = runner.invoke(app, ["questionnaire", "convert", str(roster)])
    assert result.exit_code == 0, result.output
    assert ("5 sections, 2 questions, languages en, zh, 3 repeats (members, jobs, visits) "
            "of 6 questions") in result.output


def test_strict_refuses_the_reordered_question_and_nothing_else(roster):
    with pytest.raises(QuestionnaireError) as caught:
        xlsform_to_dict(roster, strict=True)
    assert [p.message.split(":")[0] for p in caught.value.problems] == ["survey sheet row 12"]


def test_a_repeat_count_naming_a_later_question_is_dropped_with_its_row(tmp_path):
    form = write_sheets(tmp_path / "late.xlsx", [
        ["type", "name", "label", "repeat_count"],
        ["begin repeat", "plots", "Plot", "${n_plots}"],
        ["decimal", "area", "Area"],
        ["end repeat"],
        ["integer", "n_plots", "Plots"],
    ])
    notes: list[str] = []
    questionnaire = convert_xlsform(form, warnings=notes)
    assert questionnaire.repeat("plots").repeat == Repeat()
    assert any(note.startswith("survey sheet row 2: repeat_count '${n_plots}' is dropped "
                               "(the interviewer is asked whether another follows)")
               for note in notes)


def test_the_converted_roster_starts_a_study_with_a_table_per_repeat(roster, tmp_path):
    import sqlite3

    from dmsurvey.store.study import init_study

    study = init_study(tmp_path / "study", roster)
    with sqlite3.connect(study.database_path) as connection:
        tables = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        jobs = [row[1] for row in connection.execute("PRAGMA table_info(repeat_jobs)")]
    assert {"repeat_members", "repeat_jobs", "repeat_visits"} <= tables
    assert jobs == ["response_id", "instance_key", "parent_key", "instance", "job"]


def test_repeat_sections_go_back_out_as_nested_repeats_and_in_unchanged(tmp_path):
    household = load_questionnaire(HOUSEHOLD)
    path = tmp_path / "household.xlsx"
    result = runner.invoke(app, ["questionnaire", "export", str(HOUSEHOLD), "-o", str(path)])
    assert result.exit_code == 0, result.output
    xform = xform_of(path)
    repeats = {element.get("nodeset"): element for element in xform.iter(f"{XFORMS}repeat")}
    assert set(repeats) == {"/data/members", "/data/members/jobs"}
    assert repeats["/data/members"].get("{http://openrosa.org/javarosa}count") \
        == " /data/household/n_members "
    assert repeats["/data/members/jobs"].get(
        "{http://openrosa.org/javarosa}count") is None
    assert convert_xlsform(path) == household


def test_a_fixed_count_and_a_converted_roster_round_trip(roster, tmp_path):
    converted = convert_xlsform(roster)
    exported = write_xlsform(converted, tmp_path / "again.xlsx")
    xform_of(exported)  # pyxform raises on an invalid form
    assert convert_xlsform(exported) == converted


def test_a_repeat_question_named_like_an_instance_column_is_renumbered(tmp_path):
    form = write_sheets(tmp_path / "visits.xlsx", [
        ["type", "name", "label", "relevant"],
        ["begin repeat", "visits", "Visit"],
        ["integer", "instance", "Visit number"],
        ["text", "purpose", "Purpose", "${instance} > 1"],
        ["end repeat"],
    ])
    notes: list[str] = []
    questionnaire = convert_xlsform(form, warnings=notes)
    assert [q.id for q in questionnaire.repeat("visits")] == ["instance_2", "purpose"]
    assert questionnaire.find("purpose").relevant == "${instance_2} > 1"
    assert "survey sheet row 3: question 'instance' is renamed 'instance_2'" in "\n".join(notes)


def test_a_repeat_holding_only_another_repeat_converts_and_starts_a_study(tmp_path):
    import sqlite3

    from dmsurvey.store.study import init_study

    form = write_sheets(tmp_path / "plots.xlsx", [
        ["type", "name", "label"],
        ["begin repeat", "plots", "Plot"],
        ["begin group", "trees_group", "Trees"],
        ["begin repeat", "trees", "Tree"],
        ["decimal", "height", "Height"],
        ["end repeat"],
        ["end group"],
        ["end repeat"],
    ])
    questionnaire = convert_xlsform(form)
    assert [(s.id, s.repeat, len(s.questions)) for s in questionnaire.sections] == [
        ("plots", Repeat(), 0), ("trees", Repeat(within="plots"), 1)]
    study = init_study(tmp_path / "study", form)
    with sqlite3.connect(study.database_path) as connection:
        plots = [row[1] for row in connection.execute("PRAGMA table_info(repeat_plots)")]
    assert plots == ["response_id", "instance_key", "parent_key", "instance"]


def test_a_repeat_section_without_questions_or_repeats_inside_is_refused():
    from dmsurvey.questionnaire.loader import questionnaire_from_yaml

    with pytest.raises(QuestionnaireError) as caught:
        questionnaire_from_yaml(
            "name: empty\nversion: '1'\ntitle: {en: Empty}\nlanguages: [en]\nsections:\n"
            "  - id: visits\n    title: {en: Visits}\n    repeat: true\n    questions: []\n",
            source="empty.yaml")
    (problem,) = caught.value.problems
    assert problem.line == 9
    assert problem.message == "section visits has no questions and no repeat inside it"
