"""Calculate fields on import: worked out again from the file's answers, column-wise; a file
value that differs is a note, not a refusal; the worked-out value is stored and exported."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from dmsurvey.cli import app
from dmsurvey.questionnaire.xlsform import questionnaire_yaml
from dmsurvey.store.importing import import_files
from dmsurvey.store.study import init_study

from ..interview.test_calculations import STAFF


@pytest.fixture
def study(tmp_path):
    form = tmp_path / "staff.yaml"
    form.write_text(questionnaire_yaml(STAFF), encoding="utf-8")
    return init_study(tmp_path / "study", form)


def test_calculations_are_worked_out_again_and_disagreements_noted(study, tmp_path):
    export = tmp_path / "kobo.csv"
    export.write_text(
        "_uuid,staff,managers,size,per_manager,hr_contact\n"
        "a,12,3,large,4.0,Li\n"   # as the calculation gives (4.0 is 4)
        "b,4,2,large,2,\n"        # size disagrees: 6 staff is small
        "c,9,,small,,\n",         # 9 div nothing: empty
        encoding="utf-8",
    )
    result = import_files(study, [export])
    assert result.added == 3 and result.rejected == 0
    assert result.recalculated == {"size": 1}
    assert result.non_response_lines()[-1] == (
        "size: the file's value differs from what its calculation gives in 1 response; the "
        "calculation's value is stored"
    )
    stored = [study.get_answers(response_id) for response_id in "abc"]
    assert [(answers.get("size"), answers.get("per_manager")) for answers in stored] == [
        ("large", "4"), ("small", "2"), ("small", None)]


def test_a_file_without_the_calculated_columns_gets_them_and_exports_them(study, tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text("staff,managers\n20,5\n", encoding="utf-8")
    result = import_files(study, [answers])
    assert "size" not in result.not_asked and result.recalculated == {}
    exported = tmp_path / "out.csv"
    outcome = CliRunner().invoke(app, ["export", str(study.path), "-o", str(exported)])
    assert outcome.exit_code == 0, outcome.output
    header, row = exported.read_text(encoding="utf-8-sig").splitlines()
    values = dict(zip(header.split(","), row.split(","), strict=True))
    assert (values["size"], values["per_manager"]) == ("large", "4")
