"""Question ids a study stores as columns: no two may differ only in case, nor match metadata."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from dmsurvey.cli import app
from dmsurvey.errors import QuestionnaireError
from dmsurvey.questionnaire.loader import load_questionnaire, questionnaire_from_yaml
from dmsurvey.questionnaire.xlsform import convert_xlsform
from dmsurvey.store.study import init_study
from tests.xlsform.conftest import write_xlsform

HEAD = """\
name: clash
version: "1"
title: {zh: 冲突, en: Clash}
languages: [zh, en]
sections:
  - id: A
    title: {zh: 甲, en: A}
    questions:
      - {id: size, type: integer, label: {zh: 人数, en: Staff}}
"""


def _problems(text: str) -> list:
    with pytest.raises(QuestionnaireError) as caught:
        questionnaire_from_yaml(text, source="q.yaml")
    return list(caught.value.problems)


def test_ids_differing_only_in_case_are_refused_with_their_line():
    text = HEAD + "      - {id: Size, type: integer, label: {zh: 规模, en: Size}}\n"
    (problem,) = _problems(text)
    assert problem.line == 10
    assert str(problem) == (
        "q.yaml, line 10: question id 'Size' is the same as question id 'size' (first on "
        "line 9) when case is ignored, as a study's database ignores it "
        "(expected: an id that differs in more than case)"
    )


@pytest.mark.parametrize("question_id", ["Status", "status", "RESPONSE_ID", "Start"])
def test_ids_that_are_metadata_columns_are_refused_with_their_line(question_id):
    text = (
        HEAD.replace('version: "1"', 'version: "1"\nmetadata: [start]')
        + f"      - {{id: {question_id}, type: text, label: {{zh: 状态, en: State}}}}\n"
    )
    (problem,) = _problems(text)
    assert problem.line == 11
    metadata = question_id.lower()
    assert f"question id {question_id!r} is the same as the response metadata column " \
        f"{metadata!r} when case is ignored" in problem.message


def test_validate_exits_1_and_init_makes_no_study(tmp_path):
    path = tmp_path / "clash.yaml"
    path.write_text(HEAD + "      - {id: Size, type: integer, label: {zh: 规模, en: Size}}\n")
    validated = CliRunner().invoke(app, ["questionnaire", "validate", str(path)])
    assert validated.exit_code == 1
    assert "line 10: question id 'Size' is the same as question id 'size'" in validated.output
    initialised = CliRunner().invoke(app, ["init", str(tmp_path / "study"), "-q", str(path)])
    assert initialised.exit_code == 1
    assert "Traceback" not in initialised.output
    assert not (tmp_path / "study").exists()


CLASHING_FORM = [
    ["type", "name", "label", "relevant", "constraint"],
    ["integer", "size", "Staff"],
    ["integer", "Size", "Size class", "${size} > 0", ". >= 0"],
    ["text", "Status", "Legal status", "${Size} > 2"],
    ["text", "size_2", "Size remark", "${Size} > 1 and ${Status} != ''"],
]


def test_the_loader_refuses_an_xlsform_with_clashing_ids_naming_sheet_rows(tmp_path):
    form = write_xlsform(tmp_path / "clash.xlsx", CLASHING_FORM)
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(form)
    rows = {problem.row: problem.message for problem in caught.value.problems}
    assert sorted(rows) == [3, 4]
    assert rows[3].startswith("question id 'Size' is the same as question id 'size'")
    assert rows[4].startswith("question id 'Status' is the same as the response metadata column")


def test_convert_renames_clashing_ids_with_a_note_and_follows_references(tmp_path):
    form = write_xlsform(tmp_path / "clash.xlsx", CLASHING_FORM)
    result = CliRunner().invoke(app, ["questionnaire", "convert", str(form)])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "row 3: question 'Size' is renamed 'Size_3'" in flat
    assert "row 4: question 'Status' is renamed 'Status_2'" in flat
    questionnaire = load_questionnaire(tmp_path / "clash.yaml")
    assert [q.id for q in questionnaire.questions] == ["size", "Size_3", "Status_2", "size_2"]
    assert questionnaire["Status_2"].relevant == "${Size_3} > 2"
    assert questionnaire["size_2"].relevant == "${Size_3} > 1 and ${Status_2} != ''"
    assert questionnaire["Size_3"].relevant == "${size} > 0"
    # and the renamed form starts a study, whose answers keep apart
    study = init_study(tmp_path / "study", questionnaire=form)
    response = study.start_response()
    study.save_answer(response, "size", 12)
    study.save_answer(response, "Size_3", 3)
    assert study.get_answers(response) == {"size": 12, "Size_3": 3}
    assert convert_xlsform(form) == study.questionnaire
