"""Item non-response: required is a rule of asking, not of storing.

A firm that left a required question blank on paper, or a file from an instrument version that
never asked a question, is real survey data: the import stores the blank as missing and says
so once per question; `--strict` keeps the refusal; `validate` lists who left what blank.
"""

from __future__ import annotations

import pytest

from dmsurvey.errors import DataError
from dmsurvey.store.importing import import_files
from dmsurvey.store.quality import validate_study

from .test_import import run

HEADER = "response_id,industry,mfg_subsector,employees_2019,cloud\n"


def test_a_blank_required_answer_is_stored_as_missing_and_listed_by_validate(study, tmp_path):
    path = tmp_path / "paper.csv"
    path.write_text(HEADER + "a,manufacturing,,12,yes\nb,,,5,no\nc,other,,7,yes\n",
                    encoding="utf-8")
    result = run("import", study.path, path)
    assert result.exit_code == 0, result.output
    assert "Added 3 responses" in result.output
    assert ("industry: required but left blank in 1 response" in result.output)
    assert "mfg_subsector: required but left blank in 1 response" in result.output
    assert study.get_answers("b") == {"employees_2019": 5, "cloud": "no"}

    issues = validate_study(study)
    missing = issues[issues["check"] == "missing_required"]
    assert sorted(zip(missing["question"], missing["response_id"], strict=True)) == [
        ("industry", "b"), ("mfg_subsector", "a")]
    listed = run("validate", study.path)
    assert "industry: 1 firm left it blank: b" in listed.output
    assert "mfg_subsector: 1 firm left it blank: a" in listed.output


def test_strict_keeps_the_refusal(study, tmp_path):
    path = tmp_path / "paper.csv"
    path.write_text(HEADER + "a,manufacturing,pharma,12,yes\nb,,,5,no\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        import_files(study, [path], strict=True)
    [problem] = caught.value.problems
    assert (problem.row, problem.column, problem.message) == (3, "industry", "no answer")
    assert study.response_ids() == []
    result = run("import", study.path, path, "--strict")
    assert result.exit_code == 1 and "Nothing was imported" in result.output


def test_a_question_without_a_column_is_one_line_not_one_per_row(study, tmp_path):
    path = tmp_path / "old-instrument.csv"
    rows = "".join(f"r{n},{n}\n" for n in range(150))
    path.write_text("response_id,employees_2019\n" + rows, encoding="utf-8")
    result = run("import", study.path, path)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "industry" in line]
    assert lines == ["  industry: no column in old-instrument.csv; not asked there, stored as "
                     "missing"]
    assert len(study.response_ids()) == 150


def test_wrong_values_still_refuse_the_whole_file(study, tmp_path):
    path = tmp_path / "paper.csv"
    path.write_text(HEADER + "a,,,-3,yes\nb,other,,x,maybe\n", encoding="utf-8")
    result = run("import", study.path, path)
    assert result.exit_code == 1
    assert "Nothing was imported: 3 problems found" in result.output
    for text in ("Cannot be negative", "not a number", "unknown choice"):
        assert text in result.output
    assert study.response_ids() == []


def test_a_file_of_an_older_instrument_with_blanks_imports_and_validate_lists_the_blanks(
        tmp_path):
    """The bundled sample without the three questions the paper's codebook lacks, and with
    its two blank answers: it imports, the charts state bases of 98, validate lists both."""
    import matplotlib.pyplot as plt

    from dmsurvey.reporting.charts import summary_charts
    from dmsurvey.store.sample import QUESTIONNAIRE, read_sample_csv
    from dmsurvey.store.study import init_study

    added = ["registered_shanghai", "main_business_shanghai", "covid_digital_tools"]
    path = tmp_path / "codebook-2020.csv"
    read_sample_csv().drop(columns=added).to_csv(path, index=False)
    study = init_study(tmp_path / "zone", questionnaire=QUESTIONNAIRE)
    result = run("import", study.path, path)
    assert result.exit_code == 0, result.output
    assert "Added 99 responses" in result.output
    for question in added:
        assert result.output.count(f"{question}: no column in codebook-2020.csv") == 1
    for question in ("internet_finance_share", "covid_digital_importance"):
        assert f"{question}: required but left blank in 1 response" in result.output

    issues = validate_study(study)
    blank = issues[issues["check"] == "missing_required"]
    assert sorted(blank["question"]) == ["covid_digital_importance", "internet_finance_share"]
    assert blank["response_id"].nunique() == 2
    tables = summary_charts(study.responses(), study.questionnaire, tmp_path / "charts")
    plt.close("all")
    assert set(tables["04_internet_finance"]["n"]) == {98}
