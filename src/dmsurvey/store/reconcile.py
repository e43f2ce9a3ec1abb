"""Double data entry: compare paper forms keyed twice and settle every difference.

The same paper form is keyed twice, independently (`entry` 1 and 2, matched by `form_number`).
The comparison goes field by field in questionnaire order and follows the skip logic: a
question that the form does not ask (given the answers agreed or settled so far) is not
compared. Numbers are compared as numbers, text after Unicode (NFKC) normalisation and with
runs of spaces collapsed, multi-selects as sets of codes.

Each disagreement is settled by taking the first keying, the second, or what the paper says.
Every resolution is logged in the study database (who, when, both keyed values, the value
chosen) and re-applied whenever the comparison runs again, as long as the two keyings still
hold the values that were settled; a keying changed since then is compared afresh.

What "complete" means for paper forms: once every disagreement of a form is settled, the
entry-1 response receives the settled values and becomes `complete`; the entry-2 response
stays as the record of the second keying and is never complete (a complete second keying is
set back to `in_progress`), so each firm counts once. The store keeps to the same rule before
reconciliation: a second keying is never complete, and the first keying of a form keyed twice
stays `in_progress` until it is reconciled (`Study.set_statuses(..., reconciled=True)`).
Forms keyed only once are listed and left as they are.

Repeat sections (a household roster) are compared instance by instance, matched by instance
key, after the questions asked once. An instance keyed in one keying and not the other is a
difference of its own, `members[3]`, settled by taking one side: the instance kept with the
answers that side keyed, or removed. The answers of an instance both keyings hold are
compared like the others, following the instance's skip logic, as `members[2].age` (the
name the audit trail gives them). An instance nested in one that is not settled yet waits
for it.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dmsurvey.errors import DataError, Problem
from dmsurvey.questionnaire.answers import AnswerChecker, InvalidAnswer
from dmsurvey.questionnaire.model import Question, Questionnaire, Section
from dmsurvey.questionnaire.repeats import (
    RepeatAnswers,
    instance_order,
    parent_key,
    visible_answers,
)
from dmsurvey.store import db
from dmsurvey.store.exporting import chosen_language
from dmsurvey.wording import SCREEN_WIDTH, plural, wrap

if TYPE_CHECKING:
    import pandas as pd

    from dmsurvey.store.study import Study

RESOLUTION_TABLE = "reconciliation_log"
CHOICES = ("first", "second", "typed")

_CREATE_LOG = f"""
CREATE TABLE IF NOT EXISTS {RESOLUTION_TABLE} (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  form_number TEXT NOT NULL,
  question TEXT NOT NULL,
  first_value TEXT,
  second_value TEXT,
  resolved_value TEXT,
  choice TEXT NOT NULL,
  who TEXT NOT NULL DEFAULT '',
  resolved_at TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Keying:
    """One keying of a paper form: the stored response and its answers."""

    response_id: str
    enumerator: str  # as recorded on the keying
    status: str
    answers: Mapping[str, Any]
    # {repeat id: {instance key: {question id: value}}}, as `Study.get_repeat_answers` gives
    repeat_answers: RepeatAnswers = field(default_factory=dict)


@dataclass(frozen=True)
class Disagreement:
    """A field where the two keyings of a form differ (values normalised, None = blank).

    In a repeat section, `repeat` and `instance_key` say which instance; with no `question`
    the instance itself is keyed in one keying only, and each side's value is its answers
    ({question id: value}) or None where the instance is missing."""

    form_number: str
    question: Question | None
    first: Any
    second: Any
    first_enumerator: str = ""
    second_enumerator: str = ""
    # The answers agreed or settled before this field: what a typed answer is checked with.
    answers: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    repeat: Section | None = None
    instance_key: str | None = None

    @property
    def field(self) -> str:
        """The field's name in the resolution log and the audit trail: `employees_2019`,
        `members[2].age`, or `members[3]` for an instance keyed once."""
        if self.repeat is None:
            return self.question.id
        instance = f"{self.repeat.id}[{self.instance_key}]"
        return instance if self.question is None else f"{instance}.{self.question.id}"

    @property
    def is_instance(self) -> bool:
        return self.repeat is not None and self.question is None


@dataclass(frozen=True)
class Resolution:
    value: Any
    choice: str  # first | second | typed
    who: str = ""
    resolved_at: str = ""


@dataclass
class FormComparison:
    """The outcome of comparing the two keyings of one form."""

    form_number: str
    first: Keying
    second: Keying
    settled: dict[str, Any] = field(default_factory=dict)
    # The instances the form has once settled, with their settled answers:
    # {repeat id: {instance key: {question id: value}}}
    settled_instances: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    fields_compared: int = 0
    # Every field keyed differently, with its resolution (None while unsettled).
    differences: list[tuple[Disagreement, Resolution | None]] = field(default_factory=list)
    # Fields whose logged resolution the questionnaire refuses: to be settled again.
    refused: list[str] = field(default_factory=list)

    @property
    def pending(self) -> list[Disagreement]:
        return [d for d, resolution in self.differences if resolution is None]


Resolver = Callable[[Disagreement], "Resolution | None"]


# --- comparing --------------------------------------------------------------------------


def normalised(question: Question, value: Any) -> Any:
    """The value two keyings are compared by (None for blank)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if question.is_numeric:
        number = float(value)
        return int(number) if question.type == "integer" and number.is_integer() else number
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(value))).strip()
    if not text:
        return None
    if question.type == "select_multiple":
        chosen = set(text.split())
        return " ".join(
            [code for code in question.choice_codes if code in chosen]
            + sorted(chosen - set(question.choice_codes))
        )
    return text


def compare_form(
    questionnaire: Questionnaire,
    form_number: str,
    first: Keying,
    second: Keying,
    resolutions: Mapping[tuple[str, str], tuple[Any, Any, Resolution]] | None = None,
) -> FormComparison:
    """Compare two keyings of `form_number`, applying the logged `resolutions`.

    `resolutions` maps (form, question) to (first value, second value, resolution) as logged;
    one applies only while the keyings still hold those two values.
    """
    resolutions = resolutions or {}
    checker = AnswerChecker(questionnaire)
    comparison = FormComparison(form_number, first, second)
    sections = {section.id: section for section in questionnaire.sections}
    pending: dict[str, tuple[Any, Any]] = {}
    for question in questionnaire.answerable:
        section = sections[question.section]
        # Unsettled differences may decide skip logic either way: asked if either keying asks.
        as_first = comparison.settled | {q: pair[0] for q, pair in pending.items()}
        as_second = comparison.settled | {q: pair[1] for q, pair in pending.items()}
        if questionnaire.repeats:
            # A rule after a roster may count its members: as each keying has them.
            as_first = visible_answers(questionnaire, as_first, first.repeat_answers)
            as_second = visible_answers(questionnaire, as_second, second.repeat_answers)
        rules = [rule for rule in (section.relevant, question.relevant) if rule]
        if rules and not (_holds(rules, as_first) or _holds(rules, as_second)):
            continue
        comparison.fields_compared += 1
        disagreement = Disagreement(
            form_number, question, normalised(question, first.answers.get(question.id)),
            normalised(question, second.answers.get(question.id)), first.enumerator,
            second.enumerator, dict(comparison.settled),
        )
        first_value, value = _settle(comparison, disagreement, resolutions, checker)
        if value is PENDING:
            pending[question.id] = (first_value, disagreement.second)
        elif value is not None:
            comparison.settled[question.id] = value
    if questionnaire.repeats:
        _compare_instances(questionnaire, comparison, resolutions, checker,
                           {q: pair[0] for q, pair in pending.items()},
                           {q: pair[1] for q, pair in pending.items()})
    return comparison


# What `_settle` gives for a field keyed differently and not settled yet.
PENDING = object()


def _settle(comparison: FormComparison, disagreement: Disagreement,
            resolutions: Mapping[tuple[str, str], tuple[Any, Any, Resolution]],
            checker: AnswerChecker) -> tuple[Any, Any]:
    """The value an answer is settled as: the keyed one where both keyings agree, the logged
    resolution while it still applies, or PENDING; a difference is recorded in
    `comparison`. Also returns the value compared as first keyed."""
    first_value, second_value = disagreement.first, disagreement.second
    logged = resolutions.get((comparison.form_number, disagreement.field))
    if logged is not None and answer_problem(checker, disagreement.question, logged[2].value,
                                             disagreement.answers):
        # Logged before every way in was checked: settle it again rather than store it.
        comparison.refused.append(disagreement.field)
        logged = None
    if logged is not None and first_value == logged[2].value:
        # The entry-1 response holds the settled value: compare the value as first keyed.
        first_value = logged[0]
    if first_value == second_value:
        return first_value, first_value
    resolution = None
    if logged is not None and (logged[0], logged[1]) == (first_value, second_value):
        resolution = logged[2]
    comparison.differences.append((replace(disagreement, first=first_value), resolution))
    return first_value, PENDING if resolution is None else resolution.value


def _compare_instances(questionnaire: Questionnaire, comparison: FormComparison,
                       resolutions: Mapping[tuple[str, str], tuple[Any, Any, Resolution]],
                       checker: AnswerChecker, first_pending: Mapping[str, Any],
                       second_pending: Mapping[str, Any]) -> None:
    """Compare the instances of every repeat section (see the module text), outer repeats
    first so that a nested instance is compared once the instance it is in is settled."""
    form_number, first, second = (comparison.form_number, comparison.first,
                                  comparison.second)
    # What each keying's skip logic sees: the settled values, and its own where unsettled.
    as_first: dict[str, dict[str, dict[str, Any]]] = {}
    as_second: dict[str, dict[str, dict[str, Any]]] = {}
    for section in questionnaire.repeats:
        settled = comparison.settled_instances.setdefault(section.id, {})
        as_first[section.id], as_second[section.id] = {}, {}
        firsts = section_instances(section, first.repeat_answers)
        seconds = section_instances(section, second.repeat_answers)
        logged_keys = [field_name[len(section.id) + 1:-1] for form, field_name in resolutions
                       if form == form_number and field_name.startswith(section.id + "[")
                       and field_name.endswith("]")]
        within = section.repeat.within
        keys = sorted({*firsts, *seconds, *logged_keys}, key=instance_order)
        for key in keys:
            if within is not None and parent_key(key) not in comparison.settled_instances[within]:
                continue  # the instance it is asked in is missing or not settled yet
            first_value, second_value = firsts.get(key), seconds.get(key)
            disagreement = Disagreement(form_number, None, first_value, second_value,
                                        first.enumerator, second.enumerator, repeat=section,
                                        instance_key=key)
            logged = resolutions.get((form_number, disagreement.field))
            if logged is not None and first_value == logged[2].value:
                # The entry-1 response holds the settled instance (or lacks it) already.
                first_value = logged[0]
            if first_value is not None and second_value is not None:
                settled[key] = {}
                as_first[section.id][key], as_second[section.id][key] = {}, {}
                _compare_answers(questionnaire, comparison, resolutions, checker, section, key,
                                 first_value, second_value,
                                 (comparison.settled | first_pending, as_first),
                                 (comparison.settled | second_pending, as_second))
                continue
            if first_value == second_value:
                continue  # in neither keying: a logged instance since removed from both
            comparison.fields_compared += 1
            disagreement = replace(disagreement, first=first_value)
            resolution = None
            if logged is not None and (logged[0], logged[1]) == (first_value, second_value):
                resolution = logged[2]
                if resolution.value is not None:
                    settled[key] = dict(resolution.value)
                    as_first[section.id][key] = dict(resolution.value)
                    as_second[section.id][key] = dict(resolution.value)
            comparison.differences.append((disagreement, resolution))


def _compare_answers(questionnaire: Questionnaire, comparison: FormComparison,
                     resolutions: Mapping[tuple[str, str], tuple[Any, Any, Resolution]],
                     checker: AnswerChecker, section: Section, key: str,
                     first_values: Mapping[str, Any], second_values: Mapping[str, Any],
                     first_view: tuple[Mapping[str, Any], dict],
                     second_view: tuple[Mapping[str, Any], dict]) -> None:
    """Compare the answers of instance `key` of `section`, held by both keyings; the views
    are each keying's (answers asked once, instances) and receive what is compared."""
    settled = comparison.settled_instances[section.id][key]
    for question in section.questions:
        if not question.asks_for_answer:
            continue
        seen = [visible_answers(questionnaire, answers, instances, section.id, key)
                for answers, instances in (first_view, second_view)]
        rules = [rule for rule in (section.relevant, question.relevant) if rule]
        if rules and not (_holds(rules, seen[0]) or _holds(rules, seen[1])):
            continue
        comparison.fields_compared += 1
        disagreement = Disagreement(
            comparison.form_number, question, first_values.get(question.id),
            second_values.get(question.id), comparison.first.enumerator,
            comparison.second.enumerator,
            visible_answers(questionnaire, comparison.settled, comparison.settled_instances,
                            section.id, key),
            repeat=section, instance_key=key,
        )
        first_value, value = _settle(comparison, disagreement, resolutions, checker)
        if value is PENDING:
            _set_answer(None, first_view, second_view, section, key, question.id,
                        first_value, disagreement.second)
        elif value is not None:
            _set_answer(settled, first_view, second_view, section, key, question.id,
                        value, value)


def _set_answer(settled: dict | None, first_view: tuple, second_view: tuple, section: Section,
                key: str, question_id: str, first_value: Any, second_value: Any) -> None:
    if settled is not None:
        settled[question_id] = first_value
    for (_, instances), value in ((first_view, first_value), (second_view, second_value)):
        if value is not None:
            instances[section.id][key][question_id] = value


def section_instances(section: Section, repeat_answers: RepeatAnswers
                      ) -> dict[str, dict[str, Any]]:
    """The instances of `section` in one keying, each as its normalised answers."""
    return {
        str(key): {question.id: value for question in section.questions
                   if question.asks_for_answer
                   and (value := normalised(question, answers.get(question.id))) is not None}
        for key, answers in repeat_answers.get(section.id, {}).items()
    }


def answer_problem(checker: AnswerChecker, question: Question, value: Any,
                   answers: Mapping[str, Any]) -> str | None:
    """Why `value` cannot be the settled answer to `question` (None if it can): the checks
    every way in makes, with the form's other settled `answers` for its constraint. A blank
    is allowed: the paper may have been left blank."""
    try:
        checker.judge(question, value, {**answers, question.id: value}, asking=False)
    except InvalidAnswer as invalid:
        return f"{invalid.flaw.message}; expected {invalid.flaw.expected}"
    return None


def _holds(rules: list[str], answers: Mapping[str, Any]) -> bool:
    return all(_expression(rule).holds(answers) for rule in rules)


@cache
def _expression(text: str):
    from dmsurvey.questionnaire.expressions import parse_expression

    return parse_expression(text)


# --- the study --------------------------------------------------------------------------


@dataclass
class ReconcileResult:
    questionnaire: Questionnaire
    comparisons: list[FormComparison]
    keyed_once: list[str]
    keyed_too_often: list[str]
    completed: list[str]
    # Complete forms whose keyings now differ (a keying was edited): back to in_progress.
    reopened: list[str] = field(default_factory=list)

    @property
    def pending(self) -> list[Disagreement]:
        return [d for comparison in self.comparisons for d in comparison.pending]

    def disagreements(self) -> pd.DataFrame:
        """Every field keyed differently: form, question, both values, and how it was settled."""
        import pandas as pd

        rows = [
            {
                "form_number": d.form_number,
                "question": d.field,
                "first_value": _as_text(d.first),
                "second_value": _as_text(d.second),
                "first_enumerator": d.first_enumerator,
                "second_enumerator": d.second_enumerator,
                "resolved_value": _as_text(r.value) if r else "",
                "resolution": r.choice if r else "",
                "resolved_by": r.who if r else "",
            }
            for comparison in self.comparisons
            for d, r in comparison.differences
        ]
        columns = ["form_number", "question", "first_value", "second_value", "first_enumerator",
                   "second_enumerator", "resolved_value", "resolution", "resolved_by"]
        return pd.DataFrame(rows, columns=columns).astype("str")

    def agreement(self) -> pd.DataFrame:
        """Per enumerator recorded on the keyings: forms, fields compared, disagreements and
        the agreement rate."""
        import pandas as pd

        rows = [
            {"enumerator": keying.enumerator, "form_number": c.form_number,
             "fields": c.fields_compared, "disagreements": len(c.differences)}
            for c in self.comparisons
            for keying in (c.first, c.second)
        ]
        frame = pd.DataFrame(rows, columns=["enumerator", "form_number", "fields", "disagreements"])
        table = frame.groupby("enumerator", sort=True).agg(
            forms=("form_number", "nunique"),
            fields_compared=("fields", "sum"),
            disagreements=("disagreements", "sum"),
        ).reset_index()
        table["agreement_rate"] = 1 - table["disagreements"] / table["fields_compared"]
        return table

    def write_report(self, path: str | os.PathLike) -> Path:
        from dmsurvey.store.exporting import spreadsheet_safe, write_atomically

        path = Path(path)
        frame = spreadsheet_safe(self.disagreements())
        write_atomically(path, lambda tmp: frame.to_csv(tmp, index=False, encoding="utf-8-sig"))
        return path

    def summary(self, *, reported: bool = False) -> str:
        """What the run found and what is left; `reported`: the differences were written to a
        report file, so the summary does not suggest writing one."""
        differences = sum(len(c.differences) for c in self.comparisons)
        lines = [
            f"{plural(len(self.comparisons), 'form')} keyed twice, "
            f"{plural(differences, 'field')} keyed differently, "
            f"{len(self.pending):,} still to settle.",
        ]
        reconciled = sum(not c.pending for c in self.comparisons)
        if reconciled:
            lines.append(
                f"{plural(reconciled, 'form')} reconciled and complete"
                + (f" ({len(self.completed):,} marked complete now)." if self.completed else ".")
            )
        if self.reopened:
            lines.append(
                f"{plural(len(self.reopened), 'form')} {_was_complete(len(self.reopened))} "
                f"in progress until reconciled: {_listed(self.reopened)}"
            )
        refused = [f"{c.form_number} {question}" for c in self.comparisons
                   for question in c.refused]
        if refused:
            lines.append(
                f"{plural(len(refused), 'logged resolution')} the questionnaire refuses "
                f"{'is' if len(refused) == 1 else 'are'} to be settled again: {_listed(refused)}"
            )
        if self.keyed_once:
            lines.append(
                f"{plural(len(self.keyed_once), 'form')} keyed only once (waiting for a second "
                "keying): " + _listed(self.keyed_once)
            )
        if self.keyed_too_often:
            lines.append(
                f"{plural(len(self.keyed_too_often), 'form')} keyed more than once in the same "
                f"entry round (void the extra keying): {_listed(self.keyed_too_often)}"
            )
        if self.comparisons:
            lines.append("Agreement per enumerator recorded on the keyings:")
            for row in self.agreement().itertuples(index=False):
                lines.append(
                    f"  {row.enumerator or '(no name)'}: {row.agreement_rate:.1%} of "
                    f"{plural(int(row.fields_compared), 'field')} on "
                    f"{plural(int(row.forms), 'form')}"
                )
        if self.pending:
            lines.append(
                "Settle the rest with `dmsurvey reconcile STUDY` in a terminal"
                + ("." if reported else ", or list them with --report diffs.csv.")
            )
        return "\n".join(lines)


def _was_complete(count: int) -> str:
    if count == 1:
        return "was complete but its keyings differ; it is"
    return "were complete but their keyings differ; they are"


def _listed(forms: list[str], shown: int = 20) -> str:
    return ", ".join(forms[:shown]) + (f" and {len(forms) - shown} more" if len(forms) > shown
                                       else "")


def reconcile_study(
    study: Study, *, who: str = "", resolve: Resolver | None = None
) -> ReconcileResult:
    """Compare every form keyed twice, ask `resolve` about each difference, settle forms.

    `resolve(disagreement)` returns a `Resolution` (logged at once, so an interruption loses
    nothing) or None to leave it for later. Forms with nothing left to settle are written back
    (see the module text).
    """
    keyings, keyed_once, keyed_too_often, complete_second_keyings = _paired_keyings(study)
    # A second keying checks the first; counted as complete, the firm would count twice.
    study.set_statuses(complete_second_keyings, "in_progress", who=who)
    resolutions = load_resolutions(study)
    comparisons, completed, reopened = [], [], []
    for form_number, (first, second) in keyings.items():
        comparison = compare_form(study.questionnaire, form_number, first, second, resolutions)
        skipped: set[str] = set()
        while resolve is not None:
            waiting = [d for d in comparison.pending if d.field not in skipped]
            if not waiting:
                break
            disagreement = waiting[0]
            resolution = resolve(disagreement)
            if resolution is None:
                skipped.add(disagreement.field)
                continue
            resolution = record_resolution(study, disagreement, resolution, who=who)
            resolutions[(form_number, disagreement.field)] = (
                disagreement.first, disagreement.second, resolution
            )
            # Settling one answer can change which later questions the form asks.
            comparison = compare_form(
                study.questionnaire, form_number, first, second, resolutions
            )
        comparisons.append(comparison)
        if not comparison.pending:
            with db.together(study.database_path):  # the form's settled values, or nothing
                _write_back(study, comparison, who=who)
            if first.status != "complete":
                completed.append(form_number)
        elif first.status == "complete":
            # Only reconciled forms count: a form with an open difference is not complete.
            reopened.append(form_number)
    # Statuses change in one transaction each way: one commit per form made large runs slow.
    study.set_statuses([keyings[form][0].response_id for form in completed], "complete",
                       who=who, reconciled=True)
    study.set_statuses([keyings[form][0].response_id for form in reopened], "in_progress",
                       who=who)
    return ReconcileResult(
        study.questionnaire, comparisons, keyed_once, keyed_too_often, completed, reopened
    )


def _paired_keyings(study: Study):
    frame = study.responses(status=["in_progress", "complete"])
    frame = frame[frame["form_number"].notna() & frame["entry"].isin([1, 2])]
    forms: dict[str, dict[int, list[str]]] = {}
    enumerators, statuses = {}, {}
    for row in frame[["response_id", "form_number", "entry", "enumerator", "status"]].itertuples(
        index=False
    ):
        forms.setdefault(str(row.form_number), {}).setdefault(int(row.entry), []).append(
            row.response_id
        )
        enumerators[row.response_id] = row.enumerator if isinstance(row.enumerator, str) else ""
        statuses[row.response_id] = str(row.status)
    complete_second_keyings = [
        rid for rid in _ids_of_entry(forms, 2) if statuses[rid] == "complete"
    ]
    paired, once, too_often = {}, [], []
    for form_number in sorted(forms, key=_natural_key):
        entries = forms[form_number]
        if any(len(ids) > 1 for ids in entries.values()):
            too_often.append(form_number)
        elif len(entries) < 2:
            once.append(form_number)
        else:
            paired[form_number] = tuple(
                Keying(rid, enumerators[rid], statuses[rid], study.get_answers(rid),
                       study.get_repeat_answers(rid) if study.questionnaire.repeats else {})
                for rid in (entries[1][0], entries[2][0])
            )
    return paired, once, too_often, complete_second_keyings


def _ids_of_entry(forms: dict[str, dict[int, list[str]]], entry: int) -> list[str]:
    return [rid for entries in forms.values() for rid in entries.get(entry, [])]


def _natural_key(text: str):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _write_back(study: Study, comparison: FormComparison, *, who: str) -> None:
    """Give the entry-1 response the settled values (its status is set by the caller)."""
    first = comparison.first
    for question_id, value in comparison.settled.items():
        if normalised(study.questionnaire[question_id], first.answers.get(question_id)) != value:
            study.save_answer(first.response_id, question_id, value, who=who)
    for disagreement, resolution in comparison.differences:
        if disagreement.repeat is not None:
            continue  # written with the instances
        question_id = disagreement.question.id
        cleared = resolution is not None and resolution.value is None
        if cleared and first.answers.get(question_id) is not None:
            study.save_answer(first.response_id, question_id, None, who=who)
    if study.questionnaire.repeats:
        _write_back_instances(study, comparison, who=who)


def _write_back_instances(study: Study, comparison: FormComparison, *, who: str) -> None:
    """Give the entry-1 response the settled instances and their answers, and remove the
    instances settled as not on the paper (the last first, so the numbers stay 1, 2, ...)."""
    first = comparison.first
    for section in study.questionnaire.repeats:
        keyed = section_instances(section, first.repeat_answers)
        for key, answers in comparison.settled_instances.get(section.id, {}).items():
            held = keyed.get(key)
            if held is None and not answers:
                # an instance kept with nothing answered: a row of its own all the same
                answerable = next(q for q in section.questions if q.asks_for_answer)
                study.save_repeat_answer(first.response_id, section.id, key, answerable.id,
                                         None, who=who)
            for question_id, value in answers.items():
                if (held or {}).get(question_id) != value:
                    study.save_repeat_answer(first.response_id, section.id, key, question_id,
                                             value, who=who)
    removed = []
    for disagreement, resolution in comparison.differences:
        if disagreement.repeat is None or resolution is None or resolution.value is not None:
            continue
        section, key = disagreement.repeat, disagreement.instance_key
        if disagreement.is_instance:
            removed.append((section.id, key))
        elif disagreement.question.id in first.repeat_answers.get(section.id, {}).get(key, {}):
            study.save_repeat_answer(first.response_id, section.id, key,
                                     disagreement.question.id, None, who=who)
    present = {(repeat, key) for repeat, instances in first.repeat_answers.items()
               for key in instances}
    for repeat, key in sorted(removed, key=lambda pair: instance_order(pair[1]), reverse=True):
        if (repeat, key) in present:
            study.remove_repeat_instance(first.response_id, repeat, key, who=who)


# --- the log ----------------------------------------------------------------------------


def _as_text(value: Any) -> str:
    if isinstance(value, dict):  # an instance: its answers
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def load_resolutions(study: Study) -> dict[tuple[str, str], tuple[Any, Any, Resolution]]:
    """The latest logged resolution of each (form, question)."""
    with study.connect() as connection:
        connection.execute(_CREATE_LOG)
        rows = connection.execute(
            f"SELECT form_number, question, first_value, second_value, resolved_value, choice, "
            f"who, resolved_at FROM {RESOLUTION_TABLE} ORDER BY id"
        ).fetchall()
    return {
        (form, question): (
            json.loads(first), json.loads(second),
            Resolution(json.loads(value), choice, who, at),
        )
        for form, question, first, second, value, choice, who, at in rows
    }


def record_resolution(
    study: Study, disagreement: Disagreement, resolution: Resolution, *, who: str = ""
) -> Resolution:
    """Log how `disagreement` was settled (committed at once) and return the logged entry.

    A value the questionnaire refuses (a wrong type, an exclusive choice with others, a
    broken constraint) raises a `DataError` and is not logged."""
    question = disagreement.question
    if disagreement.is_instance:
        # an instance is settled by taking one keying's: its answers, or None (not there)
        value = resolution.value
        if value not in (disagreement.first, disagreement.second):
            raise DataError(f"{disagreement.field} of form {disagreement.form_number} is "
                            "settled by taking the first or the second keying's instance")
    else:
        value = normalised(question, resolution.value)
        problem = answer_problem(AnswerChecker(study.questionnaire), question, value,
                                 disagreement.answers)
        if problem:
            raise DataError(f"{value!r} cannot settle {disagreement.field} of form "
                            f"{disagreement.form_number}",
                            [Problem(problem, column=question.id, value=value)])
    logged = Resolution(value, resolution.choice, resolution.who or who, db.now())

    def insert(connection):
        connection.execute(_CREATE_LOG)
        connection.execute(
            f"INSERT INTO {RESOLUTION_TABLE} (form_number, question, first_value, second_value, "
            "resolved_value, choice, who, resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                disagreement.form_number, disagreement.field,
                json.dumps(disagreement.first, ensure_ascii=False),
                json.dumps(disagreement.second, ensure_ascii=False),
                json.dumps(value, ensure_ascii=False), logged.choice, logged.who,
                logged.resolved_at,
            ),
        )

    db.write(study.database_path, insert)
    return logged


def resolutions_log(study: Study) -> pd.DataFrame:
    """Every resolution ever logged, oldest first."""
    import pandas as pd

    with study.connect() as connection:
        connection.execute(_CREATE_LOG)
        return pd.read_sql_query(f"SELECT * FROM {RESOLUTION_TABLE} ORDER BY id", connection)


# --- asking in the terminal -------------------------------------------------------------


class TerminalResolver:
    """Asks at the terminal how to settle each disagreement (questionary prompts).

    `input` and `output` go to prompt_toolkit, so tests can drive it with a pipe input.
    Ctrl-C raises KeyboardInterrupt; what was settled before it is already logged.
    """

    def __init__(
        self, questionnaire: Questionnaire, *, language: str | None = None,
        input=None, output=None,
    ):
        self.questionnaire = questionnaire
        self.language = chosen_language(questionnaire, language)
        self.checker = AnswerChecker(questionnaire)
        self._io = {key: value for key, value in (("input", input), ("output", output)) if value}

    def __call__(self, disagreement: Disagreement) -> Resolution | None:
        import questionary

        question = disagreement.question
        sides = (("first", disagreement.first), ("second", disagreement.second))
        if disagreement.is_instance:
            # an instance keyed once is kept as keyed or left out: nothing to type
            section = disagreement.repeat
            label = section.title.in_language(self.language)
            shown = {which: self.shown_instance(section, value) for which, value in sides}
            refused: dict[str, str | None] = {"first": None, "second": None}
        else:
            label = question.label.in_language(self.language)
            shown = {which: self.shown(question, value) for which, value in sides}
            # A keyed value the questionnaire refuses (say, -4 employees) cannot be taken.
            refused = {which: answer_problem(self.checker, question, value, disagreement.answers)
                       for which, value in sides}
        choices = [
            questionary.Choice(f"first keying:  {shown['first']}", value="first",
                               disabled=refused["first"]),
            questionary.Choice(f"second keying: {shown['second']}", value="second",
                               disabled=refused["second"]),
            *([] if disagreement.is_instance
              else [questionary.Choice("type what the paper says", value="typed")]),
            questionary.Choice("skip for now", value="skip"),
        ]
        action = questionary.select(
            wrap(f"Form {disagreement.form_number}, {disagreement.field} ({label})",
                 SCREEN_WIDTH - 3),
            choices=choices, **self._io,
        ).unsafe_ask()
        if action == "first":
            return Resolution(disagreement.first, "first")
        if action == "second":
            return Resolution(disagreement.second, "second")
        if action == "typed":
            return Resolution(self.ask_value(question, disagreement.answers), "typed")
        return None

    def shown_instance(self, section: Section, answers: Mapping[str, Any] | None) -> str:
        if answers is None:
            return "(not there)"
        shown = [f"{q.label.in_language(self.language)} {self.shown(q, answers[q.id])}"
                 for q in section.questions if q.id in answers]
        return "; ".join(shown) or "(there, nothing answered)"

    def ask_value(self, question: Question, answers: Mapping[str, Any] | None = None) -> Any:
        """What the paper says, as the canonical value (None = left blank on the paper).

        The answer is checked as every way in checks it, with the form's other settled
        `answers` for a constraint; a refused one is asked again with the reason."""
        import questionary

        answers = answers or {}
        prompt = "What does the paper say?"

        def problem(raw) -> str | None:
            return answer_problem(self.checker, question, raw, answers)

        if question.type == "select_multiple":
            choices = [
                questionary.Choice(self.shown(question, choice.code), value=choice.code)
                for choice in question.choices
            ]
            codes = questionary.checkbox(
                prompt, choices=choices, validate=lambda ticked: problem(ticked) or True,
                **self._io).unsafe_ask()
            return self.checker.read(question, codes)
        if question.type == "select_one":
            choices = [
                questionary.Choice(self.shown(question, choice.code), value=choice.code)
                for choice in question.choices
            ] + [questionary.Choice("(blank)", value="")]
            while True:
                code = questionary.select(prompt, choices=choices, **self._io).unsafe_ask()
                refused = problem(code)
                if not refused:
                    return code or None
                prompt = f"{refused}. What does the paper say?"
        typed = questionary.text(
            prompt, validate=lambda text: problem(text) or True, **self._io
        ).unsafe_ask()
        return self.checker.read(question, typed)

    def shown(self, question: Question, value: Any) -> str:
        if value is None:
            return "(blank)"
        if question.is_select:
            known = set(question.choice_codes)
            return ", ".join(
                f"{question.choice(code).label.in_language(self.language)} [{code}]"
                if code in known else code
                for code in str(value).split()
            )
        return str(value)
