"""A study: a folder holding a pinned questionnaire, the response database and reports.

    >>> study = init_study("my-study", questionnaire="sme-digital-2020")
    >>> rid = study.start_response(enumerator="Li")
    >>> study.save_answer(rid, "industry", "manufacturing", who="Li")
    >>> study.responses(status=None)

The folder holds `questionnaire.yaml` (a copy of the questionnaire the study was started with;
an XLSForm is stored converted), `study.json` (its name, version and SHA-256), `study.sqlite`
and `reports/`. Opening a study checks the copy against its recorded hash, so an edit can never
silently change what old answers mean. Every call that changes data commits at once and is
written to the audit trail; two processes may work on one study at the same time.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dmsurvey import __version__
from dmsurvey.errors import DataError, Problem, StudyError, shortened
from dmsurvey.questionnaire.answers import AnswerChecker, InvalidAnswer
from dmsurvey.questionnaire.model import (
    REPEAT_METADATA,
    RESPONSE_METADATA,
    SOURCES,
    STATUSES,
    Question,
    Questionnaire,
    Section,
)
from dmsurvey.questionnaire.repeats import instance_order
from dmsurvey.store import db, layout

if TYPE_CHECKING:
    import pandas as pd

    from dmsurvey.store.importing import ImportResult

QUESTIONNAIRE_FILE = "questionnaire.yaml"
INFO_FILE = "study.json"
PSEUDONYM_KEY_FILE = "pseudonym.key"
DATABASE_FILE = "study.sqlite"
REPORTS_DIR = "reports"
# CSV files an XLSForm reads (`pulldata`, choices from a file), copied in by `init`
MEDIA_DIR = "media"
DEFAULT_QUESTIONNAIRE = "sme-digital-2020"
_PAUSED_ON_TABLE = (
    "CREATE TABLE IF NOT EXISTS interview_paused_on "
    "(response_id TEXT PRIMARY KEY, question TEXT NOT NULL)"
)
# The question whose answer names a firm in lists of interviews (codebook id).
FIRM_NAME_QUESTION = "firm_name"


@dataclass(frozen=True)
class ResponseSummary:
    """One interview in a list of unfinished ones."""

    response_id: str
    firm_name: str | None
    enumerator: str | None
    answered: int
    total: int
    updated_at: str
    entry: int | None
    form_number: str | None


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def init_study(
    path: str | os.PathLike, questionnaire: str | os.PathLike = DEFAULT_QUESTIONNAIRE,
    *, warnings: list[str] | None = None,
) -> Study:
    """Create a study folder at `path` for `questionnaire` (a bundled name, a YAML or XLSForm path).

    Notes on converting an XLSForm (such as fields marked as personal data) are appended to
    `warnings`.

    The folder is built under a temporary name and renamed at the end, so a failure leaves
    nothing half made.
    """
    from dmsurvey.questionnaire.loader import XLSFORM_SUFFIXES, load_questionnaire
    from dmsurvey.questionnaire.xlsform import convert_xlsform

    path = Path(path)
    if (path / INFO_FILE).exists():
        raise StudyError(f"{path} is already a study; open it instead of creating it again.")
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise StudyError(f"{path} already exists and is not empty; choose a new folder.")
    path.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        pinned = building / QUESTIONNAIRE_FILE
        if Path(questionnaire).suffix.lower() in XLSFORM_SUFFIXES:
            # the CSV files the form reads travel with the study (`pulldata` looks there)
            media: list[Path] = []
            convert_xlsform(questionnaire, pinned, warnings=warnings, media=media)
            if media:
                (building / MEDIA_DIR).mkdir()
                for file in media:
                    shutil.copyfile(file, building / MEDIA_DIR / file.name)
        else:
            source = load_questionnaire(questionnaire).source
            shutil.copyfile(source, pinned)
        model = load_questionnaire(pinned)
        info = {
            "questionnaire": model.name,
            "questionnaire_version": model.version,
            "questionnaire_sha256": sha256_of(pinned),
            "schema_version": db.SCHEMA_VERSION,
            "created_at": db.now(),
            "created_with": f"dmsurvey {__version__}",
        }
        (building / INFO_FILE).write_text(
            json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (building / REPORTS_DIR).mkdir()
        db.create_schema(building / DATABASE_FILE, model)
        if path.exists():
            path.rmdir()
        building.rename(path)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return open_study(path)


def open_study(path: str | os.PathLike) -> Study:
    """Open the study folder at `path`, checking its pinned questionnaire and its database."""
    from dmsurvey.questionnaire.loader import load_questionnaire
    from dmsurvey.store.outbox import store_leftovers_when_free

    path = Path(path)
    info_path = path / INFO_FILE
    if not info_path.is_file():
        raise StudyError(
            f"{path} is not a study folder (no {INFO_FILE}). "
            f"Create one with: dmsurvey init {path}"
        )
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise StudyError(f"{info_path} is damaged: {error}") from None
    pinned = path / QUESTIONNAIRE_FILE
    if not pinned.is_file():
        raise StudyError(f"{pinned} is missing; restore it from a backup of the study.")
    if sha256_of(pinned) != info.get("questionnaire_sha256"):
        raise StudyError(
            f"{pinned} was changed after the study was created (its SHA-256 no longer matches "
            f"{INFO_FILE}), so stored answers might no longer mean what they meant. Restore the "
            f"original questionnaire ({info.get('questionnaire')} version "
            f"{info.get('questionnaire_version')}); to use the edited one, create a new study "
            f"with `dmsurvey init NEW --questionnaire {pinned}` and import an export of this one."
        )
    questionnaire = load_questionnaire(pinned)
    db.check_schema(path / DATABASE_FILE, questionnaire)
    study = Study(path, questionnaire, info)
    store_leftovers_when_free(study)
    return study


class Study:
    """A study folder: its questionnaire and its responses. Make one with `init_study`."""

    def __init__(self, path: Path, questionnaire: Questionnaire, info: dict[str, Any]):
        self.path = Path(path)
        self.questionnaire = questionnaire
        self.info = info
        self._questions = {q.id: q for q in questionnaire.answerable}
        self.checker = AnswerChecker(questionnaire)
        self._fields = {name for name, _ in db.response_columns(questionnaire)}

    def __repr__(self) -> str:
        return f"Study({str(self.path)!r}, questionnaire={self.questionnaire.name!r})"

    @property
    def database_path(self) -> Path:
        return self.path / DATABASE_FILE

    @property
    def reports_dir(self) -> Path:
        return self.path / REPORTS_DIR

    def pseudonym_key(self) -> bytes:
        """The study's secret for pseudonyms of response ids, made on first use.

        Anonymised exports replace each response id by a keyed hash, so two exports of one
        study link row by row while nobody without this file can recover the ids. It stays in
        the study folder and is never exported.
        """
        path = self.path / PSEUDONYM_KEY_FILE
        if not path.exists():
            import secrets

            try:
                # Readable by its owner only: whoever holds it can recognise response ids.
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "w", encoding="ascii") as file:
                    file.write(secrets.token_hex(32) + "\n")
            except FileExistsError:  # made meanwhile by another export
                pass
            except OSError as error:
                raise StudyError(
                    f"An anonymised export needs a key kept in the study, and {path} cannot be "
                    f"written ({error.strerror}). Export from a copy of the study in a folder "
                    f"you can write to."
                ) from None
        return bytes.fromhex(path.read_text(encoding="ascii").strip())

    def connect(self) -> db.StudyConnection:
        """A connection to the study database; `with study.connect() as c:` commits and closes."""
        return db.connect(self.database_path)

    # -- one interview, one committed call at a time -------------------------------------

    def remember_screen(self, response_id: str, question_id: str | None) -> None:
        """Note the question on screen when an interview pauses (None: the review page).

        An optional question left blank leaves no trace among the answers, yet resuming
        must not ask it again.
        """
        def note(connection):
            connection.execute(_PAUSED_ON_TABLE)
            connection.execute(
                "INSERT OR REPLACE INTO interview_paused_on VALUES (?, ?)",
                (response_id, question_id or ""),
            )

        db.write(self.database_path, note)

    def paused_on(self, response_id: str) -> str | None:
        """The screen noted by `remember_screen`: a question id, "" for the review page, or
        None when nothing was noted (the process was killed, say)."""
        with self.connect() as connection:  # only reads: an import may hold the writing
            if not connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                      "name = 'interview_paused_on'").fetchone():
                return None
            row = connection.execute(
                "SELECT question FROM interview_paused_on WHERE response_id = ?",
                (response_id,),
            ).fetchone()
        return None if row is None else row[0]

    def start_response(
        self,
        source: str = "electronic",
        enumerator: str | None = "",
        entry: int = 1,
        form_number: str | None = None,
        response_id: str | None = None,
        metadata: Mapping[str, str | None] | None = None,
    ) -> str:
        """Begin a response (status `in_progress`) and return its id.

        `metadata` gives values of the questionnaire's metadata fields (`start`, `deviceid`, ...).
        """
        if source not in SOURCES:
            raise DataError(f"Unknown source {source!r}; use one of {', '.join(SOURCES)}.")
        if isinstance(entry, bool) or not isinstance(entry, int) or entry < 1:
            raise DataError(f"The entry number must be a whole number from 1, not {entry!r}.")
        metadata = dict(metadata or {})
        unknown = sorted(set(metadata) - set(self.questionnaire.metadata_fields))
        if unknown:
            raise DataError(
                f"Not a metadata field of the questionnaire: {', '.join(unknown)}.",
                [Problem("unknown metadata field", value=name,
                         expected=", ".join(self.questionnaire.metadata_fields) or "none")
                 for name in unknown],
            )
        response_id = str(response_id) if response_id else str(uuid.uuid4())
        stamp = db.now()
        row = {
            "response_id": response_id,
            "source": source,
            "enumerator": enumerator or "",
            "status": "in_progress",
            "entry": entry,
            "form_number": None if form_number in (None, "") else str(form_number),
            "started_at": stamp,
            "updated_at": stamp,
            **metadata,
        }

        def insert(connection):
            if _exists(connection, response_id):
                raise StudyError(f"The study already has a response {response_id!r}.")
            layout.insert_rows(connection, {name: [value] for name, value in row.items()})
            _audit(connection, [(response_id, None, None, None, enumerator or "", stamp, "start")])

        db.write(self.database_path, insert)
        return response_id

    def save_answer(self, response_id: str, question: str, value: Any, who: str = "") -> None:
        """Store the answer to `question` (None or "" clears it); audited with the old value."""
        q = self._question(question)
        value = canonical_value(q, value, self.checker)
        self._update(response_id, {question: value}, who=who, action="answer")

    def set_status(self, response_id: str, status: str, who: str = "") -> None:
        """Mark a response `in_progress`, `complete` or `void` (see `set_statuses`)."""
        self.set_statuses([response_id], status, who=who)

    def set_statuses(
        self,
        response_ids: Iterable[str],
        status: str,
        who: str = "",
        *,
        reconciled: bool = False,
    ) -> None:
        """Give many responses one status in a single transaction, audited per response.

        Paper forms keyed twice count once: a second keying (entry 2 or more) is never
        complete, and a first keying whose form also has a second one becomes complete only
        through reconciliation (`reconciled=True`, used by `dmsurvey reconcile`). Asked to
        complete such a response, the store keeps it `in_progress`.
        """
        if status not in STATUSES:
            raise DataError(f"Unknown status {status!r}; use one of {', '.join(STATUSES)}.")
        response_ids = list(dict.fromkeys(response_ids))

        def update(connection):
            rows = {}
            for start in range(0, len(response_ids), 500):
                chunk = response_ids[start:start + 500]
                rows.update({
                    rid: (old, entry, form)
                    for rid, old, entry, form in connection.execute(
                        "SELECT response_id, status, entry, form_number FROM responses "
                        f"WHERE response_id IN ({', '.join('?' for _ in chunk)})", chunk)
                })
            missing = [rid for rid in response_ids if rid not in rows]
            if missing:
                raise StudyError(f"The study has no response {missing[0]!r}.")
            rekeyed = db.forms_keyed_again(connection) if status == "complete" else set()
            stamp = db.now()
            changes = []
            for rid in response_ids:
                old, entry, form = rows[rid]
                new = status
                if status == "complete" and (
                    (entry or 1) > 1 or (form in rekeyed and not reconciled)
                ):
                    new = "in_progress"
                if new != old:
                    changes.append((rid, old, new))
            if status == "complete":
                # a finished second keying puts its form's first keying back until reconciled
                forms = sorted({rows[rid][2] for rid in response_ids
                                if (rows[rid][1] or 1) > 1 and rows[rid][2] is not None})
                changes += [
                    (rid, "complete", "in_progress") for form in forms
                    for (rid,) in connection.execute(
                        "SELECT response_id FROM responses WHERE form_number = ? AND "
                        "coalesce(entry, 1) = 1 AND status = 'complete'", (form,))
                    if rid not in rows
                ]
            connection.executemany(
                "UPDATE responses SET status = ?, updated_at = ? WHERE response_id = ?",
                [(new, stamp, rid) for rid, _, new in changes],
            )
            _audit(connection, [(rid, "status", old, new, who, stamp, "status")
                                for rid, old, new in changes])

        db.write(self.database_path, update)

    def set_metadata(self, response_id: str, who: str = "", **values: Any) -> None:
        """Change metadata of a response (enumerator, form_number, submitted_at, source, entry)."""
        allowed = set(RESPONSE_METADATA) - {"response_id", "status", "updated_at"}
        allowed |= set(self.questionnaire.metadata_fields)
        unknown = sorted(set(values) - allowed)
        if unknown:
            raise DataError(f"Not a metadata field: {', '.join(unknown)}.")
        if "source" in values and values["source"] not in SOURCES:
            raise DataError(
                f"Unknown source {values['source']!r}; use one of {', '.join(SOURCES)}."
            )
        self._update(response_id, values, who=who, action="metadata")

    def _update(self, response_id: str, changes: dict[str, Any], *, who: str, action: str) -> None:
        names = list(changes)

        def update(connection):
            found = layout.select_rows(connection, names, "response_id = ?", (response_id,))
            if not found:
                raise StudyError(f"The study has no response {response_id!r}.")
            (row,) = found
            stamp = db.now()
            layout.update_response(connection, response_id, changes, stamp)
            _audit(
                connection,
                [
                    (response_id, name, db.as_text(old), db.as_text(new), who, stamp, action)
                    for name, old, new in zip(names, row, changes.values(), strict=True)
                    if old != new
                ],
            )

        db.write(self.database_path, update)

    # -- repeat groups --------------------------------------------------------------------

    def save_repeat_answer(
        self, response_id: str, repeat: str, instance_key: str, question: str, value: Any,
        who: str = "",
    ) -> None:
        """Store the answer to `question` of the repeat section `repeat` in one instance
        (`instance_key` "2", or "2/3" inside an outer repeat's second instance), making the
        instance if it is new. Audited as `repeat[instance_key].question`."""
        instance_key = str(instance_key)
        section, q = self._repeat_question(repeat, question)
        value = canonical_value(q, value, self.checker)
        parent_key, instance = _split_instance_key(instance_key, section.repeat.within)
        table = layout.repeat_table(repeat)
        column = db.quote(question)

        def update(connection):
            if not _exists(connection, response_id):
                raise StudyError(f"The study has no response {response_id!r}.")
            found = connection.execute(
                f"SELECT {column} FROM {table} WHERE response_id = ? AND instance_key = ?",
                (response_id, instance_key)).fetchone()
            if found is None:
                connection.execute(
                    f"INSERT INTO {table} (response_id, instance_key, parent_key, instance, "
                    f"{column}) VALUES (?, ?, ?, ?, ?)",
                    (response_id, instance_key, parent_key, instance, value))
            elif found[0] != value:
                connection.execute(
                    f"UPDATE {table} SET {column} = ? WHERE response_id = ? AND instance_key = ?",
                    (value, response_id, instance_key))
            else:
                return
            stamp = db.now()
            layout.update_response(connection, response_id, {}, stamp)
            old = None if found is None else found[0]
            _audit(connection, [(response_id, f"{repeat}[{instance_key}].{question}",
                                 db.as_text(old), db.as_text(value), who, stamp, "answer")])

        db.write(self.database_path, update)

    def remove_repeat_instance(
        self, response_id: str, repeat: str, instance_key: str, who: str = ""
    ) -> None:
        """Remove one instance of `repeat` with the instances of repeats inside it (the
        audit trail keeps their answers). Instances are removed from the last one back, so
        the numbers of those left stay 1, 2, 3, ..."""
        instance_key = str(instance_key)
        section = self._repeat_section(repeat)
        inner = [repeat] + [s.id for s in self._repeats_inside(section.id)]

        def remove(connection):
            rows = []
            stamp = db.now()
            for name in inner:
                table = layout.repeat_table(name)
                condition = ("response_id = ? AND (instance_key = ? OR instance_key LIKE ?)")
                parameters = (response_id, instance_key, f"{instance_key}/%")
                cursor = connection.execute(f"SELECT * FROM {table} WHERE {condition}",
                                            parameters)
                names = [d[0] for d in cursor.description]
                for found in cursor.fetchall():
                    record = dict(zip(names, found, strict=True))
                    rows.append((response_id, f"{name}[{record['instance_key']}]",
                                 json.dumps(record, ensure_ascii=False, default=str), None,
                                 who, stamp, "remove instance"))
                connection.execute(f"DELETE FROM {table} WHERE {condition}", parameters)
            if rows:
                layout.update_response(connection, response_id, {}, stamp)
                _audit(connection, rows)

        db.write(self.database_path, remove)

    def get_repeat_answers(self, response_id: str) -> dict[str, dict[str, dict[str, Any]]]:
        """The instances of one response: {repeat id: {instance key: {question: value}}},
        instances in order and only answered questions in each."""
        result: dict[str, dict[str, dict[str, Any]]] = {}
        with self.connect() as connection:
            for section in self.questionnaire.repeats:
                cursor = connection.execute(
                    f"SELECT * FROM {layout.repeat_table(section.id)} WHERE response_id = ? "
                    "ORDER BY rowid", (response_id,))
                names = [d[0] for d in cursor.description]
                instances = {}
                for found in cursor.fetchall():
                    record = dict(zip(names, found, strict=True))
                    instances[record["instance_key"]] = {
                        name: value for name, value in record.items()
                        if name not in REPEAT_METADATA and value is not None}
                result[section.id] = dict(sorted(instances.items(),
                                                 key=lambda item: instance_order(item[0])))
        return result

    def repeat_rows(self, repeat: str) -> pd.DataFrame:
        """Every stored instance of the repeat section `repeat`, one row each: response_id,
        instance_key, parent_key, instance, then its answers as stored."""
        import pandas as pd

        self._repeat_section(repeat)
        with self.connect() as connection:
            frame = pd.read_sql_query(
                f"SELECT * FROM {layout.repeat_table(repeat)} ORDER BY rowid", connection)
        return frame

    def _repeat_section(self, repeat: str) -> Section:
        try:
            return self.questionnaire.repeat(repeat)
        except KeyError:
            raise DataError(f"The questionnaire {self.questionnaire.name!r} has no repeat "
                            f"section {repeat!r}.") from None

    def _repeat_question(self, repeat: str, question: str) -> tuple[Section, Question]:
        section = self._repeat_section(repeat)
        for q in section.questions:
            if q.id == question and q.asks_for_answer:
                return section, q
        raise DataError(f"The repeat section {repeat!r} has no question {question!r} that "
                        "takes an answer.")

    def _repeats_inside(self, repeat: str) -> list[Section]:
        inside = list(self.questionnaire.repeats_within(repeat))
        for section in list(inside):
            inside += self._repeats_inside(section.id)
        return inside

    # -- reading ------------------------------------------------------------------------

    def get_answers(self, response_id: str) -> dict[str, Any]:
        """The answered questions of one response: {question id: canonical value}."""
        record = self.get_response(response_id)
        return {q: record[q] for q in self._questions if q in record}

    def get_response(self, response_id: str) -> dict[str, Any]:
        """Metadata of one response plus its answered questions, in one flat dict."""
        names = [name for name, _ in db.response_columns(self.questionnaire)]
        with self.connect() as connection:
            found = layout.select_rows(connection, names, "response_id = ?", (response_id,))
        if not found:
            raise StudyError(f"The study has no response {response_id!r}.")
        (row,) = found
        return {
            name: value
            for name, value in zip(names, row, strict=True)
            if name not in self._questions or value is not None
        }

    def unfinished(self) -> list[ResponseSummary]:
        """Interviews still `in_progress`, most recently worked on first."""
        questions = list(self._questions)
        name_column = self._firm_name_question()
        with self.connect() as connection:
            rows = connection.execute(
                "SELECT response_id, enumerator, updated_at, entry, form_number FROM responses "
                "WHERE status = 'in_progress' ORDER BY updated_at DESC, rowid DESC"
            ).fetchall()
            # Counted here, not in SQL: a sum over thousands of columns passes SQLite's
            # limit on the depth of an expression.
            answers = layout.select_rows(
                connection, ["response_id", *questions], "status = 'in_progress'"
            )
        answered = {row[0]: sum(value is not None for value in row[1:]) for row in answers}
        names = {}
        if name_column:
            position = 1 + questions.index(name_column)
            names = {row[0]: row[position] for row in answers}
        return [
            ResponseSummary(rid, names.get(rid), enumerator, answered[rid], len(questions),
                            updated, entry, form)
            for rid, enumerator, updated, entry, form in rows
        ]

    def _firm_name_question(self) -> str | None:
        if FIRM_NAME_QUESTION in self._questions:
            return FIRM_NAME_QUESTION
        return next(
            (q.id for q in self._questions.values() if q.type == "text" and q.pii), None
        )

    def responses(
        self,
        labels: str | None = None,
        status: str | Iterable[str] | None = "complete",
        entry: int | None = None,
    ) -> pd.DataFrame:
        """One row per response: metadata, then one typed column per question.

        `status` keeps responses with that status (or any of several; None keeps all),
        `entry` those of one data-entry round; `labels` ("zh", "en") turns single-choice
        categories into labels in that language.
        """
        from dmsurvey.store.frames import stored_responses

        return stored_responses(self._stored_columns(status, entry), self.questionnaire,
                                labels=labels)

    def stored_rows(
        self, status: str | Iterable[str] | None = None, entry: int | None = None
    ) -> pd.DataFrame:
        """The responses as stored: columns of Python objects as SQLite gives them."""
        from dmsurvey.store.frames import object_frame

        return object_frame(self._stored_columns(status, entry))

    def _stored_columns(
        self, status: str | Iterable[str] | None, entry: int | None
    ) -> dict[str, tuple]:
        """Every column of the responses `status` and `entry` select: name -> values."""
        conditions, parameters = [], []
        if status is not None:
            wanted = [status] if isinstance(status, str) else list(status)
            unknown = [s for s in wanted if s not in STATUSES]
            if unknown:
                raise DataError(f"Unknown status {unknown[0]!r}; use one of {', '.join(STATUSES)}.")
            conditions.append(f"status IN ({', '.join('?' for _ in wanted)})")
            parameters += wanted
        if entry is not None:
            conditions.append("entry = ?")
            parameters.append(entry)
        names = [name for name, _ in db.response_columns(self.questionnaire)]
        with self.connect() as connection:
            return layout.select_columns(connection, names, " AND ".join(conditions), parameters)

    def audit(self, response_id: str | None = None) -> pd.DataFrame:
        """The audit trail (every change: who, when, old and new value), oldest first."""
        import pandas as pd

        query = "SELECT response_id, field, old, new, who, at, action FROM audit"
        parameters: list[str] = []
        if response_id is not None:
            query += " WHERE response_id = ?"
            parameters.append(response_id)
        with self.connect() as connection:
            return pd.read_sql_query(query + " ORDER BY id", connection, params=parameters)

    def response_ids(self) -> list[str]:
        with self.connect() as connection:
            return [row[0] for row in connection.execute("SELECT response_id FROM responses")]

    # -- many responses at once ----------------------------------------------------------

    def add_responses(
        self,
        frame: pd.DataFrame,
        who: str = "",
        source: str | None = None,
        entry: int | None = None,
        replace: bool = False,
    ) -> ImportResult:
        """Add a frame of responses (columns: metadata and question ids) in one transaction.

        Values are checked as an import checks them (all problems raise one `DataError`).
        Rows without `response_id` get an id derived from their content; a row whose id is
        already stored with the same content is skipped, with different content it is a
        conflict (`replace=True` overwrites, the audit trail keeps the old values).
        """
        from dmsurvey.store.importing import add_frame

        return add_frame(self, frame, who=who, source=source, entry=entry, replace=replace)

    def _question(self, question: str) -> Question:
        if question not in self._questions:
            raise DataError(
                f"The questionnaire {self.questionnaire.name!r} has no question {question!r} "
                "that takes an answer."
            )
        return self._questions[question]


def _split_instance_key(instance_key: str, within: str | None) -> tuple[str | None, int]:
    """(parent key, number) of an instance key: "2/3" -> ("2", 3); "2" -> (None, 2)."""
    parts = str(instance_key).split("/")
    if not all(part.isdigit() and int(part) >= 1 for part in parts) or (
            (len(parts) > 1) != (within is not None)):
        expected = "a number from 1" if within is None else (
            "the outer instance's key, '/', then a number from 1 (such as 2/1)")
        raise DataError(f"{instance_key!r} is not an instance key",
                        [Problem("not an instance key", value=instance_key, expected=expected)])
    return ("/".join(parts[:-1]) or None), int(parts[-1])


def _exists(connection, response_id: str) -> bool:
    query = "SELECT 1 FROM responses WHERE response_id = ?"
    return connection.execute(query, (response_id,)).fetchone() is not None


def _audit(connection, rows: list[tuple]) -> None:
    if rows:
        connection.executemany(
            "INSERT INTO audit (response_id, field, old, new, who, at, action) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def canonical_value(question: Question, value: Any, checker: AnswerChecker) -> Any:
    """`value` as the store keeps an answer to `question`; DataError if it cannot be one.

    Judged by the questionnaire's answer checker (type, choices, rules of the type), as
    every other way in judges it."""
    try:
        return checker.read(question, value)
    except InvalidAnswer as invalid:
        flaw = invalid.flaw
        raise DataError(
            f"{shortened(repr(value))} is not an answer to {question.id}",
            [Problem(flaw.message, column=question.id, value=value, expected=flaw.expected)],
        ) from None
