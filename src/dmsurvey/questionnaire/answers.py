"""Whether an answer fits its question: one set of rules for every way an answer comes in.

    >>> checker = AnswerChecker(questionnaire)
    >>> checker.read(questionnaire["employees_2019"], "1,200")
    1200
    >>> checker.judge(questionnaire["employees_2019"], "-4", answers={})
    Traceback (most recent call last):
    InvalidAnswer: not allowed

The interview, paper keying, reconciliation and the merge judge one answer at a time with
`AnswerChecker`; the import and `dmsurvey validate` judge whole columns with
`dmsurvey.questionnaire.answer_columns`, which applies these same functions once per
*distinct* value of a column (a column of 100,000 cells holds a few hundred distinct texts),
so the two ways agree by construction.

An answer is judged in this order:

1. reading: the text typed, read from a file or stored becomes the canonical value (a code,
   codes joined by spaces in choice order, int, float or stripped text); numbers accept
   thousands separators and full-width digits, choices accept codes and labels;
2. the rules of the question's type (`RULES`): the exclusive choices of a multi-select, the
   `format` of a text (a credit code's check character), and
   whatever else is registered with `@rule("integer")` and the like;
3. the question's `constraint`, with the other answers of the response;
4. `required`, only while asking: a blank answer to a required question is refused by the
   interview and the entry template, but stored as missing by an import (item non-response).

Nothing here imports pandas, so the interview starts quickly.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from dmsurvey.questionnaire.formats import FORMAT_EXPECTATIONS, format_problem
from dmsurvey.questionnaire.model import QUESTION_TYPES, Question, Questionnaire, Text
from dmsurvey.questionnaire.values import (
    INTEGER_RANGE,
    LARGEST_INTEGER,
    TEXT_EXPECTED,
    control_character_at,
    control_character_problem,
    integer_problem,
)
from dmsurvey.questionnaire.xlsform_values import (
    PARSED_EXPECTED,
    PARSED_TYPES,
    canonical_answer,
)

# Digits grouped in thousands ("1,234,567.8") or not grouped at all ("1234567.8", "1.5e-07").
GROUPED_NUMBER = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# Chinese input methods type these for "." and ","; NFKC leaves them alone.
_IDEOGRAPHIC_PUNCTUATION = str.maketrans({"。": ".", "、": ","})
COMMAS = ",，、"
SEMICOLONS = re.compile(r"\s*[;；]\s*")
COMMA_MESSAGE = "choices separated by commas"
# Beyond this a float no longer holds every whole number exactly.
EXACT_INTEGER_LIMIT = LARGEST_INTEGER


@dataclass(frozen=True)
class Flaw:
    """Why an answer does not fit its question.

    `rule` names the rule broken (type, choice, exclusive, constraint, required, or the name
    of a registered rule); `message` and `expected` say it as a problem report does; `key`,
    `label` and `choice` let the interview say it on screen in its own language (`key` names
    a message of the interview, `label` is the questionnaire's own message, such as the
    constraint message, and `choice` the label of the choice the message is about).
    """

    rule: str
    message: str
    expected: str
    key: str = ""
    label: Text | None = None
    choice: Text | None = None
    # Values the interview's message `key` fills in, such as the place of a character.
    fields: tuple[tuple[str, object], ...] = ()


class InvalidAnswer(ValueError):
    """An answer that does not fit its question; `flaw` says why."""

    def __init__(self, flaw: Flaw):
        super().__init__(flaw.message)
        self.flaw = flaw


# -- rules by type ---------------------------------------------------------------------------

# A rule sees one answer already read (never None) and returns a Flaw, or None if it is fine.
AnswerRule = Callable[[Question, Any], "Flaw | None"]
RULES: dict[str, list[AnswerRule]] = {kind: [] for kind in QUESTION_TYPES}


def rule(*types: str) -> Callable[[AnswerRule], AnswerRule]:
    """Register a rule for answers of the given question types.

    Every way in applies it: the interview, the import (once per distinct value), the merge,
    reconciliation and `validate`, so a rule added here is enforced everywhere at once.
    """

    def register(function: AnswerRule) -> AnswerRule:
        for kind in types:
            RULES[kind].append(function)
        return function

    return register


@rule("select_multiple")
def exclusive_choices(question: Question, value: str) -> Flaw | None:
    """`none` (or another exclusive code) cannot be ticked with other choices."""
    codes = value.split()
    for code in question.exclusive:
        if code in codes and len(codes) > 1:
            return Flaw("exclusive", f"{code!r} cannot be combined with other choices",
                        f"{code!r} alone", key="exclusive", choice=question.choice(code).label)
    return None


@rule("integer")
def storable_integer(question: Question, value: int) -> Flaw | None:
    """Whole numbers beyond 2**53 would be rounded by Stata, SPSS and every float."""
    problem = integer_problem(value)
    if problem is None:
        return None
    return Flaw("range", problem, INTEGER_RANGE, key="integer_too_large")


@rule("text")
def no_control_characters(question: Question, value: str) -> Flaw | None:
    """Control characters break Excel files and drive terminals; tabs and line breaks are text."""
    place = control_character_at(value)
    if place is None:
        return None
    return Flaw("text", control_character_problem(value), TEXT_EXPECTED,
                key="control_character", fields=(("place", place),))


@rule("text")
def answer_format(question: Question, value: Any) -> Flaw | None:
    """A text question with a `format` (such as `credit_code`) refuses answers without it,
    saying why in each tool language."""
    if not question.format:
        return None
    problem = format_problem(question.format, str(value))
    if problem is None:
        return None
    return Flaw("format", problem.en, FORMAT_EXPECTATIONS[question.format],
                label=Text({"en": problem.en, "zh": problem.zh}))


def rule_flaw(question: Question, value: Any) -> Flaw | None:
    """The first registered rule `value` breaks, or None."""
    for check in RULES.get(question.type, ()):
        flaw = check(question, value)
        if flaw is not None:
            return flaw
    return None


# -- reading ---------------------------------------------------------------------------------


def parse_number(text: str, *, integer: bool) -> int | float | None:
    """`text` as typed (thousands separators, full-width digits) -> int/float, or None if empty.

    Raises ValueError when it is not a number (or not a whole number when `integer`).
    """
    cleaned = unicodedata.normalize("NFKC", text).translate(_IDEOGRAPHIC_PUNCTUATION).strip()
    if not cleaned:
        return None
    # Spaces group thousands in some locales ("1 234"); treat them like commas.
    cleaned = re.sub(r"\s+", ",", cleaned)
    if not (GROUPED_NUMBER.fullmatch(cleaned) or PLAIN_NUMBER.fullmatch(cleaned)):
        raise ValueError(f"not a number: {text!r}")
    cleaned = cleaned.replace(",", "")
    number = float(cleaned)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {text!r}")
    if not integer:
        return number
    if not number.is_integer():
        raise ValueError(f"not a whole number: {text!r}")
    if abs(number) < EXACT_INTEGER_LIMIT or "e" in cleaned.lower():
        return int(number)
    whole, _, fraction = cleaned.partition(".")
    if fraction.strip("0"):
        raise ValueError(f"not a whole number: {text!r}")
    return int(whole)


def number_flaw(question: Question, text: str) -> tuple[int | float | None, Flaw | None]:
    """(the number `text` is, None) or (None, why it is not one) for a numeric question."""
    integer = question.type == "integer"
    try:
        return parse_number(text, integer=integer), None
    except ValueError as error:
        reason = str(error).partition(":")[0]
        return None, Flaw("type", reason, number_expectation(question), key=number_key(question))


def number_expectation(question: Question) -> str:
    return "a whole number" if question.type == "integer" else "a number"


def number_key(question: Question) -> str:
    """The interview's message for a number it cannot read."""
    return "not_integer" if question.type == "integer" else "not_decimal"


def choice_lookup(question: Question, questionnaire: Questionnaire) -> dict[str, int]:
    """Text a cell may hold -> position of the choice: codes, then labels in each language."""
    lookup: dict[str, int] = {}
    for position, choice in enumerate(question.choices):
        lookup[choice.code] = position
        if choice.code.lstrip("-").isdigit():
            lookup.setdefault(f"{choice.code}.0", position)
    for language in questionnaire.languages:
        for position, choice in enumerate(question.choices):
            label = choice.label.in_language(language).strip()
            if label:
                lookup.setdefault(label, position)
    for text, position in list(lookup.items()):
        lookup.setdefault(text.casefold(), position)
    return lookup


def find_choice(text: str, lookup: Mapping[str, int]) -> int:
    """The position of the choice `text` names (code or label), or -1."""
    position = lookup.get(text)
    return lookup.get(text.casefold(), -1) if position is None else position


def choice_mask(text: str, lookup: Mapping[str, int]) -> tuple[int, str | None]:
    """(bit mask of the choices, problem or None) for one multi-select text.

    Choices are separated by spaces or semicolons; a whole label with spaces counts as one.
    """
    whole = find_choice(text, lookup)
    if whole >= 0:
        return 1 << whole, None
    if any(comma in text for comma in COMMAS):
        return 0, COMMA_MESSAGE
    parts = SEMICOLONS.split(text) if SEMICOLONS.search(text) else text.split()
    mask = 0
    for part in parts:
        position = find_choice(part, lookup)
        if position < 0:
            return 0, f"unknown choice {part!r} in"
        mask |= 1 << position
    return mask, None


def joined(mask: int, codes: Sequence[str]) -> str | None:
    """The canonical multi-select value of a bit mask: codes in choice order (None for 0)."""
    return " ".join(code for bit, code in enumerate(codes) if mask >> bit & 1) or None


def choice_expectation(question: Question) -> str:
    many = "codes among " if question.type == "select_multiple" else "one of "
    return many + ", ".join(question.choice_codes) + " (or their labels)"


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    # pandas.NA and NaT, recognised without importing pandas.
    return type(value).__name__ in ("NAType", "NaTType")


@cache
def expression(source: str):
    """A parsed XLSForm expression, kept: the same rules are evaluated again and again."""
    # Imported here: the expression module is only needed once answers are judged.
    from dmsurvey.questionnaire.expressions import parse_expression

    return parse_expression(source)


# -- judging one answer ----------------------------------------------------------------------


class AnswerChecker:
    """Judges answers to the questions of one questionnaire, one value at a time."""

    def __init__(self, questionnaire: Questionnaire, context: Any = None):
        """`context` (an `expressions.Context`) is what the skip logic and constraints read
        besides the answers: the language of `jr:choice-name`, the CSV files of `pulldata`."""
        self.questionnaire = questionnaire
        self.context = context
        self._lookups: dict[str, dict[str, int]] = {}
        self._sections = {section.id: section for section in questionnaire.sections}

    def lookup(self, question: Question) -> dict[str, int]:
        if question.id not in self._lookups:
            self._lookups[question.id] = choice_lookup(question, self.questionnaire)
        return self._lookups[question.id]

    def read(self, question: Question, raw: Any) -> Any:
        """What was typed, ticked, read or stored -> the canonical value (None for blank).

        Raises `InvalidAnswer` when it is not of the question's type, names an unknown
        choice or breaks a rule of its type (see `RULES`).
        """
        value = self._read_type(question, raw)
        if value is not None:
            flaw = rule_flaw(question, value)
            if flaw is not None:
                raise InvalidAnswer(flaw)
        return value

    def _read_type(self, question: Question, raw: Any) -> Any:
        if is_blank(raw) or not question.asks_for_answer:
            return None
        if question.type == "select_multiple":
            text = raw if isinstance(raw, str) else " ".join(str(code) for code in raw)
            mask, problem = choice_mask(text.strip(), self.lookup(question))
            if problem is not None:
                raise InvalidAnswer(Flaw("choice", problem, choice_expectation(question)))
            return joined(mask, question.choice_codes)
        if question.type == "select_one":
            position = find_choice(str(raw).strip(), self.lookup(question))
            if position < 0:
                raise InvalidAnswer(Flaw("choice", "unknown choice",
                                         choice_expectation(question)))
            return question.choice_codes[position]
        if question.is_numeric:
            if isinstance(raw, float) and not math.isfinite(raw):
                raise InvalidAnswer(Flaw("type", "not a finite number",
                                         number_expectation(question), key=number_key(question)))
            if isinstance(raw, int | float) and not isinstance(raw, bool):
                raw = repr(raw) if isinstance(raw, float) else str(raw)
            number, flaw = number_flaw(question, str(raw))
            if flaw is not None:
                raise InvalidAnswer(flaw)
            return number
        if question.type in PARSED_TYPES:
            try:
                return canonical_answer(question.type, raw, question.choice_codes)
            except ValueError as error:
                raise InvalidAnswer(Flaw("type", str(error), PARSED_EXPECTED[question.type],
                                         key=f"not_{question.type}")) from None
        return str(raw).strip() or None

    def applies(self, question: Question, answers: Mapping[str, Any]) -> bool:
        """Whether the skip logic (section and question `relevant`) asks `question`."""
        section = self._sections[question.section]
        return all(expression(source).holds(answers, context=self.context)
                   for source in (section.relevant, question.relevant) if source)

    def constraint_flaw(self, question: Question, value: Any,
                        answers: Mapping[str, Any]) -> Flaw | None:
        """Why `value` breaks the question's constraint given the other `answers`, or None."""
        if value is None or not question.constraint:
            return None
        if expression(question.constraint).holds(answers, current=value, context=self.context):
            return None
        return Flaw("constraint", "not allowed", constraint_expectation(question),
                    key="constraint", label=question.constraint_message)

    def judge(self, question: Question, raw: Any, answers: Mapping[str, Any], *,
              asking: bool = True) -> Any:
        """The canonical value of `raw` as the answer to `question` among `answers`.

        `asking`: the answer is being given (interview, template, reconciliation), so a
        required question may not be left blank; a stored or imported blank is item
        non-response, not an error.
        """
        value = self.read(question, raw)
        if value is None:
            if asking and question.required:
                raise InvalidAnswer(Flaw("required", "no answer", required_expectation(question),
                                         key="required", label=question.required_message))
            return None
        flaw = self.constraint_flaw(question, value, answers)
        if flaw is not None:
            raise InvalidAnswer(flaw)
        return value

    def flaws(self, answers: Mapping[str, Any]) -> list[tuple[Question, Flaw]]:
        """What is wrong with a stored response's answers: every answer that could not be
        stored today (type, choice, rules, constraint). Blanks and the skip logic are
        `validate`'s to report, not errors."""
        found = []
        for question in self.questionnaire.answerable:
            raw = answers.get(question.id)
            try:
                value = self.read(question, raw)
            except InvalidAnswer as invalid:
                found.append((question, invalid.flaw))
                continue
            flaw = self.constraint_flaw(question, value, answers)
            if flaw is not None:
                found.append((question, flaw))
        return found


def constraint_expectation(question: Question, language: str | None = "en") -> str:
    """What a constraint expects: the questionnaire's message, else the expression itself."""
    if question.constraint_message:
        return question.constraint_message.in_language(language)
    return f"a value for which {question.constraint} holds"


def required_expectation(question: Question, language: str | None = "en") -> str:
    reason = (question.required_message.in_language(language) if question.required_message
              else "the question is required")
    return f"an answer; {reason}"
