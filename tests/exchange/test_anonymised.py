"""Anonymised exports hold no name, phone, id, form number, free text or exact time of the input,
and two anonymised exports of one study link by pseudonym."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from dmsurvey.cli import app
from dmsurvey.store.importing import import_files
from dmsurvey.store.sample import sample_study
from dmsurvey.store.study import open_study

from ..xlsform.conftest import write_xlsform

runner = CliRunner()

# A form as researchers write them: nothing is marked personal.
SURVEY = [
    ["type", "name", "label::English (en)", "label::Chinese (zh)"],
    ["text", "firm_name", "Firm name", "企业名称"],
    ["text", "q_contact", "Contact person", "联系人姓名"],
    ["text", "q_tel", "Telephone", "联系电话"],
    ["text", "id_number", "Business licence number", "营业执照号"],
    ["select_one industry", "industry", "Industry", "行业"],
    ["integer", "employees", "Employees", "员工人数"],
    ["text", "comments", "Anything else?", "其他意见"],
]
CHOICES = [
    ["list_name", "name", "label::English (en)", "label::Chinese (zh)"],
    ["industry", "manufacturing", "Manufacturing", "制造业"],
    ["industry", "services", "Services", "服务业"],
]
RESPONSES = pd.DataFrame({
    "response_id": ["uuid:5c1e9a2e-0d4b-4f7e-9a51-2b7f0c3d8e11", "Zhang-Wei-2020-07",
                    "form-0042"],
    "enumerator": ["Li Na", "王芳", "Li Na"],
    "form_number": ["P-2020-0042", "P-2020-0043", "P-2020-0044"],
    "submitted_at": ["2020-07-10T09:31:07+08:00", "2020-07-11T14:02:55+08:00",
                     "2020-07-12T18:45:12+08:00"],
    "firm_name": ["Zhang Wei Trading Co", "上海卓联数据科技有限公司", "Acme Tools"],
    "q_contact": ["Zhang Wei", "徐先生", "Mary Chen"],
    "q_tel": ["13812345678", "021-6234 5678", "+86 139 0000 1111"],
    "id_number": ["91310000MA1FL0XX1X", "310101199001011234", "91310115MA1H7TTT2Q"],
    "industry": ["manufacturing", "services", "manufacturing"],
    "employees": ["12", "340", "55"],
    "comments": ["call Zhang Wei 13812345678", "我们很需要政府补贴", "email mary@acme.cn"],
})
IDENTIFYING = ["response_id", "enumerator", "form_number", "submitted_at", "firm_name",
               "q_contact", "q_tel", "id_number", "comments"]


def exported_text(path) -> str:
    if path.suffix == ".xlsx":
        workbook = openpyxl.load_workbook(path, read_only=True)
        return "\n".join(str(value) for row in workbook["data"].iter_rows(values_only=True)
                         for value in row)
    return path.read_bytes().decode("utf-8", "replace")


def leaked(text: str, frame: pd.DataFrame, columns) -> list[str]:
    found = []
    for column in columns:
        for value in frame[column].dropna().astype(str):
            value = value.removeprefix("uuid:")
            if value and value in text:
                found.append(f"{column}={value}")
    return found


@pytest.fixture
def xlsform_study(tmp_path):
    form = write_xlsform(tmp_path / "firms.xlsx", SURVEY, CHOICES)
    result = runner.invoke(app, ["init", str(tmp_path / "study"), "--questionnaire", str(form)])
    assert result.exit_code == 0, result.output
    # conversion proposes pii for the personal fields, and lists them
    for name in ("firm_name", "q_contact", "q_tel", "id_number"):
        assert f"{name} looks like personal data" in result.output
    assert "employees looks like" not in result.output
    assert "comments looks like" not in result.output
    path = tmp_path / "answers.csv"
    RESPONSES.to_csv(path, index=False)
    study = open_study(tmp_path / "study")
    import_files(study, [path])
    return study


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".json"])
def test_an_anonymised_export_of_an_xlsform_study_holds_nothing_identifying(
        xlsform_study, tmp_path, suffix):
    path = tmp_path / f"anonymous{suffix}"
    result = runner.invoke(app, ["export", str(xlsform_study.path), "-o", str(path),
                                 "--anonymize"])
    assert result.exit_code == 0, result.output
    assert leaked(exported_text(path), RESPONSES, IDENTIFYING) == []
    assert "left out personal data (pii): firm_name, q_contact, q_tel, id_number" in result.output
    assert "left out free-text answers: comments" in result.output
    assert "form numbers" in result.output and "pseudonyms" in result.output
    # what is left is still data
    assert "manufacturing" in exported_text(path) and "340" in exported_text(path)


def test_keep_text_keeps_free_text_answers_but_not_personal_data(xlsform_study, tmp_path):
    path = tmp_path / "anonymous.csv"
    runner.invoke(app, ["export", str(xlsform_study.path), "-o", str(path), "--anonymize",
                        "--keep-text"])
    back = pd.read_csv(path, dtype=str)
    assert sorted(back["comments"]) == sorted(RESPONSES["comments"])
    assert not {"firm_name", "q_contact", "q_tel", "id_number"} & set(back.columns)
    assert back["submitted_at"].tolist() == ["2020-07-10", "2020-07-11", "2020-07-12"]


def test_two_anonymised_exports_link_by_pseudonym(xlsform_study, tmp_path):
    first, second = tmp_path / "first.csv", tmp_path / "second.parquet"
    for path in (first, second):
        assert runner.invoke(app, ["export", str(xlsform_study.path), "-o", str(path),
                                   "--anonymize"]).exit_code == 0
    one = pd.read_csv(first, dtype=str).set_index("response_id")
    two = pd.read_parquet(second).set_index("response_id")
    assert len(set(one.index)) == 3 and set(one.index) == set(two.index)
    # the key that makes them stays in the study, readable by its owner only
    assert (xlsform_study.path / "pseudonym.key").stat().st_mode & 0o077 == 0
    assert one.loc[two.index, "employees"].astype(int).tolist() == two["employees"].tolist()
    # another study's key gives other pseudonyms for the same ids
    other = tmp_path / "other"
    runner.invoke(app, ["init", str(other), "--questionnaire", str(tmp_path / "firms.xlsx")])
    import_files(open_study(other), [tmp_path / "answers.csv"])
    runner.invoke(app, ["export", str(other), "-o", str(tmp_path / "other.csv"), "--anonymize"])
    assert not set(pd.read_csv(tmp_path / "other.csv", dtype=str)["response_id"]) & set(one.index)


def test_an_anonymised_export_of_the_bundled_study_holds_nothing_identifying(tmp_path):
    study = sample_study(tmp_path / "sample")
    for number, response_id in enumerate(study.response_ids()[:5]):
        study.set_metadata(response_id, form_number=f"P-2020-{number:04d}")
    originals = study.responses(status=None).astype(object)
    path = tmp_path / "anonymous.csv"
    result = runner.invoke(app, ["export", str(study.path), "-o", str(path), "--anonymize"])
    assert result.exit_code == 0, result.output
    columns = ["response_id", "enumerator", "form_number", "submitted_at", "firm_name",
               "respondent_name", "respondent_phone", "comments"]
    assert originals["comments"].notna().any() and originals["form_number"].notna().any()
    assert leaked(exported_text(path), originals, columns) == []


@pytest.mark.parametrize(("name", "labels", "personal"), [
    ("respondentPhone", [], True),
    ("q7", ["联系电话"], True),
    ("q8", ["Your e-mail"], True),
    ("q9", ["身份证号码"], True),
    ("q10", ["姓名"], True),
    ("q11", ["Street address"], True),
    ("employees", ["Employees", "员工人数"], False),
    ("namely", [], False),
    ("hotel_rooms", ["Rooms"], False),
])
def test_personal_fields_are_recognised_by_name_or_label(name, labels, personal):
    from dmsurvey.questionnaire.xlsform import looks_personal

    assert looks_personal(name, labels) is personal
