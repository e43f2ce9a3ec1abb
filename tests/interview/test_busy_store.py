"""The interview never waits on an import: answers go to the interview's outbox at once and
reach the study as soon as its database is free; an import stays all or nothing meanwhile."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from dmsurvey.interview import session as session_module
from dmsurvey.store.outbox import OUTBOX_DIR, Outbox, apply_leftovers
from dmsurvey.store.study import open_study

from .test_session import SERVICES_FIRM, SUBMIT, run, screen


def hold_write_lock(study) -> sqlite3.Connection:
    """What an import does while it stores its rows: the database's one write lock is taken,
    and rows are written that nobody sees until the transaction commits."""
    connection = sqlite3.connect(study.database_path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("INSERT INTO responses (response_id, status) VALUES ('imported', "
                       "'complete')")
    return connection


def eventually(condition, seconds: float = 60):
    """Wait for `condition()` (a background thread's work), failing after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.05)


def test_an_answer_given_while_the_database_is_held_is_committed_then_stored(study):
    rid = study.start_response()
    importing = hold_write_lock(study)
    outbox = Outbox(study, rid)
    outbox.add("save_answer", response_id=rid, question="industry", value="services")
    assert outbox.pending() == 1  # committed to the outbox, the study not yet written
    assert study.get_answers(rid) == {}
    importing.execute("ROLLBACK")  # the import fails: none of its rows remain
    importing.close()
    assert outbox.flush(timeout=60)
    outbox.close()
    assert study.get_answers(rid) == {"industry": "services"}
    assert study.response_ids() == [rid]
    assert [a for a in study.audit(rid)["new"] if a == "services"] == ["services"]
    assert not (study.path / OUTBOX_DIR / f"{rid}.sqlite").exists()


def test_a_busy_database_at_the_end_of_an_interview_is_a_message_not_a_wait(study,
                                                                              monkeypatch):
    monkeypatch.setattr(session_module, "BUSY_PATIENCE_SECONDS", 0.3)
    importing = hold_write_lock(study)
    output, buffer = screen()
    leave = "\x1b[B" + "\r"  # the second choice: leave now
    result = run(study, SERVICES_FIRM + SUBMIT + leave, enumerator="Li", output=output)
    assert "The study database is busy" in buffer.getvalue()
    assert result.outcome == "submitted"
    assert study.response_ids() == []  # nothing reached the study yet, nothing was lost
    importing.execute("COMMIT")
    importing.close()
    again = open_study(study.path)
    eventually(lambda: result.response_id in again.response_ids()
               and again.get_response(result.response_id)["status"] == "complete")
    assert again.get_answers(result.response_id)["comment"] == "fine"
    assert sorted(again.response_ids()) == sorted(["imported", result.response_id])


def test_what_an_interview_killed_mid_way_left_is_stored_by_the_next_session(study):
    rid = study.start_response()
    importing = hold_write_lock(study)
    script = (
        "import sys, os\n"
        "from dmsurvey.store.study import open_study\n"
        "from dmsurvey.store.outbox import Outbox\n"
        "box = Outbox(open_study(sys.argv[1]), sys.argv[2])\n"
        "box.add('save_answer', response_id=sys.argv[2], question='comment', value='kept')\n"
        "os._exit(0)\n"  # ends as a kill would: no clean-up at all
    )
    subprocess.run([sys.executable, "-c", script, str(study.path), rid], check=True,
                   timeout=60, env={**os.environ})
    importing.execute("ROLLBACK")
    importing.close()
    assert study.get_answers(rid) == {}
    assert apply_leftovers(study) == [study.path / OUTBOX_DIR / f"{rid}.sqlite"]
    assert study.get_answers(rid) == {"comment": "kept"}


IMPORT_SCRIPT = """
import sys
from dmsurvey.store.importing import import_files
from dmsurvey.store.study import open_study
import_files(open_study(sys.argv[1]), [sys.argv[2]])
"""


@pytest.mark.slow
def test_an_answer_during_a_real_import_is_stored_and_a_killed_import_leaves_nothing(
        study, tmp_path):
    rows = 60_000
    path = tmp_path / "many.csv"
    path.write_text("response_id,industry,employees\n" + "".join(
        f"f{n},services,{n % 500}\n" for n in range(rows)), encoding="utf-8")
    rid = study.start_response()
    outbox = Outbox(study, rid)
    importer = subprocess.Popen([sys.executable, "-c", IMPORT_SCRIPT, str(study.path),
                                 str(path)])
    probe = sqlite3.connect(study.database_path, isolation_level=None, timeout=0)

    def import_holds_the_lock() -> bool:
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True
        probe.execute("ROLLBACK")
        assert importer.poll() is None, "the import ended before it was caught writing"
        return False

    eventually(import_holds_the_lock, seconds=120)
    outbox.add("save_answer", response_id=rid, question="comment", value="during import")
    assert outbox.pending() == 1
    importer.send_signal(signal.SIGKILL)
    importer.wait(timeout=60)
    assert outbox.flush(timeout=120)
    outbox.close()
    probe.close()
    assert study.response_ids() == [rid]  # all or nothing: not one imported row
    assert study.get_answers(rid) == {"comment": "during import"}
