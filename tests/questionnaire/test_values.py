"""The rules on single values and patterns every path shares."""

from __future__ import annotations

import pytest

from dmsurvey.errors import QuestionnaireError
from dmsurvey.questionnaire.loader import load_questionnaire
from dmsurvey.questionnaire.values import (
    LARGEST_INTEGER,
    control_character_problem,
    integer_problem,
    printable,
)

PATTERN_YAML = """\
name: patterns
version: "1"
title: {en: Patterns}
languages: [en]
sections:
  - id: A
    title: {en: A}
    questions:
      - id: firm_name
        type: text
        label: {en: Firm name}
      - id: code
        type: text
        label: {en: Code}
        constraint: "regex(., '^(a)\\\\1$')"
"""


def test_a_pattern_the_linear_engine_cannot_run_is_refused_at_load_with_its_line(tmp_path):
    path = tmp_path / "patterns.yaml"
    path.write_text(PATTERN_YAML, encoding="utf-8")
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(path)
    (problem,) = caught.value.problems
    assert problem.line == 15
    assert "back-references" in problem.message


def test_integers_beyond_two_to_the_53_cannot_be_stored_exactly():
    assert integer_problem(LARGEST_INTEGER) is None
    assert integer_problem(-LARGEST_INTEGER) is None
    assert integer_problem(LARGEST_INTEGER + 1) == "too large to store exactly"
    assert integer_problem(-(10**400)) == "too large to store exactly"


def test_control_characters_are_found_but_tabs_and_line_breaks_are_text():
    assert control_character_problem("a\tb\nc\r\nd") is None
    assert control_character_problem("ab\rc") == (
        "control character U+000D (carriage return) at character 3")
    assert control_character_problem("\x85") == "control character U+0085 (control) at "\
        "character 1"


def test_printable_escapes_what_would_drive_a_terminal():
    shown = printable("id\x1b]0;owned\x07\x1b[2J\x9b")
    assert shown == "id\\x1b]0;owned\\x07\\x1b[2J\\x9b"
    assert not any(ord(character) < 32 or 127 <= ord(character) < 160 for character in shown)
    assert printable("张伟 Trading") == "张伟 Trading"


@pytest.mark.parametrize("weight", ["1e400", "1.0e400", "-1e309"])
def test_an_infinite_scoring_weight_is_refused_at_load_with_its_line(tmp_path, weight):
    from dmsurvey.questionnaire.bundled import bundled_path

    bundled = bundled_path("sme-digital-2020").read_text(encoding="utf-8")
    lines = bundled.splitlines()
    number = next(n for n, line in enumerate(lines) if line.strip() == "weight: 2")
    lines[number] = lines[number].replace("weight: 2", f"weight: {weight}")
    path = tmp_path / "weights.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(path)
    (problem,) = caught.value.problems
    assert problem.line == number + 1
    assert "weight is too large" in problem.message and "finite" in problem.expected
