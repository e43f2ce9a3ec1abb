"""Questionnaires of any width in SQLite: answers spread over tables joined by response id.

SQLite refuses a table, or the result of one SELECT, of more than 2,000 columns, and a
national enterprise survey can ask 3,000 questions. So the `responses` table holds the
metadata and the first questions, up to `COLUMNS_PER_TABLE` columns; the questions after
them go to `responses_2`, `responses_3`, ... of at most as many columns, each keyed by
`response_id`, with one row for every row of `responses`. A questionnaire that fits (the
2020 instrument, with 54 columns, and anything up to about 1,000 questions) has the one
`responses` table it always had.

The functions here read and write columns wherever they live, so callers name the columns
they want and never the tables. pandas is never imported here (the interview uses it).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dmsurvey.store.db import quote

MAIN_TABLE = "responses"
# Well under SQLite's 2,000: a table stays readable by tools built with lower limits.
COLUMNS_PER_TABLE = 1_000
_FURTHER_TABLE = re.compile(rf"{MAIN_TABLE}_[0-9]+\Z")


# Each repeat section has a table of its own, a row per instance (see `model.Repeat`).
REPEAT_TABLE_PREFIX = "repeat_"


def repeat_table(section_id: str) -> str:
    """The table holding the instances of the repeat section `section_id`."""
    return quote(REPEAT_TABLE_PREFIX + section_id)


def repeat_table_definition(section_id: str, columns: Sequence[tuple[str, str]]) -> list[str]:
    """CREATE statements of a repeat's table: its keys, then (column, SQL type) of its answers."""
    table = repeat_table(section_id)
    answers = "".join(f",\n  {quote(name)} {sql_type}" for name, sql_type in columns)
    return [
        f"CREATE TABLE {table} (\n  response_id TEXT NOT NULL,\n  instance_key TEXT NOT NULL,"
        f"\n  parent_key TEXT,\n  instance INTEGER NOT NULL{answers},"
        "\n  PRIMARY KEY (response_id, instance_key)\n)",
        f"CREATE INDEX {quote('by_response_' + section_id)} ON {table} (response_id)",
    ]


def split_columns(columns: Sequence[tuple[str, str]]) -> dict[str, list[tuple[str, str]]]:
    """(column, SQL type) of each table for the store's columns in order (metadata first)."""
    tables = {MAIN_TABLE: list(columns[:COLUMNS_PER_TABLE])}
    rest = columns[COLUMNS_PER_TABLE:]
    room = COLUMNS_PER_TABLE - 1  # each further table also holds response_id
    for number, start in enumerate(range(0, len(rest), room), start=2):
        tables[f"{MAIN_TABLE}_{number}"] = list(rest[start:start + room])
    return tables


def table_definitions(columns: Sequence[tuple[str, str]]) -> list[str]:
    """CREATE TABLE statements for the store's columns."""
    statements = []
    for table, table_columns in split_columns(columns).items():
        lines = [
            f"{quote(name)} {sql_type}" + (" PRIMARY KEY NOT NULL" if name == "response_id" else "")
            for name, sql_type in table_columns
        ]
        if table != MAIN_TABLE:
            lines.insert(0, "response_id TEXT PRIMARY KEY NOT NULL")
        statements.append(f"CREATE TABLE {table} (\n  " + ",\n  ".join(lines) + "\n)")
    return statements


def further_tables(connection: sqlite3.Connection) -> list[str]:
    """The tables after `responses`, in order (none for a questionnaire that fits in one)."""
    names = [
        row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB ?",
            (f"{MAIN_TABLE}_[0-9]*",),
        )
        if _FURTHER_TABLE.match(row[0])
    ]
    return sorted(names, key=lambda name: int(name.rsplit("_", 1)[1]))


def stored_columns(connection: sqlite3.Connection) -> dict[str, str]:
    """Every column of the store -> the table holding it."""
    found = {}
    for table in [MAIN_TABLE, *further_tables(connection)]:
        for row in connection.execute(f"PRAGMA table_info({table})"):
            found.setdefault(row[1], table)
    return found


def _by_table(connection: sqlite3.Connection, names: Iterable[str]) -> dict[str, list[str]]:
    """The columns asked for, grouped by the table holding them (every table present)."""
    further = further_tables(connection)
    grouped: dict[str, list[str]] = {MAIN_TABLE: []}
    if not further:
        grouped[MAIN_TABLE] = list(names)
        return grouped
    grouped.update({table: [] for table in further})
    where = stored_columns(connection)
    for name in names:
        table = where.get(name, MAIN_TABLE)
        if table != MAIN_TABLE and name == "response_id":
            table = MAIN_TABLE
        grouped[table].append(name)
    return grouped


def select_columns(
    connection: sqlite3.Connection,
    names: Sequence[str],
    where: str = "",
    parameters: Sequence[Any] = (),
) -> dict[str, tuple]:
    """The values of columns `names` for the responses `where` selects, in stored order.

    `where` is SQL after WHERE on metadata columns (`status IN (?, ?)`); each table's share
    is one query joined to `responses` on response_id.
    """
    condition = f" WHERE {where}" if where else ""
    values: dict[str, tuple] = {}
    for table, table_names in _by_table(connection, names).items():
        if not table_names:
            continue
        if table == MAIN_TABLE:
            query = _main_query(table_names, condition)
        else:
            selected = ", ".join(f"part.{quote(name)}" for name in table_names)
            query = (
                f"SELECT {selected} FROM {MAIN_TABLE} JOIN {table} AS part "
                f"USING (response_id){condition} ORDER BY {MAIN_TABLE}.rowid"
            )
        rows = connection.execute(query, parameters).fetchall()
        columns = zip(*rows, strict=True) if rows else [()] * len(table_names)
        values.update(zip(table_names, columns, strict=True))
    return {name: values[name] for name in names}


def select_rows(
    connection: sqlite3.Connection,
    names: Sequence[str],
    where: str = "",
    parameters: Sequence[Any] = (),
) -> list[tuple]:
    """As `select_columns`, row by row: one tuple of `names`' values per response."""
    if not further_tables(connection):
        condition = f" WHERE {where}" if where else ""
        return connection.execute(_main_query(names, condition), parameters).fetchall()
    return list(zip(*select_columns(connection, names, where, parameters).values(), strict=True))


def insert_rows(
    connection: sqlite3.Connection,
    columns: Mapping[str, Sequence[Any]],
    constants: Mapping[str, str] | None = None,
) -> None:
    """Insert one response per position of `columns` (name -> values; response_id among
    them); `constants` are SQL literals (`'paper'`, `NULL`) every row gets."""
    constants = constants or {}
    for table, names in _by_table(connection, [*columns, *constants]).items():
        bound = [name for name in names if name in columns]
        if table != MAIN_TABLE:
            bound.insert(0, "response_id")
        literal = [name for name in names if name not in columns]
        listed = ", ".join(quote(name) for name in [*bound, *literal])
        marks = ", ".join(["?"] * len(bound) + [constants[name] for name in literal])
        connection.executemany(
            f"INSERT INTO {table} ({listed}) VALUES ({marks})",
            zip(*[columns[name] for name in bound], strict=True),
        )


def update_response(
    connection: sqlite3.Connection,
    response_id: str,
    changes: Mapping[str, Any],
    updated_at: str,
) -> None:
    """Set `changes` (columns of any table) of one response, and its `updated_at`."""
    for table, names in _by_table(connection, changes).items():
        if table != MAIN_TABLE and not names:
            continue
        assignments = [f"{quote(name)} = ?" for name in names]
        values = [changes[name] for name in names]
        if table == MAIN_TABLE:
            assignments.append("updated_at = ?")
            values.append(updated_at)
        connection.execute(
            f"UPDATE {table} SET {', '.join(assignments)} WHERE response_id = ?",
            [*values, response_id],
        )


def _main_query(names: Sequence[str], condition: str) -> str:
    selected = ", ".join(quote(name) for name in names)
    return f"SELECT {selected} FROM {MAIN_TABLE}{condition} ORDER BY rowid"
