"""Any valid XLSForm converts, validates, starts a study, an interview and a paper template.

The forms are those of `field_forms.py`, in the shapes real ODK and KoboToolbox forms come
in; what the converter adapts is listed by sheet row, and `--strict` refuses it instead.
"""

from __future__ import annotations

import math
import re

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from dmsurvey.cli import app
from dmsurvey.questionnaire.loader import load_questionnaire
from dmsurvey.questionnaire.model import Repeat

from .conftest import write_xlsform
from .field_forms import CASCADING_SELECTS, FIELD_FORMS, PLOT_SURVEY, SPECIFICATION_TOUR

runner = CliRunner()


def invoke(*args: str):
    result = runner.invoke(app, [str(arg) for arg in args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("name", FIELD_FORMS)
def test_form_converts_validates_starts_a_study_and_writes_a_template(name, tmp_path):
    field_form = FIELD_FORMS[name]
    form = field_form.write(tmp_path / "forms", name)
    output = invoke("questionnaire", "convert", form, "-o", tmp_path / f"{name}.yaml")
    for adaptation in field_form.adaptations:
        assert f"  - {adaptation}" in output
    listed = re.findall(r"^  - ((?:survey|choices) sheet rows? [\d, ]+): ", output, re.M)
    assert len(listed) >= len(field_form.adaptations)

    converted = load_questionnaire(tmp_path / f"{name}.yaml")
    assert load_questionnaire(form) == converted  # the .xlsx itself works wherever YAML does
    assert "is valid" in invoke("questionnaire", "validate", form)

    study = tmp_path / "study"
    invoke("init", study, "--questionnaire", form)
    template = tmp_path / "entry.xlsx"
    invoke("template", study, "-o", template)
    header = [cell.value for cell in next(load_workbook(template).worksheets[0].iter_rows())]
    shown = [q.id for q in converted.answerable if q.is_shown]
    assert set(shown) <= set(header)


@pytest.mark.parametrize("name", [n for n, f in FIELD_FORMS.items() if f.adaptations])
def test_strict_refuses_every_adaptation_by_row(name, tmp_path):
    field_form = FIELD_FORMS[name]
    form = field_form.write(tmp_path, name)
    result = runner.invoke(app, ["questionnaire", "convert", "--strict", str(form)])
    assert result.exit_code == 1
    message = str(result.exception)
    assert "without --strict, they are adapted" in message
    for adaptation in field_form.adaptations:
        assert adaptation in message
    assert not form.with_suffix(".yaml").exists()


def test_every_question_type_of_the_specification_is_kept(tmp_path):
    questionnaire = load_questionnaire(SPECIFICATION_TOUR.write(tmp_path, "tour"))
    types = {q.id: q.type for q in questionnaire.all_questions}
    assert {name: types[name] for name in (
        "acknowledge_test", "date_test", "time_test", "datetime_test", "geopoint_test",
        "barcode_test", "image_test", "audio_test", "video_test", "calculate_test",
        "where_started", "label-test", "list.nolabel.test",
    )} == {
        "acknowledge_test": "acknowledge", "date_test": "date", "time_test": "time",
        "datetime_test": "datetime", "geopoint_test": "geopoint", "barcode_test": "barcode",
        "image_test": "image", "audio_test": "audio", "video_test": "video",
        "calculate_test": "calculate", "where_started": "hidden", "label-test": "select_one",
        "list.nolabel.test": "select_one",
    }
    assert questionnaire["calculate_test"].calculation == "2+2"
    assert questionnaire.metadata_fields == ("start", "end", "today", "deviceid", "phonenumber")
    assert not questionnaire["calculate_test"].is_shown


def test_choices_from_a_csv_beside_the_form_are_copied_in(tmp_path):
    questionnaire = load_questionnaire(PLOT_SURVEY.write(tmp_path, "plots"))
    region = questionnaire["region_id"]
    assert region.type == "select_one"
    assert region.choice_codes == ("1", "2")
    assert region.choice("2").label == {"sw": "Mtwara", "en": "Mtwara"}
    # the districts' file is missing: the code is typed
    assert questionnaire["district_id"].type == "text"
    # a study of the form keeps the file too, as the form's media
    invoke("init", tmp_path / "study", "--questionnaire", tmp_path / "plots.xlsx")
    assert sorted(p.name for p in (tmp_path / "study" / "media").iterdir()) == ["regions.csv"]
    assert (tmp_path / "study" / "media" / "regions.csv").read_text(encoding="utf-8") == \
        PLOT_SURVEY.csv_files["regions.csv"]
    # the plot's radius on a slope, as the form's calculation works it out
    from dmsurvey.questionnaire.calculations import calculate_answers

    radius = round(15 / math.sqrt(math.cos(math.atan(10 / 100))), 2)
    assert calculate_answers(questionnaire, {"slope": 10})["slope_radius"] == str(radius)
    # the trees of a plot, each tree's stems as many as it has
    assert [(s.id, s.relevant, s.repeat) for s in questionnaire.repeats] == [
        ("trees", "${any_trees} = 'yes'", Repeat()),
        ("stems", None, Repeat(count="${stem_count}", within="trees")),
    ]
    assert questionnaire.find("cbh").section == "stems"
    assert questionnaire.repeat_of("tag").id == "trees"
    assert questionnaire.find("stem_height").required is False


def test_a_county_listed_under_two_states_is_offered_under_both(tmp_path):
    from dmsurvey.questionnaire.choice_filters import offered_choices
    from dmsurvey.questionnaire.xlsform import convert_xlsform
    from dmsurvey.questionnaire.xlsform_export import write_xlsform

    questionnaire = load_questionnaire(CASCADING_SELECTS.write(tmp_path, "places"))
    county = questionnaire["county"]
    assert county.choice_codes == ("king", "pierce")
    assert [c.code for c in offered_choices(county, {"state": "texas"})] == ["king"]
    assert [c.code for c in offered_choices(county, {"state": "washington"})] == [
        "king", "pierce"]
    # an import accepts king in either state, pierce only in Washington
    study = tmp_path / "study"
    invoke("init", study, "--questionnaire", tmp_path / "places.xlsx")
    rows = tmp_path / "rows.csv"
    rows.write_text("state,county,city\ntexas,king,dumont\nwashington,king,dumont\n"
                    "texas,pierce,tacoma\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(study), str(rows)])
    assert result.exit_code == 1
    assert "row 4" in str(result.exception) and "pierce" in str(result.exception)
    invoke("import", study, rows, "--skip-invalid")
    # and both rows of king go back out to an XLSForm and in again
    exported = write_xlsform(questionnaire, tmp_path / "again.xlsx")
    assert convert_xlsform(exported) == questionnaire


def test_a_duplicate_code_pyxform_rejects_is_refused_with_its_choices_row(xlsform):
    form = xlsform(
        "duplicates",
        survey=[["type", "name", "label"], ["select_one size", "size", "Size"]],
        choices=[["list_name", "name", "label"], ["size", "s", "Small"], ["size", "s", "Big"]],
    )
    result = runner.invoke(app, ["questionnaire", "convert", str(form)])
    assert result.exit_code == 1
    (problem,) = result.exception.problems
    assert problem.message.startswith("choices sheet row 3: ")
    assert "Choice names must be unique" in problem.message


def test_xlsform_names_are_column_names_and_renamed_for_stata_and_spss(tmp_path):
    form = write_xlsform(
        tmp_path / "tour.xlsx",
        [["type", "name", "label"], ["select_one yes_no", "skip_to_end", "Skip?"],
         ["text", "my_name", "Name"], ["select_one yes_no", "label-test", "Label test"],
         ["select_one yes_no", "list.nolabel.test", "List test"]],
        [["list_name", "name", "label"], ["yes_no", "yes", "Yes"], ["yes_no", "no", "No"]],
    )
    study = tmp_path / "study"
    invoke("init", study, "--questionnaire", form)
    responses = tmp_path / "responses.csv"
    responses.write_text(
        "skip_to_end,my_name,label-test,list.nolabel.test\nno,Ann,yes,no\n", encoding="utf-8"
    )
    invoke("import", study, responses)
    exported = tmp_path / "out.csv"
    invoke("export", study, "-o", exported)
    header, row = exported.read_text(encoding="utf-8-sig").splitlines()
    values = dict(zip(header.split(","), row.split(","), strict=True))
    assert (values["label-test"], values["list.nolabel.test"]) == ("yes", "no")
    for suffix in ("dta", "sav"):
        output = invoke("export", study, "-o", tmp_path / f"out.{suffix}")
        assert "renamed label-test → label_test (letters, digits and _ only)" in output
        assert "renamed list.nolabel.test → list_nolabel_test" in output


def test_select_one_external_takes_its_choices_from_the_external_choices_sheet(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheets = {
        "survey": [["type", "name", "label", "choice_filter"],
                   ["select_one states", "state", "State"],
                   ["select_one_external city", "city", "City", "state=${state}"]],
        "choices": [["list_name", "name", "label"], ["states", "tx", "Texas"]],
        "external_choices": [["list_name", "name", "label", "state"],
                             ["city", "austin", "Austin", "tx"],
                             ["city", "dallas", "Dallas", "tx"]],
    }
    workbook.active.title = "survey"
    for name, rows in sheets.items():
        sheet = workbook["survey"] if name == "survey" else workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(tmp_path / "external.xlsx")
    questionnaire = load_questionnaire(tmp_path / "external.xlsx")
    assert questionnaire["city"].type == "select_one"
    assert questionnaire["city"].choice_codes == ("austin", "dallas")
    assert questionnaire["city"].choice("dallas").label == {"en": "Dallas"}
