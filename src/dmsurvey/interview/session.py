"""One interview from the first question to submission: engine, prompts and study together.

Every answer is committed the moment it is given (status `in_progress`), so a crash or
`kill -9` loses at most the question on screen. It is committed first to the interview's
outbox (`dmsurvey.store.outbox`), from which the study database gets it as soon as it is free:
an import holding the database for seconds never makes the interview wait. Ctrl-C asks
whether to pause (the answers stay, to resume later) or discard (the response is marked void).
"""

from __future__ import annotations

import enum
import os
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dmsurvey.errors import StudyError
from dmsurvey.interview.engine import (
    Interview,
    InvalidAnswer,
    Screen,
    format_number,
    split_screen_name,
)
from dmsurvey.interview.messages import counted, message, tool_language
from dmsurvey.interview.metadata import closing_metadata, local_now, opening_metadata
from dmsurvey.interview.prompts import BACK, Prompter, fit
from dmsurvey.questionnaire.choice_filters import offered_choices
from dmsurvey.questionnaire.model import MEDIA_TYPES, Question, Section
from dmsurvey.questionnaire.repeats import instance_number
from dmsurvey.wording import plural

if TYPE_CHECKING:
    from prompt_toolkit.input import Input
    from prompt_toolkit.output import Output

    from dmsurvey.store.outbox import Outbox
    from dmsurvey.store.study import Study

MODES = ("interview", "clerk", "self")
# Entries in one list (review page, unfinished interviews), so that it fits a 24-line
# terminal with its header.
LIST_ROWS = 15
# How long the end of an interview waits for the study database before saying it is busy.
BUSY_PATIENCE_SECONDS = 10


class _Step(enum.Enum):
    SUBMIT = "submit"
    NEW = "new"
    CONTINUE = "continue"


@dataclass(frozen=True)
class SessionResult:
    """How the session ended: "submitted", "keyed_for_reconcile" (a paper form keyed twice,
    complete once reconciled), "paused", "discarded" or "nothing_saved"; and the
    language the tool spoke, for the last word."""

    outcome: str
    response_id: str | None
    language: str = "en"


class InterviewSession:
    """Runs interviews for one study on one terminal.

    mode "interview": an enumerator reads the questions to a respondent (source electronic);
    "clerk": keying a paper form (`entry` 1 or 2, `form_number`; numbered choices, no
    introduction; source paper); "self": the respondent fills it in alone, after the
    questionnaire's instructions (source electronic).
    """

    def __init__(
        self,
        study: Study,
        prompter: Prompter,
        *,
        language: str | None = None,
        enumerator: str = "",
        mode: str = "interview",
        entry: int | None = None,
        form_number: str | None = None,
    ):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.study = study
        self.questionnaire = study.questionnaire
        self.language = self.questionnaire.label_language(language)
        self.tool_language = tool_language(language or self.language)
        self.prompter = prompter
        self.enumerator = enumerator
        self.mode = mode
        self.entry = entry
        self.form_number = form_number
        self.response_id: str | None = None
        self._outbox: Outbox | None = None
        # When a new interview opened (XLSForm `start`), though it is stored at the first answer.
        self.opened_at = local_now()

    # -- the whole session -------------------------------------------------------------------

    def run(self, resume_id: str | None = None, edit_id: str | None = None) -> SessionResult:
        """Interview one firm (a new one, or `resume_id`) until submitted, paused or discarded.

        `edit_id`: reopen a submitted response to correct it; it opens on the review. Its
        status goes back to in progress until it is submitted again, and the audit trail
        keeps every answer it held before."""
        if edit_id is not None:
            answers = self._reopen(edit_id)
            interview = Interview(self.questionnaire, answers, language=self.language,
                                  repeat_answers=self.study.get_repeat_answers(self.response_id),
                                  skip_notes=self.mode == "clerk")
            interview.pick_up("")
            # Every question was seen before it was submitted: a correction asks only what
            # it opens, not the optional questions left blank.
            return self._loop(interview,
                              seen={s.name for s in interview.applicable_screens()})
        try:
            return self._run(resume_id)
        finally:
            self._settle()

    def _run(self, resume_id: str | None) -> SessionResult:
        from dmsurvey.store.outbox import store_leftovers_when_free

        store_leftovers_when_free(self.study)  # what an interview that ended abruptly left
        try:
            answers = self._choose_response(resume_id)
            self.opened_at = local_now()
            if self.response_id is None and self.mode != "clerk":
                self._introduction()
        except (KeyboardInterrupt, EOFError):
            return self._paused()
        repeat_answers = (None if self.response_id is None
                          else self.study.get_repeat_answers(self.response_id))
        interview = Interview(self.questionnaire, answers, repeat_answers=repeat_answers,
                              language=self.language, skip_notes=self.mode == "clerk")
        if self.response_id is not None:
            interview.pick_up(self._paused_on())
        return self._loop(interview)

    def _loop(self, interview: Interview, seen: set[str] | None = None) -> SessionResult:
        shown: set[str] = set(seen or ())
        back_to_review = False
        error = ""
        while True:
            screen = interview.screen
            try:
                if screen is None:
                    target, error = self._review(interview, error), ""
                    if target is _Step.SUBMIT:
                        missing = interview.missing_screens()
                        if not missing:
                            if self.prompter.confirm(self._say("confirm_submit")):
                                return self._submit(interview)
                            continue
                        interview.go_to(missing[0].name)
                        back_to_review = True
                        unanswered = counted(len(missing), "required_question", self.tool_language)
                        error = self._say("missing_required", questions=unanswered)
                    elif target is BACK:
                        interview.back()
                    else:
                        interview.go_to(target)
                        back_to_review = True
                    continue
                shown.add(screen.name)
                value, error = self._ask(interview, screen, error), ""
                if value is BACK:
                    interview.back()
                    continue
                if screen.adds_instance:
                    if not self._add_or_stop(interview, screen, value):
                        continue
                elif screen.asks_for_answer and not self._save(interview, screen, value):
                    continue
            except (KeyboardInterrupt, EOFError) as stop:
                # EOF: the input is gone (Ctrl-D, a dropped SSH link): keep all, as a pause.
                interrupted = isinstance(stop, KeyboardInterrupt)
                ended = self._interrupted() if interrupted else self._paused()
                if ended is None:
                    continue
                if ended.outcome == "paused":
                    self._remember_screen(screen)
                return ended
            if back_to_review:
                # A changed answer may open questions never asked: ask those, then review.
                interview.resume(skipping=shown)
            else:
                interview.advance()

    # -- choosing the response -----------------------------------------------------------

    def _choose_response(self, resume_id: str | None) -> dict:
        if resume_id is None:
            resume_id = self._pick_unfinished()
        if resume_id is None:
            return {}
        resume_id = self._unfinished_id(resume_id)
        response = self.study.get_response(resume_id)
        if response.get("status") != "in_progress":
            raise StudyError(
                f"response {resume_id} is {response.get('status')}, not in progress: "
                "only unfinished interviews can be resumed"
            )
        self.response_id = resume_id
        self.enumerator = self.enumerator or (response.get("enumerator") or "")
        return self.study.get_answers(resume_id)

    def _reopen(self, typed: str) -> dict:
        """Reopen the response whose id starts with `typed` for correction."""
        typed = typed.strip()
        matches = [rid for rid in self.study.response_ids() if rid.startswith(typed)]
        if typed in matches:
            matches = [typed]
        if len(matches) != 1:
            raise StudyError(
                f"--edit {typed} fits {plural(len(matches), 'response')}"
                + ("; type more of the id" if matches else "; `dmsurvey export STUDY -o "
                   "firms.csv --all` lists the ids"))
        response = self.study.get_response(matches[0])
        if response.get("status") == "void":
            raise StudyError(f"response {matches[0]} is void: it cannot be edited")
        self.response_id = matches[0]
        self.enumerator = self.enumerator or (response.get("enumerator") or "")
        if response.get("status") == "complete":
            self.study.set_status(self.response_id, "in_progress", who=self.enumerator)
        return self.study.get_answers(self.response_id)

    def _unfinished_id(self, typed: str) -> str:
        """The unfinished response whose id starts with `typed` (the first few characters
        are enough, as with git commits)."""
        typed = typed.strip()
        matches = [
            summary.response_id
            for summary in self.study.unfinished()
            if summary.response_id.startswith(typed)
        ]
        if typed in matches:
            return typed
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            shown = ", ".join(matches[:5]) + (", ..." if len(matches) > 5 else "")
            raise StudyError(
                f"--resume {typed} fits {plural(len(matches), 'unfinished interview')} "
                f"({shown}); type more of the id"
            )
        try:
            self.study.get_response(typed)
        except StudyError:
            raise StudyError(
                f"No unfinished interview in this study has an id starting with {typed!r}. "
                "Run dmsurvey collect without --resume to choose one from the list."
            ) from None
        return typed  # a finished or void response: the caller says why it cannot go on

    def _pick_unfinished(self) -> str | None:
        unfinished = self.study.unfinished()
        if self.mode == "clerk":
            # The same form keyed again by the same clerk round continues where it stopped.
            for summary in unfinished:
                if str(summary.form_number) == str(self.form_number) and (
                    summary.entry == self.entry
                ):
                    return summary.response_id
            return None
        # Paper forms being keyed belong to the clerks, not to the interviewers' list.
        unfinished = [summary for summary in unfinished if not summary.form_number]
        if not unfinished:
            return None
        # The most recent first; older ones stay reachable with --resume ID.
        choices: list[tuple[object, str]] = [
            (summary.response_id, fit(self._describe(summary)))
            for summary in unfinished[:LIST_ROWS]
        ]
        choices.append((_Step.NEW, self._say("new_interview")))
        self.prompter.new_screen()
        self._show_title()
        picked = self.prompter.select(self._say("resume_title"), choices, back=False)
        return None if picked is _Step.NEW else picked

    def _describe(self, summary) -> str:
        updated = str(summary.updated_at or "")[:16].replace("T", " ")
        return self._say(
            "resume_item",
            firm=summary.firm_name or self._say("unnamed_firm"),
            enumerator=summary.enumerator or self._say("no_enumerator"),
            answered=summary.answered,
            total=summary.total,
            updated=updated,
        )

    def _introduction(self) -> None:
        questionnaire = self.questionnaire
        self.prompter.new_screen()
        self._show_title()
        intro = questionnaire.instructions if self.mode == "self" else questionnaire.description
        if intro is not None:
            self.prompter.show([("", intro.in_language(self.language)), ("", "")])
        self.prompter.select(
            self._say("keys_select"),
            [(_Step.CONTINUE, self._say("start_choice"))],
            back=False,
        )

    def _show_title(self) -> None:
        title = self.questionnaire.title.in_language(self.language)
        self.prompter.show([("progress", title), ("", "")])

    # -- one question ----------------------------------------------------------------------

    def _ask(self, interview: Interview, screen: Screen, error: str) -> object:
        """Ask until the answer is valid; returns its canonical value, or BACK (on a screen
        adding an instance: True to add it, False for no more)."""
        if screen.adds_instance:
            return self._ask_to_add(interview, screen)
        question = screen.question
        while True:
            raw = self._prompt(interview, question, error)
            if raw is BACK or not question.asks_for_answer:
                return raw
            try:
                return interview.parse(raw, question)
            except InvalidAnswer as invalid:
                # Only reached by select lists: typed and ticked answers are checked on the spot.
                error = str(invalid)

    def _prompt(self, interview: Interview, question: Question, error: str) -> object:
        prompter = self.prompter
        compact = self.mode == "clerk"
        kind = {"select_one": "select", "acknowledge": "select", "select_multiple": "checkbox"}.get(
            question.type, "text"
        )
        keys = f"keys_{kind}" + ("_numbers" if compact and kind != "text" else "")
        if compact and kind == "text":
            keys = "keys_text_compact"
        lines = [("section", self._heading(interview)), ("keys", self._say(keys)), ("", "")]
        hint = interview.filled_in(question.hint)
        if hint and not compact:
            lines.append(("hint", self._say("hint", text=hint)))
        unit = interview.text(question.unit)
        if unit:
            lines.append(("unit", self._say("unit", text=unit)))
        if question.type in MEDIA_TYPES:
            lines.append(("hint", self._say("media_hint")))
        if question.type == "rank":
            listed = "  ".join(
                f"{choice.code}) {interview.text(choice.label)}" for choice in question.choices
            )
            lines.append(("hint", self._say("rank_choices", choices=listed)))
        if error:
            lines.append(("error", error))
        prompter.new_screen()
        prompter.show(lines)

        label = interview.filled_in(question.label)
        if compact:
            label = f"{question.id} {label}"
        current = interview.answer_on(interview.screen)
        back = not interview.at_first
        if not question.asks_for_answer:
            return prompter.select(label, [(None, self._say("continue_choice"))], back=back)
        choices = [(choice.code, interview.text(choice.label))
                   for choice in offered_choices(question, interview.seen_from(interview.screen),
                                                 interview.context)]
        check = _checker(interview, question)
        if question.type == "acknowledge":
            choices = [("OK", self._say("acknowledge_choice"))]
        if question.type in ("select_one", "acknowledge"):
            if not question.required:
                choices.append(("", self._say("leave_unanswered")))
            return prompter.select(label, choices, default=current, back=back)
        if question.type == "select_multiple":
            ticked = str(current).split() if current else ()
            return prompter.checkbox(label, choices, checked=ticked, validate=check, back=back)
        if current is None:
            typed = ""
        else:
            typed = format_number(current) if question.is_numeric else str(current)
        preview = None
        if question.type in ("date", "time", "datetime", "geopoint"):
            def preview(text: str) -> str:
                shown = interview.understood(question, text)
                return self._say("understood", value=shown) if shown else ""
        return prompter.text(label, default=typed, validate=check, back=back, preview=preview)

    def _ask_to_add(self, interview: Interview, screen: Screen) -> object:
        """Whether to add the instance `screen` is about (True), or no more (False); BACK."""
        number = instance_number(screen.instance_key)
        title = interview.text(screen.repeat.title)
        self.prompter.new_screen()
        keys = "keys_select_numbers" if self.mode == "clerk" else "keys_select"
        self.prompter.show([("section", self._heading(interview)), ("keys", self._say(keys)),
                            ("", "")])
        question = self._say("add_first" if number == 1 else "add_another", title=title,
                             number=number)
        choices = [(True, self._say("add_choice", title=title, number=number)),
                   (False, self._say("no_more_choice"))]
        return self.prompter.select(question, choices, back=not interview.at_first)

    def _heading(self, interview: Interview) -> str:
        screen = interview.screen
        title = interview.title(interview.section, screen.instance_key)
        heading = f"{interview.progress()} — {title}"
        if self.mode == "clerk":
            form = self._say("form_header", form=self.form_number, entry=self.entry)
            heading = f"{form} · {heading}"
        return fit(heading)

    # -- review ----------------------------------------------------------------------------

    def _review(self, interview: Interview, error: str) -> object:
        """The review screens; returns SUBMIT, BACK or the id of a question to change."""
        pages = []
        for part in interview.review():
            items = part.items
            chunks = [items[i : i + LIST_ROWS] for i in range(0, len(items), LIST_ROWS)]
            for number, chunk in enumerate(chunks, start=1):
                title = interview.title(part.section, part.instance_key)
                if len(chunks) > 1:
                    title += f" ({number}/{len(chunks)})"
                answered = sum(1 for item in chunk if item.shown)
                pages.append((title, answered, chunk))
        while True:
            self.prompter.new_screen()
            self._show_title()
            if error:
                self.prompter.show([("error", error)])
            choices: list[tuple[object, str]] = [
                (index, fit(f"{title}  ({answered}/{len(chunk)})"))
                for index, (title, answered, chunk) in enumerate(pages)
            ]
            choices.append((_Step.SUBMIT, self._say("review_submit")))
            picked = self.prompter.select(self._say("review_title"), choices, default=_Step.SUBMIT)
            if picked is _Step.SUBMIT or picked is BACK:
                return picked
            title, _, chunk = pages[picked]
            self.prompter.new_screen()
            self.prompter.show([("section", fit(title)), ("", "")])
            unanswered = self._say("not_answered")
            entries = [
                (
                    item.screen.name,
                    fit(
                        self._say("review_label",
                                  label=interview.filled_in(item.question.label, item.screen)),
                        item.shown or unanswered,
                    ),
                )
                for item in chunk
            ]
            target = self.prompter.select(self._say("review_page"), entries)
            if target is not BACK:
                return target

    # -- storing -----------------------------------------------------------------------------

    def _save(self, interview: Interview, screen: Screen, value: object) -> bool:
        """Store the answer given on `screen`, and the calculations it changes; False (and
        nothing stored) when it would remove instances and the interviewer says no."""
        before = interview.answer_on(screen)
        if before == value:
            return True
        interview.record_on(screen, value)
        calculated = interview.recalculate()
        surplus = interview.surplus_instances()
        if surplus and not self._removal_confirmed(interview, surplus):
            interview.record_on(screen, before)
            interview.recalculate()
            return False
        if self.response_id is None:
            self._start_response()
        self._store_answer(screen.name, value)
        for name, calculated_value in calculated.items():
            self._store_answer(name, calculated_value)
        self._remove(interview, surplus)
        return True

    def _add_or_stop(self, interview: Interview, screen: Screen, add: bool) -> bool:
        """Add the instance `screen` asks about, or, for no more, remove it and those after
        it if they exist (once the interviewer confirms: False if not)."""
        if add:
            interview.add_instance(screen)
            return True
        dropped = interview.instances_from(screen)
        if dropped and not self._removal_confirmed(interview, dropped):
            return False
        self._remove(interview, dropped)
        return True

    def _removal_confirmed(self, interview: Interview,
                           instances: list[tuple[Section, str]]) -> bool:
        listed = ("、" if self.tool_language == "zh" else ", ").join(
            interview.title(repeat, key) for repeat, key in instances)
        self.prompter.new_screen()
        return self.prompter.confirm(self._say("remove_instances", instances=listed))

    def _remove(self, interview: Interview, instances: list[tuple[Section, str]]) -> None:
        # From the last one back, so that the numbers of those left stay 1, 2, 3, ...
        for repeat, key in reversed(instances):
            if self.response_id is not None:
                self._store("remove_repeat_instance", repeat=repeat.id, instance_key=key)
            interview.remove_instance(repeat, key)

    def _store_answer(self, name: str, value: object) -> None:
        """Store the answer given on the screen called `name` (see `Screen.name`)."""
        question_id, repeat, instance_key = split_screen_name(name)
        if repeat is None:
            self._store("save_answer", question=question_id, value=value)
        else:
            self._store("save_repeat_answer", repeat=repeat, instance_key=instance_key,
                        question=question_id, value=value)

    def _store(self, change: str, **arguments: object) -> None:
        """Commit one change of this response through its outbox (see the module docs)."""
        from dmsurvey.store.outbox import Outbox

        if self._outbox is None:
            self._outbox = Outbox(self.study, self.response_id)
        if change != "start_response":
            arguments["response_id"] = self.response_id
        if change in ("save_answer", "set_metadata", "set_status", "save_repeat_answer",
                      "remove_repeat_instance"):
            arguments["who"] = self.enumerator
        self._outbox.add(change, **arguments)

    def _stored(self) -> bool:
        """Wait until the study has stored every change, saying so if it is busy; False when
        the user leaves first (the changes stay in the outbox for the next session)."""
        if self._outbox is None:
            return True
        while not self._outbox.flush(timeout=BUSY_PATIENCE_SECONDS):
            self.prompter.new_screen()
            choice = self.prompter.select(
                self._say("database_busy", path=self._outbox.path),
                [("wait", self._say("wait_choice")), ("leave", self._say("leave_choice"))],
                back=False)
            if choice == "leave":
                return False
        return True

    def _settle(self) -> None:
        if self._outbox is None:
            return
        try:
            self._stored()
        except (KeyboardInterrupt, EOFError):
            pass  # the changes stay in the outbox; the next session stores them
        finally:
            self._outbox.close()
            self._outbox = None

    def _start_response(self) -> None:
        # Started at the first answer, so a session left before it leaves no empty response.
        self.response_id = str(uuid.uuid4())
        self._store(
            "start_response",
            response_id=self.response_id,
            source="paper" if self.mode == "clerk" else "electronic",
            enumerator=self.enumerator,
            entry=self.entry or 1,
            form_number=self.form_number,
            metadata=opening_metadata(
                self.questionnaire.metadata_fields, opened=self.opened_at,
                enumerator=self.enumerator,
            ),
        )

    def _submit(self, interview: Interview) -> SessionResult:
        if self.response_id is None:
            # Nothing answered, all of it optional: still a submitted (empty) questionnaire.
            self._start_response()
        # Answers to questions the skip logic no longer asks (the firm's industry was
        # corrected, say) must not reach the analysis.
        for question_id in interview.stale_answers():
            self._store("save_answer", question=question_id, value=None)
            interview.record(None, self.questionnaire.question(question_id))
        for screen in interview.stale_instance_answers():
            self._store_answer(screen.name, None)
            interview.record_on(screen, None)
        closing = closing_metadata(self.questionnaire.metadata_fields, closed=local_now())
        self._store("set_metadata", **closing)
        self._store("set_status", status="complete")
        if not self._stored():
            return self._result("submitted")  # stored from the outbox at the next session
        # A paper form keyed twice stays in progress until its keyings are reconciled.
        stored = self.study.get_response(self.response_id)["status"]
        return self._result("submitted" if stored == "complete" else "keyed_for_reconcile")

    def _interrupted(self) -> SessionResult | None:
        """Ctrl-C: pause (answers kept), discard (void), or go on. None means go on."""
        if self.response_id is None:
            return self._paused()
        self.prompter.new_screen()
        choices = [
            ("pause", self._say("pause_choice")),
            ("discard", self._say("discard_choice")),
            ("resume", self._say("resume_choice")),
        ]
        try:
            choice = self.prompter.select(self._say("interrupted"), choices, back=False)
        except (KeyboardInterrupt, EOFError):
            choice = "pause"
        if choice == "pause":
            return self._paused()
        if choice == "discard":
            self._store("set_status", status="void")
            return self._result("discarded")
        return None

    def _remember_screen(self, screen: Screen | None) -> None:
        self._store("remember_screen", question_id=None if screen is None else screen.name)

    def _paused_on(self) -> str | None:
        return self.study.paused_on(self.response_id)

    def _paused(self) -> SessionResult:
        return self._result("nothing_saved" if self.response_id is None else "paused")

    def _result(self, outcome: str) -> SessionResult:
        return SessionResult(outcome, self.response_id, self.tool_language)

    def _say(self, key: str, **fields: object) -> str:
        return message(key, self.tool_language, **fields)


def _checker(interview: Interview, question: Question):
    """A prompt validator: True, or the message saying what is wrong, shown under the input."""

    def check(raw: object) -> bool | str:
        try:
            interview.parse(raw, question)
        except InvalidAnswer as invalid:
            return str(invalid)
        return True

    return check


def collect(
    study_path: str | os.PathLike,
    *,
    language: str | None = None,
    enumerator: str = "",
    mode: str = "interview",
    entry: int | None = None,
    form_number: str | None = None,
    resume_id: str | None = None,
    edit_id: str | None = None,
    input: Input | None = None,
    output: Output | None = None,
) -> SessionResult:
    """Open the study at `study_path` and interview one firm in the terminal.

    `edit_id` reopens a submitted response for correction (see `InterviewSession.run`).
    `input`/`output` are prompt_toolkit objects (the real terminal when None).
    """
    from dmsurvey.store.study import open_study

    study = open_study(study_path)
    language = study.questionnaire.label_language(language)
    prompter = Prompter(
        language=tool_language(language), compact=mode == "clerk", input=input, output=output
    )
    session = InterviewSession(
        study,
        prompter,
        language=language,
        enumerator=enumerator,
        mode=mode,
        entry=entry,
        form_number=form_number,
    )
    # A connection held open (and once used) for the session stops SQLite from checkpointing
    # its write-ahead log each time the store closes the connection of a commit: that alone
    # took half the time of an answer.
    with prompter.keyboard(), study.connect() as held:
        held.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return session.run(resume_id, edit_id)
