"""The bundled questionnaire and its 99 sample firms through the template and the exports."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from dmsurvey.store.exporting import export_study, short_names
from dmsurvey.store.importing import import_files
from dmsurvey.store.sample import load_sample_responses, sample_study
from dmsurvey.store.study import init_study
from dmsurvey.store.template import write_template


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return sample_study(tmp_path_factory.mktemp("sample") / "study")


def test_sample_keyed_into_the_template_imports_identically(tmp_path):
    """Every firm typed into the Chinese template (single choices by label) reads back."""
    sample = load_sample_responses()
    target = init_study(tmp_path / "paper", questionnaire="sme-digital-2020")
    questionnaire = target.questionnaire
    path = tmp_path / "entry.xlsx"
    write_template(questionnaire, path, language="zh", rows=120)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["data"]
    header = [cell.value for cell in sheet[1]]
    for number, firm in enumerate(sample.itertuples(index=False), start=3):
        sheet.cell(row=number, column=1, value=f"F{number - 2:03d}")
        for question in questionnaire.answerable:
            value = getattr(firm, question.id)
            if pd.isna(value):
                continue
            if question.type == "select_one":
                value = question.choice(value).label["zh"]
            sheet.cell(row=number, column=header.index(question.id) + 1, value=value)
    workbook.save(path)

    result = import_files(target, [path], source="paper", entry=1)
    assert result.added == 99 and result.rejected == 0
    stored = target.responses(status=None)
    assert list(stored["form_number"]) == [f"F{n:03d}" for n in range(1, 100)]
    answers = [q.id for q in questionnaire.answerable]
    pd.testing.assert_frame_equal(stored[answers], sample[answers])


def test_stata_export_of_the_sample(study, tmp_path):
    path = tmp_path / "sample.dta"
    export_study(study, path, labels="en")
    with pd.io.stata.StataReader(path) as reader:
        data = reader.read(convert_categoricals=False)
        value_labels = reader.value_labels()
        variable_labels = reader.variable_labels()
    responses = study.responses(status=None)
    questionnaire = study.questionnaire
    assert len(data) == len(responses) == 99
    assert all(len(name) <= 32 and "/" not in name for name in data.columns)
    assert all(len(label) <= 80 for label in variable_labels.values())
    for question in questionnaire.answerable:
        if question.type == "select_one":
            expected = {n: c.label["en"] for n, c in enumerate(question.choices, start=1)}
            assert value_labels[question.id] == expected
            codes = responses[question.id].astype("str")
            numbers = codes.map({c.code: n for n, c in enumerate(question.choices, start=1)})
            assert data[question.id].astype("Float64").tolist() == numbers.astype(
                "Float64").tolist()
        if question.type == "select_multiple":
            names = short_names([f"{question.id}/{code}" for code in question.choice_codes])
            for code in question.choice_codes:
                chosen = responses[question.id].dropna().str.split().map(lambda c, k=code: k in c)
                assert data[names[f"{question.id}/{code}"]].sum() == chosen.sum()


def test_spss_export_of_the_sample(study, tmp_path):
    path = tmp_path / "sample.sav"
    export_study(study, path, labels="zh", anonymize=True)
    data, meta = pyreadstat.read_sav(str(path))
    assert "firm_name" not in data.columns and "enumerator" not in data.columns
    industry = study.questionnaire["industry"]
    assert meta.variable_value_labels["industry"] == {
        float(n): c.label["zh"] for n, c in enumerate(industry.choices, start=1)
    }
    assert meta.column_names_to_labels["industry"] == industry.label["zh"]
    employees = study.responses(status=None)["employees_2019"].astype("float64")
    assert data["employees_2019"].tolist() == pytest.approx(employees.tolist(), nan_ok=True)
