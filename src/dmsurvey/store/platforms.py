"""Exports of the survey platforms Chinese firms answer on, and spreadsheets read with a map.

问卷星 (Wenjuanxing) and 腾讯问卷 (Tencent Questionnaire) write question texts as headers
(`3、企业所有制类型`, `Q3. ...`, matrix rows `第8题(...)`), labels or option numbers as
answers, and their own metadata columns. `recognise` turns such a file, or any file read with
a column map (`dmsurvey.store.mapping`), into the frame `dmsurvey import` checks: one column
per question id holding codes (multi-selects as space-joined codes or one 0/1 column per
option, `question/code`), and the study's metadata fields. It says how it placed each column.

问卷星, in both download modes:

- by option text (按选项文本): labels; multi-selects joined with `┋`; an "other" text in
  `〖...〗` after its label; `(跳过)` or empty for a question skipped;
- by option number (按选项序号): 1..k in the order of the options; a multi-select as one 0/1
  column per option (`3、(option text)` or `第3题(option text)`); `-2` and `-3` for a
  question not shown or skipped.

Metadata: `提交答卷时间` (China time) becomes `submitted_at`; `所用时间` (`245秒`) gives
`started_at`; `来源` means the form was filled in electronically. `来自IP` is personal data
and the study has no field for it: it is left out, and said so. 腾讯问卷 likewise:
`结束答题时间` and `开始答题时间` (China time), `IP` left out, a multi-select as one column
per option (`Q5:question:option`, holding the option text or 1 where chosen) or as text.

    >>> write_sample_exports("exports/")   # the bundled sample as each platform writes it
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dmsurvey.errors import DataError, Problem
from dmsurvey.questionnaire.model import Question, Questionnaire
from dmsurvey.store.columns import IGNORED_COLUMN, plan_columns, study_fields
from dmsurvey.store.mapping import (
    LEFT_OUT,
    SKIPPED,
    ColumnMap,
    Match,
    best_match,
    choice_candidates,
    choice_parts,
    normalised,
    question_candidates,
    question_number,
)
from dmsurvey.store.readers import Table
from dmsurvey.wording import plural

WENJUANXING = "问卷星"
TENCENT = "腾讯问卷"
BY_TEXT = "by option text"
BY_NUMBER = "by option number"
CHINA_OFFSET = "+08:00"
# Metadata columns of each platform: header -> what it holds. A platform is recognised by
# the headers marked with *.
PLATFORM_METADATA = {
    WENJUANXING: {"序号": "sequence", "*提交答卷时间": "submitted_at", "*所用时间": "duration",
                  "来源": "source", "来源详情": "source_detail", "来自IP": "ip_address",
                  "总分": "quiz_score"},
    TENCENT: {"编号": "sequence", "开始答题时间": "started_at", "*结束答题时间": "submitted_at",
              "答题时长": "duration", "IP": "ip_address", "地理位置": "location",
              "来源": "source"},
}
# Personal data (pii) the study has no field for: left out of every import, never stored.
PERSONAL_METADATA = {"ip_address": "IP address", "location": "location"}
WHY_LEFT_OUT = {
    "sequence": "the platform's own numbering",
    "source_detail": "the platform's channel details",
    "quiz_score": "the platform's quiz score",
    "duration": "the time taken, which started_at keeps (submitted_at minus started_at)",
} | {role: f"personal data ({what}); the study keeps none"
     for role, what in PERSONAL_METADATA.items()}
NO_SUCH_QUESTION = ("no question of the questionnaire has this label (a column of another "
                    "survey?)")
NOT_ASKED_NUMBERS = frozenset({"-2", "-3"})  # option-number mode: not shown, skipped
OTHER_TEXT = re.compile(r"〖(.*?)〗")
RANKING = "→"
TIMESTAMP = re.compile(
    r"^\s*(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$")
DURATION = re.compile(r"^\s*(?:(\d+)\s*(?:小时|时|h))?\s*(?:(\d+)\s*(?:分钟|分|m))?\s*"
                      r"(?:(\d+)\s*(?:秒|s)?)?\s*$")


@dataclass
class Placed:
    """Where one column of a file goes, and how that was found."""

    header: str
    position: int
    target: str | None  # a study field, `question/code` for an option column, None: left out
    how: str
    certain: bool = True
    role: str | None = None  # platform metadata role


@dataclass
class Recognition:
    """A file's columns placed, and its cells rewritten as `dmsurvey import` reads them."""

    file: str
    kind: str  # 问卷星, 腾讯问卷, "column map" or "question labels"
    mode: str | None
    placed: list[Placed]
    table: Table
    dropped: list[tuple[str, str]] = field(default_factory=list)
    close_answers: list[tuple[str, str, Match]] = field(default_factory=list)  # header, text

    def restore(self, checked) -> None:
        """Problems found by the importer name the file's own headers; left-out columns join
        the importer's."""
        originals = self.original_headers
        checked.problems["column"] = checked.problems["column"].map(
            lambda column: originals.get(column, column))
        checked.dropped[:0] = self.dropped

    @property
    def original_headers(self) -> dict[str, str]:
        """Header of the rewritten table -> the header as the file has it."""
        found = {}
        for place in self.placed:
            if place.target is not None and place.target not in found:
                found[place.target] = place.header
        return found

    def lines(self) -> list[str]:
        """How each column was recognised: counts by reason; closeness matches one by one."""
        name = Path(self.file).name
        mode = f", {self.mode}" if self.mode else ""
        lines = [f"{name}: read as {self.kind}{mode}"]
        counts: dict[str, int] = {}
        for place in self.placed:
            if place.target is not None and place.certain:
                counts[place.how] = counts.get(place.how, 0) + 1
        for how, count in counts.items():
            lines.append(f"  {plural(count, 'column')} by {how}")
        for place in self.placed:
            if place.target is not None and not place.certain:
                lines.append(f"  column {place.header!r} -> {place.target} by {place.how}")
        for header, text, match in self.close_answers:
            lines.append(f"  answer {text!r} in column {header!r} -> {match.target} "
                         f"({match.confidence:.2f}, {match.basis})")
        return lines


# ------------------------------------------------------------------------ recognising


def recognise(table: Table, questionnaire: Questionnaire, column_map: ColumnMap | None = None,
              *, ignore_columns: bool = False) -> Recognition | None:
    """`table` rewritten as import reads it, or None if it needs no rewriting (its headers are
    question ids, metadata fields or KoboToolbox/ODK columns). Raises a `DataError` naming
    file, row and column for what cannot be placed."""
    platform = platform_of(table.headers)
    if column_map is None and platform is None:
        if not plan_columns(table, questionnaire, ignore_unknown=False).problems:
            return None
        labels = [c for c in question_candidates(questionnaire) if c[0] != c[1]]
        fields = set(study_fields(questionnaire))
        if not any(best_match(h, labels).certain for h in table.headers
                   if h and h not in fields):
            return None  # not a labelled spreadsheet: the importer says what is wrong
    if column_map is not None:
        placed = _placed_by_map(table, questionnaire, column_map, ignore_columns)
        kind = "column map"
    else:
        placed = _placed_by_labels(table, questionnaire, platform, ignore_columns)
        kind = platform or "question labels"
    mode = _mode(table, questionnaire, placed) if kind != "column map" else None
    recognition = Recognition(table.file, kind, mode if platform else None, placed, table)
    _rewrite(recognition, questionnaire, column_map, mode)
    return recognition


def platform_of(headers: Sequence[str]) -> str | None:
    """The platform whose required metadata headers `headers` has, if any."""
    present = set(headers)
    for platform, columns in PLATFORM_METADATA.items():
        required = [h[1:] for h in columns if h.startswith("*")]
        if all(h in present for h in required):
            return platform
    return None


def _metadata(platform: str | None) -> dict[str, str]:
    return {h.lstrip("*"): role for h, role in PLATFORM_METADATA.get(platform, {}).items()}


def _placed_by_labels(table, questionnaire, platform, ignore_columns) -> list[Placed]:
    metadata = _metadata(platform)
    fields = set(study_fields(questionnaire))
    candidates = question_candidates(questionnaire)
    order = [q.id for q in questionnaire.answerable]
    placed, problems, unsure = [], [], []
    for position, header in enumerate(table.headers):
        if header in metadata:
            placed.append(_metadata_place(header, position, platform, fields))
            continue
        if header in fields:
            placed.append(Placed(header, position, header, "the field name"))
            continue
        place = _place_header(header, position, questionnaire, candidates, order)
        if isinstance(place, Problem):
            if ignore_columns and place.message == NO_SUCH_QUESTION:
                placed.append(Placed(header, position, None, IGNORED_COLUMN))
            else:
                problems.append(Problem(place.message, file=table.file, row=1, column=header,
                                        expected=place.expected))
            continue
        if not place.certain:
            unsure.append(place)
        placed.append(place)
    if problems:
        raise DataError(f"Nothing was imported: columns of {table.file} do not fit the "
                        f"questionnaire {questionnaire.name!r}", problems)
    if unsure:
        raise DataError(
            f"Nothing was imported: {plural(len(unsure), 'column')} of {table.file} "
            f"{'matches' if len(unsure) == 1 else 'match'} a question only by closeness; make a "
            "column map, check it, and "
            f"import with it: dmsurvey map STUDY {Path(table.file).name} -o map.yaml",
            [Problem(f"closest to {p.target} ({p.how})", file=table.file, row=1,
                     column=p.header, expected="the question's label") for p in unsure])
    return placed


def _metadata_place(header: str, position: int, platform: str, fields) -> Placed:
    role = _metadata(platform)[header]
    return Placed(header, position, role if role in fields else None,
                  f"{platform}'s metadata name", role=role)


def _place_header(header, position, questionnaire, candidates, order) -> Placed | Problem:
    """A question header, a matrix row (`第8题(row text)`) or an option's 0/1 column
    (`18、(option text)`), placed by its text; the number says whose option it is."""
    number = question_number(header)
    numbered = questionnaire[order[number - 1]] if number and number <= len(order) else None
    sub = re.fullmatch(r"[(（](.*)[)）]", _after_number(header))
    if sub:
        if numbered is not None and numbered.type == "select_multiple":
            option = best_match(sub.group(1), choice_candidates(numbered))
            if option.certain:
                return Placed(header, position, f"{numbered.id}/{option.target}",
                              "number and option text (0/1 per option)")
        row = best_match(sub.group(1), candidates)
        if row.certain:
            return Placed(header, position, row.target, "matrix row label")
        if numbered is not None and numbered.type == "select_multiple":
            return Problem(f"an option column of an option {numbered.id} does not have",
                           expected=", ".join(c.label.in_language("zh")
                                              for c in numbered.choices))
    match = best_match(header, candidates)
    if match.certain:
        return Placed(header, position, match.target, "question label")
    option = _option_column(header, questionnaire)
    if option is not None:
        return Placed(header, position, option, "question label and option text")
    if match.target is not None:
        return Placed(header, position, match.target,
                      f"closeness ({match.confidence:.2f}, {match.basis})", certain=False)
    return Problem(NO_SUCH_QUESTION, expected="a question's label, as the questionnaire words it")


def _after_number(header: str) -> str:
    import unicodedata

    from dmsurvey.store.mapping import NUMBERING, TYPE_NOTES

    text = TYPE_NOTES.sub("", unicodedata.normalize("NFKC", header)).strip()
    return NUMBERING.sub("", text, count=1).strip()


def _option_column(header: str, questionnaire: Questionnaire) -> str | None:
    """`question/code` for a header made of a multi-select's label and one option's label."""
    text = normalised(header)
    for question in questionnaire.answerable:
        if question.type != "select_multiple":
            continue
        for label in question.label.values():
            stem = normalised(label)
            if stem and text.startswith(stem) and text != stem:
                rest = text[len(stem):]
                for choice in question.choices:
                    if rest in {normalised(t) for t in choice.label.values()}:
                        return f"{question.id}/{choice.code}"
    return None


def _placed_by_map(table, questionnaire, column_map: ColumnMap, ignore_columns) -> list[Placed]:
    source = column_map.source or "the map"
    candidates = question_candidates(questionnaire)
    platform = platform_of(table.headers)
    fields = set(study_fields(questionnaire))
    placed, problems = [], []
    for position, header in enumerate(table.headers):
        entry = column_map.columns.get(header)
        if entry is None and header in _metadata(platform):
            placed.append(_metadata_place(header, position, platform, fields))
        elif entry is None:
            match = best_match(header, candidates)
            if header in fields or match.certain:
                placed.append(Placed(header, position, match.target if match.certain
                                     else header, "question label"))
                continue
            if ignore_columns:
                placed.append(Placed(header, position, None, IGNORED_COLUMN))
                continue
            problems.append(Problem(f"this column is not in the map {source}", file=table.file,
                                    row=1, column=header,
                                    expected="every column in the map (null to leave it out)"))
        elif entry.question.target is None:
            placed.append(Placed(header, position, None, LEFT_OUT))
        else:
            placed.append(Placed(header, position, entry.question.target, "the column map"))
    missing = [h for h in column_map.columns if h not in table.headers]
    problems += [Problem(f"the map names column {h!r}, which the file does not have",
                         file=source, line=column_map.columns[h].line,
                         expected=f"a column of {table.file}") for h in missing]
    if problems:
        raise DataError(f"Nothing was imported: {table.file} does not fit its column map",
                        problems)
    return placed


def _mode(table: Table, questionnaire: Questionnaire, placed: list[Placed]) -> str:
    """By option number if every single choice and option column holds whole numbers."""
    coded = [p for p in placed if p.target and ("/" in p.target or (
        p.target in questionnaire and questionnaire[p.target].type == "select_one"))]
    values = pd.concat([table.cells[p.position] for p in coded]) if coded else pd.Series()
    values = values[(values != "") & ~values.isin(SKIPPED)]
    if len(values) and values.str.fullmatch(r"-?\d+").all():
        return BY_NUMBER
    return BY_TEXT


# ------------------------------------------------------------------------- rewriting


def _rewrite(recognition: Recognition, questionnaire, column_map, mode) -> None:
    """Fill `recognition.table` with the cells rewritten: codes, ISO times, metadata."""
    table = recognition.table
    problems: list[Problem] = []
    headers, columns = [], []
    submitted = duration = started = None
    for place in recognition.placed:
        cells = table.cells[place.position]
        if place.role is not None:
            if place.role == "submitted_at":
                submitted = _china_time(cells, table, place.header, problems)
            elif place.role == "started_at":
                started = _china_time(cells, table, place.header, problems)
            elif place.role == "duration":
                duration = _seconds(cells, table, place.header, problems)
            elif place.role == "source":
                headers.append("source")
                columns.append(pd.Series("electronic", index=cells.index, dtype="str"))
            if place.role in WHY_LEFT_OUT:
                recognition.dropped.append((place.header, WHY_LEFT_OUT[place.role]))
            continue
        if place.target is None:
            recognition.dropped.append((place.header, place.how))
            continue
        entry = column_map.columns.get(place.header) if column_map is not None else None
        answers, others = _answers(cells, place, questionnaire, mode, entry, recognition,
                                   problems)
        headers.append(place.target)
        columns.append(answers)
        if others is not None and others[0] not in {p.target for p in recognition.placed}:
            headers.append(others[0])
            columns.append(others[1])
    if submitted is not None:
        headers.append("submitted_at")
        columns.append(submitted)
        if started is None and duration is not None:
            started = _minus_seconds(submitted, duration)
    if started is not None:
        headers.append("started_at")
        columns.append(started)
    if problems:
        raise DataError(f"Nothing was imported: {plural(len(problems), 'answer')} of "
                        f"{table.file} cannot be read", problems)
    cells = pd.DataFrame(dict(enumerate(columns)), index=table.cells.index) if columns else \
        pd.DataFrame(index=table.cells.index)
    recognition.table = Table(table.file, headers, cells.astype("str"), table.rows,
                              table.row_kind)


@dataclass
class _Column:
    """What rewriting one column's answers needs to know."""

    place: Placed
    question: Question
    numbered: bool  # option-number mode
    mapped: dict[str, str | None]  # answer -> code, from a column map
    other: str | None  # the text question that keeps this question's "other" texts
    recognition: Recognition

    @property
    def option(self) -> str | None:
        return self.place.target.split("/")[1] if "/" in self.place.target else None


def _answers(cells: pd.Series, place: Placed, questionnaire, mode, entry, recognition,
             problems) -> tuple[pd.Series, tuple[str, pd.Series] | None]:
    """One column's cells rewritten, each distinct text once, and the "other" texts the
    column holds with the question that keeps them (None if it holds none)."""
    qid = place.target.split("/")[0]
    if qid not in questionnaire:  # a metadata field
        return cells, None
    question = questionnaire[qid]
    other = f"{qid}_other"
    keeps_other = (question.is_select and other in questionnaire
                   and questionnaire[other].type == "text")
    mapped = {text: m.target for text, m in entry.values.items()} if entry else {}
    if entry is not None:
        for text, match in entry.values.items():
            if match.target is None and (cells.str.strip() == text).any():
                rows = table_rows(recognition.table, cells.str.strip() == text)
                problems += [Problem(f"the map gives this answer no code ({match.basis})",
                                     file=recognition.file, row=row, column=place.header,
                                     value=text, expected=f"a code of {question.id}")
                             for row in rows]
    column = _Column(place, question, mode == BY_NUMBER, mapped, other if keeps_other else None,
                     recognition)
    translated = {text: _answer(text, column) for text in pd.unique(cells)}
    problems += [
        Problem(message, file=recognition.file, row=row, column=place.header, value=text,
                expected=expected)
        for text, outcome in translated.items() if isinstance(outcome, tuple)
        for message, expected in [outcome]
        for row in table_rows(recognition.table, cells == text)
    ]
    rewritten = cells.map({t: (v if isinstance(v, str) else t) for t, v in translated.items()})
    others = cells.str.findall(OTHER_TEXT).str.join("; ") if keeps_other else None
    if others is None or not (others != "").any():
        return rewritten, None
    return rewritten, (other, others)


def table_rows(table: Table, mask: pd.Series) -> list[int]:
    return [int(row) for row in np.asarray(table.rows)[mask.to_numpy(dtype=bool)]]


def _answer(text: str, column: _Column) -> str | tuple[str, str]:
    """The text import reads for one distinct cell, or (problem, expected)."""
    question, mapped = column.question, column.mapped
    stripped = text.strip()
    if not stripped or stripped in SKIPPED or (column.numbered and stripped in NOT_ASKED_NUMBERS):
        return ""
    if column.option is not None:  # one option's column: 0/1, or the option's text if chosen
        if stripped in ("0", "1"):
            return stripped
        choice = question.choice(column.option)
        if normalised(stripped) in {normalised(t) for t in choice.label.values()}:
            return "1"
        return text
    if not question.is_select:
        return text
    if OTHER_TEXT.search(stripped):
        if column.other is None:
            return (f"an 'other' text the questionnaire has no question for: "
                    f"{OTHER_TEXT.search(stripped).group(1)!r}",
                    f"a label without 〖...〗, or a text question {question.id}_other to keep it")
        stripped = OTHER_TEXT.sub("", stripped).strip()
    if RANKING in stripped:
        return ("a ranking, but the question is not a ranking", "the choices of "
                f"{question.id} (a ranking fits only a text question)")
    if column.numbered and stripped.isdigit():
        number = int(stripped)
        if question.type == "select_one" and 1 <= number <= len(question.choices):
            return question.choices[number - 1].code
        return (f"option number {number} of a question with {len(question.choices)} options",
                f"1 to {len(question.choices)}")
    if mapped.get(stripped):
        return mapped[stripped]
    parts = choice_parts(stripped, question) if question.type == "select_multiple" \
        else [stripped]
    codes = []
    candidates = choice_candidates(question)
    for part in parts:
        part = part.strip()
        if mapped.get(part):
            codes.append(mapped[part])
            continue
        match = best_match(part, candidates)
        if match.target is None or (not match.certain and mapped):
            return text  # left for the importer to report with the expected codes
        if not match.certain:
            column.recognition.close_answers.append((column.place.header, part, match))
        codes.append(match.target)
    return " ".join(codes)


def _china_time(cells: pd.Series, table: Table, header: str, problems) -> pd.Series:
    """`2020/7/31 10:23:45` (China time, as platforms write it) as ISO 8601 with +08:00."""
    def iso(text: str) -> str | None:
        found = TIMESTAMP.match(text)
        if not found:
            return None
        year, month, day, hour, minute, second = (int(g or 0) for g in found.groups())
        return (f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
                f"{CHINA_OFFSET}")

    return _converted(cells, iso, "", Problem("not a date and time", file=table.file,
                                              column=header, expected="such as 2020/7/31 "
                                              "10:23:45"), table, problems)


def _seconds(cells: pd.Series, table: Table, header: str, problems) -> pd.Series:
    """`245秒`, `4分5秒` or `245` as a number of seconds (NaN where empty)."""
    def seconds(text: str) -> float | None:
        found = DURATION.match(text)
        if not found or not any(found.groups()):
            return None
        hours, minutes, secs = (int(g or 0) for g in found.groups())
        return float(hours * 3600 + minutes * 60 + secs)

    return _converted(cells, seconds, np.nan, Problem("not a time taken", file=table.file,
                                                      column=header, expected="seconds, such "
                                                      "as 245秒"), table, problems)


def _converted(cells: pd.Series, convert, empty, problem: Problem, table: Table, problems):
    """`convert` applied to each distinct non-empty cell (`empty` where blank); a cell it
    cannot convert (None) is a `problem` at its rows."""
    converted = {text: convert(text) if text.strip() else empty for text in pd.unique(cells)}
    for text, value in converted.items():
        if value is None:
            problems += [dataclasses.replace(problem, row=row, value=text)
                         for row in table_rows(table, cells == text)]
    return cells.map(lambda text: empty if converted[text] is None else converted[text])


def _minus_seconds(submitted: pd.Series, seconds: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(submitted.where(submitted != ""), format="ISO8601", errors="coerce")
    started = stamps - pd.to_timedelta(seconds, unit="s")
    return pd.Series([s.isoformat(timespec="seconds") if not pd.isna(s) else ""
                      for s in started], index=submitted.index, dtype="str")


# --------------------------------------------------------------------------- writing


def write_platform_export(
    responses: pd.DataFrame,
    questionnaire: Questionnaire,
    path: str | os.PathLike,
    *,
    platform: str = WENJUANXING,
    mode: str = BY_TEXT,
    encoding: str = "gb18030",
) -> Path:
    """Write `responses` (codes, as `read_sample_csv` gives them) as `platform` exports them:
    `.xlsx`, or `.csv` in `encoding`. Times taken and IP addresses are made up (documentation
    addresses, 203.0.113.x), since the responses do not hold them."""
    frame = platform_frame(responses, questionnaire, platform=platform, mode=mode)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        frame.to_csv(path, index=False, encoding=encoding, lineterminator="\r\n")
    else:
        import openpyxl

        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet("Sheet1")
        sheet.append(list(frame.columns))
        for record in frame.itertuples(index=False):
            sheet.append(list(record))
        workbook.save(path)
    return path


def platform_frame(responses: pd.DataFrame, questionnaire: Questionnaire, *,
                   platform: str = WENJUANXING, mode: str = BY_TEXT) -> pd.DataFrame:
    """The cells of a `platform` export of `responses`, as text."""
    if platform not in PLATFORM_METADATA or mode not in (BY_TEXT, BY_NUMBER):
        raise DataError(f"Unknown platform or mode {platform!r}, {mode!r}; use "
                        f"{' or '.join(PLATFORM_METADATA)}, {BY_TEXT!r} or {BY_NUMBER!r}.")
    language = "zh" if "zh" in questionnaire.languages else questionnaire.languages[0]
    count = len(responses)
    submitted = pd.to_datetime(responses["submitted_at"], format="ISO8601", utc=True)
    local = submitted.dt.tz_convert("Asia/Shanghai")
    taken = (180 + (np.arange(count) * 37) % 600).astype(int)
    ip = [f"203.0.113.{1 + n % 254}(上海-上海)" for n in range(count)]
    columns: dict[str, list[str]] = {}
    if platform == WENJUANXING:
        columns["序号"] = [str(n + 1) for n in range(count)]
        columns["提交答卷时间"] = [_platform_time(s) for s in local]
        columns["所用时间"] = [f"{t}秒" for t in taken]
        columns["来源"] = ["手机提交"] * count
        columns["来源详情"] = ["直接访问"] * count
        columns["来自IP"] = ip
    else:
        columns["编号"] = [str(n + 1) for n in range(count)]
        columns["开始答题时间"] = [_platform_time(s - pd.Timedelta(seconds=int(t)))
                              for s, t in zip(local, taken, strict=True)]
        columns["结束答题时间"] = [_platform_time(s) for s in local]
        columns["答题时长"] = [f"{t // 60}分{t % 60}秒" for t in taken]
        columns["IP"] = [address.split("(")[0] for address in ip]
    for number, question in enumerate(questionnaire.answerable, start=1):
        label = question.label.in_language(language)
        header = f"{number}、{label}" if platform == WENJUANXING else f"Q{number}:{label}"
        values = [None if pd.isna(value) else str(value) for value in responses[question.id]]
        skipped = "(跳过)" if platform == WENJUANXING else ""
        if mode == BY_NUMBER and platform == WENJUANXING:
            skipped = "-3"
        blank = [skipped if question.relevant else "" for _ in range(count)]
        if question.type == "select_multiple" and (mode == BY_NUMBER or platform == TENCENT):
            for choice in question.choices:
                text = choice.label.in_language(language)
                option = (f"{number}、({text})" if platform == WENJUANXING
                          else f"Q{number}:{label}:{text}")
                chosen = "1" if platform == WENJUANXING else text
                columns[option] = [
                    b if v is None else (chosen if choice.code in v.split() else
                                         "0" if platform == WENJUANXING else "")
                    for v, b in zip(values, blank, strict=True)]
            continue
        columns[header] = [b if v is None else _written(question, v, language, mode)
                           for v, b in zip(values, blank, strict=True)]
    return pd.DataFrame(columns, dtype="str")


def _platform_time(stamp: pd.Timestamp) -> str:
    return f"{stamp.year}/{stamp.month}/{stamp.day} {stamp:%H:%M:%S}"


def _written(question: Question, value: str, language: str, mode: str) -> str:
    if not question.is_select:
        return str(value)
    if mode == BY_NUMBER:
        return str(question.choice_codes.index(value) + 1)
    return "┋".join(question.choice(code).label.in_language(language) for code in value.split())


def write_sample_exports(folder: str | os.PathLike) -> list[Path]:
    """The bundled sample firms as 问卷星 (both modes, .xlsx and GB18030 .csv) and 腾讯问卷
    (.xlsx) exports, in `folder`; returns the files written."""
    from dmsurvey.questionnaire.loader import load_questionnaire
    from dmsurvey.store.sample import QUESTIONNAIRE, read_sample_csv

    questionnaire = load_questionnaire(QUESTIONNAIRE)
    responses = read_sample_csv()
    folder = Path(folder)
    written = []
    for name, platform, mode in (
        ("wenjuanxing-by-text.xlsx", WENJUANXING, BY_TEXT),
        ("wenjuanxing-by-text.csv", WENJUANXING, BY_TEXT),
        ("wenjuanxing-by-number.xlsx", WENJUANXING, BY_NUMBER),
        ("wenjuanxing-by-number.csv", WENJUANXING, BY_NUMBER),
        ("tencent.xlsx", TENCENT, BY_TEXT),
    ):
        written.append(write_platform_export(responses, questionnaire, folder / name,
                                             platform=platform, mode=mode))
    return written


def platform_metadata(headers: Sequence[str]) -> dict[str, str]:
    """The platform metadata columns among `headers` (header -> what it holds), if the
    headers are those of a platform export."""
    return _metadata(platform_of(headers))
