"""Import response files into a study: read, map columns, check every cell, store at once.

    >>> result = import_files(study, ["kobo-export.xlsx", "paper.csv"], source="paper")
    >>> result.added, result.unchanged

Every cell is checked column by column by the questionnaire's answer checker, in its
vectorised form (types, choice codes or labels in any questionnaire language, multi-select
codes, exclusive choices, constraints), and *all* problems are reported with the file, the row
a user sees in Excel, the column, the value and what was expected. By default nothing is
stored unless everything is right, in one transaction; `skip_invalid` stores the valid rows
and writes the rejected ones, with a `reason` column, to `FILE.rejected.csv` beside each input.

Rows without a `response_id` get one derived from their content (a UUID 5), so importing a file
twice never duplicates it: a stored response with the same content is skipped, one with other
content is a conflict that lists the differing fields (`replace` overwrites them; the audit
trail keeps the old values). Files of one import are treated alike: a row repeated exactly in
another file is stored once (counted in `duplicates`), the same id with other content is a
conflict.

Paper forms keyed twice count once: rows of a second keying (`entry` 2) are stored
`in_progress`, and so is the first keying of a form that has a second one, until `dmsurvey
reconcile` settles the form (see `dmsurvey.store.reconcile`).

Item non-response is data, not an error: a blank answer to a required question is stored as
missing (it falls out of that question's base, and `dmsurvey validate` lists it), and a
question the file has no column for was not asked by the instrument the file came from (one
line per question in the summary). `strict` refuses both, as the interview does. Answers the
skip logic says were not asked are kept: `dmsurvey validate` reports them.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from dmsurvey.errors import DataError, Problem, shortened
from dmsurvey.questionnaire.answer_columns import Coded, Collector, check_rules
from dmsurvey.questionnaire.answers import AnswerChecker
from dmsurvey.questionnaire.model import SOURCES, Questionnaire
from dmsurvey.store import db, layout
from dmsurvey.store.checking import CheckedColumns, check_field
from dmsurvey.store.columns import (
    DROPPED_PLURALS,
    REASON_COLUMN,
    REJECTED_SUFFIX,
    ColumnPlan,
    is_label_row,
    plan_columns,
    study_fields,
)
from dmsurvey.store.instances import changed_instances, read_instances, store_instances
from dmsurvey.store.mapping import ColumnMap
from dmsurvey.store.platforms import recognise
from dmsurvey.store.readers import DEFAULT_LIMITS, ReadLimits, Table, read_table, text_frame
from dmsurvey.wording import plural


class Store(Protocol):
    """What an import needs of a study (a `dmsurvey.store.study.Study`): its questionnaire and
    the database file it writes to."""

    questionnaire: Questionnaire
    database_path: Path

# Content-derived response ids live in their own UUID namespace.
RESPONSE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://dmsurvey.org/response")
# Never compared when a stored response is imported again: they change as a matter of course.
COMPARED_METADATA_SKIPPED = ("response_id", "started_at", "updated_at")
WRITE_CHUNK = 20_000
# The audit action recording a question the imported file had no column for.
NOT_ASKED = "not_asked"

Progress = Callable[[str, int, int], None]


@dataclass
class ImportResult:
    """What an import did (or, with `dry_run`, would do)."""

    files: tuple[str, ...] = ()
    rows: int = 0
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    duplicates: int = 0  # rows repeated exactly in another file of the same import
    awaiting_reconciliation: int = 0  # paper forms of this import now keyed twice
    rejected: int = 0
    dry_run: bool = False
    rejected_files: tuple[Path, ...] = ()
    dropped_columns: tuple[tuple[str, str, str], ...] = ()  # (file, column, why)
    problems: tuple[Problem, ...] = ()  # of the rejected rows
    # Item non-response: question -> rows of finished responses leaving it blank although it
    # is asked (stored as missing), and questions a file has no column for (not asked there).
    blank_required: dict[str, int] = field(default_factory=dict)
    not_asked: dict[str, tuple[str, ...]] = field(default_factory=dict)  # question -> files
    recognised: tuple[str, ...] = ()  # how the columns of platform exports or maps were read
    # calculate field -> rows of the stored responses whose file value was not what the
    # calculation gives (the calculation's value is stored)
    recalculated: dict[str, int] = field(default_factory=dict)
    response_ids: tuple[str, ...] = field(default=(), repr=False)
    # repeat section -> instances stored (or, with `dry_run`, that would be) with the responses
    instances: dict[str, int] = field(default_factory=dict)

    def dropped_lines(self) -> list[str]:
        """The columns left out, one line per file and reason (a Kobo export's seven system
        columns make one line, not seven)."""
        groups: dict[tuple[str, str], list[str]] = {}
        for file, column, why in self.dropped_columns:
            groups.setdefault((file, why), []).append(column)
        lines = []
        for (file, why), columns in groups.items():
            name = Path(file).name
            if len(columns) == 1:
                lines.append(f"left out column {columns[0]!r} of {name}: {why}")
            else:
                what = DROPPED_PLURALS.get(why, f"columns ({why})")
                lines.append(f"left out {len(columns)} {what} from {name}: {', '.join(columns)}")
        return lines

    def non_response_lines(self) -> list[str]:
        """Item non-response, one line per question: required questions left blank, and
        questions the files have no column for."""
        lines = [
            f"{question}: required but left blank in {plural(count, 'response')}, stored as "
            "missing (`dmsurvey validate` lists them)"
            for question, count in self.blank_required.items()
        ]
        for question, files in self.not_asked.items():
            names = ", ".join(Path(file).name for file in files)
            lines.append(f"{question}: no column in {names}; not asked there, stored as missing")
        lines += [
            f"{question}: the file's value differs from what its calculation gives in "
            f"{plural(count, 'response')}; the calculation's value is stored"
            for question, count in self.recalculated.items()
        ]
        return lines


@dataclass
class _Checked:
    """One input after checking: canonical values, and problems by row position."""

    table: Table | None
    rows: int
    values: dict[str, np.ndarray]  # field -> values as the store binds them
    provided: list[str]  # study fields the input had a column for
    problems: pd.DataFrame  # position, column, value, message, expected
    dropped: list[tuple[str, str]]
    blank: dict[str, np.ndarray] = field(default_factory=dict)  # required, left blank
    absent: tuple[str, ...] = ()  # questions without a column
    # calculate fields whose file value differs from the calculation, per row
    recalculated: dict[str, np.ndarray] = field(default_factory=dict)
    # the instances of repeat sections read beside the responses, and what is wrong with them
    instances: list = field(default_factory=list)
    instance_problems: list[Problem] = field(default_factory=list)
    # the typed answers expressions see (calculations worked out), a row per response
    typed: pd.DataFrame | None = field(default=None, repr=False)

    def problem_objects(self) -> list[Problem]:
        frame = self.problems
        rows = self.table.rows if self.table is not None else np.arange(1, self.rows + 1)
        name = self.table.file if self.table is not None else None
        return [
            Problem(message, file=name, row=int(rows[position]), column=column,
                    value=value, expected=expected)
            for position, column, value, message, expected in frame.itertuples(index=False)
        ]


# ---------------------------------------------------------------------------- public


def import_files(
    study: Store,
    files: Sequence[str | os.PathLike],
    *,
    source: str | None = None,
    entry: int | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    ignore_columns: bool = False,
    replace: bool = False,
    strict: bool = False,
    who: str = "",
    language: str | None = "en",
    progress: Progress | None = None,
    column_map: ColumnMap | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> ImportResult:
    """Import response files into `study`, all of them or nothing (see the module docs).

    `strict`: a required question left blank (or without a column) in a finished response
    is a problem, as in the interview, instead of item non-response stored as missing.
    `language`: the questionnaire's messages (constraints, required answers) in problems.
    Exports of survey platforms are recognised; other files may be read with `column_map`
    (see `dmsurvey.store.platforms`). `limits`: how large a file, an unpacked archive member
    and a cell may be.
    """
    _check_options(source, entry)
    if not files:
        raise DataError("No files to import.")
    checked, recognised = [], []
    for number, path in enumerate(files, start=1):
        _report(progress, f"Reading {Path(path).name}", number - 1, len(files))
        item, lines = _read_checked(path, study.questionnaire, encoding=encoding, sheet=sheet,
                                    column_map=column_map, ignore_columns=ignore_columns,
                                    language=language, progress=progress, strict=strict,
                                    limits=limits)
        checked.append(item)
        recognised += lines
    result = _store(study, checked, source=source, entry=entry, dry_run=dry_run,
                    skip_invalid=skip_invalid, replace=replace, who=who, progress=progress)
    result.recognised = tuple(recognised)
    return result


def read_responses(
    path: str | os.PathLike,
    questionnaire: Questionnaire,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    language: str | None = "en",
) -> pd.DataFrame:
    """Read a response file outside any study, checked as `import` checks it, and typed.

    One row per response, columns as `Study.responses()` gives them (metadata, then one typed
    column per question). Raises a `DataError` listing every problem found.
    """
    from dmsurvey.store.frames import typed_responses

    checked, _ = _read_checked(path, questionnaire, encoding=encoding, sheet=sheet,
                               language=language)
    if len(checked.problems):
        problems = checked.problem_objects()
        raise DataError(
            f"{path}: {plural(len(problems), 'value')} "
            f"{'does' if len(problems) == 1 else 'do'} not fit the questionnaire "
            f"{questionnaire.name!r}",
            problems,
        )
    columns = study_fields(questionnaire)
    empty = np.full(checked.rows, None, dtype=object)
    return typed_responses(
        pd.DataFrame({name: checked.values.get(name, empty) for name in columns}), questionnaire)


def _read_checked(path, questionnaire: Questionnaire, *, encoding, sheet, column_map=None,
                  ignore_columns=False, limits=DEFAULT_LIMITS,
                  **checking) -> tuple[_Checked, list[str]]:
    """One file read (a platform export or a file with a column map rewritten first) and
    checked; with the lines saying how its columns were recognised."""
    table = read_table(path, encoding=encoding, sheet=sheet, limits=limits)
    recognition = recognise(table, questionnaire, column_map, ignore_columns=ignore_columns)
    if recognition is None:
        checked = check_table(table, questionnaire, ignore_columns=ignore_columns, **checking)
        checked.instances, checked.instance_problems = read_instances(
            path, questionnaire, checked.table, encoding=encoding, sheet=sheet, limits=limits,
            language=checking.get("language", "en"), strict=checking.get("strict", False))
        if checked.instances and not checked.instance_problems:
            recalculate_with_instances(checked, questionnaire)
        return checked, []
    checked = check_table(recognition.table, questionnaire, ignore_columns=ignore_columns,
                          **checking)
    recognition.restore(checked)
    return checked, recognition.lines()


def add_frame(
    study: Store,
    frame: pd.DataFrame,
    *,
    who: str = "",
    source: str | None = None,
    entry: int | None = None,
    replace: bool = False,
) -> ImportResult:
    """Add a DataFrame of responses (typed, or text as read from files): `Study.add_responses`."""
    _check_options(source, entry)
    headers = [str(column) for column in frame.columns]
    cells = text_frame(frame.reset_index(drop=True).set_axis(range(len(headers)), axis=1))
    table = Table("responses", headers, cells, np.arange(1, len(frame) + 1), "row")
    checked = check_table(table, study.questionnaire, ignore_columns=False)
    checked.table = None  # problems name rows of the frame, not of a file
    return _store(study, [checked], source=source, entry=entry, dry_run=False,
                  skip_invalid=False, replace=replace, who=who, progress=None)


def check_table(
    table: Table,
    questionnaire: Questionnaire,
    *,
    ignore_columns: bool = False,
    language: str | None = "en",
    progress: Progress | None = None,
    strict: bool = False,
    calculate: bool = True,
) -> _Checked:
    """Map the columns of `table` and check every cell; raises on problems with the columns.

    `strict`: required answers left blank are problems (see `import_files`). `calculate`:
    calculate fields are worked out again (else taken as the file has them)."""
    plan = plan_columns(table, questionnaire, ignore_unknown=ignore_columns)
    if plan.problems:
        raise DataError(
            f"Nothing was imported: the columns of {table.file} do not fit the questionnaire "
            f"{questionnaire.name!r}",
            plan.problems,
        )
    if not plan.fields and not plan.options and not plan.geo_parts:
        raise DataError(f"Nothing was imported: {table.file} has no column of the questionnaire.")
    _refuse_lists(table, plan, questionnaire)
    if is_label_row(table, plan, questionnaire):
        table.cells = table.cells.iloc[1:].reset_index(drop=True)
        table.rows = table.rows[1:]
    if table.cells.empty:
        raise DataError(f"Nothing was imported: {table.file} has a header but no responses.")
    return _check_cells(table, plan, questionnaire, language, progress, strict, calculate)


def _refuse_lists(table: Table, plan, questionnaire: Questionnaire) -> None:
    """A list (from JSON) is the answer to a multiple-choice question, never to another."""
    problems = []
    for name, position in plan.fields.items():
        header = table.headers[position]
        multiple = name in questionnaire and questionnaire.question(name).type == \
            "select_multiple"
        if not multiple:
            problems += [Problem("a list of values where one answer belongs", file=table.file,
                                 row=row, column=header,
                                 expected="one value (only a multiple-choice answer is a list)")
                         for row in sorted(table.listed.get(header, ()))]
    if problems:
        raise DataError(f"Nothing was imported: {table.file} has lists where one answer "
                        "belongs", problems)


# --------------------------------------------------------------------------- checking


def _check_cells(table: Table, plan: ColumnPlan, questionnaire: Questionnaire, language,
                 progress, strict: bool = False, calculate: bool = True):
    found = Collector(table.headers)
    checker = AnswerChecker(questionnaire)
    count = len(table.cells)
    columns = CheckedColumns({}, {})
    given: dict[str, np.ndarray] = {}
    originals: dict[str, np.ndarray] = {}
    fields = [name for name in study_fields(questionnaire)
              if name in plan.fields or name in plan.options or name in plan.geo_parts]
    name_of = Path(table.file).name
    for done, name in enumerate(fields):
        _report(progress, f"Checking {name_of}", done, len(fields))
        if name in plan.fields:
            coded = Coded.of(table.cells[plan.fields[name]])
        elif name in plan.geo_parts:
            coded = Coded.of(_joined_point(table, plan.geo_parts[name]))
        else:
            coded = Coded.empty(count)
        options = {code: (Coded.of(table.cells[position]), table.headers[position])
                   for code, position in plan.options.get(name, {}).items()}
        check_field(name, coded, questionnaire, found, plan.headers.get(name, name), columns,
                    options, checker)
        given[name] = coded.present()
        for option, _ in options.values():
            given[name] = given[name] | option.present()
        originals[name] = coded.texts()
    absent = []
    for question in questionnaire.answerable:  # not asked by the instrument the file came from
        if question.id not in columns.typed:
            if question.type != "calculate":
                absent.append(question.id)
            columns.typed[question.id] = np.full(count, None, dtype=object)
            given[question.id] = np.zeros(count, dtype=bool)
            originals[question.id] = columns.typed[question.id]
    typed = pd.DataFrame(columns.typed, index=range(count))
    blank = check_rules(typed, given, originals, questionnaire, found, plan.headers, language,
                        required=strict)
    recalculated = (_recalculate(typed, columns.values, given, questionnaire, fields)
                    if calculate else {})
    _report(progress, f"Checking {name_of}", len(fields), len(fields))
    return _Checked(table, count, columns.values, fields, found.frame(), plan.dropped,
                    {question: rows for question, rows in blank.items() if question not in absent},
                    tuple(absent), recalculated, typed=typed)


def _recalculate(typed: pd.DataFrame, values: dict[str, np.ndarray], given: dict[str, np.ndarray],
                 questionnaire: Questionnaire, fields: list[str]) -> dict[str, np.ndarray]:
    """Work every calculate field out again from the file's answers, column-wise, and store
    that (what the interview would have stored); returns, per field, the rows whose file value
    differs (numbers compared as numbers: a file's 4.0 is the calculation's 4)."""
    from dmsurvey.questionnaire.calculations import calculate_frame

    differing = {}
    over_repeats = calculations_over_repeats(questionnaire)
    for question_id, column in calculate_frame(questionnaire, typed).items():
        if question_id in over_repeats:
            continue
        if question_id in values:
            differs = given[question_id] & _differs(values[question_id], column)
            if differs.any():
                differing[question_id] = differs
        else:
            fields.append(question_id)
        values[question_id] = column.to_numpy(dtype=object)
    return differing


def _differs(imported: np.ndarray, worked_out: pd.Series) -> np.ndarray:
    """Rows where a file's value is not what the calculation gives (numbers compared as
    numbers: a file's 4.0 is the calculation's 4)."""
    imported = pd.Series(imported, dtype=object)
    numbers = pd.to_numeric(imported, errors="coerce").to_numpy(dtype=float)
    expected = pd.to_numeric(worked_out, errors="coerce").to_numpy(dtype=float)
    same_number = np.isclose(numbers, expected, rtol=1e-9, atol=0)
    same_text = imported.fillna("").to_numpy() == worked_out.fillna("").to_numpy()
    return ~(same_number | same_text)


def _given(values: np.ndarray) -> np.ndarray:
    """Cells the file filled in."""
    texts = pd.Series(values, dtype=object)
    return (texts.notna() & (texts.astype(str).str.strip() != "")).to_numpy()


def recalculate_with_instances(checked: _Checked, questionnaire: Questionnaire) -> None:
    """Once a file's instances are read: work out again the calculations inside each repeat
    (per instance) and those asked once that use a repeat's answers (`sum(${age})`), all
    column-wise, storing what they give; a file value that differs is noted per response in
    `checked.recalculated`, as for the other calculations."""
    from dmsurvey.questionnaire.calculations import calculate_frame, calculations
    from dmsurvey.questionnaire.expressions import Context
    from dmsurvey.questionnaire.repeats import visible_columns

    context = Context.of(questionnaire)
    indexed = any("indexed-repeat" in (text or "") for text in (
        *(section.relevant for section in questionnaire.sections),
        *(question.relevant for question in questionnaire.all_questions),
        *(question.calculation for question in questionnaire.all_questions)))
    responses = checked.typed.assign(response_id=np.arange(checked.rows))
    read = {instances.section.id: instances for instances in checked.instances
            if len(instances) and instances.checked is not None}
    repeat_rows = {section_id: _instance_frame(instances)
                   for section_id, instances in read.items()}

    def note(question_id: str, differs: np.ndarray) -> None:
        if differs.any():
            earlier = checked.recalculated.get(question_id)
            checked.recalculated[question_id] = differs if earlier is None else earlier | differs

    for section in questionnaire.repeats:  # outer repeats first
        instances = read.get(section.id)
        if instances is None or not calculations(questionnaire, section.id):
            continue
        seen = visible_columns(questionnaire, responses, repeat_rows, section.id,
                               indexed=indexed)
        # visible_columns takes instances in asking order: back to the file's
        order = pd.MultiIndex.from_arrays([seen["response_id"].to_numpy(),
                                           seen["instance_key"].astype(str).to_numpy()])
        wanted = pd.MultiIndex.from_arrays([instances.response,
                                            instances.instance_key.astype(str)])
        rows = order.get_indexer(wanted)
        for question_id, column in calculate_frame(questionnaire, seen, section=section.id,
                                                   context=context).items():
            worked_out = column.reset_index(drop=True).iloc[rows].reset_index(drop=True)
            imported = instances.values(question_id)
            by_response = np.zeros(checked.rows, dtype=bool)
            np.logical_or.at(by_response, instances.response,
                             _given(imported) & _differs(imported, worked_out))
            note(question_id, by_response)
            instances.checked.values[question_id] = worked_out.to_numpy(dtype=object)
            repeat_rows[section.id][question_id] = worked_out.to_numpy(dtype=object)
    over_repeats = calculations_over_repeats(questionnaire)
    if not over_repeats:
        return
    seen = visible_columns(questionnaire, responses, repeat_rows, indexed=indexed)
    for question_id, column in calculate_frame(questionnaire, seen, context=context).items():
        if question_id not in over_repeats:
            continue
        column = column.reset_index(drop=True)
        if question_id in checked.provided:
            imported = checked.values[question_id]
            note(question_id, _given(imported) & _differs(imported, column))
        else:
            checked.provided.append(question_id)
        checked.values[question_id] = column.to_numpy(dtype=object)


def _instance_frame(instances) -> pd.DataFrame:
    """A repeat's instances read from a file as `Study.repeat_rows` gives stored ones, the
    response being its position in the file, with the typed answers expressions see."""
    keys = pd.Series(instances.instance_key, dtype=object).astype(str)
    parts = keys.str.rpartition("/")
    frame = pd.DataFrame({"response_id": instances.response, "instance_key": keys,
                          "parent_key": parts[0].where(parts[0] != "", None),
                          "instance": pd.to_numeric(parts[2])})
    answers = instances.checked.typed.reset_index(drop=True)
    return pd.concat([frame, answers.drop(columns=frame.columns, errors="ignore")], axis=1)


def calculations_over_repeats(questionnaire: Questionnaire) -> set[str]:
    """Calculate fields that use the answers of repeat sections (`sum(${age})`), directly or
    through another calculation: an import works them out once the file's instances are read
    (`recalculate_with_instances`)."""
    from dmsurvey.questionnaire.answers import expression

    inside = {section.id for section in questionnaire.repeats} | {
        question.id for section in questionnaire.repeats for question in section.questions}
    found: set[str] = set()
    calculated = [q for q in questionnaire.questions if q.type == "calculate" and q.calculation]
    while True:
        more = {q.id for q in calculated if q.id not in found
                and expression(q.calculation).references & (inside | found)}
        if not more:
            return found
        found |= more


# ---------------------------------------------------------------------------- storing


def _joined_point(table: Table, parts: dict[int, int]) -> pd.Series:
    """ODK Central's latitude, longitude, altitude and accuracy columns as one GPS point
    (`lat lon alt acc`, as ODK Collect stores it); empty where the latitude is."""
    rows = table.cells.index
    columns = [table.cells[parts[index]].str.strip() if index in parts
               else pd.Series("", index=rows) for index in range(4)]
    columns[2:] = [column.where(column != "", "0") for column in columns[2:]]
    return columns[0].str.cat(columns[1:], sep=" ").where(columns[0] != "", "")


def _check_options(source: str | None, entry: int | None) -> None:
    if source is not None and source not in SOURCES:
        raise DataError(f"Unknown source {source!r}; use one of {', '.join(SOURCES)}.")
    if entry is not None and (isinstance(entry, bool) or not isinstance(entry, int) or entry < 1):
        raise DataError(f"The entry number must be a whole number from 1, not {entry!r}.")


def _store(study, checked, *, source, entry, dry_run, skip_invalid, replace, who, progress):
    questionnaire = study.questionnaire
    columns = study_fields(questionnaire)
    incoming = _Batch.combine(checked, columns)
    entries = incoming["entry"]
    entries[pd.isna(entries)] = entry or 1
    derived = pd.isna(incoming["response_id"])
    if derived.any():
        incoming["response_id"][derived] = content_ids(incoming.select(derived), questionnaire)
    ids = pd.Series(incoming["response_id"], dtype=object)
    rejected = np.zeros(len(incoming), dtype=bool)
    for part, item in enumerate(checked):
        rejected[incoming.rows_of(part, item.problems["position"].to_numpy(dtype=int))] = True
    problems = [p for item in checked for p in item.problem_objects()]
    compared = _compared_columns(checked, columns, questionnaire)
    repeated, skipped = _duplicate_ids(incoming, ids, derived, checked, rejected, compared)
    problems += repeated
    instance_problems = [problem for item in checked for problem in item.instance_problems]

    def work(connection):
        refused = rejected.copy()
        stored = _stored_rows(connection, ids, columns)
        known = ids.isin(stored.index).to_numpy()
        differs = _differences(incoming.select(known), stored, compared)
        conflicts = np.zeros(len(incoming), dtype=bool)
        conflicts[known] = differs.any(axis=1)
        other_instances = changed_instances(connection, checked, incoming,
                                            known & ~conflicts & ~rejected & ~skipped)
        conflicts[list(other_instances)] = True
        conflict_problems = []
        if conflicts.any() and not replace:
            for position in np.flatnonzero(conflicts):
                refused[position] = True
                conflict_problems.append(
                    _instances_conflict(incoming, checked, position, other_instances[position])
                    if position in other_instances else _conflict_problem(
                        incoming, stored, differs, compared, position, known, checked))
        all_problems = sorted(problems + conflict_problems + instance_problems,
                              key=_problem_order)
        if instance_problems:
            raise DataError(
                f"Nothing was imported: {plural(len(all_problems), 'problem')} found. "
                f"Fix {'it' if len(all_problems) == 1 else 'them'} and import again (responses "
                "come in with all their repeat instances or not at all).",
                all_problems,
            )
        if all_problems and not skip_invalid:
            raise DataError(
                f"Nothing was imported: {plural(len(all_problems), 'problem')} found. "
                f"Fix {'it' if len(all_problems) == 1 else 'them'} and import again, or "
                "import the valid rows only with --skip-invalid.",
                all_problems,
            )
        adding = ~refused & ~known & ~skipped
        awaiting: set[str] = set()
        replacing = ~refused & conflicts & ~skipped
        rejected_files: list[Path] = []
        if skip_invalid and refused.any() and not dry_run:
            # Before anything is stored: a folder that cannot take the rejected rows stops
            # the import whole, rather than after the valid rows are committed.
            rejected_files = _write_rejected(checked, incoming, refused, all_problems)
        if not dry_run:
            awaiting = _insert(connection, incoming.select(adding), columns, source, who,
                               progress)
            _record_not_asked(connection, checked, incoming, adding, who)
            changed = differs[replacing[known]]
            _replace(connection, incoming.select(replacing), stored, changed, compared, who)
        instances = store_instances(connection, questionnaire, checked, incoming, adding,
                                    replacing, who, dry_run=dry_run)
        return ImportResult(
            files=tuple(item.table.file for item in checked if item.table is not None),
            rows=len(incoming),
            added=int(adding.sum()),
            replaced=int(replacing.sum()),
            unchanged=int((known & ~conflicts & ~refused & ~skipped).sum()),
            duplicates=int(skipped.sum()),
            awaiting_reconciliation=len(awaiting),
            rejected=int(refused.sum()),
            dry_run=dry_run,
            dropped_columns=tuple(
                (item.table.file if item.table else "", header, why)
                for item in checked for header, why in item.dropped
            ),
            problems=tuple(all_problems),
            response_ids=tuple(ids[adding | replacing]),
            blank_required=_blank_counts(checked, incoming, adding | replacing),
            not_asked=_absent_questions(checked),
            rejected_files=tuple(rejected_files),
            recalculated=_blank_counts(checked, incoming, adding | replacing,
                                       lambda item: item.recalculated),
            instances=instances,
        )

    return _run(study, work, dry_run)


class _Batch(dict):
    """The checked rows of every input: field -> object array, plus where each row came from."""

    part: np.ndarray
    position: np.ndarray

    @classmethod
    def combine(cls, checked, columns: list[str]) -> _Batch:
        sizes = [item.rows for item in checked]
        batch = cls()
        for name in columns:
            batch[name] = np.concatenate([
                item.values.get(name, np.full(size, None, dtype=object))
                for item, size in zip(checked, sizes, strict=True)
            ]) if sizes else np.array([], dtype=object)
        batch.part = np.repeat(np.arange(len(sizes)), sizes)
        batch.position = np.concatenate([np.arange(size) for size in sizes])
        return batch

    def __len__(self) -> int:
        return len(self.part)

    def select(self, mask) -> _Batch:
        """The rows where `mask` holds (a new batch; its arrays are replaced, never changed)."""
        if np.all(mask):  # the usual case: all rows are new; no need to copy every column
            chosen = _Batch(self)
            chosen.part, chosen.position = self.part, self.position
            return chosen
        chosen = _Batch({name: values[mask] for name, values in self.items()})
        chosen.part = self.part[mask]
        chosen.position = self.position[mask]
        return chosen

    def rows_of(self, part: int, positions: np.ndarray) -> np.ndarray:
        """Batch rows of the given positions of one input."""
        start = int(np.searchsorted(self.part, part))
        return start + np.asarray(positions, dtype=int)


def _blank_counts(checked, incoming: _Batch, stored: np.ndarray,
                  rows_of=lambda item: item.blank) -> dict[str, int]:
    """Per question, how many of the stored rows are flagged in `rows_of(checked item)`
    (by default: required questions left blank)."""
    counts: dict[str, int] = {}
    for part, item in enumerate(checked):
        kept = stored[incoming.part == part]
        for question, rows in rows_of(item).items():
            count = int(np.count_nonzero(rows[incoming.position[incoming.part == part]] & kept))
            if count:
                counts[question] = counts.get(question, 0) + count
    return counts


def _absent_questions(checked) -> dict[str, tuple[str, ...]]:
    absent: dict[str, list[str]] = {}
    for item in checked:
        for question in item.absent:
            absent.setdefault(question, []).append(item.table.file if item.table else "the data")
    return {question: tuple(files) for question, files in absent.items()}


def _run(study, work, dry_run: bool):
    if not dry_run:
        return db.write(study.database_path, work, bulk=True)
    connection = db.connect(study.database_path, autocommit=True)
    try:
        connection.execute("BEGIN")
        return work(connection)
    finally:
        connection.execute("ROLLBACK")
        connection.close()


def content_ids(values, questionnaire: Questionnaire) -> list[str]:
    """A stable id per row from its content: the same answers always give the same id.

    The key joins the questionnaire name, entry, form number, submission time and every
    answer as text; distinct values are turned into text once and joined by pyarrow.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    keyed = ["entry", "form_number", "submitted_at"] + [q.id for q in questionnaire.answerable]
    parts = []
    for name in keyed:
        codes, uniques = pd.factorize(pd.Series(values[name], dtype=object))
        texts = pa.array([str(value) for value in uniques] + [""], type=pa.string())
        parts.append(texts.take(np.where(codes < 0, len(uniques), codes)))
    joined = pc.binary_join_element_wise(questionnaire.name, *parts, "\x1f")
    return uuid5_texts(RESPONSE_NAMESPACE, joined.to_pylist())


def uuid5_texts(namespace: uuid.UUID, names: list[str]) -> list[str]:
    """`str(uuid.uuid5(namespace, name))` for many names, formatted with numpy."""
    digests = b"".join(hashlib.sha1(namespace.bytes + name.encode()).digest()[:16]
                       for name in names)
    raw = np.frombuffer(digests, dtype=np.uint8).reshape(-1, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x50  # version 5
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    digits = np.array(list("0123456789abcdef"))
    hexed = np.empty((len(raw), 32), dtype="<U1")
    hexed[:, 0::2] = digits[raw >> 4]
    hexed[:, 1::2] = digits[raw & 0x0F]
    text = np.full((len(raw), 36), "-", dtype="<U1")
    text[:, [i for i in range(36) if i not in (8, 13, 18, 23)]] = hexed
    return text.view("<U36").ravel().tolist()


def _duplicate_ids(incoming, ids: pd.Series, derived, checked, rejected, compared):
    """Problems with repeated response ids, and the rows skipped as exact duplicates.

    A row repeating a row of another file of the same import exactly (same id, same content)
    is stored once (the same file read twice, or once per encoding); the same id with other
    content, or a row repeated within one file, is a problem.
    """
    skipped = np.zeros(len(ids), dtype=bool)
    repeated = ids.duplicated(keep="first").to_numpy()
    if not repeated.any():
        return [], skipped
    first = pd.Series(np.arange(len(ids))).groupby(ids.to_numpy()).transform("min").to_numpy()
    positions = np.flatnonzero(repeated)
    originals = first[positions]
    differs = np.column_stack([
        ~(incoming[name][positions] == incoming[name][originals]).astype(bool)
        for name in compared
    ]) if compared else np.zeros((len(positions), 0), dtype=bool)
    elsewhere = incoming.part[positions] != incoming.part[originals]
    skipped[positions[elsewhere & ~differs.any(axis=1)]] = True
    problems = []
    for position, original, flags in zip(positions, originals, differs, strict=True):
        if skipped[position]:
            continue
        where = _describe_row(incoming, checked, original)
        differing = [name for name, flag in zip(compared, flags, strict=True) if flag]
        rejected[position] = True
        if differing:
            message = f"response_id repeats {where} with different values in " + ", ".join(
                differing)
        elif derived[position]:
            message = f"repeats {where} exactly (same answers and no response_id)"
        else:
            message = f"response_id repeats {where}"
        problems.append(_problem_at(incoming, checked, position, "response_id",
                                    None if derived[position] else ids.iat[position], message,
                                    "each response once"))
    return problems, skipped


def _describe_row(incoming, checked, position: int) -> str:
    item = checked[incoming.part[position]]
    row = _row_number(incoming, checked, position)
    if item.table is None:
        return f"row {row}"
    return f"{item.table.row_kind} {row} of {item.table.file}"


def _row_number(incoming, checked, position: int) -> int:
    item = checked[incoming.part[position]]
    offset = incoming.position[position]
    return int(item.table.rows[offset]) if item.table is not None else int(offset) + 1


def _problem_at(incoming, checked, position, column, value, message, expected) -> Problem:
    table = checked[incoming.part[position]].table
    return Problem(message, file=table.file if table is not None else None,
                   row=_row_number(incoming, checked, position), column=column, value=value,
                   expected=expected)


def _problem_order(problem: Problem):
    return (problem.file or "", problem.row or 0)


def _stored_rows(connection, ids: pd.Series, columns: list[str]) -> pd.DataFrame:
    """Stored rows whose ids are among `ids`, indexed by response_id."""
    stored_ids = [row[0] for row in connection.execute("SELECT response_id FROM responses")]
    wanted = pd.unique(ids[ids.isin(stored_ids)]).tolist() if stored_ids else []
    records = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        records += layout.select_rows(
            connection, columns, f"response_id IN ({', '.join('?' for _ in chunk)})", chunk)
    return pd.DataFrame(records, columns=columns, dtype=object).set_index("response_id")


def _compared_columns(checked, columns: list[str], questionnaire) -> list[str]:
    """Fields compared with a stored response: every answer, and metadata the files carry."""
    provided = {name for item in checked for name in item.provided}
    return [name for name in columns if name not in COMPARED_METADATA_SKIPPED
            and (name in provided or name in questionnaire)]


def _differences(rows, stored: pd.DataFrame, names: list[str]) -> np.ndarray:
    """(rows x names) True where an incoming value differs from the stored one."""
    old = stored.loc[rows["response_id"], names]
    differs = np.zeros((len(rows), len(names)), dtype=bool)
    for column, name in enumerate(names):
        differs[:, column] = ~(rows[name] == old[name].to_numpy(dtype=object)).astype(bool)
    return differs


def _conflict_problem(incoming, stored, differs, names, position, known, checked) -> Problem:
    rid = incoming["response_id"][position]
    changed = differs[np.count_nonzero(known[:position])]
    fields = [
        f"{name} (stored {_show(stored.at[rid, name])}, file {_show(incoming[name][position])})"
        for name, flag in zip(names, changed, strict=True) if flag
    ]
    return _problem_at(incoming, checked, position, "response_id", rid,
                       "already stored with different values in " + ", ".join(fields),
                       "the same content, or --replace to overwrite the stored response")


def _instances_conflict(incoming, checked, position, repeats: list[str]) -> Problem:
    rid = incoming["response_id"][position]
    return _problem_at(incoming, checked, position, "response_id", rid,
                       "already stored with other instances of " + ", ".join(repeats),
                       "the same instances, or --replace to overwrite the stored ones")


def _show(value) -> str:
    return "empty" if value is None else shortened(repr(value))


def _insert(connection, rows: _Batch, columns, source, who, progress) -> set[str]:
    """Insert new rows; columns that hold one value for all rows are written as SQL literals.

    Returns the form numbers that now wait for reconciliation (keyed twice).
    """
    if not len(rows):
        return set()
    stamp = db.now()
    defaults = {"source": source or "electronic", "status": "complete", "submitted_at": stamp,
                "started_at": stamp, "updated_at": stamp}
    for name, default in defaults.items():
        missing = pd.isna(rows[name])
        if missing.any():
            rows[name] = np.where(missing, default, rows[name])
    awaiting = _hold_double_keyed(connection, rows, who, stamp)
    bound, literal = [], {}
    for name in columns:
        column = rows[name]
        first = column[0]
        if name == "response_id":  # always bound: one row of parameters per response
            constant = False
        elif first is None:
            constant = pd.isna(column).all()
        elif isinstance(first, str | int) and not isinstance(first, bool):
            constant = bool((column == first).all())
        else:
            constant = False
        if constant:
            literal[name] = db.literal(first)
        else:
            bound.append(name)
    before = connection.execute("SELECT coalesce(max(rowid), 0) FROM responses").fetchone()[0]
    total = len(rows)
    for start in range(0, total, WRITE_CHUNK):
        _report(progress, "Storing responses", start, total)
        layout.insert_rows(
            connection,
            {name: rows[name][start:start + WRITE_CHUNK].tolist() for name in bound},
            literal,
        )
    _report(progress, "Storing responses", total, total)
    connection.execute(
        "INSERT INTO audit (response_id, field, old, new, who, at, action) "
        "SELECT response_id, NULL, NULL, NULL, ?, ?, 'import' FROM responses WHERE rowid > ?",
        (who, stamp, before),
    )
    return awaiting


def _record_not_asked(connection, checked, incoming: _Batch, added: np.ndarray, who: str) -> None:
    """In the audit trail: which questions the file of each new response had no column for,
    so that `validate` does not count them as required answers left blank."""
    stamp = db.now()
    rows = []
    for part, item in enumerate(checked):
        if item.absent:
            ids = incoming["response_id"][(incoming.part == part) & added]
            rows += [(rid, question, who, stamp) for rid in ids for question in item.absent]
    connection.executemany(
        "INSERT INTO audit (response_id, field, old, new, who, at, action) "
        f"VALUES (?, ?, NULL, NULL, ?, ?, '{NOT_ASKED}')", rows)


def not_asked(study) -> set[tuple[str, str]]:
    """(response id, question) of the questions a response's import file had no column for."""
    with study.connect() as connection:
        return set(connection.execute(
            "SELECT response_id, field FROM audit WHERE action = ?", (NOT_ASKED,)))


def _hold_double_keyed(connection, rows: _Batch, who: str, stamp: str) -> set[str]:
    """Paper forms keyed twice count once, after `dmsurvey reconcile`.

    A second keying is never complete; a first keying whose form has a second one (stored or
    in this import) is in progress until reconciled, and so is a stored complete first keying
    whose second keying arrives now (audited).
    """
    entries = pd.Series(rows["entry"], dtype=object).fillna(1).astype(int).to_numpy()
    forms = pd.Series(rows["form_number"], dtype=object)
    status = rows["status"]
    second = (entries > 1) & (status != "void") & forms.notna().to_numpy()
    arriving = set(forms[second])
    keyed_again = arriving | db.forms_keyed_again(connection)
    keyed_again_rows = forms.isin(keyed_again).to_numpy() & (status != "void")
    hold = (status == "complete") & ((entries > 1) | keyed_again_rows)
    if hold.any():
        rows["status"] = np.where(hold, "in_progress", status).astype(object)
    waiting = sorted(arriving)
    for start in range(0, len(waiting), 500):
        chunk = waiting[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        reopened = [row[0] for row in connection.execute(
            "SELECT response_id FROM responses WHERE status = 'complete' AND "
            f"coalesce(entry, 1) = 1 AND form_number IN ({marks})", chunk)]
        connection.executemany(
            "UPDATE responses SET status = 'in_progress', updated_at = ? WHERE response_id = ?",
            [(stamp, rid) for rid in reopened])
        connection.executemany(
            "INSERT INTO audit (response_id, field, old, new, who, at, action) "
            "VALUES (?, 'status', 'complete', 'in_progress', ?, ?, 'status')",
            [(rid, who, stamp) for rid in reopened])
    return set(forms[keyed_again_rows]) if keyed_again_rows.any() else set()


def _replace(connection, rows: _Batch, stored, differs, names, who) -> None:
    """Overwrite the fields that differ; the audit trail keeps the old values."""
    stamp = db.now()
    audit = []
    for position, rid in enumerate(rows["response_id"]):
        changed = [name for name, flag in zip(names, differs[position], strict=True) if flag]
        new_values = [rows[name][position] for name in changed]
        layout.update_response(connection, rid, dict(zip(changed, new_values, strict=True)), stamp)
        audit += [
            (rid, name, db.as_text(stored.at[rid, name]), db.as_text(value), who, stamp, "replace")
            for name, value in zip(changed, new_values, strict=True)
        ]
    if audit:
        connection.executemany(
            "INSERT INTO audit (response_id, field, old, new, who, at, action) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", audit)


def _write_rejected(checked, incoming, refused, problems: Sequence[Problem]) -> list[Path]:
    """Beside each input with rejected rows: FILE.rejected.csv, its cells plus `reason`."""
    written = []
    for part, item in enumerate(checked):
        positions = np.sort(incoming.position[(incoming.part == part) & refused])
        if not len(positions) or item.table is None:
            continue
        table = item.table
        rows = set(int(table.rows[p]) for p in positions)
        reasons: dict[int, list[str]] = {}
        for problem in problems:
            if problem.file == table.file and problem.row in rows:
                text = f"{problem.column}: {problem.message}" if problem.column else problem.message
                if problem.value is not None:
                    text += f" {problem.value!r}"
                reasons.setdefault(problem.row, []).append(text)
        out = table.cells.iloc[positions].copy()
        out.columns = table.headers
        out[REASON_COLUMN] = ["; ".join(reasons.get(int(table.rows[p]), [])) for p in positions]
        path = Path(table.file)
        target = path.with_name(path.stem + REJECTED_SUFFIX)
        try:
            out.to_csv(target, index=False, encoding="utf-8-sig")
        except OSError as error:
            raise DataError(
                f"Nothing was imported: the rejected rows cannot be written to {target} "
                f"({error.strerror or error}). Import from a folder you can write to."
            ) from None
        written.append(target)
    return written


def _report(progress: Progress | None, description: str, done: int, total: int) -> None:
    if progress is not None:
        progress(description, done, total)
