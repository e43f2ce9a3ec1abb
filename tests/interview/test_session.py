"""Whole interviews on a real study store, driven by keys through a pipe."""

from __future__ import annotations

import io
import socket
from datetime import UTC, datetime

import pytest
from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from prompt_toolkit.output.vt100 import Vt100_Output

from dmsurvey.errors import StudyError
from dmsurvey.interview.prompts import Prompter
from dmsurvey.interview.session import InterviewSession
from dmsurvey.store.study import open_study

from .terminal import BACKSPACE, CTRL_B, CTRL_C, DOWN, ENTER, SPACE, UP


def run(study, keys: str, *, mode="interview", language="en", resume_id=None, output=None,
        edit_id=None, **kw):
    """Run one session on `keys`; fails (EOF) rather than hangs if the keys run out."""
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        pipe.close()  # only the writing end: running out of keys ends the session
        prompter = Prompter(
            language=language, compact=mode == "clerk", input=pipe, output=output or DummyOutput()
        )
        session = InterviewSession(study, prompter, language=language, mode=mode, **kw)
        return session.run(resume_id, edit_id)


def screen() -> tuple[Vt100_Output, io.StringIO]:
    buffer = io.StringIO()
    return Vt100_Output(buffer, lambda: Size(rows=24, columns=80), term="xterm"), buffer


START = ENTER  # the introduction's single "Start" choice
SUBMIT = ENTER + "y"  # the review opens on "Submit"; then confirm
SERVICES_FIRM = "".join(
    [
        START,
        DOWN + ENTER,  # industry: services (mfg_subsector skipped)
        "1,200" + ENTER,  # employees
        ENTER,  # revenue: optional, left blank
        SPACE + DOWN + SPACE + ENTER,  # tech_used: big data and AI
        ENTER,  # the note
        "fine" + ENTER,  # comment
    ]
)


def stored(study, response_id):
    again = open_study(study.path)  # read back from disk, as another process would
    return again.get_response(response_id), again.get_answers(response_id)


def test_a_whole_interview_is_stored_answer_by_answer(study):
    result = run(study, SERVICES_FIRM + SUBMIT, enumerator="Li")
    assert result.outcome == "submitted"
    response, answers = stored(study, result.response_id)
    assert answers == {
        "industry": "services",
        "employees": 1200,
        "tech_used": "big_data ai",
        "comment": "fine",
    }
    assert response["status"] == "complete"
    assert response["source"] == "electronic"
    assert response["enumerator"] == "Li"


def test_manufacturers_get_the_extra_questions(study):
    keys = [
        START,
        ENTER,  # manufacturing
        DOWN + ENTER,  # subsector: other_mfg
        "１２" + ENTER,  # full-width digits
        "3,456.5" + ENTER,
        DOWN + DOWN + SPACE + ENTER,  # tech_used: none
        ENTER + ENTER,  # the note; no comment
        SPACE + ENTER,  # smart_mfg: lines
        SUBMIT,
    ]
    result = run(study, "".join(keys))
    assert stored(study, result.response_id)[1] == {
        "industry": "manufacturing",
        "mfg_subsector": "other_mfg",
        "employees": 12,
        "revenue": 3456.5,
        "tech_used": "none",
        "smart_mfg": "lines",
    }


def test_back_and_change_an_answer(study):
    keys = [
        START,
        DOWN + ENTER,  # services
        CTRL_B,  # back from employees to industry, which shows "services" chosen
        UP + ENTER,  # manufacturing instead: now the subsector is asked
        ENTER,  # pharma
        "5" + ENTER,
        CTRL_B,  # back from revenue to employees, which shows "5"
        BACKSPACE + "7" + ENTER,
        ENTER,  # revenue blank
        UP + ENTER,  # tech_used: the back choice is the last entry
        ENTER,  # revenue blank again
        SPACE + ENTER,  # tech_used: big data
        ENTER + ENTER,  # the note; no comment
        SPACE + ENTER,  # smart_mfg: lines
        SUBMIT,
    ]
    result = run(study, "".join(keys))
    assert stored(study, result.response_id)[1] == {
        "industry": "manufacturing",
        "mfg_subsector": "pharma",
        "employees": 7,
        "tech_used": "big_data",
        "smart_mfg": "lines",
    }
    changes = open_study(study.path).audit(result.response_id)
    industry = changes.loc[changes["field"] == "industry", "new"]
    assert list(industry) == ["services", "manufacturing"]
    employees = changes.loc[changes["field"] == "employees", "new"]
    assert list(employees) == ["5", "7"]


def test_an_answer_breaking_the_constraint_is_refused_until_corrected(study):
    keys = [
        START,
        DOWN + ENTER,
        "-5" + ENTER,  # refused (the message on screen is checked end to end)
        BACKSPACE + BACKSPACE + "5" + ENTER,
        CTRL_C + ENTER,  # pause
    ]
    result = run(study, "".join(keys))
    assert result.outcome == "paused"
    assert stored(study, result.response_id)[1] == {"industry": "services", "employees": 5}


def test_pause_then_resume_from_the_list_of_unfinished(study):
    first = run(study, START + DOWN + ENTER + "30" + ENTER + CTRL_C + ENTER, enumerator="Wang")
    assert first.outcome == "paused"
    [summary] = open_study(study.path).unfinished()
    assert (summary.response_id, summary.enumerator, summary.answered) == (
        first.response_id,
        "Wang",
        2,
    )
    keys = [
        ENTER,  # the unfinished interview is listed first
        "2.5" + ENTER,  # revenue: the first question without an answer
        SPACE + ENTER,
        ENTER + ENTER,
        SUBMIT,
    ]
    second = run(study, "".join(keys))
    assert second.response_id == first.response_id
    response, answers = stored(study, first.response_id)
    assert answers == {
        "industry": "services",
        "employees": 30,
        "revenue": 2.5,
        "tech_used": "big_data",
    }
    assert response["status"] == "complete"
    assert response["enumerator"] == "Wang"


def test_resume_picks_up_where_it_stopped_past_questions_left_blank(study):
    keys = [
        START,
        DOWN + ENTER,  # services
        "4" + ENTER,
        ENTER,  # revenue: optional, left blank
        SPACE + ENTER,  # tech_used: big data
        ENTER,  # the note
        CTRL_C + ENTER,  # paused on the comment
    ]
    paused = run(study, "".join(keys))
    # Straight back to the comment: typed into the blank revenue, "ok" would be refused.
    resumed = run(study, "ok" + ENTER + SUBMIT, resume_id=paused.response_id)
    assert resumed.outcome == "submitted"
    assert stored(study, paused.response_id)[1] == {
        "industry": "services",
        "employees": 4,
        "tech_used": "big_data",
        "comment": "ok",
    }


def test_resume_opens_the_question_on_screen_when_paused(study):
    # Revenue left blank, then paused on tech_used: no answer says how far it got.
    paused = run(study, START + DOWN + ENTER + "4" + ENTER + ENTER + CTRL_C + ENTER)
    assert stored(study, paused.response_id)[1] == {"industry": "services", "employees": 4}
    # SPACE + ENTER ticks big data on tech_used; on revenue it would be an empty answer.
    run(study, SPACE + ENTER + CTRL_C + ENTER, resume_id=paused.response_id)
    assert stored(study, paused.response_id)[1]["tech_used"] == "big_data"
    # Paused on the note, it resumes at the comment; left blank, then paused on the review:
    # resuming opens the review (Enter submits), not the blank comment.
    run(study, ENTER + CTRL_C + ENTER, resume_id=paused.response_id)
    assert run(study, SUBMIT, resume_id=paused.response_id).outcome == "submitted"


def test_resume_by_id_and_a_new_interview_beside_it(study):
    paused = run(study, START + ENTER + CTRL_C + ENTER)
    # Straight to the interview: back from mfg_subsector to change the industry.
    resumed = run(study, CTRL_B + DOWN + ENTER + CTRL_C + ENTER, resume_id=paused.response_id)
    assert stored(study, paused.response_id)[1] == {"industry": "services"}
    fresh = run(study, DOWN + ENTER + SERVICES_FIRM + SUBMIT)  # "start a new interview"
    assert resumed.response_id == paused.response_id != fresh.response_id
    assert [s.response_id for s in open_study(study.path).unfinished()] == [paused.response_id]


def test_discard_marks_the_interview_void(study):
    result = run(study, START + ENTER + CTRL_C + DOWN + ENTER)
    assert result.outcome == "discarded"
    assert stored(study, result.response_id)[0]["status"] == "void"
    assert open_study(study.path).unfinished() == []


def test_go_on_after_ctrl_c(study):
    keys = START + DOWN + ENTER + CTRL_C + DOWN + DOWN + ENTER + "8" + ENTER + CTRL_C + ENTER
    result = run(study, keys)
    assert stored(study, result.response_id)[1] == {"industry": "services", "employees": 8}


def test_stopping_before_the_first_answer_saves_nothing(study):
    assert run(study, START + CTRL_C).outcome == "nothing_saved"
    assert run(study, CTRL_C).outcome == "nothing_saved"
    assert open_study(study.path).response_ids() == []


def test_review_changes_an_answer_and_asks_what_it_opens(study):
    keys = [
        SERVICES_FIRM,
        UP + UP + ENTER,  # review: section A (pages: A, B, Submit)
        ENTER,  # industry
        UP + ENTER,  # manufacturing: opens mfg_subsector and section C
        ENTER,  # pharma
        SPACE + ENTER,  # smart_mfg: lines; then back to the review
        SUBMIT,
    ]
    result = run(study, "".join(keys))
    assert stored(study, result.response_id)[1] == {
        "industry": "manufacturing",
        "mfg_subsector": "pharma",
        "employees": 1200,
        "tech_used": "big_data ai",
        "comment": "fine",
        "smart_mfg": "lines",
    }


def test_submit_clears_answers_the_skip_logic_no_longer_asks(study):
    keys = [
        START,
        ENTER + ENTER,  # manufacturing, pharma
        "9" + ENTER + ENTER,
        SPACE + ENTER + ENTER + ENTER,
        SPACE + ENTER,  # smart_mfg
        UP + UP + UP + ENTER + ENTER,  # review: section A, industry
        DOWN + ENTER,  # services: subsector and section C no longer apply
        SUBMIT,
    ]
    result = run(study, "".join(keys))
    assert stored(study, result.response_id)[1] == {
        "industry": "services",
        "employees": 9,
        "tech_used": "big_data",
    }


def test_clerks_key_a_paper_form_by_numbers(study):
    output, shown = screen()
    keys = [
        "2" + ENTER,  # no introduction; services by its number
        "1200" + ENTER,
        ENTER,
        "1" + "2" + ENTER,  # tech_used: big data and AI by number
        ENTER,  # the note is skipped for clerks, so this is the comment
        SUBMIT,
    ]
    result = run(
        study,
        "".join(keys),
        mode="clerk",
        entry=2,
        form_number="017",
        enumerator="Zhao",
        output=output,
    )
    response, answers = stored(study, result.response_id)
    assert answers == {"industry": "services", "employees": 1200, "tech_used": "big_data ai"}
    assert (response["source"], response["entry"], response["form_number"]) == ("paper", 2, "017")
    # A second keying never counts as a firm of its own: reconcile settles the form.
    assert response["status"] == "in_progress"
    assert result.outcome == "keyed_for_reconcile"
    assert "Form 017 · entry 2" in shown.getvalue()
    assert "A small questionnaire." not in shown.getvalue()  # no introduction


def test_a_clerk_continues_an_unfinished_form(study):
    first = run(study, "1" + ENTER + CTRL_C + ENTER, mode="clerk", entry=1, form_number="5")
    other = run(study, "1" + ENTER + CTRL_C + ENTER, mode="clerk", entry=2, form_number="5")
    again = run(study, "2" + ENTER + CTRL_C + ENTER, mode="clerk", entry=1, form_number="5")
    assert again.response_id == first.response_id != other.response_id
    assert stored(study, first.response_id)[1] == {
        "industry": "manufacturing",
        "mfg_subsector": "other_mfg",
    }


def test_self_completion_shows_the_instructions_in_chinese(study):
    output, shown = screen()
    result = run(study, START + CTRL_C, mode="self", language="zh", output=output)
    assert result.outcome == "nothing_saved"
    text = shown.getvalue()
    assert "请如实填写。" in text
    assert "小问卷" in text


def test_an_optional_list_question_can_be_left_unanswered(study):
    keys = [
        START,
        ENTER,  # manufacturing
        DOWN + DOWN + ENTER,  # mfg_subsector is optional: "(leave unanswered)" after the codes
        CTRL_C + ENTER,
    ]
    result = run(study, "".join(keys))
    assert stored(study, result.response_id)[1] == {"industry": "manufacturing"}


def test_only_unfinished_interviews_can_be_resumed(study):
    submitted = run(study, SERVICES_FIRM + SUBMIT)
    with pytest.raises(StudyError, match="complete, not in progress"):
        run(study, "", resume_id=submitted.response_id)


def test_resume_by_the_first_characters_of_the_id(study):
    paused = run(study, START + ENTER + CTRL_C + ENTER)
    resumed = run(study, CTRL_B + DOWN + ENTER + CTRL_C + ENTER, resume_id=paused.response_id[:5])
    assert resumed.response_id == paused.response_id
    assert stored(study, paused.response_id)[1] == {"industry": "services"}


def test_a_resume_id_fitting_several_or_none_is_refused_with_the_reason(study):
    for response_id in ("abc-one", "abc-two", "abc"):
        study.start_response(response_id=response_id)
    with pytest.raises(StudyError) as several:
        run(study, "", resume_id="ab")
    message = str(several.value)
    assert message.startswith("--resume ab fits 3 unfinished interviews (")
    assert message.endswith("); type more of the id")
    assert all(response_id in message for response_id in ("abc-one", "abc-two", "abc"))
    # An id that is whole is that response, even when it begins others.
    assert run(study, CTRL_C + ENTER, resume_id="abc").response_id == "abc"
    assert run(study, CTRL_C + ENTER, resume_id="abc-t").response_id == "abc-two"
    with pytest.raises(StudyError, match="No unfinished interview .* starting with 'xyz'"):
        run(study, "", resume_id="xyz")



def test_the_interview_records_when_it_started_and_was_submitted(metadata_study):
    before = datetime.now(UTC)
    result = run(metadata_study, SERVICES_FIRM + SUBMIT, enumerator="Li")
    after = datetime.now(UTC)
    response, _ = stored(metadata_study, result.response_id)
    start = datetime.fromisoformat(response["start"])
    end = datetime.fromisoformat(response["end"])
    submitted = datetime.fromisoformat(response["submitted_at"])
    # ODK's form: local time with its UTC offset, to the millisecond
    assert start.utcoffset() == datetime.now().astimezone().utcoffset()
    assert response["start"][19] == "." and response["start"][23] in "+-"
    assert submitted.utcoffset().total_seconds() == 0
    assert before.replace(microsecond=0) <= start <= end <= after
    assert abs((submitted - end).total_seconds()) < 1
    assert response["today"] == start.date().isoformat()
    assert response["deviceid"] == f"dmsurvey:{socket.gethostname()}"
    assert response["username"] == "Li"
    assert response["email"] is None  # a terminal cannot know it


def test_start_is_kept_when_a_paused_interview_is_submitted_later(metadata_study):
    first = run(metadata_study, START + DOWN + ENTER + "30" + ENTER + CTRL_C + ENTER)
    paused, _ = stored(metadata_study, first.response_id)
    assert paused["start"] and paused["end"] is None and paused["submitted_at"] is None
    second = run(metadata_study, ENTER + ENTER + SPACE + ENTER + ENTER + ENTER + SUBMIT)
    submitted, _ = stored(metadata_study, second.response_id)
    assert second.response_id == first.response_id
    assert submitted["start"] == paused["start"]
    assert datetime.fromisoformat(submitted["end"]) >= datetime.fromisoformat(paused["start"])


def test_every_submitted_interview_gets_its_submission_time(study):
    before = datetime.now(UTC).replace(microsecond=0)
    paper = run(study, "2" + ENTER + "12" + ENTER + ENTER + "3" + ENTER + ENTER + SUBMIT,
                mode="clerk", entry=1, form_number="7")
    for result in (run(study, SERVICES_FIRM + SUBMIT), paper):
        submitted_at = stored(study, result.response_id)[0]["submitted_at"]
        assert before <= datetime.fromisoformat(submitted_at) <= datetime.now(UTC)


def test_submitting_asks_first_and_enter_alone_goes_back_to_the_review(study):
    """One Enter on the review used to submit with no way back."""
    output, shown = screen()
    result = run(study, SERVICES_FIRM + ENTER + ENTER + CTRL_C + ENTER, output=output)
    assert result.outcome == "paused"
    assert stored(study, result.response_id)[0]["status"] == "in_progress"
    assert "Submit the questionnaire now?" in shown.getvalue()
    assert "dmsurvey collect --edit ID" in shown.getvalue()


def test_a_submitted_form_is_reopened_with_edit_and_the_audit_keeps_both(study):
    first = run(study, SERVICES_FIRM + SUBMIT, enumerator="Li")
    # --edit opens on the review: section A, its employees answer, a new number, submit
    edited = run(study, UP + UP + ENTER + DOWN + ENTER + BACKSPACE * 5 + "900" + ENTER + SUBMIT,
                 edit_id=first.response_id[:6])
    assert (edited.outcome, edited.response_id) == ("submitted", first.response_id)
    response, answers = stored(study, first.response_id)
    assert (response["status"], answers["employees"]) == ("complete", 900)
    audit = study.audit(first.response_id)
    employees = audit[audit["field"] == "employees"]
    assert list(zip(employees["old"], employees["new"], strict=True))[-1] == ("1200", "900")
    statuses = audit[audit["field"] == "status"]
    assert list(statuses["new"]) == ["complete", "in_progress", "complete"]
