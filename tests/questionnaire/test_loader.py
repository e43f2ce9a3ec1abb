"""Loading questionnaires: the model built, YAML read safely, every problem reported."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from dmsurvey.errors import QuestionnaireError
from dmsurvey.questionnaire.bundled import bundled_path, list_bundled
from dmsurvey.questionnaire.loader import (
    load_questionnaire,
    questionnaire_from_dict,
    questionnaire_from_yaml,
)
from dmsurvey.questionnaire.model import Questionnaire

MINIMAL = """\
name: mini
version: "1"
title: {zh: 小问卷, en: Mini}
languages: [zh, en]
sections:
  - id: A
    title: {zh: 甲, en: A}
    questions:
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(QuestionnaireError) as caught:
        questionnaire_from_yaml(text, source="q.yaml")
    return [str(problem) for problem in caught.value.problems]


def with_questions(questions: str, extra: str = "") -> str:
    return MINIMAL + questions + extra


def test_builds_the_model(survey_file):
    questionnaire = load_questionnaire(survey_file)
    assert isinstance(questionnaire, Questionnaire)
    assert questionnaire.name == "firm-survey"
    assert questionnaire.source == str(survey_file)
    assert questionnaire.sha256 == hashlib.sha256(survey_file.read_bytes()).hexdigest()
    assert [section.id for section in questionnaire] == ["A", "B", "H"]
    assert [q.id for q in questionnaire.sections[0]][:3] == ["firm_name", "ownership", "industry"]
    assert questionnaire["firm_name"].pii
    assert questionnaire["industry"].required
    assert questionnaire["mfg_subsector"].relevant == "${industry} = 'manufacturing'"
    assert questionnaire["employees_2019"].unit["zh"] == "人"
    assert questionnaire["employees_2019"].label["en"] == "Employees at the end of 2019"
    assert questionnaire["employees_2019"].constraint_message["en"] == "Cannot be negative"
    # named choice lists are resolved into the question
    assert questionnaire["large_data_transfer"].choice_codes == ("yes", "no")
    assert questionnaire["large_data_transfer"].choice_list == "yes_no"
    assert questionnaire["data_services_spend"].choice("gt_100k").label["en"] == "Over 100k"
    # `none` is exclusive by default in a select_multiple
    assert questionnaire["tech_used"].exclusive == ("none",)
    assert questionnaire.default_language == "zh"


def test_lines_are_kept_for_messages(survey_file):
    questionnaire = load_questionnaire(survey_file)
    lines = survey_file.read_text(encoding="utf-8").splitlines()
    assert lines[questionnaire["industry"].line - 1].strip() == "- id: industry"
    assert lines[questionnaire.sections[1].line - 1].strip() == "- id: B"


def test_scoring_rules(survey_file):
    scoring = load_questionnaire(survey_file).scoring
    technology = scoring.dimension("technology")
    assert technology.weight == 1.0 and technology.min_answered == 0.5
    assert [item.question for item in technology.items] == [
        "tech_used",
        "cloud_status",
        "large_data_transfer",
    ]
    assert technology.items[0].weight == 2.0
    assert technology.items[0].points == {"big_data": 50.0, "ai": 50.0}
    # `yes` is a code, not a boolean
    assert technology.items[2].points == {"yes": 100.0}
    assert [(level.id, level.min, level.max) for level in scoring.levels] == [
        ("basic", 0.0, 50.0),
        ("advanced", 50.0, 100.0),
    ]


def test_the_model_is_immutable(survey_yaml):
    questionnaire = questionnaire_from_yaml(survey_yaml)
    with pytest.raises(dataclasses.FrozenInstanceError):
        questionnaire.name = "other"
    with pytest.raises(dataclasses.FrozenInstanceError):
        questionnaire["industry"].required = False
    with pytest.raises(AttributeError):
        questionnaire["industry"].label._by_language = {}


def test_yes_no_on_off_and_numbers_stay_text():
    questionnaire = questionnaire_from_yaml(
        with_questions(
            """\
      - id: q
        type: select_one
        label: {zh: 问, en: Q}
        choices:
          - {code: yes, label: {zh: 是, en: "yes"}}
          - {code: no, label: {zh: 否, en: no}}
          - {code: on, label: {zh: 开, en: off}}
          - {code: 01, label: {zh: 一, en: "1"}}
          - {code: 1, label: {zh: 一, en: 1.50}}
          - {code: 2.0, label: {zh: 二, en: 0x10}}
"""
        )
    )
    question = questionnaire["q"]
    assert question.choice_codes == ("yes", "no", "on", "01", "1", "2.0")
    assert [choice.label["en"] for choice in question.choices] == [
        "yes",
        "no",
        "off",
        "1",
        "1.50",
        "0x10",
    ]
    assert questionnaire.version == "1"


def test_a_plain_string_is_a_text_only_in_a_single_language_questionnaire():
    single = (
        MINIMAL.replace("languages: [zh, en]", "languages: [en]")
        .replace("{zh: 甲, en: A}", "A")
        .replace("{zh: 小问卷, en: Mini}", "Mini")
    )
    questionnaire = questionnaire_from_yaml(
        single + "      - {id: q, type: text, label: What is it?}\n"
    )
    assert questionnaire["q"].label["en"] == "What is it?"
    problems = problems_of(with_questions("      - {id: q, type: text, label: What is it?}\n"))
    assert problems == [
        "q.yaml, line 9: question q label must give the text in each language "
        "(expected: a mapping like {zh: ..., en: ...})"
    ]


def test_load_by_bundled_name():
    assert bundled_path("sme-digital-2020") is not None
    questionnaire = load_questionnaire("sme-digital-2020")
    assert questionnaire.name == "sme-digital-2020"
    assert questionnaire.source == str(bundled_path("sme-digital-2020"))
    assert "sme-digital-2020" in [info.name for info in list_bundled()]


def test_unknown_names_and_missing_files_are_explained(tmp_path):
    with pytest.raises(QuestionnaireError, match="no questionnaire named 'sme-2020'.*sme-digital"):
        load_questionnaire("sme-2020")
    with pytest.raises(QuestionnaireError, match="not found"):
        load_questionnaire(tmp_path / "absent.yaml")
    with pytest.raises(QuestionnaireError, match="not found"):
        load_questionnaire("surveys/absent.yaml")


def test_a_folder_named_like_a_bundled_questionnaire_does_not_hide_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sme-digital-2020").mkdir()
    (tmp_path / "my-study").mkdir()
    assert load_questionnaire("sme-digital-2020").name == "sme-digital-2020"
    with pytest.raises(QuestionnaireError, match="my-study is a folder"):
        load_questionnaire("my-study")


def test_yaml_syntax_errors_have_a_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(MINIMAL + "      - id: q\n        label: {zh: 问, en: Q\n", encoding="utf-8")
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(path)
    (problem,) = caught.value.problems
    assert problem.file == str(path)
    assert problem.line in (10, 11)
    assert "YAML syntax" in problem.message


def test_yaml_cannot_build_objects(tmp_path):
    path = tmp_path / "evil.yaml"
    marker = tmp_path / "ran"
    path.write_text(
        MINIMAL
        + f'      - id: !!python/object/apply:os.system ["touch {marker}"]\n'
        + "        type: text\n",
        encoding="utf-8",
    )
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(path)
    assert not marker.exists()
    assert any("YAML tags are not allowed" in str(p) and p.line == 9 for p in caught.value.problems)


def test_keys_given_twice_are_reported():
    problems = problems_of(
        with_questions(
            "      - id: q\n        type: text\n        label: {zh: 问, en: Q}\n"
            "        type: integer\n"
        )
    )
    assert (
        "q.yaml, line 12: key 'type' appears twice in this mapping (first on line 10)" in problems
    )


@pytest.mark.parametrize(
    ("questions", "expected"),
    [
        (
            '      - {id: q, type: text, label: {zh: 问, en: Q}, relevent: "1"}\n',
            "line 9: question q has an unknown key 'relevent'",
        ),
        (
            "      - {id: 2q, type: text, label: {zh: 问, en: Q}}\n",
            "line 9: a question id is not a valid name",
        ),
        (
            "      - {id: q, type: text, label: {zh: 问, en: Q, fr: Q}}\n",
            "line 9: question q label is in language 'fr', which `languages` does not declare",
        ),
        (
            "      - {id: q, type: text, label: {zh: 问, en: ''}}\n",
            "line 9: question q label has no text in language 'en'",
        ),
        (
            "      - {id: q, type: text, label: {zh: 问, en: Q}, hint: {zh: 提示}}\n",
            "line 9: question q hint has no text in language 'en'",
        ),
        (
            "      - {id: q, type: integer, label: {zh: 问, en: Q}, constraint: '. > 0',"
            " constraint_message: {en: Positive}}\n",
            "line 9: question q constraint_message has no text in language 'zh'",
        ),
        (
            "      - {id: q, type: text, label: {zh: 问, en: Q}, required: yes}\n",
            "line 9: required must be true or false: 'yes'",
        ),
        (
            "      - {id: q, type: select_one, label: {zh: 问, en: Q}}\n",
            "line 9: question q is select_one but has no choices",
        ),
        (
            "      - {id: q, type: integer, label: {zh: 问, en: Q}, choices: [{code: a, label: "
            "{zh: 甲, en: A}}]}\n",
            "line 9: question q is integer: it takes no choices",
        ),
        (
            "      - {id: q, type: select_one, label: {zh: 问, en: Q},"
            " choices: [{code: a b, label: {zh: 甲, en: A}}]}\n",
            "line 9: a choice code cannot contain spaces",
        ),
        (
            "      - id: q\n        type: select_one\n        label: {zh: 问, en: Q}\n"
            "        choices:\n          - {code: a, label: {zh: 甲, en: A}}\n"
            "          - {code: a, label: {zh: 乙, en: B}}\n",
            "line 14: code 'a' appears twice in question q choices (first on line 13)",
        ),
        (
            "      - id: q\n        type: select_multiple\n        label: {zh: 问, en: Q}\n"
            "        exclusive: [nothing]\n"
            "        choices:\n          - {code: a, label: {zh: 甲, en: A}}\n",
            "line 12: question q: exclusive names codes it does not have: 'nothing'",
        ),
        (
            "      - {id: q, type: text, label: {zh: 问, en: Q}, relevant: '. = 1'}\n",
            "line 9: question q relevant uses '.', which only a constraint can use",
        ),
        (
            "      - {id: q, type: text, label: {zh: 问, en: Q}, relevant: '${q} = 1'}\n",
            "line 9: question q relevant refers to ${q}, which is not asked before it",
        ),
        (
            "      - {id: n, type: note, label: {zh: 注, en: Note}}\n"
            "      - {id: q, type: text, label: {zh: 问, en: Q}, relevant: \"${n} = ''\"}\n",
            "line 10: question q relevant refers to ${n}, a note that takes no answer",
        ),
        (
            "      - {id: n, type: note, label: {zh: 注, en: Note}, required: true}\n",
            "line 9: question n is a note: it takes no answer",
        ),
        (
            "      - {id: q, type: select_multiple, label: {zh: 问, en: Q},"
            " choices: [{code: a, label: {zh: 甲, en: A}}]}\n"
            "      - {id: r, type: text, label: {zh: 问, en: R},"
            " relevant: \"selected(${q}, 'b')\"}\n",
            "line 10: question r relevant compares ${q} with 'b', which is not one of its codes",
        ),
    ],
)
def test_question_problems(questions, expected):
    assert any(expected in problem for problem in problems_of(with_questions(questions)))


def test_references_to_a_question_with_problems_are_not_reported_again():
    problems = problems_of(
        with_questions(
            "      - {id: q, type: txt, label: {zh: 问, en: Q}}\n"
            "      - {id: r, type: text, label: {zh: 问, en: R}, relevant: \"${q} != ''\"}\n"
        )
    )
    assert len(problems) == 1 and "unknown type: 'txt'" in problems[0]


def test_a_constraint_may_name_its_own_question():
    questionnaire = questionnaire_from_yaml(
        with_questions(
            "      - {id: q, type: integer, label: {zh: 问, en: Q}, constraint: '${q} >= 0'}\n"
        )
    )
    assert questionnaire["q"].constraint == "${q} >= 0"


def test_a_section_condition_must_use_earlier_questions():
    text = with_questions(
        "      - {id: q, type: integer, label: {zh: 问, en: Q}}\n"
        "  - id: B\n"
        "    title: {zh: 乙, en: B}\n"
        "    relevant: '${q} > 0 and ${r} > 0'\n"
        "    questions:\n"
        "      - {id: r, type: integer, label: {zh: 问, en: R}}\n"
    )
    assert problems_of(text) == [
        "q.yaml, line 12: section B relevant refers to ${r}, which is not asked before it (line 14)"
    ]


SCORED = with_questions(
    "      - {id: q, type: select_one, label: {zh: 问, en: Q}, choices: [{code: a, label: "
    "{zh: 甲, en: A}}, {code: b, label: {zh: 乙, en: B}}]}\n"
    "      - {id: n, type: integer, label: {zh: 数, en: N}}\n",
    "scoring:\n  dimensions:\n    - id: d\n      label: {zh: 维, en: D}\n{dimension}"
    "      items:\n{items}  levels:\n{levels}",
)
ITEM = "        - {question: q, points: {a: 100}}\n"
LEVELS = (
    "    - {id: low, label: {zh: 低, en: Low}, min: 0, max: 50}\n"
    "    - {id: high, label: {zh: 高, en: High}, min: 50, max: 100}\n"
)


def scored(dimension: str = "", items: str = ITEM, levels: str = LEVELS) -> str:
    return (
        SCORED.replace("{dimension}", dimension)
        .replace("{items}", items)
        .replace("{levels}", levels)
    )


def test_a_scored_questionnaire_loads():
    scoring = questionnaire_from_yaml(scored()).scoring
    assert scoring.dimensions[0].items[0].points == {"a": 100.0}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"items": "        - {question: zz, points: {a: 1}}\n"},
            "line 16: dimension d scores a question that does not exist: 'zz'",
        ),
        (
            {"items": "        - {question: n, points: {1: 1}}\n"},
            "line 16: dimension d scores n, a integer question",
        ),
        (
            {"items": "        - {question: q, points: {c: 1}}\n"},
            "line 16: dimension d: points for a code q does not have: 'c'",
        ),
        (
            {"items": "        - {question: q, points: {a: 120}}\n"},
            "line 16: points for a is out of range: '120' (expected: a number from 0 to 100)",
        ),
        (
            {"items": "        - {question: q, points: {a: lots}}\n"},
            "line 16: points for a must be a number: 'lots'",
        ),
        (
            {"items": "        - {question: q, weight: 0, points: {a: 1}}\n"},
            "line 16: item weight is out of range: '0' (expected: a number above 0)",
        ),
        (
            {"dimension": "      min_answered: 2\n"},
            "line 15: dimension d min_answered is out of range",
        ),
        (
            {"dimension": "      applies_if: \"${q} = 'z'\"\n"},
            "line 15: dimension d applies_if compares ${q} with 'z', which is not one of its codes",
        ),
        (
            {"dimension": "      applies_if: \"${zz} = 'a'\"\n"},
            "line 15: dimension d applies_if refers to ${zz}, which is not a question",
        ),
        (
            {
                "levels": "    - {id: low, label: {zh: 低, en: Low}, min: 0, max: 60}\n"
                "    - {id: high, label: {zh: 高, en: High}, min: 50, max: 100}\n"
            },
            "line 19: level high overlaps level low: its min should be 60: '50'",
        ),
        (
            {
                "levels": "    - {id: low, label: {zh: 低, en: Low}, min: 0, max: 50}\n"
                "    - {id: high, label: {zh: 高, en: High}, min: 50, max: 90}\n"
            },
            "line 17: levels must cover every score from 0 to 100: '0 to 90'",
        ),
        (
            {"levels": "    - {id: low, label: {zh: 低, en: Low}, min: 50, max: 0}\n"},
            "line 18: level low: min must be below max",
        ),
        (
            {
                "levels": "    - {id: low, label: {zh: 低, en: Low}, min: 0, max: 50}\n"
                "    - {id: low, label: {zh: 高, en: High}, min: 50, max: 100}\n"
            },
            "line 19: level id 'low' is used twice",
        ),
    ],
)
def test_scoring_problems(changes, expected):
    problems = problems_of(scored(**changes))
    assert any(expected in problem for problem in problems), problems


def test_missing_keys_are_named_once_each():
    problems = problems_of("languages: [en]\nsections:\n  - questions:\n      - {type: text}\n")
    assert problems == [
        "q.yaml, line 1: name is missing",
        "q.yaml, line 1: version is missing",
        "q.yaml, line 1: title is missing",
        "q.yaml, line 3: a section id is missing",
        "q.yaml, line 3: section 1 title is missing",
        "q.yaml, line 4: a question id is missing",
        "q.yaml, line 4: question 1 of section 1 label is missing",
    ]


def test_top_level_problems_are_all_reported():
    problems = problems_of(
        "name: Bad Name\nversion: 1\ntitle: {zh: 标题}\nlanguages: [zh, en, zh]\n"
        "default_language: fr\nmetadata: [start, gps]\ncolour: blue\nsections: []\n"
    )
    expected = [
        "line 1: name is not a valid name: 'Bad Name'",
        "line 3: title has no text in language 'en'",
        "line 4: language listed twice: 'zh'",
        "line 5: default_language is not one of the languages: 'fr'",
        "line 6: unknown metadata field: 'gps'",
        "line 7: the questionnaire has an unknown key 'colour'",
        "line 8: sections must be a non-empty list",
    ]
    for phrase in expected:
        assert any(phrase in problem for problem in problems), (phrase, problems)


def test_from_dict_reports_rows_given_by_the_locator():
    data = {
        "name": "form",
        "version": "1",
        "title": {"en": "Form"},
        "languages": ["en"],
        "sections": [
            {
                "id": "main",
                "title": {"en": "Main"},
                "questions": [
                    {"id": "age", "type": "integer", "label": {"en": "Age"}},
                    {"id": "ok", "type": "text", "label": {"en": "OK"}, "relevant": "${agee} > 1"},
                ],
            }
        ],
    }
    rows = {("sections", 0, "questions", 1): 3}

    def locate(path):
        for end in range(len(path), 0, -1):
            if path[:end] in rows:
                return {"row": rows[path[:end]], "column": path[-1]}
        return None

    with pytest.raises(QuestionnaireError) as caught:
        questionnaire_from_dict(data, source="form.xlsx", locate=locate)
    (problem,) = caught.value.problems
    assert (problem.file, problem.row, problem.column) == ("form.xlsx", 3, "relevant")
    assert str(problem).startswith("form.xlsx, row 3, column relevant: question ok relevant")
    data["sections"][0]["questions"][1]["relevant"] = "${age} > 1"
    questionnaire = questionnaire_from_dict(data, source="form.xlsx")
    assert questionnaire.source == "form.xlsx" and questionnaire.sha256 is None


def test_from_dict_accepts_numbers_and_booleans_as_python_values():
    data = {
        "name": "form",
        "version": 2,
        "title": {"en": "Form"},
        "languages": ["en"],
        "sections": [
            {
                "id": "main",
                "title": {"en": "Main"},
                "questions": [
                    {
                        "id": "rating",
                        "type": "select_one",
                        "label": {"en": "Rating"},
                        "required": True,
                        "choices": [
                            {"code": 1, "label": {"en": "Low"}},
                            {"code": 2, "label": "High"},
                        ],
                    }
                ],
            }
        ],
        "scoring": {
            "dimensions": [
                {
                    "id": "d",
                    "label": {"en": "D"},
                    "items": [{"question": "rating", "points": {2: 100, 1: 0.5}}],
                }
            ]
        },
    }
    questionnaire = questionnaire_from_dict(data, source="form.xlsx")
    assert questionnaire.version == "2"
    assert questionnaire["rating"].choice_codes == ("1", "2")
    assert questionnaire.scoring.dimensions[0].items[0].points == {"2": 100.0, "1": 0.5}


def test_an_xlsform_path_goes_through_the_converter(tmp_path):
    import openpyxl
    workbook = openpyxl.Workbook()
    survey = workbook.active
    survey.title = "survey"
    for row in (
        ("type", "name", "label::English (en)", "relevant"),
        ("select_one yn", "likes", "Do you like it?", ""),
        ("integer", "how_much", "How much?", "${likes} = 'yes'"),
    ):
        survey.append(row)
    choices = workbook.create_sheet("choices")
    for row in (
        ("list_name", "name", "label::English (en)"),
        ("yn", "yes", "Yes"),
        ("yn", "no", "No"),
    ):
        choices.append(row)
    path = tmp_path / "form.xlsx"
    workbook.save(path)
    questionnaire = load_questionnaire(path)
    assert questionnaire["likes"].choice_codes == ("yes", "no")
    assert questionnaire["how_much"].relevant == "${likes} = 'yes'"
    assert questionnaire.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_public_api_iterates_and_gives_a_codebook():
    import dmsurvey

    questionnaire = dmsurvey.load_questionnaire("sme-digital-2020")
    ids = [question.id for section in questionnaire for question in section]
    assert ids == [question.id for question in questionnaire.questions]
    assert {"firm_name", "industry", "tech_used", "self_maturity"} <= set(ids)
    codebook = questionnaire.codebook("en")
    tech = codebook[codebook["question"] == "tech_used"]
    assert tech["code"].tolist() == list(questionnaire["tech_used"].choice_codes)
    assert "sme-digital-2020" in [info.name for info in dmsurvey.list_bundled()]


def test_anchors_may_share_texts_but_cannot_expand_without_end():
    shared = questionnaire_from_yaml(
        with_questions(
            "      - {id: q, type: text, label: &same {zh: 问, en: Q}}\n"
            "      - {id: r, type: text, label: *same}\n"
        )
    )
    assert shared["r"].label == shared["q"].label
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for number in range(1, 7):
        before, name = chr(96 + number), chr(97 + number)
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{before}"] * 10) + "]")
    assert problems_of("\n".join(levels) + "\n") == [
        "q.yaml, line 1: the YAML aliases here repeat without end"
    ]
    assert problems_of("a: &x [*x]\n") == [
        "q.yaml, line 1: the YAML aliases here repeat without end"
    ]
