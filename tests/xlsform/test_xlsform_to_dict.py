"""XLSForm -> questionnaire dict: what carries over, what is refused, and where it came from."""

from __future__ import annotations

import pytest

from dmsurvey.errors import QuestionnaireError
from dmsurvey.questionnaire.xlsform import language_code, xlsform_to_dict

PERSONAL_NOTE = ("firm_name looks like personal data: marked pii, so anonymised exports leave it "
                 "out (delete `pii: true` if it is not)")


def questions_by_id(data):
    return {q["id"]: q for section in data["sections"] for q in section["questions"]}


def refusal(path, *, strict: bool = False) -> list[str]:
    with pytest.raises(QuestionnaireError) as caught:
        xlsform_to_dict(path, strict=strict)
    return [problem.message for problem in caught.value.problems]


# -- the bilingual firm survey (conftest.FIRM_SURVEY) ---------------------------------------


def test_settings_languages_and_metadata(firm_form):
    data, _ = xlsform_to_dict(firm_form)
    assert data["name"] == "sme_survey"
    assert data["version"] == "2020.1"
    assert data["title"] == {"en": "SME survey", "zh": "SME survey"}
    assert data["languages"] == ["en", "zh"]
    assert data["default_language"] == "zh"
    assert data["metadata"] == ["start", "end", "deviceid"]
    assert not {"start", "end", "deviceid"} & set(questions_by_id(data))


def test_groups_become_sections_in_form_order(firm_form):
    data, _ = xlsform_to_dict(firm_form)
    layout = [(s["id"], [q["id"] for q in s["questions"]]) for s in data["sections"]]
    assert layout == [
        ("general", ["firm_name"]),  # outside any group
        ("profile", ["industry", "employees"]),
        ("factory", ["tech_used", "automation_share"]),  # nested in profile
        ("profile_2", ["thanks_profile"]),  # profile again, after the nested group
    ]
    sections = {s["id"]: s for s in data["sections"]}
    assert sections["profile"]["title"] == {"en": "Firm profile", "zh": "企业概况"}
    assert sections["profile"]["relevant"] == "${firm_name} != ''"
    # a nested group is asked only when both groups are
    assert sections["factory"]["relevant"] == (
        "(${firm_name} != '') and (${industry} = 'manufacturing')"
    )
    assert sections["profile_2"]["relevant"] == "${firm_name} != ''"
    assert "relevant" not in sections["general"]


def test_questions_keep_types_texts_and_rules(firm_form):
    questions = questions_by_id(xlsform_to_dict(firm_form)[0])
    assert questions["firm_name"] == {
        "id": "firm_name",
        "type": "text",
        "label": {"en": "Firm name", "zh": "企业名称"},
        "hint": {"en": "As registered", "zh": "以营业执照为准"},
        "pii": True,  # proposed: the name looks personal
        "required": True,
    }
    assert questions["industry"]["type"] == "select_one"
    assert questions["industry"]["choices"] == "industry"
    employees = questions["employees"]
    assert (employees["type"], employees["constraint"]) == ("integer", ". >= 0")
    assert employees["constraint_message"] == {"en": "Cannot be negative", "zh": "不能为负数"}
    tech = questions["tech_used"]
    assert tech["type"] == "select_multiple"
    assert tech["constraint"] == "not(selected(., 'none') and count-selected(.) > 1)"
    share = questions["automation_share"]
    assert share["type"] == "decimal"
    assert share["relevant"] == "count-selected(${tech_used}) > 0"
    assert "required" not in share
    assert questions["thanks_profile"]["type"] == "note"


def test_choice_lists_keep_codes_and_labels_in_order(firm_form):
    data, _ = xlsform_to_dict(firm_form)
    assert data["choice_lists"]["tech"] == [
        {"code": "cloud", "label": {"en": "Cloud computing", "zh": "云计算"}},
        {"code": "ai", "label": {"en": "Artificial intelligence", "zh": "人工智能"}},
        {"code": "none", "label": {"en": "None of these", "zh": "以上都没有"}},
    ]


def test_typographic_quotes_in_expressions_become_plain(firm_form):
    sections = {s["id"]: s for s in xlsform_to_dict(firm_form)[0]["sections"]}
    assert "‘" not in sections["factory"]["relevant"]
    assert "'manufacturing'" in sections["factory"]["relevant"]


def test_locate_gives_the_sheet_row(firm_form):
    data, locate = xlsform_to_dict(firm_form)
    assert data["sections"][1]["questions"][1]["id"] == "employees"
    assert locate(("sections", 1, "questions", 1, "constraint")) == {"sheet": "survey", "row": 7}
    assert locate(("sections", 0, "questions", 0, "label", "zh")) == {"sheet": "survey", "row": 4}
    assert locate(("sections", 2)) == {"sheet": "survey", "row": 8}  # begin group factory
    assert locate(("choice_lists", "tech", 2, "label")) == {"sheet": "choices", "row": 6}
    assert locate(("metadata", 2)) == {"sheet": "survey", "row": 14}
    assert locate(("version",)) is None


def test_display_only_columns_are_noted_not_refused(firm_form):
    notes: list[str] = []
    xlsform_to_dict(firm_form, warnings=notes)
    assert notes == ["survey sheet row 4: " + PERSONAL_NOTE,
                     "survey sheet row 5: appearance is ignored (display only)"]


# -- other shapes -----------------------------------------------------------------------------


def test_old_syntax_and_plain_language_columns(old_syntax_form):
    data, _ = xlsform_to_dict(old_syntax_form)
    assert data["languages"] == ["en"]
    questions = questions_by_id(data)
    assert questions["exports"]["type"] == "select_one"
    assert questions["exports"]["required"] is True
    assert questions["channels"]["type"] == "select_multiple"
    assert questions["founded"]["type"] == "integer"
    assert [c["code"] for c in data["choice_lists"]["channel"]] == ["1", "2"]
    assert data["choice_lists"]["yes_no"][0] == {"code": "yes", "label": {"en": "Yes"}}
    assert [s["id"] for s in data["sections"]] == ["general", "more"]


def test_untranslated_form_gets_one_language(xlsform):
    form = xlsform(
        "plain",
        survey=[["type", "name", "label"], ["text", "firm_name", "企业名称"],
                ["integer", "staff", "员工人数"]],
    )
    notes: list[str] = []
    data, _ = xlsform_to_dict(form, warnings=notes)
    assert data["languages"] == ["zh"]
    assert questions_by_id(data)["staff"]["label"] == {"zh": "员工人数"}
    assert any("taken as 'zh'" in note for note in notes)


def test_plain_label_beside_language_columns_is_its_own_language(xlsform):
    form = xlsform(
        "mixed",
        survey=[["type", "name", "label", "label::English (en)"],
                ["text", "firm_name", "Nom", "Firm name"]],
    )
    data, _ = xlsform_to_dict(form)
    assert data["languages"] == ["default", "en"]
    assert questions_by_id(data)["firm_name"]["label"] == {"default": "Nom", "en": "Firm name"}


def test_missing_translation_falls_back_to_default_language_with_a_note(xlsform):
    form = xlsform(
        "gaps",
        survey=[
            ["type", "name", "label::English (en)", "label::Chinese (zh)", "hint::English (en)"],
            ["text", "firm_name", "Firm name", "企业名称", "As registered"],
        ],
        settings=[["default_language"], ["English (en)"]],
    )
    notes: list[str] = []
    data, _ = xlsform_to_dict(form, warnings=notes)
    hint = questions_by_id(data)["firm_name"]["hint"]
    assert hint == {"en": "As registered", "zh": "As registered"}
    assert notes == [
        "survey sheet row 2: hint has no 'zh' translation; the 'en' text is used, "
        "as ODK Collect does",
        "survey sheet row 2: " + PERSONAL_NOTE,
    ]


def test_hint_without_a_language_is_explained_in_plain_words(xlsform):
    form = xlsform(
        "plain_hint",
        survey=[
            ["type", "name", "label::English (en)", "label::Chinese (zh)", "hint"],
            ["text", "firm_name", "Firm name", "企业名称", "As registered"],
        ],
    )
    notes: list[str] = []
    data, _ = xlsform_to_dict(form, warnings=notes)
    assert questions_by_id(data)["firm_name"]["hint"] == {
        "en": "As registered",
        "zh": "As registered",
    }
    assert notes == [
        "survey sheet row 2: the hint column has no language in its header, so the same hint "
        "is shown in every language; to translate it, use columns such as hint::English (en)",
        "survey sheet row 2: " + PERSONAL_NOTE,
    ]


def test_questions_outside_groups_get_a_general_section_title(xlsform):
    # Without a settings sheet the form's title is only its file name: not a section title.
    form = xlsform(
        "specify_other",
        survey=[
            ["type", "name", "label::English (en)", "label::Chinese (zh)"],
            ["text", "firm_name", "Firm name", "企业名称"],
        ],
    )
    data, _ = xlsform_to_dict(form)
    assert [(s["id"], s["title"]) for s in data["sections"]] == [
        ("general", {"en": "General questions", "zh": "一般问题"})
    ]


def test_or_other_adds_an_other_choice_and_a_follow_up(or_other_form):
    notes: list[str] = []
    data, _ = xlsform_to_dict(or_other_form, warnings=notes)
    assert [c["code"] for c in data["choice_lists"]["owner"]] == ["private", "state", "other"]
    follow_up = questions_by_id(data)["ownership_other"]
    assert follow_up["type"] == "text"
    assert follow_up["relevant"] == "selected(${ownership}, 'other')"
    assert any("or_other" in note for note in notes)


def test_less_common_types_and_display_columns(xlsform):
    form = xlsform(
        "misc",
        survey=[
            ["type", "name", "label", "parameters", "image", "default", "constraint"],
            ["audit", None, None],
            ["uri:deviceid", "device"],
            ["today", "today"],
            ["range", "satisfaction", "Satisfaction", "start=1 end=5 step=1"],
            ["range", "share", "Share", "start=0 end=1 step=0.1", None, None, ". != 0.5"],
            ["integer", "staff", "Staff", None, "staff.jpg", "5"],
            ["select_one x", "size", "Size", "randomize=true"],
            ["note", None, "Thank you"],
        ],
        choices=[["list_name", "name", "label"], ["x", "1", "Small"], ["x", "2", "Large"]],
    )
    notes: list[str] = []
    data, locate = xlsform_to_dict(form, warnings=notes)
    assert data["metadata"] == ["deviceid", "today", "audit"]
    assert locate(("metadata", 2)) == {"sheet": "survey", "row": 2}  # audit: pyxform moves it last
    questions = questions_by_id(data)
    assert questions["satisfaction"]["type"] == "integer"
    assert questions["satisfaction"]["constraint"] == ". >= 1 and . <= 5"
    assert questions["share"]["type"] == "decimal"
    assert questions["share"]["constraint"] == "(. != 0.5) and (. >= 0 and . <= 1)"
    assert questions["generated_note_name_9"]["type"] == "note"
    assert [c["code"] for c in data["choice_lists"]["x"]] == ["1", "2"]
    assert notes == [
        "survey sheet: labels name no language; taken as 'en' (use label::Language (code) "
        "columns to say which)",
        "survey sheet row 3: metadata question 'device' is kept as the 'deviceid' field",
        "survey sheet row 5: range is asked as a number from 1 to 5, not on a slider",
        "survey sheet row 6: range is asked as a number from 0 to 1 (its step 0.1 is not "
        "checked), not on a slider",
        "survey sheet row 7: images, audio and video are not shown",
        "survey sheet row 7: default answers are not used",
        "survey sheet row 8: choices are shown in list order, not randomized",
    ]


@pytest.mark.parametrize(
    "code,name",
    [("en", "English (en)"), ("zh", "Chinese (zh)"), ("en", "english"), ("zh", "中文"),
     ("sw", "Swahili"), ("zh-Hans", "简体 (zh-Hans)"), ("klingon", "Klingon")],
)
def test_language_codes(code, name):
    assert language_code(name) == code


# -- adaptations and refusals -------------------------------------------------------------------

def test_every_type_converts_and_each_adaptation_is_listed_by_row(xlsform):
    form = xlsform(
        "roster",
        survey=[
            ["type", "name", "label", "calculation", "choice_filter", "relevant"],
            ["integer", "plots", "Number of plots"],
            ["begin repeat", "plot", "Plot"],
            ["decimal", "area", "Area"],
            ["geopoint", "corner", "Corner"],
            ["end repeat"],
            ["calculate", "total", None, "${plots} * 2"],
            ["select_one crop", "crop", "Crop", None, "kind = 'grain'"],
            ["date", "visit", "Visit date"],
            ["text", "email", "E-mail", None, None, "digest(${plots}, 'SHA-256') != ''"],
        ],
        choices=[["list_name", "name", "label", "kind"], ["crop", "rice", "Rice", "grain"]],
    )
    notes: list[str] = []
    data, _ = xlsform_to_dict(form, warnings=notes)
    questions = questions_by_id(data)
    assert {name: questions[name]["type"] for name in ("area", "corner", "total", "visit")} == {
        "area": "decimal", "corner": "geopoint", "total": "calculate", "visit": "date"
    }
    assert questions["total"]["calculation"] == "${plots} * 2"
    assert "relevant" not in questions["email"]
    plot = next(section for section in data["sections"] if section["id"] == "plot")
    assert (plot["repeat"], [q["id"] for q in plot["questions"]]) == (True, ["area", "corner"])
    assert [note for note in notes[1:] if "personal data" not in note] == [notes[-1]]
    assert notes[-1].startswith(
        "survey sheet row 10: relevant is dropped (the question is always asked): unknown "
        "function digest() (known: not(), selected(),")
    problems = refusal(form, strict=True)
    assert [problem.split(":")[0] for problem in problems] == ["survey sheet row 10"]
    assert questions["crop"]["choice_filter"] == "kind = 'grain'"
    assert data["choice_lists"]["crop"] == [
        {"code": "rice", "label": {"en": "Rice"}, "properties": {"kind": "grain"}}]


def test_conditional_required_is_adapted_and_xlsform_names_kept(xlsform):
    form = xlsform(
        "rules",
        survey=[
            ["type", "name", "label", "required"],
            ["integer", "staff", "Staff", "yes"],
            ["text", "contact", "Contact", "${staff} > 10"],
            ["text", "e-mail", "E-mail", "no"],
        ],
    )
    notes: list[str] = []
    data, _ = xlsform_to_dict(form, warnings=notes)
    questions = questions_by_id(data)
    assert "required" not in questions["contact"]
    assert questions["e-mail"]["type"] == "text"
    assert [note for note in notes[1:] if "personal data" not in note] == [
        "survey sheet row 3: required only when '${staff} > 10' is not enforced: the question "
        "may be left blank"
    ]


def test_malformed_form_is_reported_not_crashed(xlsform):
    form = xlsform(
        "unclosed",
        survey=[["type", "name", "label"], ["begin group", "g", "G"], ["text", "a", "A"]],
    )
    with pytest.raises(QuestionnaireError) as caught:
        xlsform_to_dict(form)
    assert "not a valid XLSForm" in str(caught.value)
    assert "row 2" in str(caught.value)


def test_missing_file_is_a_questionnaire_error(tmp_path):
    with pytest.raises(QuestionnaireError, match="No XLSForm file"):
        xlsform_to_dict(tmp_path / "absent.xlsx")
