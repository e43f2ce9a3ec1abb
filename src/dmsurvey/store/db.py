"""The SQLite database inside a study folder: schema, connections, retried write transactions.

One wide `responses` table holds a row per response: the metadata columns of the codebook,
the questionnaire's metadata fields (`start`, `end`, ...), then one typed column per answerable
question, so a million-row import is a single bulk insert and reading back needs no pivot.
Questionnaires too wide for one SQLite table continue in further tables (`store.layout`).
Every change is also written to `audit` (who, when, old value, new value).

Several processes may write at once (two interview terminals on one laptop): the database runs
in WAL mode with a busy timeout, writes take the write lock at the start of their transaction
(`BEGIN IMMEDIATE`) and stay short, and a write that still finds the database locked is retried.
pandas is never imported here: the interview imports this module and must start instantly.
"""

from __future__ import annotations

import os
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from dmsurvey.errors import StudyError
from dmsurvey.questionnaire.model import RESPONSE_METADATA, Questionnaire, Section

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000
# Beyond the busy timeout, a locked database is retried this many times before giving up.
WRITE_ATTEMPTS = 5

BULK_CACHE_KIB = 128 * 1024
SQL_TYPES = {"integer": "INTEGER", "decimal": "REAL"}
METADATA_SQL_TYPES = {"entry": "INTEGER"}

T = TypeVar("T")

# The transaction `together` holds open: (database path, connection), or None.
_TOGETHER: ContextVar[tuple[Path, sqlite3.Connection] | None] = ContextVar(
    "together", default=None)


class StudyConnection(sqlite3.Connection):
    """A connection that, used in `with`, commits (or rolls back) and then closes itself."""

    def __exit__(self, exc_type, exc, traceback):
        try:
            return super().__exit__(exc_type, exc, traceback)
        finally:
            self.close()


def now() -> str:
    """The current time as ISO 8601 text in UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def quote(name: str) -> str:
    """A column name quoted for SQL (names come from the questionnaire, never from users' data)."""
    return '"' + name.replace('"', '""') + '"'


def connect(path: Path, *, autocommit: bool = False) -> StudyConnection:
    """Open the database at `path` in WAL mode with a busy timeout.

    With `autocommit`, Python opens no transactions of its own: the caller issues
    `BEGIN IMMEDIATE` / `COMMIT` (what `write` does). A study on a read-only medium (a
    DVD, a write-protected share) opens for reading only.
    """
    path = Path(path)
    target, uri = (read_only_uri(path), True) if _is_read_only(path) else (path, False)
    connection = sqlite3.connect(
        target,
        timeout=BUSY_TIMEOUT_MS / 1000,
        factory=StudyConnection,
        isolation_level=None if autocommit else "DEFERRED",
        uri=uri,
    )
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return connection


def _is_read_only(path: Path) -> bool:
    return path.exists() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


def read_only_uri(path: Path) -> str:
    """An SQLite URI that reads `path` without writing anything beside it.

    In WAL mode even a reader needs the `-shm` file, which a read-only folder cannot hold;
    `immutable` skips it (and the locks), which is right only if no write is pending in the
    `-wal` file, so a study with one is refused with what to do.
    """
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise StudyError(
            f"The study database {path} is read-only and has changes not yet merged into it "
            f"({wal.name}). Copy the study folder to a place you can write to and open it there."
        )
    return "file:" + urllib.parse.quote(str(path.resolve())) + "?immutable=1"


def damage_advice(path: Path | str) -> str:
    """What to do about a damaged database file."""
    return (f"Restore {path} from a backup of the study; or rescue what can be read with "
            f"`sqlite3 {path} .recover | sqlite3 recovered.sqlite`, then export from a new "
            f"study after importing what was recovered.")


def write(path: Path, work: Callable[[sqlite3.Connection], T], *, bulk: bool = False) -> T:
    """Run `work(connection)` in one write transaction, retrying while the database is locked.

    `work` must only touch the database (it may run again after a lock): all or nothing.
    `bulk` (an import) gives SQLite a larger page cache and skips the fsync at commit: the
    database stays consistent, and an import lost to a power cut is simply run again.
    """
    held = _TOGETHER.get()
    if held is not None and held[0] == Path(path):
        return work(held[1])
    for attempt in range(WRITE_ATTEMPTS):
        connection = connect(path, autocommit=True)
        if bulk:
            connection.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
            connection.execute("PRAGMA synchronous = NORMAL")
        try:
            connection.execute("BEGIN IMMEDIATE")
            result = work(connection)
            connection.execute("COMMIT")
            return result
        except sqlite3.OperationalError as error:
            _roll_back(connection)
            if not _is_locked(error) or attempt == WRITE_ATTEMPTS - 1:
                raise _unwritable(path, error) from error
            time.sleep(0.05 * (attempt + 1))
        except BaseException:
            _roll_back(connection)
            raise
        finally:
            connection.close()
    raise AssertionError("unreachable")  # the loop returns or raises


@contextmanager
def together(path: Path) -> Iterator[None]:
    """Make the writes to the database at `path` inside the block one transaction: an error
    anywhere in it leaves the database as it was before the block (say, a reconciled form's
    settled answers and instances, written with the study's own methods)."""
    path = Path(path)
    connection = connect(path, autocommit=True)
    token = None
    try:
        connection.execute("BEGIN IMMEDIATE")
        token = _TOGETHER.set((path, connection))
        yield
        connection.execute("COMMIT")
    except sqlite3.DatabaseError as error:
        _roll_back(connection)
        raise _unwritable(path, error) from error
    except BaseException:
        _roll_back(connection)
        raise
    finally:
        if token is not None:
            _TOGETHER.reset(token)
        connection.close()


def _roll_back(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:
        connection.execute("ROLLBACK")


def _unwritable(path: Path, error: sqlite3.DatabaseError) -> StudyError:
    return StudyError(f"The study database {path} cannot be written: {error}")


def locked(error: BaseException | None) -> bool:
    """Whether `error` (a write's cause) says another program holds the database."""
    return isinstance(error, sqlite3.OperationalError) and _is_locked(error)


def _is_locked(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def response_columns(questionnaire: Questionnaire) -> list[tuple[str, str]]:
    """(column, SQL type) of the responses table, in order."""
    columns = [(name, METADATA_SQL_TYPES.get(name, "TEXT")) for name in RESPONSE_METADATA]
    columns += [(name, "TEXT") for name in questionnaire.metadata_fields]
    columns += [(q.id, SQL_TYPES.get(q.type, "TEXT")) for q in questionnaire.answerable]
    return columns


def repeat_columns(section: Section) -> list[tuple[str, str]]:
    """(column, SQL type) of the answers in a repeat section's table, in order."""
    return [(q.id, SQL_TYPES.get(q.type, "TEXT")) for q in section.questions if q.asks_for_answer]


def create_schema(path: Path, questionnaire: Questionnaire) -> None:
    """Create the database of a new study (the caller makes sure `path` does not exist)."""
    names = [name for name, _ in response_columns(questionnaire)]
    clashes = sorted({name for name in names if names.count(name) > 1})
    if clashes:
        raise StudyError(
            "The questionnaire uses names the study keeps for response metadata: "
            + ", ".join(clashes)
            + ". Rename those questions or metadata fields."
        )
    from dmsurvey.store.layout import repeat_table_definition, table_definitions

    statements = table_definitions(response_columns(questionnaire))
    for section in questionnaire.repeats:
        statements += repeat_table_definition(section.id, repeat_columns(section))
    tables = ";\n".join(statements)
    connection = connect(path, autocommit=True)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.executescript(
            f"""
            BEGIN;
            {tables};
            CREATE TABLE audit (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              response_id TEXT NOT NULL,
              field TEXT,
              old TEXT,
              new TEXT,
              who TEXT NOT NULL DEFAULT '',
              at TEXT NOT NULL,
              action TEXT NOT NULL
            );
            CREATE INDEX audit_response ON audit (response_id);
            PRAGMA user_version = {SCHEMA_VERSION};
            COMMIT;
            """
        )
    finally:
        connection.close()


def check_schema(path: Path, questionnaire: Questionnaire) -> None:
    """Refuse a database this version cannot use, saying why and what to do."""
    if not path.is_file():
        raise StudyError(f"The study database {path} is missing.")
    from dmsurvey.store.layout import stored_columns

    try:
        with connect(path) as connection:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            present = stored_columns(connection)
    except sqlite3.DatabaseError as error:
        raise StudyError(f"The study database {path} cannot be read ({error}). "
                         f"{damage_advice(path)}") from error
    if version > SCHEMA_VERSION:
        raise StudyError(
            f"The study database {path} has schema version {version}, newer than this dmsurvey "
            f"understands ({SCHEMA_VERSION}). Upgrade dmsurvey to open it."
        )
    if version < 1:
        raise StudyError(f"{path} is not a dmsurvey study database (no schema version).")
    missing = [name for name, _ in response_columns(questionnaire) if name not in present]
    if missing:
        raise StudyError(
            f"The study database {path} does not match its questionnaire: no column for "
            + ", ".join(missing)
            + "."
        )


def forms_keyed_again(connection: sqlite3.Connection) -> set[str]:
    """Form numbers with a second keying that is not void.

    Their first keying waits for `dmsurvey reconcile` before it counts as complete.
    """
    return {
        row[0] for row in connection.execute(
            "SELECT DISTINCT form_number FROM responses "
            "WHERE entry > 1 AND form_number IS NOT NULL AND status != 'void'")
    }


def literal(value: str | int | None) -> str:
    """A value written into SQL text (for constants of a bulk insert): NULL, 12, 'text'."""
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(int(value))
    return "'" + value.replace("'", "''") + "'"


def as_text(value: object) -> str | None:
    """How a stored value is written into the audit trail."""
    return None if value is None else str(value)
