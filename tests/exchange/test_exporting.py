"""Exports: every format reads back with what an economist needs (labels, codes, text as text)."""

from __future__ import annotations

import json
import warnings

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from dmsurvey.errors import DataError
from dmsurvey.store.exporting import short_names, write_responses


def test_csv_has_bom_and_codes(tmp_path, responses, questionnaire):
    path = tmp_path / "out.csv"
    result = write_responses(responses, path, questionnaire=questionnaire)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert result.rows == 3
    assert list(back["industry"]) == ["manufacturing", "software_it", "other"]
    assert back.loc[0, "firm_name"] == "上海甲科技有限公司"
    assert back.loc[0, "supply_chain_platform_services"] == (
        "employee_sharing production_line_config"
    )


def test_csv_with_english_and_chinese_labels(tmp_path, responses, questionnaire):
    for language, expected in [("en", "Software and IT"), ("zh", "软件和信息技术服务业")]:
        path = tmp_path / f"out-{language}.csv"
        write_responses(responses, path, questionnaire=questionnaire, labels=language)
        back = pd.read_csv(path, encoding="utf-8-sig")
        assert back.loc[1, "industry"] == expected
    assert back.loc[0, "supply_chain_platform_services"] == "员工共享; 产线配置"


def test_unknown_language_and_extension_are_refused(tmp_path, responses, questionnaire):
    with pytest.raises(DataError, match="fr"):
        write_responses(responses, tmp_path / "a.csv", questionnaire=questionnaire, labels="fr")
    with pytest.raises(DataError, match="unknown file type"):
        write_responses(responses, tmp_path / "a.txt", questionnaire=questionnaire)
    assert list(tmp_path.iterdir()) == []


def test_xlsx_writes_formula_like_text_as_text(tmp_path, responses, questionnaire):
    path = tmp_path / "out.xlsx"
    write_responses(responses, path, questionnaire=questionnaire)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["data", "codebook"]
    sheet = workbook["data"]
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    remarks = header.index("remarks") + 1
    firm = header.index("firm_name") + 1
    cells = [sheet.cell(row=r, column=remarks) for r in (2, 3, 4)]
    assert [c.value for c in cells] == ['=HYPERLINK("http://x")', "-5 人离职", "+86 21 5555"]
    assert all(c.data_type == "s" for c in cells)
    assert sheet.cell(row=4, column=firm).data_type == "s"
    employees = header.index("employees_2019") + 1
    assert sheet.cell(row=2, column=employees).value == 120
    assert sheet.cell(row=4, column=employees).value is None
    codebook = pd.read_excel(path, sheet_name="codebook")
    assert "制造业" in set(codebook["choice_label"])


def test_parquet_and_json_keep_types(tmp_path, responses, questionnaire):
    write_responses(responses, tmp_path / "out.parquet", questionnaire=questionnaire)
    back = pd.read_parquet(tmp_path / "out.parquet")
    assert back["employees_2019"].dtype == "Int64"
    assert list(back["industry"].cat.categories) == ["manufacturing", "software_it", "other"]
    write_responses(responses, tmp_path / "out.json", questionnaire=questionnaire, labels="zh")
    records = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert records[0]["industry"] == "制造业"
    assert records[2]["employees_2019"] is None


def test_anonymize_drops_pii_and_enumerator(tmp_path, responses, questionnaire):
    # XLSForm metadata naming the enumerator or their device goes too
    responses = responses.assign(username="王芳", deviceid="dmsurvey:wangs-laptop")
    for suffix in (".csv", ".dta"):
        path = tmp_path / f"anon{suffix}"
        write_responses(responses, path, questionnaire=questionnaire, anonymize=True)
        back = pd.read_csv(path) if suffix == ".csv" else pd.read_stata(path)
        assert "firm_name" not in back.columns
        assert not {"enumerator", "username", "deviceid"} & set(back.columns)
        assert "王芳" not in path.read_bytes().decode("utf-8", "replace")
        assert "industry" in back.columns
        assert "上海甲科技有限公司" not in path.read_bytes().decode("utf-8", "replace")


def test_stata_value_labels_numbered_in_list_order(tmp_path, responses, questionnaire):
    path = tmp_path / "out.dta"
    write_responses(responses, path, questionnaire=questionnaire, labels="zh")
    with pd.io.stata.StataReader(path) as reader:
        data = reader.read(convert_categoricals=False)
        value_labels = reader.value_labels()
        variable_labels = reader.variable_labels()
    assert list(data["industry"]) == [1, 2, 3]
    assert value_labels["industry"] == {1: "制造业", 2: "软件和信息技术服务业", 3: "其他"}
    assert variable_labels["employees_2019"] == "2019年末员工人数"
    assert pd.isna(data.loc[1, "mfg_subsector"])
    # Multi-selects become 0/1 variables with short names and no "/".
    assert all(len(name) <= 32 and "/" not in name for name in data.columns)
    config = next(name for name, label in variable_labels.items() if label.endswith("产线配置"))
    assert config.startswith("supply_cha")
    assert list(data[config][:2]) == [1, 0]
    assert pd.isna(data[config][2])
    assert data["supply_chain_platform_services"][1] == "none"
    labelled = pd.read_stata(path)
    assert list(labelled["industry"]) == ["制造业", "软件和信息技术服务业", "其他"]


def test_spss_labels_read_back(tmp_path, responses, questionnaire):
    path = tmp_path / "out.sav"
    write_responses(responses, path, questionnaire=questionnaire, labels="en")
    data, meta = pyreadstat.read_sav(str(path))
    assert list(data["industry"]) == [1.0, 2.0, 3.0]
    labels = meta.variable_value_labels["industry"]
    assert labels == {1.0: "Manufacturing", 2.0: "Software and IT", 3.0: "Other"}
    assert meta.column_names_to_labels["employees_2019"] == "Employees at the end of 2019"
    assert data.loc[0, "firm_name"] == "上海甲科技有限公司"
    assert data.loc[0, "revenue_2019"] == pytest.approx(5300.5)
    assert all(len(name) <= 32 and "/" not in name for name in meta.column_names)


def test_short_names_are_unique_and_keep_codes():
    names = short_names([
        "supply_chain_platform_services/production_line_config",
        "supply_chain_platform_services/employee_sharing",
        "a_very_long_question_identifier_number_one",
        "a_very_long_question_identifier_number_two",
        "q/5g",
    ])
    values = list(names.values())
    assert len(set(values)) == len(values)
    assert all(len(v) <= 32 and v.replace("_", "").isalnum() for v in values)
    assert values[1].endswith("_employee_sharing")
    assert names["q/5g"] == "q_5g"


def test_failed_export_leaves_no_file(tmp_path, responses, questionnaire):
    path = tmp_path / "out.parquet"
    path.write_bytes(b"previous export")
    broken = responses.copy()
    broken["remarks"] = [object(), object(), object()]  # nothing Parquet can store
    with pytest.raises(Exception):  # noqa: B017 - any failure of the writer will do
        write_responses(broken, path, questionnaire=questionnaire)
    assert path.read_bytes() == b"previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["out.parquet"]


def test_stata_keeps_long_text(tmp_path, responses, questionnaire):
    long_remark = "很长的备注" * 500  # 7,500 bytes in UTF-8: beyond Stata's str2045
    responses.loc[1, "remarks"] = long_remark
    write_responses(responses, tmp_path / "long.dta", questionnaire=questionnaire)
    assert pd.read_stata(tmp_path / "long.dta").loc[1, "remarks"] == long_remark


# Stata's reserved names ([U] 11.3) and some of Mata's reserved words, as written.
STATA_RESERVED = ("_all _b byte _coef _cons double float if in int long _n _N _pi _pred _rc _se "
                  "_skip strL str1 str2045 using with end NULL local function").split()


def test_stata_reserved_words_are_renamed_without_a_warning(tmp_path, responses, questionnaire):
    extra = responses.assign(**{word: "x" for word in STATA_RESERVED})
    path = tmp_path / "reserved.dta"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = write_responses(extra, path, questionnaire=questionnaire)
    data = pd.read_stata(path)
    renamed = [f"{word}_" for word in STATA_RESERVED]
    assert set(renamed) <= set(data.columns)
    assert [note for note in result.notes if "supply_chain" not in note] == [
        f"Stata: renamed {word} → {word}_ (a reserved word)" for word in STATA_RESERVED
    ]
    # the same names every time, so do-files keep working
    again = write_responses(extra, tmp_path / "again.dta", questionnaire=questionnaire)
    assert again.notes == result.notes


def test_spss_names_begin_with_a_letter_and_avoid_its_keywords(tmp_path, responses,
                                                               questionnaire):
    extra = responses.assign(_note="a", BY="b", end="c")
    path = tmp_path / "names.sav"
    result = write_responses(extra, path, questionnaire=questionnaire)
    data, _ = pyreadstat.read_sav(str(path))
    assert list(data.columns[-3:]) == ["v_note", "BY_", "end"]
    assert list(data.loc[0, ["v_note", "BY_", "end"]]) == ["a", "b", "c"]
    assert [note for note in result.notes if "supply_chain" not in note] == [
        "SPSS: renamed _note → v_note (names begin with a letter)",
        "SPSS: renamed BY → BY_ (a reserved word)",
    ]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_metadata_columns_get_variable_labels(tmp_path, responses, questionnaire, language):
    write_responses(responses, tmp_path / "m.dta", questionnaire=questionnaire, labels=language)
    write_responses(responses, tmp_path / "m.sav", questionnaire=questionnaire, labels=language)
    with pd.io.stata.StataReader(tmp_path / "m.dta") as reader:
        reader.read()
        stata_labels = reader.variable_labels()
    spss_labels = pyreadstat.read_sav(str(tmp_path / "m.sav"))[1].column_names_to_labels
    expected = {"en": {"response_id": "Response id", "submitted_at": "Submitted at (ISO 8601)",
                       "enumerator": "Enumerator or data-entry clerk"},
                "zh": {"response_id": "答卷编号", "submitted_at": "提交时间（ISO 8601）",
                       "enumerator": "调查员或录入员"}}[language]
    for labels in (stata_labels, spss_labels):
        assert {name: labels[name] for name in expected} == expected
        assert labels["source"] and labels["status"]


def test_csv_for_spreadsheets_neutralises_formula_like_text(tmp_path, responses, questionnaire):
    """OWASP: a cell starting with = + - @ tab or CR gets a leading ' so Excel shows it as
    text instead of running it; plain numbers stay as they are."""
    responses.loc[2, "firm_name"] = "@SUM(A1:A9)"
    responses.loc[1, "firm_name"] = "\t=1+1"
    path = tmp_path / "out.csv"
    write_responses(responses, path, questionnaire=questionnaire)
    back = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    assert list(back["remarks"]) == ["'=HYPERLINK(\"http://x\")", "'-5 人离职", "'+86 21 5555"]
    assert list(back["firm_name"]) == ["上海甲科技有限公司", "'\t=1+1", "'@SUM(A1:A9)"]
    assert back.loc[0, "employees_2019"] == "120"


def test_raw_csv_keeps_the_exact_text(tmp_path, responses, questionnaire):
    path = tmp_path / "raw.csv"
    write_responses(responses, path, questionnaire=questionnaire, raw=True)
    back = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    assert list(back["remarks"]) == ['=HYPERLINK("http://x")', "-5 人离职", "+86 21 5555"]


def test_stata_notes_name_the_choice_columns_it_shortened(tmp_path, responses, questionnaire):
    """supply_chain_platform_services/... pass 32 characters: each 0/1 column renamed beyond
    its "/" is told, with the name it has in the file."""
    result = write_responses(responses, tmp_path / "s.dta", questionnaire=questionnaire)
    data = pd.read_stata(tmp_path / "s.dta")
    told = {note.split(" → ")[0].split()[-1]: note.split(" → ")[1].split()[0]
            for note in result.notes if "supply_chain_platform_services/" in note}
    assert set(told) == {f"supply_chain_platform_services/{code}"
                         for code in ("employee_sharing", "production_line_config", "none")}
    assert set(told.values()) <= set(data.columns)
    assert all(len(name) <= 32 for name in told.values())
    assert all("longer than 32 characters" in note for note in result.notes
               if "supply_chain_platform_services/" in note)
