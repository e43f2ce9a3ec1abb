"""The interview as a pure state machine: no terminal, no database.

An `Interview` walks a questionnaire over a dict of canonical answers: which question is on
screen, which comes next under the skip logic, going back, how far along it is, turning what
was typed or ticked into a canonical value (or a message saying why not), and the review list
at the end. The terminal prompts and the study store are wired to it by `session.py`, so
everything here can be tested with plain dicts.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from dmsurvey.interview.messages import message
from dmsurvey.questionnaire import answers as judging
from dmsurvey.questionnaire.model import MEDIA_TYPES, Question, Questionnaire, Section, Text

_WEEKDAYS_ZH = "一二三四五六日"


class InvalidAnswer(ValueError):
    """What was typed or ticked cannot be the answer; the message says why, for the screen."""


def format_number(value: int | float) -> str:
    """A number as the interview shows it: no needless ".0", thousands grouped from 10,000
    (so that a year stays 2008)."""
    grouping = "," if abs(value) >= 10_000 else ""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:{grouping}}"
    return f"{int(value):{grouping}}"


def _long_date(iso: str, language: str) -> str:
    """A date with its weekday, as people say it: "Fri 31 Jul 2020", "2020年7月31日 周五"."""
    from datetime import date

    day = date.fromisoformat(iso)
    if language == "zh":
        return f"{day.year}年{day.month}月{day.day}日 周{_WEEKDAYS_ZH[day.weekday()]}"
    return f"{day:%a} {day.day} {day:%b} {day.year}"


def _media_file_name(typed: str, language: str) -> str:
    """The name of a photo, recording or file: that of the file at a typed path, or the name
    as typed (a file on the phone or camera it was taken with)."""
    from pathlib import Path

    path = Path(typed).expanduser()
    if path.is_file():
        return path.name
    if len(path.parts) > 1:
        raise InvalidAnswer(message("no_file", language, path=typed))
    return typed


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
            q
            for q in questionnaire.questions
            if q.is_shown and (q.asks_for_answer or not skip_notes)
        )
        self._sections = {section.id: section for section in questionnaire.sections}
        self.checker = judging.AnswerChecker(questionnaire)
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
        return self.checker.applies(question, self.answers)

    def applicable(self) -> list[Question]:
        """The answerable questions on screen that apply to this firm, given the answers so far."""
        return [q for q in self.questionnaire.answerable if q.is_shown and self.applies(q)]

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

        The questionnaire's answer checker judges it (type, choices, exclusive codes, rules,
        `required`, `constraint`); raises `InvalidAnswer` with the questionnaire's own message
        (or the tool's) when it fails.
        """
        question = question or self.current
        if question is None or not question.asks_for_answer:
            return None
        if question.type in MEDIA_TYPES and isinstance(raw, str) and raw.strip():
            raw = _media_file_name(raw.strip(), self.language)
        try:
            return self.checker.judge(question, raw, self.answers, asking=True)
        except judging.InvalidAnswer as invalid:
            raise InvalidAnswer(self.say(question, invalid.flaw)) from None

    def say(self, question: Question, flaw: judging.Flaw) -> str:
        """Why an answer was refused, in the interview's language."""
        if flaw.label:
            return self.text(flaw.label)
        if flaw.choice:
            return message(flaw.key, self.language, label=self.text(flaw.choice))
        if flaw.key:
            return message(flaw.key, self.language, **dict(flaw.fields))
        return f"{question.id}: {flaw.message} ({flaw.expected})"

    def record(self, value: object, question: Question | None = None) -> None:
        """Keep `value` (already parsed) as the answer; None removes the answer."""
        question = question or self.current
        if question is None:
            return
        if value is None:
            self.answers.pop(question.id, None)
        else:
            self.answers[question.id] = value

    def recalculate(self) -> dict[str, object]:
        """Work the calculate fields out again from the answers; returns those that changed
        (None: now empty), already recorded."""
        from dmsurvey.questionnaire.calculations import calculate_answers

        changed: dict[str, object] = {}
        for question_id, value in calculate_answers(
            self.questionnaire, self.answers, self.checker
        ).items():
            if self.answers.get(question_id) != value:
                changed[question_id] = value
                self.record(value, self.questionnaire.question(question_id))
        return changed

    def understood(self, question: Question, typed: str) -> str:
        """What a typed date, time or point is taken to be, as shown ("" if it is none)."""
        try:
            value = self.checker.read(question, typed)
        except judging.InvalidAnswer:
            return ""
        return "" if value is None else self.shown_answer(question, value)

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
        if question.type == "rank":
            return " > ".join(self.text(question.choice(code).label) for code in str(value).split())
        if question.type in ("date", "datetime"):
            return f"{value} ({_long_date(str(value)[:10], self.language)})"
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
        applicable = {
            q.id for q in self.questionnaire.answerable if not q.is_shown or self.applies(q)
        }
        return [qid for qid in self.answers if qid not in applicable]
