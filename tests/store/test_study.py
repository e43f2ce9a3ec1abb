"""The study folder and the one-answer-at-a-time API the interview uses."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from dmsurvey.errors import DataError, QuestionnaireError, StudyError
from dmsurvey.store.db import SCHEMA_VERSION
from dmsurvey.store.study import init_study, open_study, sha256_of


def test_init_makes_the_folder_with_a_pinned_questionnaire(tmp_path, mini_path):
    study = init_study(tmp_path / "s", questionnaire=mini_path)
    folder = tmp_path / "s"
    assert (folder / "questionnaire.yaml").read_bytes() == mini_path.read_bytes()
    info = json.loads((folder / "study.json").read_text())
    assert info["questionnaire"] == "mini" and info["questionnaire_version"] == "1"
    assert info["questionnaire_sha256"] == sha256_of(mini_path)
    assert info["schema_version"] == SCHEMA_VERSION
    assert study.reports_dir.is_dir()
    with sqlite3.connect(folder / "study.sqlite") as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        types = {row[1]: row[2] for row in connection.execute("PRAGMA table_info(responses)")}
    assert types["employees_2019"] == "INTEGER" and types["revenue_2019"] == "REAL"
    assert types["industry"] == "TEXT" and types["start"] == "TEXT"
    assert "intro" not in types  # notes take no answer
    # leftovers of the atomic build would be hidden folders beside the study
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_init_refuses_an_existing_study_or_a_non_empty_folder(tmp_path, mini_path):
    init_study(tmp_path / "s", questionnaire=mini_path)
    with pytest.raises(StudyError, match="already a study"):
        init_study(tmp_path / "s", questionnaire=mini_path)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    with pytest.raises(StudyError, match="not empty"):
        init_study(tmp_path / "full", questionnaire=mini_path)


def test_a_failed_init_leaves_nothing_behind(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [not, a, name]\n")
    with pytest.raises(QuestionnaireError):
        init_study(tmp_path / "s", questionnaire=broken)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.yaml"]


def test_an_edited_questionnaire_copy_is_refused_with_what_to_do(study):
    pinned = study.path / "questionnaire.yaml"
    pinned.write_text(pinned.read_text().replace("Mini survey", "Edited"))
    with pytest.raises(StudyError) as caught:
        open_study(study.path)
    message = str(caught.value)
    assert "changed after the study was created" in message
    assert "dmsurvey init" in message and "mini" in message


def test_open_refuses_a_folder_that_is_not_a_study(tmp_path):
    with pytest.raises(StudyError, match="not a study folder"):
        open_study(tmp_path)


def test_open_refuses_a_database_from_a_newer_version(study):
    with sqlite3.connect(study.database_path) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StudyError, match="Upgrade dmsurvey"):
        open_study(study.path)


def test_an_interview_saves_each_answer_in_canonical_form(study):
    rid = study.start_response(enumerator="Li", form_number="17")
    study.save_answer(rid, "industry", "manufacturing", who="Li")
    study.save_answer(rid, "employees_2019", "42", who="Li")
    study.save_answer(rid, "revenue_2019", 12, who="Li")
    study.save_answer(rid, "tech_used", ["none"], who="Li")
    study.save_answer(rid, "tech_used", "ai big_data", who="Li")  # stored in choice order
    study.save_answer(rid, "firm_name", "  ", who="Li")  # blank = not answered

    reopened = open_study(study.path)
    answers = reopened.get_answers(rid)
    assert answers == {
        "industry": "manufacturing",
        "employees_2019": 42,
        "revenue_2019": 12.0,
        "tech_used": "big_data ai",
    }
    assert type(answers["employees_2019"]) is int and type(answers["revenue_2019"]) is float
    record = reopened.get_response(rid)
    assert record["status"] == "in_progress" and record["enumerator"] == "Li"
    assert record["form_number"] == "17" and record["entry"] == 1
    assert record["source"] == "electronic" and record["started_at"] <= record["updated_at"]


def test_clearing_an_answer_and_the_audit_trail(study):
    rid = study.start_response(enumerator="Li")
    study.save_answer(rid, "industry", "other", who="Li")
    study.save_answer(rid, "industry", "software_it", who="Wang")
    study.save_answer(rid, "industry", "software_it", who="Wang")  # no change, no audit row
    study.save_answer(rid, "industry", None, who="Wang")
    study.set_status(rid, "void", who="Zhao")
    assert "industry" not in study.get_answers(rid)

    audit = study.audit(rid)
    assert list(audit.columns) == ["response_id", "field", "old", "new", "who", "at", "action"]
    changes = audit[audit["action"] != "start"][["field", "old", "new", "who"]]
    assert changes.astype(object).where(changes.notna(), None).values.tolist() == [
        ["industry", None, "other", "Li"],
        ["industry", "other", "software_it", "Wang"],
        ["industry", "software_it", None, "Wang"],
        ["status", "in_progress", "void", "Zhao"],
    ]


@pytest.mark.parametrize(
    ("question", "value", "message"),
    [
        ("industry", "farming", "unknown choice"),
        ("employees_2019", "12.5", "not a whole number"),
        ("employees_2019", "many", "not a number"),
        ("revenue_2019", float("inf"), "not a finite number"),
        ("tech_used", "ai none", "cannot be combined"),
        ("tech_used", "ai robots", "unknown choice 'robots'"),
    ],
)
def test_save_answer_refuses_values_that_are_not_answers(study, question, value, message):
    rid = study.start_response()
    with pytest.raises(DataError) as caught:
        study.save_answer(rid, question, value)
    assert message in str(caught.value)
    assert study.get_answers(rid) == {}


def test_unknown_questions_responses_and_statuses_are_refused(study):
    rid = study.start_response()
    with pytest.raises(DataError, match="no question 'intro'"):
        study.save_answer(rid, "intro", "x")
    with pytest.raises(StudyError, match="no response"):
        study.save_answer("missing", "industry", "other")
    with pytest.raises(DataError, match="Unknown status"):
        study.set_status(rid, "done")
    with pytest.raises(StudyError, match="already has a response"):
        study.start_response(response_id=rid)


def test_unfinished_lists_interviews_in_progress_newest_first(study):
    first = study.start_response(enumerator="Li", form_number="1")
    study.save_answer(first, "firm_name", "甲公司")
    study.save_answer(first, "industry", "other")
    done = study.start_response(enumerator="Wang")
    study.set_status(done, "complete")
    second = study.start_response(enumerator="Zhao", entry=2, form_number="1")
    unfinished = study.unfinished()
    assert [s.response_id for s in unfinished] == [second, first]
    summary = unfinished[1]
    assert (summary.firm_name, summary.enumerator, summary.answered, summary.total) == (
        "甲公司", "Li", 2, 8
    )
    assert (unfinished[0].entry, unfinished[0].form_number) == (2, "1")


def test_responses_are_one_typed_row_per_response(study):
    rid = study.start_response(enumerator="Li")
    for question, value in [("industry", "manufacturing"), ("employees_2019", 5),
                            ("self_maturity", "2"), ("tech_used", "ai 5g")]:
        study.save_answer(rid, question, value)
    study.set_status(rid, "complete")
    study.start_response()  # in progress: not in the default (complete) view

    frame = study.responses()
    assert len(frame) == 1
    assert list(frame.columns[:9]) == [
        "response_id", "source", "enumerator", "submitted_at", "status", "entry",
        "form_number", "started_at", "updated_at",
    ]
    assert list(frame.columns[9:]) == [
        "start", "end", "firm_name", "industry", "mfg_subsector", "employees_2019",
        "revenue_2019", "tech_used", "cloud", "self_maturity",
    ]
    assert str(frame["employees_2019"].dtype) == "Int64"
    assert str(frame["revenue_2019"].dtype) == "Float64"
    assert list(frame["industry"].cat.categories) == ["manufacturing", "software_it", "other"]
    assert frame.loc[0, "tech_used"] == "ai 5g"
    assert len(study.responses(status=None)) == 2
    english = study.responses(labels="en")
    assert english.loc[0, "industry"] == "Manufacturing"
    assert english.loc[0, "self_maturity"] == "Developing"
    assert english.loc[0, "tech_used"] == "AI; 5G"


def test_connect_is_a_context_managed_connection(study):
    with study.connect() as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS merge_log (source TEXT)")
        connection.execute("INSERT INTO merge_log VALUES ('laptop-2')")
        assert connection.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    with study.connect() as connection:
        assert connection.execute("SELECT source FROM merge_log").fetchall() == [("laptop-2",)]


WRITER = textwrap.dedent(
    """
    import sys
    from dmsurvey.store.study import open_study
    study = open_study(sys.argv[1])
    for number in range(int(sys.argv[3])):
        rid = study.start_response(enumerator=sys.argv[2])
        study.save_answer(rid, "employees_2019", number, who=sys.argv[2])
        study.save_answer(rid, "industry", "other", who=sys.argv[2])
    """
)


@pytest.mark.slow
def test_two_processes_writing_at_once_both_keep_every_answer(study):
    count = 40
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(study.path), name, str(count)])
        for name in ("terminal-1", "terminal-2")
    ]
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0]
    frame = study.responses(status=None)
    assert len(frame) == 2 * count
    for name in ("terminal-1", "terminal-2"):
        mine = frame[frame["enumerator"] == name]
        assert sorted(mine["employees_2019"].tolist()) == list(range(count))
        assert (mine["industry"] == "other").all()
    assert len(study.audit()) == 2 * count * 3


def test_typed_responses_frame_reads_back_numbers_as_pandas_types(study):
    rid = study.start_response()
    study.save_answer(rid, "revenue_2019", 1.5)
    frame = study.responses(status="in_progress")
    assert frame["revenue_2019"].tolist() == [1.5]
    assert pd.isna(frame.loc[0, "employees_2019"])


def test_metadata_changes_are_audited(study):
    rid = study.start_response(enumerator="Li")
    study.set_metadata(rid, who="Zhao", form_number="A-17", enumerator="Li Na")
    record = study.get_response(rid)
    assert (record["form_number"], record["enumerator"]) == ("A-17", "Li Na")
    changes = study.audit(rid)
    changes = changes[changes["action"] == "metadata"].set_index("field")
    assert changes.loc["enumerator", "old"] == "Li" and changes.loc["form_number", "new"] == "A-17"
    with pytest.raises(DataError, match="Not a metadata field"):
        study.set_metadata(rid, status="complete")


def test_a_response_starts_with_the_questionnaires_metadata_fields(study):
    rid = study.start_response(metadata={"start": "2026-03-02T09:15:00.000+08:00"})
    study.set_metadata(rid, end="2026-03-02T09:40:00.000+08:00",
                       submitted_at="2026-03-02T01:40:00+00:00")
    study.set_status(rid, "complete")
    row = study.responses().iloc[0]
    assert (row["start"], row["end"], row["submitted_at"]) == (
        "2026-03-02T09:15:00.000+08:00", "2026-03-02T09:40:00.000+08:00",
        "2026-03-02T01:40:00+00:00")
    with pytest.raises(DataError, match="Not a metadata field of the questionnaire: deviceid"):
        study.start_response(metadata={"deviceid": "dmsurvey:laptop"})
    assert study.response_ids() == [rid]  # the refused one left nothing behind


def test_set_statuses_writes_many_in_one_transaction_with_audit(study):
    ids = [study.start_response(enumerator="Li") for _ in range(3)]
    study.set_statuses(ids[:2], "complete", who="Wang")
    statuses = study.responses(status=None).set_index("response_id")["status"]
    assert statuses.to_dict() == {ids[0]: "complete", ids[1]: "complete", ids[2]: "in_progress"}
    changes = study.audit().query("action == 'status'")
    assert changes[["response_id", "field", "old", "new", "who"]].values.tolist() == [
        [rid, "status", "in_progress", "complete", "Wang"] for rid in ids[:2]]
    assert changes["at"].nunique() == 1
    with pytest.raises(StudyError, match="no response 'nope'"):
        study.set_statuses([ids[2], "nope"], "complete")
    assert study.get_response(ids[2])["status"] == "in_progress"  # all or nothing


def test_a_second_keying_is_kept_in_progress(study):
    first = study.start_response(source="paper", entry=1, form_number="7")
    second = study.start_response(source="paper", entry=2, form_number="7")
    study.set_status(second, "complete")
    study.set_status(first, "complete")
    assert study.get_response(second)["status"] == "in_progress"
    assert study.get_response(first)["status"] == "in_progress"  # waits for reconcile
    study.set_statuses([first], "complete", reconciled=True)
    assert study.get_response(first)["status"] == "complete"
    study.set_status(second, "void")
    assert study.get_response(second)["status"] == "void"


def test_the_screen_of_a_paused_interview_is_remembered_on_disk(study):
    rid = study.start_response(enumerator="Li")
    assert study.paused_on(rid) is None  # nothing noted: a killed process leaves nothing
    study.remember_screen(rid, "employees")
    study.remember_screen(rid, "revenue")  # the latest screen counts
    assert open_study(study.path).paused_on(rid) == "revenue"
    study.remember_screen(rid, None)
    assert study.paused_on(rid) == ""  # the review page
