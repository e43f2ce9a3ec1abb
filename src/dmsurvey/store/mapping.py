"""Match a spreadsheet's headers and answers to the questionnaire, and the column maps that say so.

A survey platform or a hand-made spreadsheet names columns by question text (`3、企业所有制`,
`Q3. 企业所有制类型`) and writes answers as labels typed or worded a little differently from the
questionnaire (`是的`, `民营企业`, full-width brackets, trailing spaces). Texts are compared after
normalising (full-width and half-width forms, case, punctuation, spaces and numbering such as
`3、`, `Q3.`, `(3)`, `第3题` do not count), then by closeness. Every match says how sure it is
and what it rests on; a match by closeness is never taken silently.

    >>> proposal = propose_map(read_table("survey.xlsx"), questionnaire)
    >>> write_map(proposal, "survey-map.yaml")      # the researcher checks it, then
    >>> column_map = read_map("survey-map.yaml", questionnaire)

A column map (YAML) names, for each column of a file, the question or metadata field it holds
(or null: leave the column out) and, for each distinct answer of a choice question, its code
(null: not decided, which refuses the import until it is).
"""

from __future__ import annotations

import difflib
import functools
import json
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dmsurvey.errors import DataError, DmsurveyError, Problem
from dmsurvey.questionnaire.model import RESPONSE_METADATA, Question, Questionnaire
from dmsurvey.store.readers import Table

# A match by closeness needs this similarity (0-1), and this lead over the next candidate.
MIN_CLOSENESS = 0.6
MIN_LEAD = 0.1
# Question numbering written before a text: `3、`, `3.`, `3:`, `3)`, `Q3`, `(3)`, `第3题`.
NUMBERING = re.compile(
    r"^\s*(?:第\s*(?P<a>\d+)\s*题|q\s*(?P<b>\d+)|\((?P<c>\d+)\)|(?P<d>\d+)\s*(?=、|\.(?!\d)|[:)]))"
    r"\s*[、.:)]?\s*")
# Question-type notes platforms add to headers: `[单选题]`, `【多选题】`.
TYPE_NOTES = re.compile(r"[\[【](?:单选|多选|填空|排序|矩阵|量表|下拉)[^\]】]*[\]】]")
# Between the choices of one multi-select cell: the platforms' `┋`, lists typed by hand.
CHOICE_SEPARATORS = re.compile(r"\s*[┋|;；、,，/]\s*")
# What platforms write for a question the respondent skipped or was not shown.
SKIPPED = frozenset({"(跳过)", "（跳过）", "跳过", "(空)", "（空）"})
MAP_HEADER = """\
# Column map of {file} for the questionnaire {questionnaire}, proposed by `dmsurvey map`.
# Each column names the question (or metadata field) it holds; null leaves the column out;
# "?" (not decided) refuses the import. Each answer of a choice question names its code;
# null (not decided) refuses the import where the answer occurs.
# Comments say how sure each proposal is and what it rests on. Unmatched columns and
# answers come first; check those, then the ones matched by closeness (confidence < 1).
# Then: dmsurvey import STUDY {file} --map THIS-FILE
"""


@dataclass(frozen=True)
class Match:
    """Where a text goes (a question id, field or code; None: nowhere found) and why."""

    target: str | None
    confidence: float
    basis: str

    @property
    def certain(self) -> bool:
        return self.target is not None and self.confidence >= 1.0


@dataclass
class ColumnEntry:
    """One column of a map: its question (or field) and a code for each distinct answer."""

    header: str
    question: Match
    values: dict[str, Match] = field(default_factory=dict)
    line: int | None = None


@dataclass
class ColumnMap:
    """Columns of one file and where each goes; `source` is the map file, if read from one."""

    file: str
    questionnaire: str
    columns: dict[str, ColumnEntry]
    source: str | None = None

    def unmatched(self) -> tuple[list[str], list[tuple[str, str]]]:
        """(columns without a question, (column, answer) pairs without a code)."""
        columns = [h for h, entry in self.columns.items() if entry.question.target is None
                   and entry.question.basis != LEFT_OUT]
        answers = [(h, text) for h, entry in self.columns.items()
                   for text, match in entry.values.items() if match.target is None]
        return columns, answers


LEFT_OUT = "left out"
UNDECIDED = "?"


# ------------------------------------------------------------------------------ texts


@functools.lru_cache(maxsize=65536)
def normalised(text: str) -> str:
    """`text` as compared: NFKC (full-width to half-width), case-folded, without numbering,
    platform type notes, punctuation and spaces."""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    text = TYPE_NOTES.sub("", text)
    text = NUMBERING.sub("", text, count=1)
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PZC")


def question_number(text: str) -> int | None:
    """The number written before a header (`3、...`, `Q3.`, `第3题(...)`), if any."""
    found = NUMBERING.match(unicodedata.normalize("NFKC", str(text)).casefold())
    if not found:
        return None
    return int(next(group for group in found.groups() if group))


@functools.lru_cache(maxsize=65536)
def closeness(a: str, b: str) -> float:
    """Similarity of two normalised texts, 0-1: the mean of their sequence similarity (a text
    inside the other counting at least half) and the share of the shorter text's character
    pairs found in the longer one (which forgives reordered phrases, common in Chinese)."""
    if not a or not b:
        return 0.0
    ratio = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
    short, long = sorted((a, b), key=len)
    if short in long:
        ratio = max(ratio, 0.5 + 0.5 * len(short) / len(long))
    if len(short) < 3:
        return ratio
    pairs = {short[i:i + 2] for i in range(len(short) - 1)}
    found = {long[i:i + 2] for i in range(len(long) - 1)}
    return (ratio + len(pairs & found) / len(pairs)) / 2


def best_match(text: str, candidates: list[tuple[str, str, str]]) -> Match:
    """Match `text` to one of `candidates` (target, text, what the text is): an equal text
    after normalising is certain; otherwise the closest, if close enough and clearly ahead."""
    wanted = normalised(text)
    equal: dict[str, str] = {}
    scores: dict[str, tuple[float, str, str]] = {}
    for target, candidate, what in candidates:
        other = normalised(candidate)
        if not other:
            continue
        if other == wanted:
            equal.setdefault(target, what)
            continue
        score = closeness(wanted, other)
        if score > scores.get(target, (-1.0,))[0]:
            scores[target] = (score, candidate, what)
    if len(equal) == 1:
        target, what = next(iter(equal.items()))
        exact = any(candidate.strip() == str(text).strip() for t, candidate, _ in candidates
                    if t == target)
        return Match(target, 1.0, what if exact else f"{what}, after normalising")
    if len(equal) > 1:
        return Match(None, 0.0, "the same text as " + " and ".join(sorted(equal)))
    ranked = sorted(scores.items(), key=lambda item: -item[1][0])
    if not ranked:
        return Match(None, 0.0, "nothing to compare with")
    target, (score, candidate, what) = ranked[0]
    if score < MIN_CLOSENESS / 2:
        return Match(None, round(score, 2), "nothing alike")
    runner_up = ranked[1][1][0] if len(ranked) > 1 else 0.0
    described = f"closest to {what} {candidate!r}"
    if score >= MIN_CLOSENESS and score - runner_up >= MIN_LEAD:
        return Match(target, round(score, 2), described)
    reason = "not close enough" if score < MIN_CLOSENESS else "as close to another"
    return Match(None, round(score, 2), f"{described} ({reason})")


def question_candidates(questionnaire: Questionnaire) -> list[tuple[str, str, str]]:
    """(question id, text, what) for every answerable question: its id and labels."""
    return [found for question in questionnaire.answerable
            for found in _named(question.id, question.label, "the question id")]


def choice_candidates(question: Question) -> list[tuple[str, str, str]]:
    """(code, text, what) for every choice of `question`: its code and labels."""
    return [found for choice in question.choices
            for found in _named(choice.code, choice.label, "the code")]


def _named(name: str, label, what: str) -> list[tuple[str, str, str]]:
    return [(name, name, what)] + [(name, text, f"the label ({language})")
                                   for language, text in label.items()]


def choice_parts(text: str, question: Question) -> list[str]:
    """The choices written in one multi-select cell, split where a separator stands between
    choices (a label that itself holds `、` or `/` stays whole)."""
    known = {normalised(t) for _, t, _ in choice_candidates(question)}
    pieces = CHOICE_SEPARATORS.split(text.strip())
    separators = CHOICE_SEPARATORS.findall(text.strip())
    if len(pieces) == 1 and " " in text.strip():  # codes joined by spaces, as dmsurvey writes
        pieces = text.split()
        separators = [" "] * (len(pieces) - 1)

    def joined(start: int, end: int) -> str:  # pieces start..end-1 as the cell writes them
        return "".join(piece + separator for piece, separator in
                       zip(pieces[start:end - 1], separators[start:], strict=False)) \
            + pieces[end - 1]

    parts, start = [], 0
    while start < len(pieces):
        end = len(pieces)
        while end > start + 1 and normalised(joined(start, end)) not in known:
            end -= 1  # the longest run of pieces that is one whole choice
        parts.append(joined(start, end))
        start = end
    return [part for part in parts if part.strip()]


def distinct_answers(values: Iterable[str], question: Question) -> list[str]:
    """Distinct answers of a column in order of appearance; a multi-select's split into choices."""
    seen: dict[str, None] = {}
    for value in values:
        text = str(value).strip()
        if not text or text in SKIPPED:
            continue
        for part in choice_parts(text, question) if question.type == "select_multiple" else [text]:
            seen.setdefault(part.strip(), None)
    return list(seen)


# ------------------------------------------------------------------------- proposals


def propose_map(table: Table, questionnaire: Questionnaire) -> ColumnMap:
    """For each column of `table` the question it most likely holds, and for each distinct
    answer of a choice question its code, with confidence and basis (see `Match`).

    A header is matched by its text, weighed by the answers' shape (choice labels of the
    question, numbers for a numeric question) and the question number it carries; a
    question goes to one column only, surest first. A column left between the columns of
    questions k-1 and k+1 holds question k (the column order).
    """
    fields = [*RESPONSE_METADATA, *questionnaire.metadata_fields]
    questions = list(questionnaire.answerable)
    scores: dict[int, dict[str, tuple[float, str]]] = {}
    matches: dict[int, Match] = {}
    from dmsurvey.store.platforms import platform_metadata

    platform = platform_metadata(table.headers)
    for position, header in enumerate(table.headers):
        if header in fields:
            matches[position] = Match(header, 1.0, "the metadata field name")
            continue
        if header in platform:  # read as the platform writes it, with or without a map
            continue
        answers = [str(v).strip() for v in table.cells[position].unique()]
        scores[position] = {q.id: _header_score(header, q, answers, number)
                            for number, q in enumerate(questions, start=1)}
    taken = {m.target for m in matches.values()}
    pending = dict(scores)
    while pending:  # the surest (column, question) pair first
        position, qid, (score, basis) = max(
            ((p, qid, value) for p, row in pending.items() for qid, value in row.items()
             if qid not in taken), key=lambda item: item[2][0], default=(None, None, (0, "")))
        if position is None:
            break
        others = [v[0] for q, v in pending[position].items() if q not in taken and q != qid]
        lead = score - max(others, default=0.0)
        if score >= 1.0 or (score >= MIN_CLOSENESS and lead >= MIN_LEAD):
            matches[position] = Match(qid, min(round(score, 2), 1.0), basis)
            taken.add(qid)
        else:
            closest = questionnaire[qid].label.in_language("zh")
            matches[position] = Match(None, round(score, 2), f"closest to {qid} ({closest!r}), "
                                      + ("not close enough" if score < MIN_CLOSENESS
                                         else "as close to another question"))
        del pending[position]
    positions = sorted(matches)
    ordered = _by_column_order([matches[p] for p in positions], [q.id for q in questions])
    columns = {}
    for position, match in zip(positions, ordered, strict=True):
        header = table.headers[position]
        entry = ColumnEntry(header, match)
        if match.target in questionnaire and questionnaire[match.target].is_select:
            question = questionnaire[match.target]
            choices = choice_candidates(question)
            for text in distinct_answers(table.cells[position], question):
                entry.values[text] = best_match(text, choices)
        columns[header] = entry
    return ColumnMap(table.file, questionnaire.name, columns)


def _header_score(header: str, question: Question, answers: list[str],
                  number: int) -> tuple[float, str]:
    """How likely the column holds `question`, and why: its header against the question's
    id and labels, weighed by the shape of its answers and the number before the header."""
    match = best_match(header, [(question.id, question.id, "the question id")]
                       + [(question.id, label, f"the label ({language})")
                          for language, label in question.label.items()])
    if match.certain:
        return 1.0, match.basis
    wanted = normalised(header)
    score = max(closeness(wanted, normalised(label)) for label in question.label.values())
    label = question.label.in_language("zh")
    basis = f"closest to the label {label!r}"
    fit = _answers_fit(answers, question)
    if fit is not None and fit < 0.5:
        score *= 0.5
        basis += ", though the answers do not fit it"
    elif fit == 1.0 and question.is_select:
        score = min(score + 0.1, 0.99)
        basis += ", and every answer is one of its choices"
    if question_number(header) == number:
        score = min(score + 0.1, 0.99)
        basis += f", and numbered {number}"
    return score, basis


def _answers_fit(answers: list[str], question: Question) -> float | None:
    """Share of a column's distinct answers that fit `question` (None: anything fits)."""
    given = [a for a in answers if a and a not in SKIPPED]
    if not given:
        return None
    if question.is_numeric:
        return sum(_is_number(a) for a in given) / len(given)
    if not question.is_select:
        return None
    # a quick test (equal, or one inside the other): this runs for every pair of column and
    # question
    texts = [normalised(text) for _, text, _ in choice_candidates(question)]
    parts = [normalised(part) for part in distinct_answers(given, question)]
    return sum(any(p and (p in t or t in p) for t in texts if t) for p in parts) / len(parts)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _by_column_order(matches: list[Match], order: list[str]) -> list[Match]:
    """Unmatched columns between the columns of questions a and b hold the questions between
    a and b, in order, when there are as many of each."""
    index = {qid: number for number, qid in enumerate(order)}
    taken = {m.target for m in matches if m.target is not None}
    result = list(matches)
    anchors = [(p, index[m.target]) for p, m in enumerate(matches) if m.target in index]
    for (start, first), (end, last) in zip(anchors, anchors[1:], strict=False):
        gap = [p for p in range(start + 1, end) if matches[p].target is None]
        between = [order[i] for i in range(first + 1, last) if order[i] not in taken]
        if gap and len(gap) == end - start - 1 and len(gap) == len(between):
            for position, qid in zip(gap, between, strict=True):
                result[position] = Match(qid, 0.7, f"the column order: between "
                                         f"{order[first]} and {order[last]}")
                taken.add(qid)
    return result


# ------------------------------------------------------------------------- map files


def write_map(column_map: ColumnMap, path: str | os.PathLike) -> Path:
    """Write `column_map` as YAML, unmatched columns and answers first, each with a comment
    saying how sure the proposal is and what it rests on."""
    def quoted(text) -> str:
        return json.dumps(text, ensure_ascii=False)

    def note(match: Match) -> str:
        if match.target is None:
            return f"  # UNMATCHED: {match.basis}"
        return f"  # {match.confidence:.2f}: {match.basis}"

    entries = sorted(column_map.columns.values(),
                     key=lambda e: (e.question.target is not None and not _open_answers(e)))
    lines = [MAP_HEADER.format(file=Path(column_map.file).name,
                               questionnaire=column_map.questionnaire).rstrip("\n"),
             f"file: {quoted(Path(column_map.file).name)}",
             f"questionnaire: {quoted(column_map.questionnaire)}",
             "columns:"]
    for entry in entries:
        question = entry.question
        lines.append(f"  {quoted(entry.header)}:")
        target = quoted(question.target) if question.target else quoted(UNDECIDED)
        lines.append(f"    question: {target}{note(question)}")
        if entry.values:
            lines.append("    values:")
            ordered = sorted(entry.values.items(), key=lambda item: (
                item[1].target is not None, item[1].confidence))
            for text, match in ordered:
                code = quoted(match.target) if match.target else "null"
                lines.append(f"      {quoted(text)}: {code}{note(match)}")
    path = Path(path)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _open_answers(entry: ColumnEntry) -> bool:
    return any(match.target is None for match in entry.values.values())


def read_map(path: str | os.PathLike, questionnaire: Questionnaire) -> ColumnMap:
    """A column map from its YAML file; every question and code it names must exist (a
    problem names the line)."""
    from dmsurvey.questionnaire.loader import read_yaml

    name = str(path)
    try:
        text = Path(path).read_bytes()
    except FileNotFoundError:
        raise DataError(f"No such map file: {name}") from None
    try:
        data, lines = read_yaml(text, name)
    except DmsurveyError as error:
        raise DataError(error.message, error.problems) from None
    problems: list[Problem] = []

    def problem(where: tuple, message: str, value=None, expected=None) -> None:
        problems.append(Problem(message, file=name, line=lines.get(where), value=value,
                                expected=expected))

    columns_data = data.get("columns") if isinstance(data, dict) else None
    if not isinstance(columns_data, dict):
        raise DataError(f"{name} is not a column map",
                        [Problem("no `columns:` mapping of column to question", file=name,
                                 line=1, expected="the YAML `dmsurvey map` writes")])
    fields = {*RESPONSE_METADATA, *questionnaire.metadata_fields}
    columns: dict[str, ColumnEntry] = {}
    for header, spec in columns_data.items():
        where = ("columns", header)
        if not isinstance(spec, dict) or "question" not in spec:
            problem(where, "a column needs `question:` (a question id, a metadata field, or "
                    "null to leave it out)", value=header)
            continue
        target = spec.get("question")
        if target is None:
            columns[str(header)] = ColumnEntry(str(header), Match(None, 1.0, LEFT_OUT),
                                               line=lines.get(where))
            continue
        target = str(target)
        if target == UNDECIDED:
            problem((*where, "question"), f"column {header!r} is not decided", value=target,
                    expected="a question id, a metadata field, or null to leave it out")
            continue
        if target not in fields and (target not in questionnaire
                                     or not questionnaire[target].asks_for_answer):
            problem((*where, "question"), "unknown question", value=target,
                    expected=f"a question id of {questionnaire.name}, a metadata field, or null")
            continue
        entry = ColumnEntry(str(header), Match(target, 1.0, "the map"), line=lines.get(where))
        values = spec.get("values") or {}
        if not isinstance(values, dict):
            problem((*where, "values"), "`values:` must map each answer to a code")
            values = {}
        codes = questionnaire[target].choice_codes if target in questionnaire else ()
        for text, code in values.items():
            if code is not None and str(code) not in codes:
                problem((*where, "values", text), f"unknown code of {target}", value=code,
                        expected=", ".join(codes) or "no values: the question has no choices")
                continue
            entry.values[str(text)] = Match(None if code is None else str(code), 1.0,
                                            f"the map, line {lines.get((*where, 'values', text))}")
        columns[str(header)] = entry
    if problems:
        raise DataError(f"The column map {name} does not fit the questionnaire "
                        f"{questionnaire.name!r}; nothing was imported", problems)
    return ColumnMap(str(data.get("file", "")), questionnaire.name, columns, source=name)
