"""Bring together studies collected on several laptops.

Each laptop runs its own study folder, started from the same questionnaire file. Merging copies
the responses of the other folders into one study:

- the questionnaires must have the same structure (see `dmsurvey.store.compat`): the same name,
  metadata fields, answerable questions, types and choice codes, else nothing is merged and the
  error lists every difference. Questionnaires that differ only in wording (a corrected label,
  a reworded hint, another scoring) merge with a note; the study keeps its own wording, and
  multiple-choice answers are put in its choice order;
- every incoming answer is judged by the questionnaire's answer checker, as an import judges
  it: an answer it refuses stops the merge and is listed;
- a response is identified by its `response_id`: one already present with the same answers
  and metadata is skipped, so merging twice changes nothing (when each copy was stored, such
  as the time of an import, is not compared); one present with different content is a
  conflict, reported with the fields that differ and left as it is;
- new responses are copied with all their metadata (status, entry, form number, timestamps)
  and the instances of their repeat sections, together with their audit trail from the other
  study, plus a `merge` entry saying where they came from; the study's `merge_log` table lists
  every response merged in.

All of it happens in one transaction: a failure merges nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dmsurvey.errors import Problem, StudyError
from dmsurvey.store import db, layout
from dmsurvey.store.compat import structure_differences
from dmsurvey.store.study import Study, open_study
from dmsurvey.wording import plural

MERGE_TABLE = "merge_log"
# When a copy was stored (an import stamps the time it ran on forms that carry none) or last
# written: two laptops importing the same paper file hold the same responses at other times.
VOLATILE_COLUMNS = ("submitted_at", "started_at", "updated_at")

_CREATE_LOG = f"""
CREATE TABLE IF NOT EXISTS {MERGE_TABLE} (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  response_id TEXT NOT NULL,
  source_study TEXT NOT NULL,
  source_questionnaire_sha256 TEXT NOT NULL,
  who TEXT NOT NULL DEFAULT '',
  merged_at TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Conflict:
    """A response stored in both studies with different content."""

    source: Path
    response_id: str
    fields: tuple[str, ...]


@dataclass
class MergeResult:
    study: Path
    added: dict[Path, int] = field(default_factory=dict)
    already_present: dict[Path, int] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = list(self.notes)
        for source, count in self.added.items():
            lines.append(
                f"{source}: {plural(count, 'response')} added, "
                f"{plural(self.already_present[source], 'response')} already present"
            )
        if self.conflicts:
            one = len(self.conflicts) == 1
            lines.append(
                f"{plural(len(self.conflicts), 'response')} "
                f"{'differs' if one else 'differ'} between the studies and "
                f"{'was' if one else 'were'} left as {'it is' if one else 'they are'} in "
                f"{self.study}; compare and correct the wrong copy:"
            )
            for conflict in self.conflicts:
                lines.append(
                    f"  {conflict.response_id} (from {conflict.source}): "
                    + ", ".join(conflict.fields)
                )
        return "\n".join(lines)


def merge_studies(
    study: Study | str | os.PathLike,
    others: Iterable[Study | str | os.PathLike],
    *,
    who: str = "",
) -> MergeResult:
    """Copy the responses of `others` into `study` (see the module text for the rules)."""
    target = study if isinstance(study, Study) else open_study(study)
    sources = [other if isinstance(other, Study) else open_study(other) for other in others]
    _check_same_structure(target, sources)
    columns = [name for name, _ in db.response_columns(target.questionnaire)]
    incoming = [
        (source, _in_choice_order(target, columns, _rows(source, columns)), _audit_rows(source))
        for source in sources
    ]
    _check_answers(target, columns, incoming)
    result = MergeResult(study=target.path, notes=_wording_notes(target, sources))

    def merge(connection) -> None:
        connection.execute(_CREATE_LOG)
        result.added.clear()
        result.already_present.clear()
        result.conflicts.clear()
        present = {row[0]: row for row in _select(connection, columns)}
        stamp = db.now()
        for source, rows, audit in incoming:
            added = []
            identical = 0
            for row in rows:
                response_id = row[0]
                if response_id not in present:
                    added.append(row)
                    present[response_id] = row
                    continue
                differing = _differing_fields(columns, present[response_id], row)
                if differing:
                    result.conflicts.append(Conflict(source.path, response_id, differing))
                else:
                    identical += 1
            _insert(connection, columns, added)
            added_ids = {row[0] for row in added}
            _copy_instances(connection, source, target, added_ids)
            sha = source.info.get("questionnaire_sha256", "")
            connection.executemany(
                "INSERT INTO audit (response_id, field, old, new, who, at, action) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [entry for entry in audit if entry[0] in added_ids]
                + [(rid, None, None, str(source.path), who, stamp, "merge") for rid in added_ids],
            )
            connection.executemany(
                f"INSERT INTO {MERGE_TABLE} (response_id, source_study, "
                "source_questionnaire_sha256, who, merged_at) VALUES (?, ?, ?, ?, ?)",
                [(row[0], str(source.path), sha, who, stamp) for row in added],
            )
            result.added[source.path] = len(added)
            result.already_present[source.path] = identical

    db.write(target.database_path, merge)
    return result


def _check_same_structure(target: Study, sources: list[Study]) -> None:
    problems = []
    for source in sources:
        if source.path.resolve() == target.path.resolve():
            problems.append(Problem("a study cannot be merged into itself", file=str(source.path)))
            continue
        problems += [
            Problem(difference, file=str(source.path))
            for difference in structure_differences(
                target.questionnaire,
                source.questionnaire,
                ours_name=str(target.path),
                theirs_name=str(source.path),
            )
        ]
    if problems:
        raise StudyError(
            f"Nothing was merged: these studies' questionnaires differ in structure from that "
            f"of {target.path}, so their answers do not mean the same. Each difference reads "
            f"{target.path} vs the other study; 'added' is what only the other study has. "
            "Studies merge when their questionnaires differ in wording only",
            problems,
        )


def _check_answers(target: Study, columns: list[str], incoming) -> None:
    """Refuse the merge when an incoming answer is one the questionnaire refuses."""
    import pandas as pd

    from dmsurvey.questionnaire.answer_columns import stored_problems

    problems = []
    for source, rows, _ in incoming:
        frame = pd.DataFrame.from_records(rows, columns=columns).astype(object)
        for found in stored_problems(frame, target.questionnaire).itertuples(index=False):
            problems.append(Problem(
                f"{found.message} (response {frame.at[found.position, 'response_id']})",
                file=str(source.path), column=found.column, value=found.value,
                expected=found.expected))
    if problems:
        raise StudyError(
            f"Nothing was merged: {plural(len(problems), 'answer')} the questionnaire refuses; "
            "correct them in the study they come from (`dmsurvey validate` lists them)",
            problems)


def _wording_notes(target: Study, sources: list[Study]) -> list[str]:
    return [
        f"{source.path}: the questionnaires differ in wording only ({_describe(target)} vs "
        f"{_describe(source)}); answers were merged; the target keeps its own wording"
        for source in sources
        if _fingerprint(source) != _fingerprint(target)
    ]


def _fingerprint(study: Study) -> tuple[str, str]:
    info = study.info
    return str(info.get("questionnaire_version", "")), str(info.get("questionnaire_sha256", ""))


def _describe(study: Study) -> str:
    version, sha = _fingerprint(study)
    return f"version {version!r}, hash {sha[:12]}"


def _in_choice_order(target: Study, columns: list[str], rows: list[tuple]) -> list[tuple]:
    """`rows` with multiple-choice answers in the target's choice order (the canonical value):
    a study whose questionnaire lists the same codes in another order stores them so."""
    orders = {
        columns.index(question.id): {code: n for n, code in enumerate(question.choice_codes)}
        for question in target.questionnaire.answerable
        if question.type == "select_multiple"
    }

    def reorder(index: int, value):
        if index not in orders or not isinstance(value, str):
            return value
        return " ".join(sorted(value.split(), key=lambda code: orders[index].get(code, -1)))

    return [tuple(reorder(index, value) for index, value in enumerate(row)) for row in rows]


def _select(connection, columns: list[str]) -> list[tuple]:
    return layout.select_rows(connection, columns)


def _rows(study: Study, columns: list[str]) -> list[tuple]:
    with study.connect() as connection:
        return _select(connection, columns)


def _audit_rows(study: Study) -> list[tuple]:
    with study.connect() as connection:
        return connection.execute(
            "SELECT response_id, field, old, new, who, at, action FROM audit ORDER BY id"
        ).fetchall()


def _insert(connection, columns: list[str], rows: list[tuple]) -> None:
    if rows:
        layout.insert_rows(connection, dict(zip(columns, zip(*rows, strict=True), strict=True)))


def _copy_instances(connection, source: Study, target: Study, response_ids: set[str]) -> None:
    """The instances of repeat sections of the responses merged in, copied as stored."""
    if not response_ids:
        return
    for section in target.questionnaire.repeats:
        names = ["response_id", "instance_key", "parent_key", "instance",
                 *(name for name, _ in db.repeat_columns(section))]
        listed = ", ".join(db.quote(name) for name in names)
        table = layout.repeat_table(section.id)
        with source.connect() as reading:
            rows = [row for row in reading.execute(f"SELECT {listed} FROM {table}")
                    if row[0] in response_ids]
        connection.executemany(
            f"INSERT INTO {table} ({listed}) VALUES ({', '.join('?' for _ in names)})", rows)


def _differing_fields(columns: list[str], ours: tuple, theirs: tuple) -> tuple[str, ...]:
    return tuple(
        name
        for name, mine, other in zip(columns, ours, theirs, strict=True)
        if name not in VOLATILE_COLUMNS and mine != other
    )


def merge_log(study: Study):
    """Every response merged into `study`: where from, by whom, when (a DataFrame)."""
    import pandas as pd

    with study.connect() as connection:
        connection.execute(_CREATE_LOG)
        return pd.read_sql_query(f"SELECT * FROM {MERGE_TABLE} ORDER BY id", connection)
