"""Values a clerk or a file can hold that must not crash, corrupt or change a study."""

from __future__ import annotations

import sqlite3

import pytest

from dmsurvey.errors import DataError
from dmsurvey.store.importing import import_files
from dmsurvey.store.study import init_study

HEADER = "response_id,firm_name,employees_2019,industry\n"


def import_one(study, tmp_path, row: str, name: str = "one.csv"):
    path = tmp_path / name
    path.write_text(HEADER + row + ",other\n", encoding="utf-8")
    return import_files(study, [path])


def refused(study, tmp_path, row: str):
    with pytest.raises(DataError) as caught:
        import_one(study, tmp_path, row)
    assert study.response_ids() == []
    return caught.value.problems


def stored_types(study, column: str) -> set[str]:
    with sqlite3.connect(study.database_path) as connection:
        return {kind for (kind,) in connection.execute(
            f"SELECT typeof({column}) FROM responses")}


@pytest.mark.parametrize("value", ["1e19", "99999999999999999999", "9007199254740993",
                                   "-1e30"])
def test_integers_a_study_cannot_hold_exactly_are_refused_and_said_so(study, tmp_path, value):
    (problem,) = refused(study, tmp_path, f"r1,Acme,{value}")
    assert (problem.column, problem.value) == ("employees_2019", value)
    assert problem.message == "too large to store exactly"
    assert "9,007,199,254,740,992" in problem.expected
    # not the questionnaire's "cannot be negative", which a wrapped value used to trigger
    assert "negative" not in str(problem)


def test_the_largest_exact_integer_is_stored_unchanged_as_an_integer(study, tmp_path):
    import_one(study, tmp_path, "r1,Acme,9007199254740992")
    import_one(study, tmp_path, "r2,Acme,1.2e3", name="two.csv")
    assert study.get_answers("r1")["employees_2019"] == 9007199254740992
    assert study.get_answers("r2")["employees_2019"] == 1200
    assert stored_types(study, "employees_2019") == {"integer"}


def test_saving_a_huge_or_rounded_integer_through_the_library_is_refused(study):
    study.start_response(response_id="r1")
    for value in (10**20, 1e19, "9007199254740993"):
        with pytest.raises(DataError) as caught:
            study.save_answer("r1", "employees_2019", value)
        assert "too large to store exactly" in str(caught.value)
    study.save_answer("r1", "employees_2019", "12")
    assert study.get_answers("r1")["employees_2019"] == 12
    assert stored_types(study, "employees_2019") == {"integer"}


@pytest.mark.parametrize(("text", "place", "code"), [
    ("Acme\x0bLtd", 5, "U+000B"),
    ("ring\x07", 5, "U+0007"),
    ("\x1b[2Jgone", 1, "U+001B"),
])
def test_control_characters_in_text_answers_are_refused_with_their_place(
        study, tmp_path, text, place, code):
    (problem,) = refused(study, tmp_path, f'r1,"{text}",3')
    assert problem.column == "firm_name"
    assert code in problem.message and f"at character {place}" in problem.message
    assert "control characters" in problem.expected


def test_a_nul_written_as_an_escape_in_json_is_refused(study, tmp_path):
    path = tmp_path / "one.json"
    path.write_text('[{"response_id": "r1", "industry": "other", "firm_name": "a\\u0000b"}]',
                    encoding="utf-8")
    with pytest.raises(DataError) as caught:
        import_files(study, [path])
    (problem,) = caught.value.problems
    assert "U+0000" in problem.message and "at character 2" in problem.message
    assert study.response_ids() == []


def test_tabs_and_line_breaks_are_text(study, tmp_path):
    import_one(study, tmp_path, 'r1,"Acme\tTrading\r\nfloor 2",3')
    assert study.get_answers("r1")["firm_name"] == "Acme\tTrading\r\nfloor 2"


def test_a_response_id_holding_escape_sequences_is_refused(study, tmp_path):
    (problem,) = refused(study, tmp_path, "\x1b]0;owned\x07,Acme,3")
    assert problem.column == "response_id" and "U+001B" in problem.message


def test_saving_a_control_character_through_the_library_is_refused(study):
    study.start_response(response_id="r1")
    with pytest.raises(DataError, match="U\\+001B"):
        study.save_answer("r1", "firm_name", "Acme\x1b[31m")
    assert study.get_answers("r1").get("firm_name") is None


REGEX_YAML = """\
name: patterns
version: "1"
title: {en: Patterns}
languages: [en]
sections:
  - id: A
    title: {en: A}
    questions:
      - id: firm_name
        type: text
        label: {en: Firm name}
        constraint: "regex(., '^([A-Za-z]+ ?)+$')"
      - id: code
        type: text
        label: {en: Code}
        constraint: "regex(., '^\\\\d+$')"
"""


def test_import_and_interview_give_the_same_verdict_on_every_pattern(tmp_path):
    from dmsurvey.interview.engine import Interview, InvalidAnswer

    questionnaire_path = tmp_path / "patterns.yaml"
    questionnaire_path.write_text(REGEX_YAML, encoding="utf-8")
    study = init_study(tmp_path / "study", questionnaire=questionnaire_path)
    cases = [("Acme Trading", "123"), ("Acme" + "a" * 25 + "!", "１２３"),
             ("Acme", "12a"), ("Zhang Wei", "٣")]
    rows = "".join(f"r{n},{name},{code}\n" for n, (name, code) in enumerate(cases))
    path = tmp_path / "answers.csv"
    path.write_text("response_id,firm_name,code\n" + rows, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        import_files(study, [path])
    refused_on_import = {(p.row - 2, p.column) for p in caught.value.problems}

    interview = Interview(study.questionnaire, {}, language="en")
    refused_in_interview = set()
    for number, answers in enumerate(cases):
        for column, text in zip(("firm_name", "code"), answers, strict=True):
            try:
                interview.parse(text, study.questionnaire[column])
            except InvalidAnswer:
                refused_in_interview.add((number, column))
    assert refused_on_import == refused_in_interview == {
        (1, "firm_name"), (1, "code"), (2, "code"), (3, "code")}


@pytest.fixture
def study_with_old_control_characters(study):
    """A study written before control characters were refused (or edited by hand)."""
    study.start_response(response_id="r1")
    with sqlite3.connect(study.database_path) as connection:
        connection.execute(
            "UPDATE responses SET response_id = ?, status = 'complete', firm_name = ?",
            ("\x1b]0;owned\x07\x1b[2J", "Acme\x0bTrading\x1b[31m\nfloor 2"))
    return study


def test_export_to_excel_escapes_control_characters_instead_of_failing(
        study_with_old_control_characters, tmp_path):
    import openpyxl

    from dmsurvey.store.exporting import export_study

    path = tmp_path / "all.xlsx"
    export_study(study_with_old_control_characters, path)
    sheet = openpyxl.load_workbook(path)["data"]
    values = {header.value: cell.value for header, cell in zip(sheet[1], sheet[2], strict=True)}
    assert values["firm_name"] == "Acme\\x0bTrading\\x1b[31m\nfloor 2"
    assert values["response_id"] == "\\x1b]0;owned\\x07\\x1b[2J"


def test_validate_prints_response_ids_without_their_escape_sequences(
        study_with_old_control_characters):
    from typer.testing import CliRunner

    from dmsurvey.cli import app

    result = CliRunner().invoke(app, ["validate", str(study_with_old_control_characters.path)])
    assert "\\x1b]0;owned\\x07\\x1b[2J" in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
