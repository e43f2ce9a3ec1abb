"""The interview as a pure state machine: no terminal, no database.

An `Interview` walks a questionnaire over a dict of canonical answers: which question is on
screen, which comes next under the skip logic, going back, how far along it is, turning what
was typed or ticked into a canonical value (or a message saying why not), and the review list
at the end. The terminal prompts and the study store are wired to it by `session.py`, so
everything here can be tested with plain dicts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from dmsurvey.interview.messages import message
from dmsurvey.questionnaire.model import Question, Questionnaire, Section, Text

# Digits grouped in thousands ("1,234,567.8") or not grouped at all ("1234567.8").
_GROUPED_NUMBER = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
# Chinese input methods type these for "." and ","; NFKC leaves them alone.
_IDEOGRAPHIC_PUNCTUATION = str.maketrans({"。": ".", "、": ","})


class InvalidAnswer(ValueError):
    """What was typed or ticked cannot be the answer; the message says why, for the screen."""


@cache
def _expression(source: str):
    # Imported here: the expression module is only needed once an interview runs.
    from dmsurvey.questionnaire.expressions import parse_expression

    return parse_expression(source)


def parse_number(text: str, *, integer: bool) -> int | float | None:
    """`text` as typed (thousands separators, full-width digits) -> int/float, or None if empty.

    Raises ValueError when it is not a number (or not a whole number when `integer`).
    """
    cleaned = unicodedata.normalize("NFKC", text).translate(_IDEOGRAPHIC_PUNCTUATION).strip()
    if not cleaned:
        return None
    # Spaces group thousands in some locales ("1 234"); treat them like commas.
    cleaned = re.sub(r"\s+", ",", cleaned)
    if not (_GROUPED_NUMBER.fullmatch(cleaned) or _PLAIN_NUMBER.fullmatch(cleaned)):
        raise ValueError(f"not a number: {text!r}")
    cleaned = cleaned.replace(",", "")
    if not integer:
        return float(cleaned)
    whole, _, fraction = cleaned.partition(".")
    if fraction.strip("0"):
        raise ValueError(f"not a whole number: {text!r}")
    return int(whole)


def format_number(value: int | float) -> str:
    """A number as the interview shows it: no needless ".0", thousands grouped from 10,000
    (so that a year stays 2008)."""
    grouping = "," if abs(value) >= 10_000 else ""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:{grouping}}"
    return f"{int(value):{grouping}}"


@dataclass(frozen=True)
class Progress:
    section: str
    position: int  # 1-based among the questions that apply to this firm
    total: int

    def __str__(self) -> str:
        return f"{self.section} · {self.position}/{self.total}"


@dataclass(frozen=True)
class ReviewItem:
    question: Question
    shown: str  # the answer as the respondent would recognise it, or "" if unanswered


@dataclass(frozen=True)
class ReviewSection:
    section: Section
    items: tuple[ReviewItem, ...]


class Interview:
    """One firm's interview: the answers so far and the question on screen.

    `current` is the question being asked, or None once every question that applies has
    been reached (time for the review). Answers are canonical values (see the codebook):
    a code, codes joined by spaces, int, float or str.
    """

    def __init__(
        self,
        questionnaire: Questionnaire,
        answers: Mapping[str, object] | None = None,
        *,
        language: str | None = None,
        skip_notes: bool = False,
    ):
        self.questionnaire = questionnaire
        self.language = questionnaire.label_language(language)
        self.answers: dict[str, object] = {
            key: value for key, value in (answers or {}).items() if value not in (None, "")
        }
        # Clerks keying paper forms have no use for notes meant to be read out.
        self._steps = tuple(
            q for q in questionnaire.questions if q.asks_for_answer or not skip_notes
        )
        self._sections = {section.id: section for section in questionnaire.sections}
        self._position: int | None = None
        self.pick_up()

    # -- where we are -------------------------------------------------------------------

    @property
    def current(self) -> Question | None:
        return None if self._position is None else self._steps[self._position]

    @property
    def section(self) -> Section | None:
        question = self.current
        return None if question is None else self._sections[question.section]

    @property
    def at_first(self) -> bool:
        return self._previous_position() is None

    def applies(self, question: Question) -> bool:
        """Whether the skip logic (section and question `relevant`) asks this question."""
        section = self._sections[question.section]
        return all(
            _expression(rule).holds(self.answers)
            for rule in (section.relevant, question.relevant)
            if rule
        )

    def applicable(self) -> list[Question]:
        """The answerable questions that apply to this firm, given the answers so far."""
        return [q for q in self.questionnaire.answerable if self.applies(q)]

    def progress(self) -> Progress:
        applicable = self.applicable()
        question = self.current
        if question is None:
            return Progress("✓", len(applicable), len(applicable))
        ids = [q.id for q in applicable]
        # A note (or a question that stopped applying) counts as the one before it.
        before = {q.id for q in self._steps[: self._position + 1]}
        position = sum(1 for qid in ids if qid in before)
        return Progress(question.section, max(position, 1), len(applicable))

    # -- moving ----------------------------------------------------------------------------

    def resume(self, skipping: Collection[str] = ()) -> Question | None:
        """Go to the first applicable question without an answer (None: the review).

        Questions in `skipping` (say, ones already shown and left blank) are passed over.
        A fresh interview starts at the very first step, an introductory note included.
        """
        if not self.answers and not skipping:
            self._position = self._find(range(len(self._steps)))
            return self.current
        self._position = self._find(
            range(len(self._steps)),
            lambda q: q.asks_for_answer and q.id not in self.answers and q.id not in skipping,
        )
        return self.current

    def pick_up(self, paused_on: str | None = None) -> Question | None:
        """Go to where an interview left off (None: the review).

        That is the first question wanting an answer after the last one answered, in
        questionnaire order among those that apply, or `paused_on` (the question on screen
        when the interview was paused; "" for the review) if that comes later. Optional
        questions left blank before that point were seen and skipped on purpose, so they do
        not hold the interviewer back. A fresh interview starts at the very first step, an
        introductory note included.
        """
        answered = [
            index
            for index, question in enumerate(self._steps)
            if question.id in self.answers and self.applies(question)
        ]
        start = answered[-1] + 1 if answered else 0
        if paused_on == "":
            start = len(self._steps)
        elif paused_on is not None:
            on_screen = [i for i, q in enumerate(self._steps) if q.id == paused_on]
            start = max([start, *on_screen])
        if start == 0:
            return self.resume()
        self._position = self._find(range(start, len(self._steps)), lambda q: q.asks_for_answer)
        return self.current

    def advance(self) -> Question | None:
        """Go to the next applicable question after the current one (None: the review)."""
        start = -1 if self._position is None else self._position
        self._position = self._find(range(start + 1, len(self._steps)))
        return self.current

    def back(self) -> Question | None:
        """Go to the applicable question before the current one; stay if there is none."""
        previous = self._previous_position()
        if previous is not None:
            self._position = previous
        return self.current

    def go_to(self, question_id: str) -> Question:
        for index, question in enumerate(self._steps):
            if question.id == question_id:
                self._position = index
                return question
        raise KeyError(f"no question {question_id!r} in this interview")

    def _previous_position(self) -> int | None:
        end = len(self._steps) if self._position is None else self._position
        return self._find(range(end - 1, -1, -1))

    def _find(self, positions: Iterable[int], wanted=lambda question: True) -> int | None:
        for index in positions:
            question = self._steps[index]
            if self.applies(question) and wanted(question):
                return index
        return None

    # -- answers -------------------------------------------------------------------------

    def parse(self, raw: object, question: Question | None = None) -> object:
        """What the prompt returned (typed text, a code, ticked codes) -> canonical value.

        Checks the type, `required`, the `exclusive` codes and the `constraint`; raises
        `InvalidAnswer` with the questionnaire's own message (or the tool's) when it fails.
        """
        question = question or self.current
        if question is None or not question.asks_for_answer:
            return None
        value = self._canonical(question, raw)
        if value is None:
            if question.required:
                raise InvalidAnswer(
                    self.text(question.required_message) or message("required", self.language)
                )
            return None
        if question.constraint and not _expression(question.constraint).holds(
            self.answers, current=value
        ):
            raise InvalidAnswer(
                self.text(question.constraint_message) or message("constraint", self.language)
            )
        return value

    def record(self, value: object, question: Question | None = None) -> None:
        """Keep `value` (already parsed) as the answer; None removes the answer."""
        question = question or self.current
        if question is None:
            return
        if value is None:
            self.answers.pop(question.id, None)
        else:
            self.answers[question.id] = value

    def _canonical(self, question: Question, raw: object) -> object:
        if raw is None:
            return None
        if question.type == "select_multiple":
            codes = raw.split() if isinstance(raw, str) else list(raw)
            chosen = [code for code in question.choice_codes if code in codes]
            unknown = [code for code in codes if code not in question.choice_codes]
            if unknown:
                raise InvalidAnswer(f"{question.id}: {' '.join(unknown)}")
            for code in question.exclusive:
                if code in chosen and len(chosen) > 1:
                    label = self.text(question.choice(code).label)
                    raise InvalidAnswer(message("exclusive", self.language, label=label))
            return " ".join(chosen) or None
        if question.type == "select_one":
            code = str(raw)
            if not code:
                return None
            if code not in question.choice_codes:
                raise InvalidAnswer(f"{question.id}: {code}")
            return code
        if question.is_numeric:
            if isinstance(raw, int | float) and not isinstance(raw, bool):
                return int(raw) if question.type == "integer" else float(raw)
            integer = question.type == "integer"
            try:
                return parse_number(str(raw), integer=integer)
            except ValueError:
                key = "not_integer" if integer else "not_decimal"
                raise InvalidAnswer(message(key, self.language)) from None
        text = str(raw).strip()
        return text or None

    # -- showing -------------------------------------------------------------------------

    def text(self, text: Text | None) -> str:
        """A questionnaire text in the interview's language ("" for none)."""
        if text is None:
            return ""
        return text.in_language(self.language, self.questionnaire.default_language)

    def shown_answer(self, question: Question, value: object = None) -> str:
        """An answer as the respondent would recognise it: labels, grouped numbers, unit."""
        value = self.answers.get(question.id) if value is None else value
        if value is None:
            return ""
        if question.is_select:
            codes = str(value).split() if question.type == "select_multiple" else [str(value)]
            labels = [self.text(question.choice(code).label) for code in codes]
            return ("、" if self.language == "zh" else ", ").join(labels)
        if question.is_numeric:
            shown = format_number(value)
            return f"{shown} {self.text(question.unit)}".rstrip()
        return str(value)

    def review(self) -> list[ReviewSection]:
        """Every applicable question by section, with its answer shown."""
        applicable = {q.id for q in self.applicable()}
        sections = []
        for section in self.questionnaire.sections:
            items = tuple(
                ReviewItem(q, self.shown_answer(q)) for q in section if q.id in applicable
            )
            if items:
                sections.append(ReviewSection(section, items))
        return sections

    def missing_required(self) -> list[Question]:
        return [q for q in self.applicable() if q.required and q.id not in self.answers]

    def stale_answers(self) -> list[str]:
        """Ids of answered questions the skip logic no longer asks (cleared on submit)."""
        applicable = {q.id for q in self.applicable()}
        return [qid for qid in self.answers if qid not in applicable]
