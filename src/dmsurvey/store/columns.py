"""Which column of a response file holds what: questions, metadata, Kobo/ODK system columns.

Files come with their own conventions: KoboToolbox joins groups to names with `/`
(`section_a/industry`) and adds one 0/1 column per option of a multi-select
(`tech_used/ai`) beside the space-joined one; ODK Central joins groups with `-`
(`meta-instanceID`); both add system columns. `plan_columns` maps every header to a field of
the study, to one option of a multi-select, or to "dropped" with the reason (system columns
with nothing to keep), and lists every column it cannot place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dmsurvey.errors import Problem
from dmsurvey.questionnaire.model import RESPONSE_METADATA, Questionnaire
from dmsurvey.store.readers import Table

# Columns of KoboToolbox and ODK Central exports that carry response metadata we keep.
# field -> headers, best first (when several are present, the first one found wins).
SYSTEM_ALIASES = {
    "response_id": ("_uuid", "meta/instanceID", "meta-instanceID", "instanceID", "KEY"),
    "submitted_at": ("_submission_time", "SubmissionDate"),
    "enumerator": ("SubmitterName", "_submitted_by"),
    "started_at": ("start",),
}
# System columns with nothing the study keeps (ids of the server, review states, ...).
SYSTEM_DROPPED = frozenset({
    "_id", "_index", "_status", "__version__", "_version_", "_validation_status", "_notes",
    "_tags", "_attachments", "_geolocation", "_xform_id_string", "_parent_table_name",
    "_parent_index", "_submission__id", "_duration", "_media_count", "formhub/uuid",
    "meta/instanceName", "meta-instanceName", "meta/deprecatedID", "meta-deprecatedID",
    "meta/rootUuid", "meta-rootUuid", "SubmitterID", "Status", "ReviewState", "DeviceID",
    "Edits", "FormVersion", "AttachmentsPresent", "AttachmentsExpected", "end", "today",
    "deviceid", "subscriberid", "simserial", "phonenumber", "username", "audit",
})
# Why a column is left out; with several such columns in one file, the plural reads
# "left out 7 system columns of the collecting server from kobo.csv".
SYSTEM_COLUMN = "system column of the collecting server"
IGNORED_COLUMN = "not in the questionnaire (ignored as asked)"
DROPPED_PLURALS = {
    SYSTEM_COLUMN: "system columns of the collecting server",
    IGNORED_COLUMN: "columns not in the questionnaire (ignored as asked)",
}
# ODK Briefcase names the instances of a repeat in their parent row (SET-OF-members); the
# instances themselves come in the repeat's own file.
REPEAT_LINK_PREFIX = "SET-OF-"
GROUP_SEPARATORS = re.compile(r"[/-]")
# ODK Central writes a GPS point as four columns, `point-Latitude` ... `point-Accuracy`;
# KoboToolbox adds `_point_latitude` ... `_point_precision` beside the whole point.
ODK_GEO_PARTS = ("Latitude", "Longitude", "Altitude", "Accuracy")
KOBO_GEO_PART = re.compile(r"_(.+)_(?:latitude|longitude|altitude|precision)")
# `--skip-invalid` writes rejected rows to FILE.rejected.csv with this column added: a corrected
# copy imports without it.
REJECTED_SUFFIX = ".rejected.csv"
REASON_COLUMN = "reason"


@dataclass
class ColumnPlan:
    """Where each column of a file goes."""

    fields: dict[str, int] = field(default_factory=dict)  # study field -> column position
    options: dict[str, dict[str, int]] = field(default_factory=dict)  # question -> code -> pos
    # geopoint question -> positions of its latitude, longitude, altitude, accuracy columns
    geo_parts: dict[str, dict[int, int]] = field(default_factory=dict)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (header, why)
    problems: list[Problem] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # study field -> header as written

    def header_of(self, position: int, table: Table) -> str:
        return table.headers[position] or f"column {table.letter(position)}"


def study_fields(questionnaire: Questionnaire) -> list[str]:
    """Every column name a response file may use directly, in store order."""
    return (
        list(RESPONSE_METADATA)
        + list(questionnaire.metadata_fields)
        + [q.id for q in questionnaire.answerable]
    )


def plan_columns(table: Table, questionnaire: Questionnaire, *, ignore_unknown: bool) -> ColumnPlan:
    plan = ColumnPlan()
    fields = set(study_fields(questionnaire))
    multi = {q.id: set(q.choice_codes) for q in questionnaire.answerable
             if q.type == "select_multiple"}
    points = {q.id for q in questionnaire.answerable if q.type == "geopoint"}
    by_label = _questions_by_label(questionnaire)
    claims: dict[str, list[tuple[int, int]]] = {}  # field -> [(rank, position)]
    seen: dict[str, int] = {}
    for position, header in enumerate(table.headers):
        if header and header in seen:
            plan.problems.append(Problem(
                f"the column name {header!r} appears more than once (columns "
                f"{table.letter(seen[header])} and {table.letter(position)})",
                file=table.file, column=header, expected="unique column names",
            ))
            continue
        seen[header] = position
        if not header:
            if (table.cells[position] != "").any():
                plan.problems.append(Problem(
                    "a column without a header holds values", file=table.file,
                    column=f"column {table.letter(position)}",
                    expected="a header naming the question",
                ))
            continue
        target = _target(header, fields, multi, by_label, points)
        if target is None and header == REASON_COLUMN and table.file.endswith(REJECTED_SUFFIX):
            plan.dropped.append((header, "reasons written with the rejected rows"))
        elif target is None:
            if ignore_unknown:
                plan.dropped.append((header, IGNORED_COLUMN))
            else:
                plan.problems.append(Problem(
                    "unknown column", file=table.file, column=header,
                    expected="a question id of the questionnaire or a metadata column "
                    "(or import with --ignore-columns)",
                ))
        elif target[0] == "drop":
            plan.dropped.append((header, SYSTEM_COLUMN))
        elif target[0] == "option":
            _, question, code = target
            plan.options.setdefault(question, {})[code] = position
        elif target[0] == "geo_part":
            _, question, part = target
            plan.geo_parts.setdefault(question, {})[part] = position
        else:
            claims.setdefault(target[1], []).append((target[2], position))
    for name, claimants in claims.items():
        claimants.sort()
        best_rank = claimants[0][0]
        tied = [p for rank, p in claimants if rank == best_rank]
        if len(tied) > 1:
            plan.problems.append(Problem(
                f"several columns hold {name}: "
                + ", ".join(repr(table.headers[p]) for p in tied),
                file=table.file, column=name, expected="one column per question",
            ))
            continue
        plan.fields[name] = tied[0]
        plan.headers[name] = table.headers[tied[0]]
        for _, position in claimants[1:]:
            plan.dropped.append((table.headers[position], f"same as {table.headers[tied[0]]!r}"))
    return plan


def _target(header, fields, multi, by_label, points=frozenset()):
    """("field", name, rank) | ("option", question, code) | ("geo_part", question, index)
    | ("drop",) | None (unknown)."""
    if header in fields:
        return ("field", header, 0)
    for name, aliases in SYSTEM_ALIASES.items():
        if header in aliases and name in fields:
            return ("field", name, 1 + aliases.index(header))
    if header in SYSTEM_DROPPED:
        return ("drop",)
    if "/" in header:
        prefix, code = header.rsplit("/", 1)
        question = _named_in(prefix, multi)
        if code in multi.get(question, ()):
            return ("option", question, code)
    prefix, _, part = header.rpartition("-")
    if part in ODK_GEO_PARTS and _named_in(prefix, points):
        return ("geo_part", _named_in(prefix, points), ODK_GEO_PARTS.index(part))
    kobo_part = KOBO_GEO_PART.fullmatch(header.rsplit("/", 1)[-1])
    if kobo_part and kobo_part.group(1) in points:
        return ("drop",)
    last = _named_in(header, fields)
    if last and last not in RESPONSE_METADATA:
        return ("field", last, 0)
    last = GROUP_SEPARATORS.split(header)[-1]
    if last in SYSTEM_DROPPED or header.startswith(("meta/", "meta-", REPEAT_LINK_PREFIX)):
        return ("drop",)
    if header in by_label:
        return ("field", by_label[header], 0)
    return None


def _named_in(header: str, names) -> str | None:
    """The name among `names` that `header` ends with after its groups (`grp/q`, `grp-q`);
    the longest wins, as names may hold `-` themselves (`grp-label-test`)."""
    if header in names:
        return header
    for separator in GROUP_SEPARATORS.finditer(header):
        rest = header[separator.end():]
        if rest in names:
            return rest
    return None


def _questions_by_label(questionnaire: Questionnaire) -> dict[str, str]:
    """Question labels (any language) that name exactly one question -> its id."""
    found: dict[str, set[str]] = {}
    for question in questionnaire.answerable:
        for text in question.label.values():
            found.setdefault(text.strip(), set()).add(question.id)
    return {label: next(iter(ids)) for label, ids in found.items() if len(ids) == 1 and label}


def is_label_row(table: Table, plan: ColumnPlan, questionnaire: Questionnaire) -> bool:
    """True if the first data row repeats the question labels (a second header row)."""
    if table.cells.empty:
        return False
    matched = 0
    for name, position in plan.fields.items():
        if name not in questionnaire:
            continue
        cell = table.cells[position].iloc[0].strip()
        if not cell:
            continue
        if cell not in {text.strip() for text in questionnaire[name].label.values()}:
            return False
        matched += 1
    return matched > 0
