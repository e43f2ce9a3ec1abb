"""The interview as a pure state machine: no terminal, no database.

An `Interview` walks a questionnaire over a dict of canonical answers (and one per instance
of a repeat section): which screen is shown, which comes next under the skip logic and the
repeats' counts, going back, how far along it is, turning what was typed or ticked into a
canonical value (or a message saying why not), and the review list at the end. The terminal
prompts and the study store are wired to it by `session.py`, so everything here can be
tested with plain dicts.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dmsurvey.errors import ExpressionError
from dmsurvey.interview.messages import message
from dmsurvey.questionnaire import answers as judging
from dmsurvey.questionnaire.model import MEDIA_TYPES, Question, Questionnaire, Section, Text
from dmsurvey.questionnaire.repeats import (
    enclosing_repeats,
    instance_number,
    instance_order,
    instance_path,
    parent_key,
    visible_answers,
)

_WEEKDAYS_ZH = "一二三四五六日"
# `${name}` in a label: the answer to `name`, shown
_REFERENCE = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}")


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
    path = Path(typed).expanduser()
    if path.is_file():
        return path.name
    if len(path.parts) > 1:
        raise InvalidAnswer(message("no_file", language, path=typed))
    return typed


def split_screen_name(name: str) -> tuple[str, str | None, str | None]:
    """A `Screen.name` -> (question id, repeat id, instance key): "age@members/2" ->
    ("age", "members", "2"); a plain question id -> (id, None, None)."""
    question_id, at, place = name.partition("@")
    if not at:
        return name, None, None
    repeat, _, instance_key = place.partition("/")
    return question_id, repeat, instance_key


def _child_key(parent: str | None, number: int) -> str:
    return str(number) if parent is None else f"{parent}/{number}"


@dataclass(frozen=True)
class Screen:
    """One screen of the interview: a question asked once per response, a question of one
    instance of a repeat section (`repeat`, `instance_key`), or, with `question` None, the
    question whether to add that instance to a repeat asked until there are no more."""

    question: Question | None
    repeat: Section | None = None
    instance_key: str | None = None

    @property
    def adds_instance(self) -> bool:
        return self.question is None

    @property
    def asks_for_answer(self) -> bool:
        return self.question is None or self.question.asks_for_answer

    @property
    def section_id(self) -> str:
        return self.question.section if self.repeat is None else self.repeat.id

    @property
    def name(self) -> str:
        """How the screen is remembered when an interview pauses: the question's id, with
        `@repeat/instance` after it inside an instance ("age@members/2"; "@members/3" is
        the question whether to add a third member)."""
        if self.repeat is None:
            return self.question.id
        question_id = "" if self.question is None else self.question.id
        return f"{question_id}@{self.repeat.id}/{self.instance_key}"


@dataclass(frozen=True)
class Progress:
    section: str
    position: int  # 1-based among the screens that apply to this firm
    total: int

    def __str__(self) -> str:
        return f"{self.section} · {self.position}/{self.total}"


@dataclass(frozen=True)
class ReviewItem:
    question: Question
    shown: str  # the answer as the respondent would recognise it, or "" if unanswered
    screen: Screen | None = None


@dataclass(frozen=True)
class ReviewSection:
    section: Section
    items: tuple[ReviewItem, ...]
    instance_key: str | None = None  # the instance, for a repeat section


# A computed count beyond this is taken as this many instances: a count typed wrong (2000
# for 20) must not lay out screens nobody can page through.
MOST_INSTANCES = 1000


class Interview:
    """One firm's interview: the answers so far and the screen it is on.

    The interview is a list of screens (`screens()`): each question asked once, and, for a
    repeat section, its questions once per instance (as many as its count says, or until
    the interviewer adds no more), repeats inside it within each instance. `screen` is the
    one being shown, or None once every screen that applies has been reached (time for the
    review); `current` is its question. Answers are canonical values (see the codebook): a
    code, codes joined by spaces, int, float or str; `answers` holds those asked once,
    `repeat_answers` those of the instances ({repeat: {instance key: {question: value}}}).
    """

    def __init__(
        self,
        questionnaire: Questionnaire,
        answers: Mapping[str, object] | None = None,
        *,
        repeat_answers: Mapping[str, Mapping[str, Mapping[str, object]]] | None = None,
        language: str | None = None,
        skip_notes: bool = False,
        media: Path | None = None,
    ):
        from dmsurvey.questionnaire.expressions import Context

        self.questionnaire = questionnaire
        self.language = questionnaire.label_language(language)
        # One context for the whole interview: `jr:choice-name` speaks its language, and the
        # CSV files `pulldata` reads (from `media`, by default the study's) are read once.
        self.context = Context.of(questionnaire, self.language, media)
        self.answers: dict[str, object] = _given(answers or {})
        given = repeat_answers or {}
        self.repeat_answers: dict[str, dict[str, dict[str, object]]] = {
            section.id: {key: _given(values) for key, values in given.get(section.id, {}).items()}
            for section in questionnaire.repeats
        }
        # Clerks keying paper forms have no use for notes meant to be read out.
        self._skip_notes = skip_notes
        self._fixed = None if questionnaire.repeats else tuple(
            Screen(q) for section in questionnaire.sections for q in self._shown(section))
        self._sections = {section.id: section for section in questionnaire.sections}
        self.checker = judging.AnswerChecker(questionnaire, self.context)
        self._seen: dict[tuple[str | None, str | None], dict[str, object]] = {}
        self._screen: Screen | None = None
        self._place = 0  # where the screen was in the list, should it leave the list
        self.pick_up()

    # -- the screens -----------------------------------------------------------------------

    def _shown(self, section: Section) -> list[Question]:
        return [q for q in section if q.is_shown and (q.asks_for_answer or not self._skip_notes)]

    def screens(self) -> tuple[Screen, ...]:
        """Every screen, in order, as the answers so far lay them out (skip logic aside)."""
        if self._fixed is not None:
            return self._fixed
        screens: list[Screen] = []
        for section in self.questionnaire.sections:
            if not section.is_repeat:
                screens += [Screen(q) for q in self._shown(section)]
            elif section.repeat.within is None:
                screens += self._instance_screens(section, None)
        return tuple(screens)

    def _instance_screens(self, repeat: Section, parent: str | None) -> list[Screen]:
        keys = self.instance_keys(repeat, parent)
        asking = repeat.repeat.count is None
        screens: list[Screen] = []
        for key in keys:
            if asking:
                screens.append(Screen(None, repeat, key))
            screens += [Screen(q, repeat, key) for q in self._shown(repeat)]
            for inner in self.questionnaire.repeats_within(repeat.id):
                screens += self._instance_screens(inner, key)
        if asking and self._repeat_applies(repeat, parent):
            screens.append(Screen(None, repeat, _child_key(parent, len(keys) + 1)))
        return screens

    def instance_keys(self, repeat: Section, parent: str | None = None) -> list[str]:
        """The keys of the instances of `repeat` inside the instance `parent` of the repeat
        around it (None: asked once per response): as many as its count, or as have been
        added."""
        if not self._repeat_applies(repeat, parent):
            return []
        count = self.instance_count(repeat, parent)
        if count is None:
            count = max((instance_number(key) for key in self.repeat_answers[repeat.id]
                         if parent_key(key) == parent), default=0)
        return [_child_key(parent, number) for number in range(1, count + 1)]

    def instance_count(self, repeat: Section, parent: str | None = None) -> int | None:
        """How many instances the repeat's count asks for (0 when it is blank or not a
        number); None for a repeat asked until the interviewer adds no more."""
        import math

        count = repeat.repeat.count
        if count is None:
            return None
        seen = self.visible(repeat.repeat.within, parent)
        try:
            number = float(judging.expression(f"number({count})").evaluate(
                seen, context=self.context))
        except (ExpressionError, TypeError, ValueError):
            return 0
        if not math.isfinite(number):
            return 0
        return max(0, min(int(number), MOST_INSTANCES))

    def _repeat_applies(self, repeat: Section, parent: str | None) -> bool:
        if not repeat.relevant:
            return True
        return judging.expression(repeat.relevant).holds(
            self.visible(repeat.repeat.within, parent), context=self.context)

    def _laid_out(self, within: str | None = None,
                  parent: str | None = None) -> Iterator[tuple[Section, str]]:
        for repeat in self.questionnaire.repeats_within(within):
            for key in self.instance_keys(repeat, parent):
                yield repeat, key
                yield from self._laid_out(repeat.id, key)

    # -- what an expression sees -----------------------------------------------------------

    def visible(self, section_id: str | None = None,
                instance_key: str | None = None) -> Mapping[str, object]:
        """The answers the skip logic and constraints see in an instance of a repeat (or,
        with neither given, outside every repeat): see `questionnaire.repeats`."""
        if self._fixed is not None:
            return self.answers
        place = (section_id, instance_key)
        if place not in self._seen:
            self._seen[place] = visible_answers(self.questionnaire, self.answers,
                                                self.repeat_answers, section_id, instance_key)
        return self._seen[place]

    def seen_from(self, screen: Screen | None) -> Mapping[str, object]:
        """The answers seen on `screen`."""
        if screen is None or screen.repeat is None:
            return self.visible()
        return self.visible(screen.repeat.id, screen.instance_key)

    # -- where we are -------------------------------------------------------------------

    @property
    def screen(self) -> Screen | None:
        return self._screen

    @property
    def current(self) -> Question | None:
        """The question on screen (None on the review, and when asking whether to add an
        instance)."""
        return None if self._screen is None else self._screen.question

    @property
    def section(self) -> Section | None:
        return None if self._screen is None else self._sections[self._screen.section_id]

    @property
    def at_first(self) -> bool:
        screens = self.screens()
        before, _ = self._around(screens)
        return self._find(screens, range(before, -1, -1)) is None

    def applies(self, question: Question) -> bool:
        """Whether the skip logic (section and question `relevant`) asks this question
        (one asked once per response)."""
        return self.checker.applies(question, self.visible())

    def screen_applies(self, screen: Screen) -> bool:
        """Whether the skip logic asks the question on `screen`, in its instance."""
        if screen.adds_instance:
            return True  # a repeat that does not apply lays out no screens at all
        return self.checker.applies(screen.question, self.seen_from(screen))

    def applicable_screens(self) -> list[Screen]:
        """The screens wanting an answer that apply to this firm, given the answers so far."""
        return [s for s in self.screens() if s.asks_for_answer and self.screen_applies(s)]

    def applicable(self) -> list[Question]:
        """The answerable questions on screen that apply to this firm, given the answers so
        far (a question of a repeat section once per instance)."""
        return [s.question for s in self.applicable_screens() if not s.adds_instance]

    def progress(self) -> Progress:
        applicable = [s.name for s in self.applicable_screens()]
        if self._screen is None:
            return Progress("✓", len(applicable), len(applicable))
        screens = self.screens()
        _, after = self._around(screens)
        # A note (or a question that stopped applying) counts as the one before it.
        before = {s.name for s in screens[:after]}
        position = sum(1 for name in applicable if name in before)
        return Progress(self._screen.section_id, max(position, 1), len(applicable))

    def title(self, section: Section, instance_key: str | None = None) -> str:
        """A section's title; for an instance, with its number and those of the instances
        around it: "Members 2 › Jobs 1"."""
        if instance_key is None:
            return self.text(section.title)
        chain = enclosing_repeats(self.questionnaire, section.id)
        return " › ".join(
            f"{self.text(self.questionnaire.repeat(repeat).title)} {instance_number(key)}"
            for repeat, key in zip(chain, instance_path(instance_key), strict=True))

    # -- moving ----------------------------------------------------------------------------

    def resume(self, skipping: Collection[str] = ()) -> Question | None:
        """Go to the first applicable screen without an answer (None: the review).

        Screens named in `skipping` (say, ones already shown and left blank) are passed
        over. A fresh interview starts at the very first step, an introductory note included.
        """
        screens = self.screens()
        if not self._anything_answered() and not skipping:
            return self._go(screens, self._find(screens, range(len(screens))))
        found = self._find(
            screens, range(len(screens)),
            lambda s: s.asks_for_answer and self.answer_on(s) is None and s.name not in skipping,
        )
        return self._go(screens, found)

    def pick_up(self, paused_on: str | None = None) -> Question | None:
        """Go to where an interview left off (None: the review).

        That is the first screen wanting an answer after the last one answered, in order
        among those that apply, or `paused_on` (the name of the screen shown when the
        interview was paused; "" for the review) if that comes later. Optional questions
        left blank before that point were seen and skipped on purpose, so they do not hold
        the interviewer back. A fresh interview starts at the very first step, an
        introductory note included.
        """
        screens = self.screens()
        start = next((index + 1 for index in range(len(screens) - 1, -1, -1)
                      if self.answer_on(screens[index]) is not None
                      and self.screen_applies(screens[index])), 0)
        if paused_on == "":
            start = len(screens)
        elif paused_on is not None:
            on_screen = [i for i, s in enumerate(screens) if s.name == paused_on]
            start = max([start, *on_screen])
        if start == 0:
            return self.resume()
        return self._go(screens, self._find(screens, range(start, len(screens)),
                                            lambda s: s.asks_for_answer))

    def advance(self) -> Question | None:
        """Go to the next applicable screen after this one (None: the review)."""
        screens = self.screens()
        _, after = self._around(screens)
        return self._go(screens, self._find(screens, range(after, len(screens))))

    def back(self) -> Question | None:
        """Go to the applicable screen before this one; stay if there is none."""
        screens = self.screens()
        before, _ = self._around(screens)
        previous = self._find(screens, range(before, -1, -1))
        if previous is not None:
            self._go(screens, previous)
        return self.current

    def go_to(self, name: str) -> Question | None:
        """Go to the screen named `name` (a question's id, or a `Screen.name`)."""
        screens = self.screens()
        for index, screen in enumerate(screens):
            if screen.name == name:
                return self._go(screens, index)
        raise KeyError(f"no question {name!r} in this interview")

    def _go(self, screens: Sequence[Screen], index: int | None) -> Question | None:
        self._screen = None if index is None else screens[index]
        self._place = len(screens) if index is None else index
        return self.current

    def _around(self, screens: Sequence[Screen]) -> tuple[int, int]:
        """Where to look back from and forward from: the screens either side of this one."""
        if self._screen is None:
            return len(screens) - 1, len(screens)
        name = self._screen.name
        for index, screen in enumerate(screens):
            if screen.name == name:
                return index - 1, index + 1
        # The screen is gone (its instance was removed): from the place it held.
        place = min(self._place, len(screens))
        return place - 1, place

    def _find(self, screens: Sequence[Screen], positions: Iterable[int],
              wanted=lambda screen: True) -> int | None:
        for index in positions:
            screen = screens[index]
            if self.screen_applies(screen) and wanted(screen):
                return index
        return None

    def _anything_answered(self) -> bool:
        return bool(self.answers) or any(self.repeat_answers.values())

    # -- answers -------------------------------------------------------------------------

    def answer_on(self, screen: Screen) -> object:
        """The answer given on `screen` (None if none); True on the screen adding an
        instance that was added."""
        if screen.repeat is None:
            return self.answers.get(screen.question.id)
        instance = self.repeat_answers[screen.repeat.id].get(screen.instance_key)
        if screen.adds_instance:
            return None if instance is None else True
        return None if instance is None else instance.get(screen.question.id)

    def parse(self, raw: object, question: Question | None = None) -> object:
        """What the prompt returned (typed text, a code, ticked codes) -> canonical value.

        The questionnaire's answer checker judges it (type, choices, exclusive codes, rules,
        `required`, `constraint`, the latter with the answers seen on screen); raises
        `InvalidAnswer` with the questionnaire's own message (or the tool's) when it fails.
        """
        question = question or self.current
        if question is None or not question.asks_for_answer:
            return None
        if question.type in MEDIA_TYPES and isinstance(raw, str) and raw.strip():
            raw = _media_file_name(raw.strip(), self.language)
        try:
            return self.checker.judge(question, raw, self._seen_by(question), asking=True)
        except judging.InvalidAnswer as invalid:
            raise InvalidAnswer(self.say(question, invalid.flaw)) from None

    def _seen_by(self, question: Question) -> Mapping[str, object]:
        screen = self._screen
        if screen is not None and screen.question is not None and screen.question.id == question.id:
            return self.seen_from(screen)
        return self.visible()

    def say(self, question: Question, flaw: judging.Flaw) -> str:
        """Why an answer was refused, in the interview's language."""
        if flaw.label:
            return self.filled_in(flaw.label)
        if flaw.choice:
            return message(flaw.key, self.language, label=self.text(flaw.choice))
        if flaw.key:
            return message(flaw.key, self.language, **dict(flaw.fields))
        return f"{question.id}: {flaw.message} ({flaw.expected})"

    def record(self, value: object, question: Question | None = None) -> None:
        """Keep `value` (already parsed) as the answer to the question on screen (or to
        `question`, one asked once per response); None removes the answer."""
        screen = self._screen
        if question is not None and (screen is None or screen.question is None
                                     or screen.question.id != question.id):
            screen = Screen(question)
        if screen is not None and not screen.adds_instance:
            self.record_on(screen, value)

    def record_on(self, screen: Screen, value: object) -> None:
        """Keep `value` as the answer given on `screen`; None removes it."""
        self._seen.clear()
        if screen.repeat is None:
            answers = self.answers
        else:
            answers = self.repeat_answers[screen.repeat.id].setdefault(screen.instance_key, {})
        if value is None:
            answers.pop(screen.question.id, None)
        else:
            answers[screen.question.id] = value

    def add_instance(self, screen: Screen) -> None:
        """Add the instance the screen `screen` asks about (still without answers)."""
        self._seen.clear()
        self.repeat_answers[screen.repeat.id].setdefault(screen.instance_key, {})

    def instances_from(self, screen: Screen) -> list[tuple[Section, str]]:
        """The instances there would be no more of if the screen adding an instance were
        answered no: that one and those after it."""
        repeat, parent = screen.repeat, parent_key(screen.instance_key)
        number = instance_number(screen.instance_key)
        return sorted(((repeat, key) for key in self.repeat_answers[repeat.id]
                       if parent_key(key) == parent and instance_number(key) >= number),
                      key=lambda found: instance_order(found[1]))

    def surplus_instances(self) -> list[tuple[Section, str]]:
        """Instances the answers no longer lay out: beyond a count that went down, or of a
        repeat that stopped applying (those inside them go with them, so are not listed)."""
        laid_out = set(self._laid_out())
        surplus: list[tuple[Section, str]] = []
        gone: set[tuple[str, str]] = set()
        for repeat in self.questionnaire.repeats:
            for key in self.repeat_answers[repeat.id]:
                within = repeat.repeat.within
                if within is not None and (within, parent_key(key)) in gone:
                    gone.add((repeat.id, key))
                elif (repeat, key) not in laid_out:
                    gone.add((repeat.id, key))
                    surplus.append((repeat, key))
        return sorted(surplus, key=lambda found: (self.questionnaire.repeats.index(found[0]),
                                                  instance_order(found[1])))

    def remove_instance(self, repeat: Section, instance_key: str) -> None:
        """Forget an instance and those of the repeats inside it."""
        self._seen.clear()
        inside = f"{instance_key}/"
        for section in self.questionnaire.repeats:
            if section.id == repeat.id or repeat.id in enclosing_repeats(self.questionnaire,
                                                                         section.id):
                instances = self.repeat_answers[section.id]
                for key in [k for k in instances if k == instance_key or k.startswith(inside)]:
                    del instances[key]

    def recalculate(self) -> dict[str, object]:
        """Work the calculate fields out again from the answers; returns those that changed
        by the name of their screen (None: now empty), already recorded. Those of a repeat
        section are worked out in each instance there is."""
        from dmsurvey.questionnaire.calculations import calculate_answers, calculations

        changed: dict[str, object] = {}

        def keep(results: Mapping[str, object], repeat: Section | None = None,
                 key: str | None = None) -> bool:
            news = False
            for question_id, value in results.items():
                screen = Screen(self.questionnaire.find(question_id), repeat, key)
                if self.answer_on(screen) != value:
                    changed[screen.name] = value
                    self.record_on(screen, value)
                    news = True
            return news

        def once() -> None:
            keep(calculate_answers(self.questionnaire, self.visible(), self.checker,
                                   context=self.context))

        once()
        news = False
        for repeat in self.questionnaire.repeats:
            if not calculations(self.questionnaire, repeat.id):
                continue
            for key in list(self.repeat_answers[repeat.id]):
                results = calculate_answers(self.questionnaire, self.visible(repeat.id, key),
                                            self.checker, section=repeat.id,
                                            context=self.context)
                news |= keep(results, repeat, key)
        if news:
            once()  # what is asked once may sum up the instances
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

    def filled_in(self, text: Text | None, screen: Screen | None = None) -> str:
        """A label or hint in the interview's language with each `${name}` in it replaced by
        that answer as shown on `screen` (by default the one on screen), as ODK puts answers
        and calculations into labels; a repeat's question seen from outside shows all its
        instances' answers."""
        shown = self.text(text)
        if "${" not in shown:
            return shown
        seen = self.seen_from(self._screen if screen is None else screen)

        def fill(reference: re.Match) -> str:
            try:
                question = self.questionnaire.find(reference[1])
            except KeyError:
                return reference[0]  # not a question's name: text to keep as written
            value = seen.get(question.id)
            values = value if isinstance(value, list) else [value]
            return ("、" if self.language == "zh" else ", ").join(
                self.shown_answer(question, one) for one in values if one not in (None, ""))

        return _REFERENCE.sub(fill, shown)

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
        """Every applicable question by section (each instance of a repeat apart), with its
        answer shown."""
        parts: list[tuple[Section, str | None, list[ReviewItem]]] = []
        for screen in self.applicable_screens():
            if screen.adds_instance:
                continue
            section = self._sections[screen.section_id]
            if not parts or (parts[-1][0].id, parts[-1][1]) != (section.id, screen.instance_key):
                parts.append((section, screen.instance_key, []))
            value = self.answer_on(screen)
            shown = "" if value is None else self.shown_answer(screen.question, value)
            parts[-1][2].append(ReviewItem(screen.question, shown, screen))
        return [ReviewSection(section, tuple(items), key) for section, key, items in parts]

    def missing_screens(self) -> list[Screen]:
        """The screens of required questions that apply and are still without an answer."""
        return [s for s in self.applicable_screens()
                if not s.adds_instance and s.question.required and self.answer_on(s) is None]

    def missing_required(self) -> list[Question]:
        return [screen.question for screen in self.missing_screens()]

    def stale_answers(self) -> list[str]:
        """Ids of answered questions the skip logic no longer asks (cleared on submit)."""
        applicable = {
            q.id for q in self.questionnaire.answerable if not q.is_shown or self.applies(q)
        }
        return [qid for qid in self.answers if qid not in applicable]

    def stale_instance_answers(self) -> list[Screen]:
        """The answers in instances to questions the skip logic no longer asks there."""
        stale = []
        for repeat in self.questionnaire.repeats:
            for key, values in self.repeat_answers[repeat.id].items():
                for question in repeat:
                    screen = Screen(question, repeat, key)
                    if (question.id in values and question.is_shown
                            and not self.screen_applies(screen)):
                        stale.append(screen)
        return stale


def _given(answers: Mapping[str, object]) -> dict[str, object]:
    return {key: value for key, value in answers.items() if value not in (None, "")}
