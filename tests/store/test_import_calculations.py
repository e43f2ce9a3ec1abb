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


def test_an_import_works_calculations_and_choice_filters_out_column_wise(tmp_path, monkeypatch):
    """No row is evaluated on its own: the benchmark's form, imported with the one-row
    evaluators made to fail."""
    import sys
    from pathlib import Path

    from dmsurvey.questionnaire.expressions import Expression

    sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
    from bench_import_xlsform import FORM, responses

    def row_by_row(*args, **kwargs):
        raise AssertionError("an import evaluated an expression one row at a time")

    form = tmp_path / "form.yaml"
    form.write_text(questionnaire_yaml(FORM), encoding="utf-8")
    study = init_study(tmp_path / "study", form)
    rows = responses(2_000)
    rows.loc[7, "city"] = "s99c0"  # no such city: refused for its code
    rows.loc[9, "city"] = rows.loc[9, "city"].replace("c", "x", 1)  # also unknown
    wrong_state = rows.index[rows["state"] != "s0"][0]
    rows.loc[wrong_state, "city"] = "s0c1"  # a real city, of another state
    rows.loc[11, "per_manager"] = 999.0  # disagrees with the calculation
    path = tmp_path / "rows.csv"
    rows.to_csv(path, index=False)
    monkeypatch.setattr(Expression, "evaluate", row_by_row)
    monkeypatch.setattr(Expression, "holds", row_by_row)
    result = import_files(study, [path], skip_invalid=True)
    refused = {(problem.row - 2, problem.message.split(" given")[0]) for problem in
               result.problems}
    assert refused == {(7, "unknown choice"), (9, "unknown choice"),
                       (wrong_state, "a choice its choice_filter does not offer")}
    assert len(result.problems) == 3 and result.rejected == 3
    assert result.added == 1_997
    assert result.recalculated == {"per_manager": 1}
    monkeypatch.undo()
    stored = study.get_answers("r0000011")
    expected = rows.loc[11, "staff"] / rows.loc[11, "managers"]
    assert float(stored["per_manager"]) == pytest.approx(round(expected, 1))
