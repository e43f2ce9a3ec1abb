"""The Excel entry template: drop-downs, number checks, comments, codebook, frozen header."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from dmsurvey.store.template import simple_bounds, write_template


@pytest.fixture
def template(tmp_path, questionnaire):
    path = tmp_path / "entry.xlsx"
    write_template(questionnaire, path, rows=50)
    return openpyxl.load_workbook(path)


def _validations(sheet) -> dict[str, object]:
    """Data validations by the header (question id) of the column they cover."""
    header = {cell.column_letter: cell.value for cell in sheet[1]}
    found = {}
    for validation in sheet.data_validations.dataValidation:
        first = str(validation.sqref).split(":")[0]
        found[header[first.rstrip("0123456789")]] = validation
    return found


def test_header_is_ids_then_labels(template, questionnaire):
    sheet = template["data"]
    header = [cell.value for cell in sheet[1]]
    assert header == ["form_number", "enumerator"] + [q.id for q in questionnaire.answerable]
    labels = [cell.value for cell in sheet[2]]
    assert labels == [None, None] + [q.label["zh"] for q in questionnaire.answerable]
    assert sheet.max_row == 2
    assert sheet.freeze_panes == "C3"
    industry = sheet.cell(row=1, column=header.index("industry") + 1)
    assert industry.comment.text.startswith("所属行业")
    assert sheet.column_dimensions[industry.column_letter].width >= 20


def _notes(path) -> dict[str, str]:
    sheet = openpyxl.load_workbook(path)["data"]
    return {cell.value: cell.comment.text for cell in sheet[1] if cell.comment}


def test_header_notes_say_what_to_type_in_the_chosen_language(tmp_path, questionnaire):
    for language in ("zh", "en"):
        write_template(questionnaire, tmp_path / f"{language}.xlsx", language=language)
    zh, en = _notes(tmp_path / "zh.xlsx"), _notes(tmp_path / "en.xlsx")
    assert zh["mfg_subsector"].splitlines()[1:] == [
        "仅当「所属行业」为「制造业」时填写，否则留空。", "从下拉列表中选择。"]
    assert en["mfg_subsector"].splitlines()[1] == (
        "Only if 'Industry' is 'Manufacturing'; otherwise leave it empty.")
    assert zh["revenue_2019"].splitlines()[-1] == "数字，0至1000000。"
    assert en["employees_2019"].splitlines()[-1] == "A number of at least 0."
    for note in zh.values():  # no English words, no expressions
        assert not any(word in note for word in ("required", "only if", "${", ". >=",
                                                 "must satisfy", "codes"))
    labels = [c.label["zh"] for c in questionnaire["supply_chain_platform_services"].choices]
    assert zh["supply_chain_platform_services"].splitlines()[-1] == (
        f"可多选：填写选项，多个之间用分号隔开，例如：{labels[0]}; {labels[1]}")


def test_condition_words_for_simple_rules_and_a_pointer_otherwise(questionnaire):
    from dmsurvey.store.template import describe_condition

    assert describe_condition("${industry} != 'other' or ${employees_2019} != ''",
                              questionnaire, "en") == (
        "'Industry' is not 'Other' or 'Employees at the end of 2019' is answered")
    assert describe_condition("${employees_2019} > 10", questionnaire, "zh") is None
    assert describe_condition("${industry} = 'mining'", questionnaire, "zh") is None


def test_columns_are_wide_enough_for_labels(template, questionnaire):
    sheet = template["data"]
    widths = {cell.value: sheet.column_dimensions[cell.column_letter].width for cell in sheet[1]}
    assert min(widths[q.id] for q in questionnaire.answerable) >= 16
    # "软件和信息技术服务业": ten wide characters, typed in full
    assert widths["industry"] >= 22


def test_single_choices_have_label_drop_downs(template):
    sheet = template["data"]
    validation = _validations(sheet)["industry"]
    assert validation.type == "list"
    assert str(validation.sqref) == "D3:D52"
    cells = template["choices"][validation.formula1.split("!")[1].replace("$", "")]
    labels = [row[0].value for row in cells]
    assert labels == ["制造业", "软件和信息技术服务业", "其他"]
    assert template["choices"].sheet_state == "hidden"
    codes = [row[1].value for row in template["choices"].iter_rows(min_row=2)]
    assert codes[:3] == ["manufacturing", "software_it", "other"]


def test_numbers_are_validated_with_constraint_bounds(template):
    validations = _validations(template["data"])
    employees = validations["employees_2019"]
    assert (employees.type, employees.operator, employees.formula1) == (
        "whole", "greaterThanOrEqual", "0"
    )
    revenue = validations["revenue_2019"]
    assert (revenue.type, revenue.operator, revenue.formula1, revenue.formula2) == (
        "decimal", "between", "0", "1000000"
    )
    assert "firm_name" not in validations


def test_codebook_sheet_lists_every_choice(template, questionnaire):
    rows = list(template["codebook"].values)
    codebook = pd.DataFrame(rows[1:], columns=rows[0])
    assert set(codebook["question"]) == {q.id for q in questionnaire.answerable}
    assert "员工共享" in set(codebook["choice_label"])


@pytest.mark.parametrize(
    ("constraint", "whole", "bounds"),
    [
        (". >= 0", True, (0, None)),
        (". > 0", True, (1, None)),
        (". > 0", False, (0, None)),
        (". >= 1900 and . <= 2020", True, (1900, 2020)),
        (".<100", True, (None, 99)),
        (". >= 0 or . = -9", True, (None, None)),
        (". <= ${employees_2019}", True, (None, None)),
        (None, True, (None, None)),
    ],
)
def test_simple_bounds(constraint, whole, bounds):
    assert simple_bounds(constraint, whole=whole) == bounds


def _fill(path, rows: list[dict]) -> None:
    """Type `rows` into the template's data sheet under their column ids, as a clerk would."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["data"]
    header = [cell.value for cell in sheet[1]]
    for number, row in enumerate(rows, start=3):
        for key, value in row.items():
            sheet.cell(row=number, column=header.index(key) + 1, value=value)
    workbook.save(path)


FORMS = [
    {"form_number": "001", "enumerator": "张", "firm_name": "上海甲科技有限公司",
     "industry": "制造业", "mfg_subsector": "医药制造", "employees_2019": 120,
     "revenue_2019": 5300.5,
     "supply_chain_platform_services": "员工共享; production_line_config"},
    {"form_number": "002", "enumerator": "张", "firm_name": "乙软件", "industry": "其他",
     "employees_2019": 8, "supply_chain_platform_services": "none", "remarks": "-"},
]


def test_filled_in_template_imports_unchanged(small_study, tmp_path):
    from typer.testing import CliRunner

    from dmsurvey.cli import app

    path = tmp_path / "entry.xlsx"
    write_template(small_study.questionnaire, path)
    _fill(path, FORMS)
    result = CliRunner().invoke(
        app, ["import", str(small_study.path), str(path), "--source", "paper", "--entry", "1"]
    )
    assert result.exit_code == 0, result.output
    stored = small_study.responses(status=None).set_index("form_number")
    assert list(stored.index) == ["001", "002"]
    first = stored.loc["001"]
    assert (first["industry"], first["mfg_subsector"]) == ("manufacturing", "pharma")
    assert first["employees_2019"] == 120 and first["revenue_2019"] == 5300.5
    assert first["supply_chain_platform_services"] == "employee_sharing production_line_config"
    assert first["enumerator"] == "张" and first["source"] == "paper"
    assert stored.loc["002", "industry"] == "other"
    assert pd.isna(stored.loc["002", "mfg_subsector"])


def test_double_entry_from_two_templates(small_study, tmp_path):
    from typer.testing import CliRunner

    from dmsurvey.cli import app

    runner = CliRunner()
    second_keying = [dict(form) for form in FORMS]
    for form in second_keying:
        form["enumerator"] = "李"
    second_keying[0]["employees_2019"] = 210
    for entry, rows in ((1, FORMS), (2, second_keying)):
        path = tmp_path / f"entry{entry}.xlsx"
        write_template(small_study.questionnaire, path)
        _fill(path, rows)
        result = runner.invoke(app, ["import", str(small_study.path), str(path),
                                     "--source", "paper", "--entry", str(entry)])
        assert result.exit_code == 0, result.output
    report = tmp_path / "diffs.csv"
    result = runner.invoke(app, ["reconcile", str(small_study.path), "--report", str(report)])
    assert result.exit_code == 0, result.output
    diffs = pd.read_csv(report, encoding="utf-8-sig", dtype=str)
    assert list(diffs[["form_number", "question", "first_value", "second_value"]].iloc[0]) == [
        "001", "employees_2019", "120", "210"
    ]
    assert len(diffs) == 1
    complete = small_study.responses()
    assert list(complete["form_number"]) == ["002"]
