"""An interview's changes, committed at once to a file of their own, stored in the study soon after.

SQLite lets one program write to the study database at a time. An import of 200,000 rows
holds it for seconds; an interview answer must not wait that long. So the interview hands
each change (answer, metadata, status, the screen it paused on) to an `Outbox`: the change is
committed to a small database of its own at once (`outbox/<response id>.sqlite` in the study
folder, which no import touches), and a background thread applies it to the study database,
in order, as soon as that is free. Nothing typed is lost: a change leaves the outbox only
after the study has stored it, and applying a change twice changes nothing more than once.

An interview that ends abruptly (power cut, `kill -9`) may leave changes in its outbox;
`apply_leftovers` stores them, and `dmsurvey collect` calls it when it starts. Only pandas-free
modules are imported here: the interview must start instantly.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dmsurvey.errors import DmsurveyError, StudyError
from dmsurvey.store import db

if TYPE_CHECKING:
    from dmsurvey.store.study import Study

OUTBOX_DIR = "outbox"
# The Study methods an outbox may replay, each idempotent (a change applied twice is stored once).
REPLAYED = ("start_response", "save_answer", "set_metadata", "set_status", "remember_screen",
            "save_repeat_answer", "remove_repeat_instance")
# After the study database refused a write because it is busy, try again after this long.
RETRY_SECONDS = 0.2


class Outbox:
    """The changes of one interview (one response id), applied to `study` in order."""

    def __init__(self, study: Study, response_id: str):
        self.study = study
        folder = study.path / OUTBOX_DIR
        folder.mkdir(exist_ok=True)
        self.path = folder / f"{response_id}.sqlite"
        self._owner = _claim(self.path, wait=False)
        if self._owner is None:
            raise StudyError(f"The interview {response_id} is open in another terminal; "
                             "finish or pause it there first.")
        self._connection = _open(self.path)
        self._applying = threading.Lock()
        self._wake = threading.Condition()
        self._closing = False
        self.error: DmsurveyError | None = None  # a change the study refused for good
        self._thread = threading.Thread(target=self._apply_when_woken, daemon=True,
                                        name=f"outbox {response_id}")
        self._thread.start()

    # -- the interview's side ----------------------------------------------------------------

    def add(self, method: str, **arguments: Any) -> None:
        """Commit one change (a `Study` method and its arguments); the study gets it soon."""
        if method not in REPLAYED:
            raise ValueError(f"{method} is not a change an outbox replays")
        if self.error is not None:
            raise self.error
        encoded = json.dumps(arguments, ensure_ascii=False, default=str)
        with self._connection:
            self._connection.execute("INSERT INTO changes (method, arguments) VALUES (?, ?)",
                                     (method, encoded))
        with self._wake:
            self._wake.notify()

    def pending(self) -> int:
        """How many changes the study has not stored yet."""
        return self._connection.execute("SELECT count(*) FROM changes").fetchone()[0]

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until the study has stored every change (at most `timeout` seconds); True if
        it has. A change the study refuses for good is raised here."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.error is None and self.pending():
            left = RETRY_SECONDS if deadline is None else deadline - time.monotonic()
            if left <= 0:
                break
            with self._wake:
                self._wake.notify_all()
                self._wake.wait(min(RETRY_SECONDS, left))
        if self.error is not None:
            raise self.error
        return not self.pending()

    def close(self) -> None:
        """Stop applying; delete the outbox if the study has stored everything in it."""
        self._closing = True
        with self._wake:
            self._wake.notify_all()
        self._thread.join(timeout=5)
        empty = not self.pending()
        self._connection.close()
        if empty:
            self.path.unlink(missing_ok=True)
        if not self._thread.is_alive():
            _release(self._owner, self.path, delete=empty)
        # else: the thread still waits on the study database and will store what is left;
        # the outbox stays this process's until it ends

    # -- the background thread -----------------------------------------------------------------

    def _apply_when_woken(self) -> None:
        # Runs until the outbox is empty once the interview has closed it, even after that:
        # what the study could not take while busy is stored as soon as it is free.
        connection = _open(self.path)
        try:
            while self.error is None:
                try:
                    busy = not apply(self.study, connection, self._applying)
                except DmsurveyError as refused:
                    self.error = refused
                    busy = False
                with self._wake:
                    self._wake.notify_all()
                    if self._closing and not busy:
                        break
                    self._wake.wait(RETRY_SECONDS if busy or self._closing else None)
        finally:
            connection.close()


def apply(study: Study, connection: sqlite3.Connection, guard: threading.Lock) -> bool:
    """Store the changes of the outbox behind `connection` in `study`, oldest first; False
    when the study database is busy (try again later), True when the outbox is empty."""
    with guard:
        while changes := connection.execute(
                "SELECT id, method, arguments FROM changes ORDER BY id").fetchall():
            if not _apply_changes(study, connection, changes):
                return False
    return True


def _apply_changes(study: Study, connection: sqlite3.Connection, changes: list) -> bool:
    for change_id, method, arguments in changes:
        if method not in REPLAYED:
            raise StudyError(f"An interview outbox holds an unknown change {method!r}.")
        try:
            getattr(study, method)(**json.loads(arguments))
        except StudyError as error:
            if db.locked(error.__cause__):
                return False
            if not (method == "start_response" and "already has a response" in str(error)):
                raise
            # else: started before the interview ended abruptly; nothing to redo
        with connection:
            connection.execute("DELETE FROM changes WHERE id = ?", (change_id,))
    return True


def apply_leftovers(study: Study) -> list[Path]:
    """Store what interviews that ended abruptly left in their outboxes (outboxes of
    interviews still running are theirs to apply); the outboxes emptied are deleted."""
    folder = study.path / OUTBOX_DIR
    emptied = []
    for path in sorted(folder.glob("*.sqlite")) if folder.is_dir() else []:
        owner = _claim(path, wait=False)
        if owner is None:
            continue  # a running interview
        connection = _open(path)
        try:
            empty = apply(study, connection, threading.Lock())
        finally:
            connection.close()
        if empty:
            path.unlink(missing_ok=True)
            emptied.append(path)
        _release(owner, path, delete=empty)
    return emptied


def store_leftovers_when_free(study: Study) -> None:
    """`apply_leftovers` for a command opening `study`: every command, not only the next
    `collect`, then sees an abruptly ended interview's last answers. A study that cannot be
    written to, or is busy, keeps them in the outbox for a later command."""
    import os

    folder = study.path / OUTBOX_DIR
    if not folder.is_dir() or not any(folder.glob("*.sqlite")):
        return
    if not os.access(study.database_path, os.W_OK):
        return
    try:
        apply_leftovers(study)
    except DmsurveyError:
        pass


def _open(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level="DEFERRED", check_same_thread=False,
                                 timeout=30)
    connection.execute("PRAGMA synchronous = FULL")  # a committed answer survives a power cut
    connection.execute("CREATE TABLE IF NOT EXISTS changes (id INTEGER PRIMARY KEY "
                       "AUTOINCREMENT, method TEXT NOT NULL, arguments TEXT NOT NULL)")
    connection.commit()
    return connection


def _claim(path: Path, *, wait: bool = True):
    """An open lock file held while this process owns the outbox at `path` (None when another
    living process owns it); the operating system lets go of it when the process dies."""
    handle = open(path.with_suffix(".lock"), "a")  # noqa: SIM115 (held until released)
    try:
        import fcntl
    except ImportError:  # no advisory locks (Windows): one interview per study there
        return handle
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        handle.close()
        return None
    return handle


def _release(handle, path: Path, *, delete: bool) -> None:
    if delete:
        path.with_suffix(".lock").unlink(missing_ok=True)
    handle.close()
