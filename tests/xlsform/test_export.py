"""`questionnaire export`: any questionnaire as an XLSForm that pyxform makes a valid XForm of,
and that converts back into the same questionnaire."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pytest
from openpyxl import load_workbook
from pyxform.xls2xform import convert as pyxform_convert
from typer.testing import CliRunner

from dmsurvey.cli import app
from dmsurvey.questionnaire.loader import load_questionnaire, questionnaire_from_dict
from dmsurvey.questionnaire.xlsform import convert_xlsform
from dmsurvey.questionnaire.xlsform_export import write_xlsform

from ..interview.test_field_types import FIELD_TYPES
from .field_forms import FIELD_FORMS

runner = CliRunner()
XFORMS = "{http://www.w3.org/2002/xforms}"


def xform_of(path, warnings: list[str] | None = None) -> ElementTree.Element:
    """pyxform's XForm of an XLSForm (pyxform raises on an error); its advice goes to
    `warnings`, and without that list any advice fails the test."""
    advice: list[str] = []
    result = pyxform_convert(xlsform=str(path), warnings=advice, validate=False)
    if warnings is None:
        assert advice == []
    else:
        warnings.extend(advice)
    return ElementTree.fromstring(result.xform)


@pytest.fixture(scope="module")
def bundled_form(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "sme-2020.xlsx"
    result = runner.invoke(app, ["questionnaire", "export", "sme-digital-2020", "-o", str(path)])
    assert result.exit_code == 0, result.output
    bundled = load_questionnaire("sme-digital-2020")
    assert result.output.startswith(
        f"Wrote {path}: {len(bundled.sections)} groups, {len(bundled.questions)} questions, "
        "languages zh, en")
    return path


def test_the_bundled_instrument_converts_back_to_the_same_questionnaire(bundled_form):
    notes: list[str] = []
    assert convert_xlsform(bundled_form, warnings=notes) == load_questionnaire(
        "sme-digital-2020")
    assert notes == []


def test_pyxform_makes_a_valid_xform_of_it_in_both_languages(bundled_form):
    xform = xform_of(bundled_form)
    languages = {t.get("lang") for t in xform.iter(f"{XFORMS}translation")}
    assert languages == {"Chinese (zh)", "English (en)"}
    questionnaire = load_questionnaire("sme-digital-2020")
    binds = {bind.get("nodeset").rsplit("/", 1)[-1]: bind for bind in xform.iter(f"{XFORMS}bind")}
    for question in questionnaire.answerable:
        bind = binds[question.id]
        assert bind.get("required") == ("true()" if question.required else None)
        if question.relevant:
            assert bind.get("relevant")  # pyxform writes ${x} as an XPath path
        if question.constraint:
            assert bind.get("constraint")


def test_the_sheets_speak_both_languages(bundled_form):
    workbook = load_workbook(bundled_form)
    survey = list(workbook["survey"].iter_rows(values_only=True))
    assert survey[0][:4] == ("type", "name", "label::Chinese (zh)", "label::English (en)")
    rows = {row[1]: row for row in survey[1:] if row[1]}
    assert rows["industry"][0] == "select_one industry"
    assert rows["A"][0] == "begin group"
    metadata = load_questionnaire("sme-digital-2020").metadata_fields
    assert [row[0] for row in survey[1:1 + len(metadata)]] == list(metadata)
    settings = list(workbook["settings"].iter_rows(values_only=True))
    assert settings[1][:4] == ("中小企业数字化转型调查问卷（2020）", "sme-digital-2020", "2020.1",
                               "Chinese (zh)")


def test_every_question_type_round_trips(tmp_path):
    questionnaire = questionnaire_from_dict(FIELD_TYPES, source="field-types")
    path = write_xlsform(questionnaire, tmp_path / "types.xlsx")
    advice: list[str] = []
    xform = xform_of(path, advice)
    assert len(advice) == 1 and "max-pixels" in advice[0]  # advice on photo size, not an error
    binds = {bind.get("nodeset").rsplit("/", 1)[-1]: bind for bind in xform.iter(f"{XFORMS}bind")}
    assert binds["gate"].get("type") == "geopoint"
    assert binds["arrived"].get("type") == "time"
    assert binds["visit_year"].get("calculate") == "format-date( /data/visit/visit_date , '%Y')"
    assert convert_xlsform(path) == questionnaire


@pytest.mark.parametrize("name", FIELD_FORMS)
def test_every_field_form_goes_back_out_and_in_unchanged(name, tmp_path):
    converted = convert_xlsform(FIELD_FORMS[name].write(tmp_path / "in", name))
    exported = write_xlsform(converted, tmp_path / f"{name}.xlsx")
    advice: list[str] = []
    xform_of(exported, advice)
    assert all("max-pixels" in line for line in advice)
    assert convert_xlsform(exported) == converted


def test_a_name_that_looks_personal_but_is_not_stays_so(tmp_path):
    data = {**FIELD_TYPES, "sections": [{**FIELD_TYPES["sections"][0], "questions": [
        {"id": "street_name", "type": "text", "label": {"zh": "路名", "en": "Street name"}},
        {"id": "owner_name", "type": "text", "label": {"zh": "业主", "en": "Owner"},
         "pii": True},
    ]}]}
    questionnaire = questionnaire_from_dict(data, source="names")
    notes: list[str] = []
    back = convert_xlsform(write_xlsform(questionnaire, tmp_path / "names.xlsx"), warnings=notes)
    assert (back["street_name"].pii, back["owner_name"].pii) == (False, True)
    assert back == questionnaire and notes == []


def test_code_mappings_to_an_earlier_wave_go_out_and_come_back(tmp_path):
    later = tmp_path / "zone-2022.yaml"
    later.write_text("""\
name: zone-2022
version: "1"
title: {en: Zone survey}
languages: [en]
sections:
  - id: A
    title: {en: A}
    questions:
      - id: cloud_status
        type: select_one
        label: {en: Cloud}
        choices:
          - {code: migrated_full, label: {en: All in the cloud}}
          - {code: migrated_part, label: {en: Partly in the cloud}}
          - {code: no_plan, label: {en: No plan}}
        previous: {migrated_full: migrated, migrated_part: migrated, no_plan: null}
      - id: ownership
        type: select_one
        label: {en: Ownership}
        choices:
          - {code: private, label: {en: Private}}
          - {code: public, label: {en: Public}}
        previous: {public: [state, collective]}
""", encoding="utf-8")
    questionnaire = load_questionnaire(later)
    back = convert_xlsform(write_xlsform(questionnaire, tmp_path / "zone-2022.xlsx"))
    assert {q.id: q.previous for q in back.questions} == {
        q.id: q.previous for q in questionnaire.questions}
    assert dict(back.question("ownership").previous)["public"] == ("state", "collective")
