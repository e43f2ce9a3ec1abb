"""The unified social credit code: its check character (GB 32100-2015) and where it is refused."""

from __future__ import annotations

import pytest

from dmsurvey.errors import DataError, QuestionnaireError
from dmsurvey.interview.engine import Interview, InvalidAnswer
from dmsurvey.questionnaire.formats import (
    CREDIT_CODE_CHARACTERS,
    CREDIT_CODE_WEIGHTS,
    credit_code_check_character,
    credit_code_problem,
)
from dmsurvey.questionnaire.loader import questionnaire_from_yaml
from dmsurvey.store.importing import import_files
from dmsurvey.store.study import init_study

# Codes whose check characters are worked by hand in published explanations of the standard.
VALID = [
    "91512081MA62K0260E",
    "9131000063159284XQ",
    "91350100M000100Y43",  # the standard's example with its check character corrected
    "91310112ma1633grcw",  # case does not matter
    "9131 0112 MA16 33GR CW",  # nor do spaces
]


def by_hand(first_17: str) -> str:
    """The check character computed from the standard's tables, written out."""
    values = {character: value for value, character in enumerate("0123456789ABCDEFGHJKLMNPQRTUWXY")}
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    remainder = sum(values[c] * w for c, w in zip(first_17, weights, strict=True)) % 31
    value = 31 - remainder
    return "0123456789ABCDEFGHJKLMNPQRTUWXY"[0 if value == 31 else value]


def test_the_tables_are_those_of_the_standard():
    assert len(CREDIT_CODE_CHARACTERS) == 31
    assert not set("IOSVZ") & set(CREDIT_CODE_CHARACTERS)
    assert CREDIT_CODE_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_pass(code):
    assert credit_code_problem(code) is None


def test_the_worked_example_of_the_standard():
    # 91350100M000100Y4: sum of value x weight is 1640, 1640 mod 31 = 28, 31 - 28 = 3.
    assert credit_code_check_character("91350100M000100Y4") == "3"
    assert credit_code_check_character("91512081MA62K0260") == "E"


def test_every_sample_code_and_many_made_up_ones_agree_with_a_hand_computation(firms):
    import random

    generator = random.Random(3)
    made_up = ["".join(generator.choice(CREDIT_CODE_CHARACTERS) for _ in range(2))
               + "".join(generator.choice("0123456789") for _ in range(6))
               + "".join(generator.choice(CREDIT_CODE_CHARACTERS) for _ in range(9))
               for _ in range(500)]
    for first_17 in made_up:
        assert credit_code_check_character(first_17) == by_hand(first_17)
    codes = firms["credit_code"].dropna()
    assert len(codes) >= 90 and codes.is_unique
    for code in codes:
        assert code[17] == by_hand(code[:17])


@pytest.mark.parametrize(
    ("code", "english", "chinese"),
    [
        ("91512081MA62K0260F", "check character (the 18th) should be E, not F", "校验码"),
        ("91512081MA62K026E", "has 17", "17位"),
        ("91512081MA62K0260EE", "has 19", "19位"),
        ("91512081MA62KO260E", "no character O", "不含字符 O"),
        ("91512081MI62K026SE", "no character I S", "不含字符 I S"),
        ("9151A081MA62K0260E", "administrative division code", "行政区划码"),
        # Two neighbouring characters swapped: a typing slip the check character catches.
        ("91512081MA62K0206E", "check character", "校验码"),
    ],
)
def test_invalid_codes_are_refused_with_the_reason(code, english, chinese):
    problem = credit_code_problem(code)
    assert problem is not None
    assert english in problem.in_language("en")
    assert chinese in problem.in_language("zh")


def test_the_interview_refuses_a_wrong_code_with_the_reason(questionnaire):
    interview = Interview(questionnaire, language="zh")
    question = questionnaire["credit_code"]
    assert question.firm_key and question.format == "credit_code" and not question.required
    with pytest.raises(InvalidAnswer, match="校验码（第18位）应为E"):
        interview.parse("91512081MA62K0260F", question)
    assert interview.parse(" 91512081MA62K0260E ", question) == "91512081MA62K0260E"
    assert interview.parse("", question) is None


def test_an_import_refuses_a_wrong_code_naming_row_column_value_and_reason(tmp_path):
    study = init_study(tmp_path / "study")
    path = tmp_path / "firms.csv"
    path.write_text("response_id,status,firm_name,credit_code\n"
                    "a,in_progress,甲公司,91512081MA62K0260E\n"
                    "b,in_progress,乙公司,\n"
                    "c,in_progress,丙公司,91512081MA62K0260F\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        import_files(study, [path])
    [problem] = caught.value.problems
    assert (problem.row, problem.column, problem.value) == (4, "credit_code", "91512081MA62K0260F")
    assert "should be E, not F" in problem.message
    assert "unified social credit code" in problem.expected
    assert study.response_ids() == []


FORMAT_YAML = """\
name: keyed
version: "1"
title: {en: Keyed}
languages: [en]
sections:
  - id: A
    title: {en: A}
    questions:
"""


def loading_problems(questions: str) -> list[str]:
    with pytest.raises(QuestionnaireError) as caught:
        questionnaire_from_yaml(FORMAT_YAML + questions)
    return [problem.message for problem in caught.value.problems]


def test_a_questionnaire_marks_one_text_question_as_the_firm_key():
    keyed = questionnaire_from_yaml(FORMAT_YAML + """\
      - {id: code, type: text, label: {en: Code}, format: credit_code, firm_key: true}
      - {id: name, type: text, label: {en: Name}}
""")
    assert keyed.firm_key.id == "code"
    assert questionnaire_from_yaml(FORMAT_YAML.replace("keyed", "plain") + """\
      - {id: name, type: text, label: {en: Name}}
""").firm_key is None


@pytest.mark.parametrize(
    ("questions", "expected"),
    [
        ("      - {id: code, type: text, label: {en: C}, format: iban}\n", "unknown format"),
        ("      - {id: size, type: integer, label: {en: S}, format: credit_code}\n",
         "only a text question can have a format"),
        ("      - {id: size, type: integer, label: {en: S}, firm_key: true}\n",
         "a firm key is a text question"),
        ("      - {id: a, type: text, label: {en: A}, firm_key: true}\n"
         "      - {id: b, type: text, label: {en: B}, firm_key: true}\n",
         "a is already the firm key"),
    ],
)
def test_mistakes_in_formats_and_keys_are_named(questions, expected):
    assert any(expected in message for message in loading_problems(questions))


def test_a_file_without_the_credit_code_column_still_imports(tmp_path, firms):
    study = init_study(tmp_path / "study")
    path = tmp_path / "old-export.csv"
    firms.drop(columns="credit_code").to_csv(path, index=False)
    import_files(study, [path])
    stored = study.responses()
    assert len(stored) == len(firms) and stored["credit_code"].isna().all()
