"""Answers typed to freeze, crash or garble the interview: refused with a message, never lost."""

from __future__ import annotations

import pytest

from dmsurvey.interview.engine import Interview, InvalidAnswer
from dmsurvey.questionnaire.loader import load_questionnaire
from dmsurvey.store.study import init_study, open_study

from .terminal import BACKSPACE, CTRL_C, ENTER, Terminal

HOSTILE_YAML = """\
name: hostile
version: "1"
title: {en: Hostile input}
languages: [en]
sections:
  - id: A
    title: {en: Firm}
    questions:
      - id: firm_name
        type: text
        label: {en: Firm name}
        constraint: "regex(., '^([A-Za-z]+ ?)+$')"
        constraint_message: {en: Letters and single spaces only}
      - id: employees
        type: integer
        label: {en: Employees}
      - id: revenue
        type: decimal
        label: {en: Revenue}
"""
BACKTRACKING_NAME = "Acme" + "a" * 25 + "!"


@pytest.fixture
def hostile(tmp_path):
    path = tmp_path / "hostile.yaml"
    path.write_text(HOSTILE_YAML, encoding="utf-8")
    return path


@pytest.fixture
def interview(hostile):
    return Interview(load_questionnaire(hostile), {}, language="en")


def refusal(interview, question_id, raw) -> str:
    with pytest.raises(InvalidAnswer) as caught:
        interview.parse(raw, interview.questionnaire[question_id])
    return str(caught.value)


@pytest.mark.parametrize("typed", ["99999999999999999999", "9007199254740993", "-1" + "0" * 30])
def test_an_integer_too_large_to_store_exactly_gets_a_message(interview, typed):
    assert "Too large to store exactly" in refusal(interview, "employees", typed)


def test_the_largest_exact_integer_is_kept(interview):
    employees = interview.questionnaire["employees"]
    assert interview.parse("9,007,199,254,740,992", employees) == 2**53


def test_a_decimal_too_large_for_a_number_is_refused(interview):
    assert "Type a number" in refusal(interview, "revenue", "9" * 400)


@pytest.mark.parametrize(("typed", "place"), [("Acme\x1b[2J", 5), ("\x07ring", 1),
                                              ("a\x0bb", 2)])
def test_control_characters_are_refused_with_their_place(interview, typed, place):
    assert f"control character (at character {place})" in refusal(interview, "firm_name", typed)


@pytest.mark.slow
def test_a_backtracking_pattern_answers_at_once_and_a_huge_number_loses_nothing(
        tmp_path, hostile):
    study = init_study(tmp_path / "study", questionnaire=hostile)
    # Under a backtracking engine this answer took minutes; the wait below gives up at 10 s.
    terminal = Terminal("collect", str(study.path), "--lang", "en", timeout=10)
    try:
        terminal.expect("Start")
        terminal.send(ENTER)
        terminal.at("A · 1/")
        terminal.send(BACKTRACKING_NAME + ENTER)
        terminal.expect("Letters and single spaces only")
        terminal.send(BACKSPACE + ENTER)  # without the "!" the name is allowed
        terminal.at("A · 2/")
        terminal.send("99999999999999999999" + ENTER)
        terminal.expect("Too large to store exactly")
        terminal.send(BACKSPACE * 18 + ENTER)  # what was typed stays to be corrected: 99
        terminal.at("A · 3/")
        terminal.send(CTRL_C)
        terminal.expect("Pause")
        terminal.send(ENTER)
        status, printed = terminal.finish()
    finally:
        if terminal.child.isalive():
            terminal.kill()
    assert status == 0, printed
    (response_id,) = open_study(study.path).response_ids()
    answers = open_study(study.path).get_answers(response_id)
    assert answers["firm_name"] == BACKTRACKING_NAME[:-1]
    assert answers["employees"] == 99
