"""The instances of repeat sections in response files, read with the responses they belong to.

Each repeat section's rows come in a table of their own beside the main one:

- a KoboToolbox XLSX export has a sheet per repeat, named after it (cut to Excel's 31
  characters), whose rows point at their parent row by `_parent_index`: the `_index` of a row
  of the main sheet, or of the enclosing repeat's sheet for a repeat inside another;
- an ODK Central ZIP export has a CSV file per repeat (`Form-members.csv` beside `Form.csv`)
  whose `PARENT_KEY` is the `KEY` of the parent row (`uuid:...` of the submission, or
  `uuid:.../members[2]` of an enclosing instance);
- a dmsurvey export or keying template has a sheet per repeat keyed by `response_id` (or the
  paper form's `form_number`) and `instance_key` ("2", or "2/3" inside an outer repeat's
  second instance).

The answers of each repeat are checked as those of a response are (column by column by the
one answer checker; the calculations inside a repeat are worked out by the importer once
every repeat is read, `importing.recalculate_with_instances`), and every
instance is numbered in file order within its parent. A row whose parent is missing, or an
answer that does not fit, refuses the whole import: a response comes in with all its instances
or not at all.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dmsurvey.errors import Problem
from dmsurvey.questionnaire.model import REPEAT_METADATA, Questionnaire, Section
from dmsurvey.questionnaire.repeats import instance_number, instance_order, parent_key
from dmsurvey.store import db, layout
from dmsurvey.store.columns import REPEAT_LINK_PREFIX, is_label_row, plan_columns
from dmsurvey.store.readers import DEFAULT_LIMITS, ReadLimits, Table

# How a KoboToolbox export links the rows of its sheets.
KOBO_INDEX = "_index"
KOBO_PARENT_INDEX = "_parent_index"
KOBO_PARENT_TABLE = "_parent_table_name"
# KoboToolbox repeats the submission's own columns (`_submission__uuid`, ...) on repeat sheets.
KOBO_SUBMISSION_PREFIX = "_submission_"
# How an ODK Central export links the rows of its files.
ODK_KEY = "KEY"
ODK_PARENT_KEY = "PARENT_KEY"
# dmsurvey's own exports and templates: the response (or paper form) and the instance key.
LINKED_BY = ("response_id", "form_number")
INSTANCE_KEY = "instance_key"
KEY_COLUMNS = frozenset({KOBO_INDEX, KOBO_PARENT_INDEX, KOBO_PARENT_TABLE, ODK_KEY,
                         ODK_PARENT_KEY, *REPEAT_METADATA, *LINKED_BY})
EXCEL_SHEET_NAME_LIMIT = 31
UUID_PREFIX = "uuid:"


def repeat_questionnaire(questionnaire: Questionnaire, repeat: str | Section) -> Questionnaire:
    """The questions of one repeat section as a questionnaire asked once, so that what checks,
    types and labels the answers of responses does the same for the rows of a repeat."""
    section = questionnaire.repeat(repeat) if isinstance(repeat, str) else repeat
    return dataclasses.replace(
        questionnaire, sections=(dataclasses.replace(section, repeat=None),),
        metadata_fields=(), scoring=None)


def sheet_name(repeat: str) -> str:
    """The sheet a repeat's instances go to in a workbook (Excel allows 31 characters)."""
    return repeat[:EXCEL_SHEET_NAME_LIMIT]


def repeats_inside(questionnaire: Questionnaire, repeat: str) -> list[Section]:
    """The repeats asked inside `repeat`, at any depth, outer ones first."""
    inside = list(questionnaire.repeats_within(repeat))
    for section in list(inside):
        inside += repeats_inside(questionnaire, section.id)
    return inside


@dataclass
class Instances:
    """The rows of one repeat section read from one file, checked and keyed."""

    section: Section
    checked: object  # the `importing._Checked` of the rows' answers (None: no rows)
    response: np.ndarray  # per row: the position of its response among the main file's rows
    instance_key: np.ndarray  # per row: "2", "2/3"
    links: np.ndarray  # per row: the text that rows of repeats inside it point at
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.response)

    def records(self, keep: np.ndarray | None = None) -> list[tuple]:
        """(instance_key, parent_key, instance, answers...) per row (those `keep` marks)."""
        keys = self.instance_key if keep is None else self.instance_key[keep]
        parents = [parent_key(key) for key in keys]
        numbers = [instance_number(key) for key in keys]
        columns = [self.values(name) if keep is None else self.values(name)[keep]
                   for name, _ in db.repeat_columns(self.section)]
        return list(zip(keys, parents, numbers, *columns, strict=True))

    def values(self, name: str) -> np.ndarray:
        values = getattr(self.checked, "values", {})
        return values[name] if name in values else np.full(len(self), None, dtype=object)


def read_instances(
    path: str | os.PathLike,
    questionnaire: Questionnaire,
    main: Table,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
    language: str | None = "en",
    strict: bool = False,
) -> tuple[list[Instances], list[Problem]]:
    """The instances a response file holds beside its main table `main` (as checked), and
    the problems found in them; nothing for a file without repeat sheets or files."""
    from dmsurvey.store.readers import read_further_tables

    if not questionnaire.repeats:
        return [], []
    tables = read_further_tables(path, encoding=encoding, sheet=sheet, limits=limits)
    return link_instances(questionnaire, main, tables, language=language, strict=strict)


def link_instances(
    questionnaire: Questionnaire, main: Table, tables: dict[str, Table], *,
    language: str | None = "en", strict: bool = False,
) -> tuple[list[Instances], list[Problem]]:
    """Each repeat's table (found by name) checked and linked to its parent rows."""
    by_name: dict[str, Section] = {}
    for section in questionnaire.repeats:
        by_name.setdefault(section.id, section)
        by_name.setdefault(sheet_name(section.id), section)
    problems: list[Problem] = []
    found: dict[str, Table] = {}
    for name, table in tables.items():
        section = by_name.get(name)
        if section is not None:
            found[section.id] = table
        elif KEY_COLUMNS.intersection(table.headers) - set(LINKED_BY):
            problems.append(Problem(
                f"instances of a repeat {name!r} the questionnaire does not have",
                file=table.file, sheet=table.sheet,
                expected="a sheet or file named after one of its repeats: "
                + ", ".join(s.id for s in questionnaire.repeats)))
    read: dict[str, Instances] = {}
    for section in questionnaire.repeats:
        table = found.get(section.id)
        if table is None:
            continue
        within = section.repeat.within
        if within is not None and within not in read:
            problems.append(Problem(
                f"instances of {section.id} without the instances of {within} they are asked "
                "in", file=table.file, sheet=table.sheet,
                expected=f"the {within} sheet or file beside it"))
            continue
        read[section.id] = _instances(section, table, questionnaire, main, read.get(within),
                                      language, strict)
        problems += read[section.id].problems
    return list(read.values()), problems


def _instances(section: Section, table: Table, questionnaire: Questionnaire, main: Table,
               parent: Instances | None, language, strict) -> Instances:
    from dmsurvey.store.importing import check_table

    keys = {header: table.cells[column].to_numpy(dtype=object)
            for column, header in enumerate(table.headers) if header in KEY_COLUMNS}
    kept = [column for column, header in enumerate(table.headers)
            if header not in KEY_COLUMNS and not header.startswith(KOBO_SUBMISSION_PREFIX)
            and not header.startswith(REPEAT_LINK_PREFIX)]
    empty = Instances(section, None, np.zeros(0, dtype=int), np.zeros(0, dtype=object),
                      np.zeros(0, dtype=object))
    if table.cells.empty:
        return empty
    answers = Table(
        table.file, [table.headers[column] for column in kept],
        table.cells[kept].set_axis(range(len(kept)), axis=1), table.rows, table.row_kind,
        [table.positions[column] if table.positions else column for column in kept],
        {header: rows for header, rows in table.listed.items() if header not in KEY_COLUMNS},
        sheet=table.sheet)
    asked = repeat_questionnaire(questionnaire, section)
    if len(answers.cells) == 1 and is_label_row(
            answers, plan_columns(answers, asked, ignore_unknown=True), asked):
        return empty  # a template's sheet with its labels and no instance keyed
    all_rows = table.rows
    checked = check_table(answers, asked, language=language, strict=strict, calculate=False)
    rows = checked.table.rows
    present = np.isin(all_rows, rows)  # a second header row (labels) was left out
    keys = {header: values[present] for header, values in keys.items()}
    problems = [dataclasses.replace(problem, sheet=table.sheet)
                for problem in checked.problem_objects()]
    link = _link(section, questionnaire, table, keys, rows, main, parent, problems)
    return Instances(section, checked, *link, problems=problems)


def _link(section, questionnaire, table, keys, rows, main, parent, problems):
    """(response position, instance key, link text) per row; orphans are problems."""
    count = len(rows)
    linked_by = next((name for name in LINKED_BY if name in keys and name in main.headers),
                     None)
    if KOBO_PARENT_INDEX in keys:
        column, own, parent_column = KOBO_PARENT_INDEX, KOBO_INDEX, KOBO_INDEX
    elif ODK_PARENT_KEY in keys:
        column, own, parent_column = ODK_PARENT_KEY, ODK_KEY, ODK_KEY
    elif INSTANCE_KEY in keys and linked_by is not None:
        return _link_by_key(section, questionnaire, table, keys, rows, main, parent,
                            linked_by, problems)
    else:
        problems.append(Problem(
            f"cannot tell which response each instance of {section.id} belongs to",
            file=table.file, sheet=table.sheet, row=1,
            expected=f"a {KOBO_PARENT_INDEX} column (KoboToolbox), {ODK_PARENT_KEY} (ODK "
            f"Central), or {INSTANCE_KEY} with response_id or form_number"))
        return np.full(count, -1), np.full(count, None, dtype=object), np.full(count, "")
    links = keys[own] if own in keys else np.array([str(n) for n in range(1, count + 1)],
                                                   dtype=object)
    if parent is None:
        targets = _main_links(main, parent_column)
    else:
        targets = parent.links
    found = _positions(targets, keys[column])
    kind = "sheet" if table.sheet else "file"
    where = f"the main {kind}" if parent is None else f"the {parent.section.id} {kind}"
    for position in np.flatnonzero(found < 0):
        problems.append(Problem(
            f"an instance of {section.id} whose parent is missing: no row of {where} has "
            f"this {parent_column}", file=table.file, sheet=table.sheet,
            row=int(rows[position]), column=column, value=keys[column][position],
            expected=f"the {parent_column} of a row of {where}"))
    valid = found >= 0
    numbers = (pd.Series(found).groupby(found).cumcount() + 1).to_numpy()
    if parent is None:
        response = found
        instance_keys = np.array([str(n) for n in numbers], dtype=object)
    else:
        response = np.where(valid, parent.response[np.where(valid, found, 0)], -1)
        outer = parent.instance_key[np.where(valid, found, 0)] if len(parent) else \
            np.full(count, "", dtype=object)
        instance_keys = np.array([f"{key}/{n}" for key, n in zip(outer, numbers, strict=True)],
                                 dtype=object)
    return response, instance_keys, _plain(links)


def _link_by_key(section, questionnaire, table, keys, rows, main, parent, linked_by,
                 problems):
    """dmsurvey's own layout: the response (or paper form) and the instance key given."""
    count = len(rows)
    found = _positions(_plain(_column(main, linked_by)), _plain(keys[linked_by]))
    depth = _depth(section, questionnaire)
    given = np.array([str(key).strip() for key in keys[INSTANCE_KEY]], dtype=object)
    pattern = re.compile(r"[1-9][0-9]*" + r"/[1-9][0-9]*" * (depth - 1))
    well_formed = np.array([pattern.fullmatch(key) is not None for key in given], dtype=bool)
    outer_known = np.ones(count, dtype=bool)
    if parent is not None:
        known = set(zip(parent.response.tolist(), parent.instance_key.tolist(), strict=True))
        outer_known = np.array([(int(response), key.rpartition("/")[0]) in known
                                for response, key in zip(found, given, strict=True)])
    repeated = pd.Series(list(zip(found.tolist(), given.tolist(), strict=True))).duplicated()
    for position in range(count):
        value, column, expected = None, None, None
        if found[position] < 0:
            value, column = keys[linked_by][position], linked_by
            message = f"an instance of {section.id} whose response is not in the main sheet"
            expected = f"the {linked_by} of a row of the main sheet"
        elif not well_formed[position]:
            value, column = given[position], INSTANCE_KEY
            message = "not an instance key"
            expected = ("a number from 1" if depth == 1 else
                        f"{depth} numbers separated by / (such as {'/'.join(['2'] * depth)})")
        elif not outer_known[position]:
            value, column = given[position], INSTANCE_KEY
            message = f"an instance of {section.id} whose {parent.section.id} instance is missing"
            expected = f"the instance_key of a row of {parent.section.id}, then / and a number"
        elif repeated.iat[position]:
            value, column = given[position], INSTANCE_KEY
            message = f"this instance of {section.id} appears twice for one response"
            expected = "each instance once"
        else:
            continue
        problems.append(Problem(message, file=table.file, sheet=table.sheet,
                                row=int(rows[position]), column=column, value=value,
                                expected=expected))
    return found, given, given


def _depth(section: Section, questionnaire: Questionnaire) -> int:
    """How many numbers an instance key of `section` has: 1, plus one per enclosing repeat."""
    depth = 1
    while section.repeat.within is not None:
        section = questionnaire.repeat(section.repeat.within)
        depth += 1
    return depth


def _main_links(main: Table, column: str) -> np.ndarray:
    """What the rows of a top-level repeat point at in the main table: its `_index` or `KEY`
    (a KoboToolbox main sheet without `_index` counts its rows from 1)."""
    values = _column(main, column)
    if values is None:
        return np.array([str(n) for n in range(1, len(main.cells) + 1)], dtype=object)
    return _plain(values)


def _column(table: Table, header: str) -> np.ndarray | None:
    if header not in table.headers:
        return None
    return table.cells[table.headers.index(header)].to_numpy(dtype=object)


def _plain(values) -> np.ndarray:
    """Link texts compared as ids: stripped, without ODK's `uuid:` before a response id."""
    if values is None:
        return np.zeros(0, dtype=object)
    texts = pd.Series(values, dtype=object).astype("str").str.strip()
    return texts.str.removeprefix(UUID_PREFIX).to_numpy(dtype=object)


def _positions(targets: np.ndarray, references: np.ndarray) -> np.ndarray:
    """The position in `targets` of each reference (the first, if repeated); -1 if none."""
    references = _plain(references)
    lookup = pd.Series(np.arange(len(targets)), index=pd.Index(targets, dtype=object))
    lookup = lookup[~lookup.index.duplicated()]
    return lookup.reindex(pd.Index(references, dtype=object)).fillna(-1).to_numpy(dtype=int)


# ------------------------------------------------------------------------------ storing


def changed_instances(connection, checked: Sequence, incoming,
                      candidates: np.ndarray) -> dict[int, list[str]]:
    """Batch rows among `candidates` (stored responses imported again) whose instances in the
    file differ from the stored ones, with the repeats that differ. Only repeats the file has
    a sheet or file for are compared."""
    changed: dict[int, list[str]] = {}
    for part, item in enumerate(checked):
        rows = np.flatnonzero(candidates & (incoming.part == part))
        if not len(rows):
            continue
        ids = incoming["response_id"][rows]
        for instances in item.instances:
            stored = _stored_instances(connection, instances.section, list(ids))
            arriving: dict[str, list[tuple]] = {}
            batch = incoming.rows_of(part, instances.response)
            for rid, record in zip(incoming["response_id"][batch], instances.records(),
                                   strict=True):
                arriving.setdefault(rid, []).append(record)
            for row, rid in zip(rows, ids, strict=True):
                if sorted(arriving.get(rid, []), key=_record_order) != stored.get(rid, []):
                    changed.setdefault(int(row), []).append(instances.section.id)
    return changed


def store_instances(connection, questionnaire: Questionnaire, checked: Sequence, incoming,
                    adding: np.ndarray, replacing: np.ndarray, who: str,
                    *, dry_run: bool = False) -> dict[str, int]:
    """Insert the instances of added responses; those of replaced responses replace the
    stored ones (the audit trail keeps them). Returns the instances stored per repeat."""
    counts: dict[str, int] = {}
    stamp = db.now()
    for part, item in enumerate(checked):
        replaced = list(incoming["response_id"][replacing & (incoming.part == part)])
        for instances in item.instances:
            batch = incoming.rows_of(part, instances.response)
            keep = (adding | replacing)[batch]
            if keep.any():
                counts[instances.section.id] = counts.get(instances.section.id, 0) + \
                    int(keep.sum())
            if dry_run:
                continue
            if replaced:
                _remove_instances(connection, questionnaire, instances.section.id, replaced,
                                  who, stamp)
            names = [name for name, _ in db.repeat_columns(instances.section)]
            listed = ", ".join(db.quote(name) for name in [*REPEAT_METADATA, *names])
            marks = ", ".join("?" for _ in range(len(REPEAT_METADATA) + len(names)))
            ids = incoming["response_id"][batch][keep]
            connection.executemany(
                f"INSERT INTO {layout.repeat_table(instances.section.id)} ({listed}) "
                f"VALUES ({marks})",
                [(rid, *record) for rid, record in
                 zip(ids, instances.records(keep), strict=True)])
    return counts


def _remove_instances(connection, questionnaire, repeat: str, response_ids: list[str],
                      who: str, stamp: str) -> None:
    """Remove the instances of `repeat` (and of repeats inside it) of these responses; the
    audit trail keeps each removed instance as `Study.remove_repeat_instance` does."""
    audit = []
    for name in [repeat] + [s.id for s in repeats_inside(questionnaire, repeat)]:
        table = layout.repeat_table(name)
        for start in range(0, len(response_ids), 500):
            chunk = response_ids[start:start + 500]
            condition = f"response_id IN ({', '.join('?' for _ in chunk)})"
            cursor = connection.execute(f"SELECT * FROM {table} WHERE {condition}", chunk)
            names = [d[0] for d in cursor.description]
            for found in cursor.fetchall():
                record = dict(zip(names, found, strict=True))
                audit.append((record["response_id"], f"{name}[{record['instance_key']}]",
                              json.dumps(record, ensure_ascii=False, default=str), None, who,
                              stamp, "remove instance"))
            connection.execute(f"DELETE FROM {table} WHERE {condition}", chunk)
    connection.executemany(
        "INSERT INTO audit (response_id, field, old, new, who, at, action) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)", audit)


def _stored_instances(connection, section: Section, response_ids: list[str]):
    names = [name for name, _ in db.repeat_columns(section)]
    selected = ", ".join(db.quote(name) for name in ["response_id", *REPEAT_METADATA[1:],
                                                     *names])
    stored: dict[str, list[tuple]] = {}
    for start in range(0, len(response_ids), 500):
        chunk = response_ids[start:start + 500]
        for found in connection.execute(
                f"SELECT {selected} FROM {layout.repeat_table(section.id)} "
                f"WHERE response_id IN ({', '.join('?' for _ in chunk)})", chunk):
            stored.setdefault(found[0], []).append(tuple(found[1:]))
    return {rid: sorted(records, key=_record_order) for rid, records in stored.items()}


def _record_order(record: tuple) -> tuple[int, ...]:
    return instance_order(record[0])


# ------------------------------------------------------------------------------ reading


def instance_frames(study, response_ids: Sequence[str] | None = None) -> dict[str, pd.DataFrame]:
    """Per repeat: its stored instances (of `response_ids`, in their order; None: all), one
    typed row each: response_id, instance_key, parent_key, instance, then the answers."""
    from dmsurvey.store.frames import typed_responses

    frames = {}
    order = None if response_ids is None else {rid: n for n, rid in enumerate(response_ids)}
    for section in study.questionnaire.repeats:
        raw = study.repeat_rows(section.id)
        if order is not None:
            raw = raw[raw["response_id"].isin(order.keys())]
            ranks = raw["response_id"].map(order)
            raw = raw.assign(_rank=ranks, _key=raw["instance_key"].map(instance_order))
            raw = raw.sort_values(["_rank", "_key"], kind="stable").drop(
                columns=["_rank", "_key"])
        typed = typed_responses(raw.astype(object), repeat_questionnaire(study.questionnaire,
                                                                         section))
        answers = [q.id for q in section.questions if q.asks_for_answer]
        typed["instance"] = pd.array(raw["instance"].to_numpy(), dtype="Int64")
        for name in ("instance_key", "parent_key"):
            typed[name] = raw[name].astype(object).where(raw[name].notna(), None).to_numpy()
        frames[section.id] = typed[[*REPEAT_METADATA, *answers]]
    return frames
