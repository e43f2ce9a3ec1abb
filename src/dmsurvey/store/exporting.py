"""Write a study's responses to the files economists open: CSV, Excel, Parquet, JSON, Stata, SPSS.

The format follows the file extension. Every writer goes through `write_atomically`: the file
is written beside its destination under a temporary name and renamed at the end, so a failure
(a full disk, an interrupted run) never leaves half a file where the old one was.

Stata and SPSS files follow the economists' convention (as odkmeta does for ODK data): question
labels become variable labels, each single-choice list becomes a value label with the choices
numbered 1..n in list order, and each multi-select is split into 0/1 variables.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from dmsurvey.errors import DataError, Problem
from dmsurvey.questionnaire.model import Questionnaire
from dmsurvey.questionnaire.values import printable
from dmsurvey.wording import NO_RESPONSES

if TYPE_CHECKING:
    import pandas as pd

    from dmsurvey.store.study import Study

EXPORT_FORMATS = (".csv", ".xlsx", ".parquet", ".json", ".dta", ".sav")
# Text cells starting with these are turned into formulas by spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@")
EXCEL_MAX_ROWS = 1_048_575  # below the header row
EXCEL_MAX_COLUMNS = 16_384
# Variables in a Stata 118 file (Stata 14 and later); 119 files hold up to 120,000 (Stata/MP).
STATA_MAX_VARIABLES = 32_767
STATA_MP_MAX_VARIABLES = 120_000
STATA_NAME_LIMIT = 32
STATA_LABEL_LIMIT = 80
# Columns that name the person who collected or keyed a response, or their device.
ENUMERATOR_COLUMNS = (
    "enumerator", "username", "email", "phonenumber", "subscriberid", "simserial", "deviceid",
)
# Metadata that points at a paper form or an interview record.
IDENTIFYING_METADATA = ("form_number", "audit")
# Variable labels of the metadata columns in Stata and SPSS files (English for other languages).
METADATA_LABELS = {
    "response_id": {"en": "Response id", "zh": "答卷编号"},
    "source": {"en": "How the form was filled in (electronic or paper)",
               "zh": "填写方式（电子或纸质）"},
    "enumerator": {"en": "Enumerator or data-entry clerk", "zh": "调查员或录入员"},
    "submitted_at": {"en": "Submitted at (ISO 8601)", "zh": "提交时间（ISO 8601）"},
    "status": {"en": "Status (in_progress, complete, void)",
               "zh": "状态（in_progress 进行中, complete 完成, void 作废）"},
    "entry": {"en": "Data-entry round of a paper form", "zh": "纸质问卷录入轮次"},
    "form_number": {"en": "Number of the paper form", "zh": "纸质问卷编号"},
    "started_at": {"en": "Response created in the study (ISO 8601)",
                   "zh": "答卷建立时间（ISO 8601）"},
    "updated_at": {"en": "Response last changed (ISO 8601)", "zh": "答卷最后修改时间（ISO 8601）"},
    "start": {"en": "Interview started (device time, ISO 8601)",
              "zh": "访问开始时间（设备时间，ISO 8601）"},
    "end": {"en": "Interview ended (device time, ISO 8601)",
            "zh": "访问结束时间（设备时间，ISO 8601）"},
    "today": {"en": "Date of the interview", "zh": "访问日期"},
    "deviceid": {"en": "Device id", "zh": "设备编号"},
    "subscriberid": {"en": "SIM subscriber id", "zh": "SIM卡用户编号"},
    "simserial": {"en": "SIM serial number", "zh": "SIM卡序列号"},
    "phonenumber": {"en": "Phone number of the device", "zh": "设备电话号码"},
    "username": {"en": "User name on the device (enumerator)", "zh": "设备用户名（调查员）"},
    "email": {"en": "E-mail of the device's user", "zh": "设备用户的电子邮箱"},
    "audit": {"en": "Audit log of the interview", "zh": "访问审计日志"},
    "instance_key": {"en": "Instance of the repeat (2, or 2/3 inside an outer instance)",
                     "zh": "重复组实例（2，或外层第2个实例中的第3个：2/3）"},
    "parent_key": {"en": "Instance of the enclosing repeat", "zh": "外层重复组实例"},
    "instance": {"en": "Number of the instance within its parent", "zh": "实例在上层中的序号"},
}


@dataclass(frozen=True)
class NamingRules:
    """What a statistics program accepts as a variable name (besides letters, digits and _)."""

    program: str
    reserved: frozenset[str]
    reserved_pattern: str  # a regular expression of more reserved names
    ignore_case: bool  # names and reserved words in any case (SPSS), or as written (Stata)
    first_character: str  # a regular expression for the first character
    first_character_rule: str  # the rule in words, for the note on a renamed variable

    def key(self, name: str) -> str:
        """What must differ between two variables' names."""
        return name.lower() if self.ignore_case else name

    def is_reserved(self, name: str) -> bool:
        flags = re.IGNORECASE if self.ignore_case else 0
        if re.fullmatch(self.reserved_pattern, name, flags):
            return True
        return self.key(name) in {self.key(word) for word in self.reserved}


# Stata's reserved names and Mata's reserved words (a variable may not be called either).
STATA = NamingRules(
    program="Stata",
    reserved=frozenset("""
        _all _b byte _coef _cons double float if in int long _n _N _pi _pred _rc _se _skip
        strL using with aggregate array boolean break case catch class colvector complex const
        continue default delegate delete do else eltypedef end enum explicit export external
        for friend function global goto inline local NULL pragma protected quad rowvector
        short typedef typename virtual
    """.split()),
    reserved_pattern=r"str[0-9]+",
    ignore_case=False,
    first_character=r"[A-Za-z_]",
    first_character_rule="names begin with a letter or _",
)
SPSS = NamingRules(
    program="SPSS",
    reserved=frozenset("ALL AND BY EQ GE GT LE LT NE NOT OR TO WITH".split()),
    reserved_pattern=r"(?!)",
    ignore_case=True,
    first_character=r"[A-Za-z]",
    first_character_rule="names begin with a letter",
)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    columns: int
    notes: tuple[str, ...] = ()  # what a user should know, one line each (renamed variables)
    # Which responses: "complete" (what scores and reports count) or "all" (in progress too).
    responses: str = "all"
    # Every file written, the main one first (then one per repeat section, for formats
    # other than Excel, whose repeats are sheets of the one workbook).
    files: tuple[Path, ...] = ()


def export_study(
    study: Study,
    path: str | os.PathLike,
    *,
    labels: str | None = None,
    anonymize: bool = False,
    keep_text: bool = False,
    all_responses: bool = False,
    raw: bool = False,
) -> ExportResult:
    """Export the complete responses of `study` to `path`; the extension chooses the format.

    Complete responses are what scores and reports count (a paper form keyed twice counts
    once, reconciled); `all_responses` adds those in progress (unfinished interviews, second
    keyings), never void ones. `labels` ("zh", "en") writes choice labels in that language
    instead of codes (Stata and SPSS always keep numbered codes with value labels, and use
    `labels` for the label language); `anonymize` leaves out what identifies a firm or a
    person (see `anonymized`; free-text answers stay with `keep_text`), with pseudonyms that
    link the anonymised exports of this study; `raw` keeps a CSV's text exactly as stored (see
    `write_responses`). The instances of each repeat section of the exported responses go
    beside them (see `write_responses`).
    """
    from dmsurvey.store.instances import instance_frames

    only_complete = not all_responses
    frame = study.responses(status="complete" if only_complete else ("in_progress", "complete"))
    if frame.empty:
        raise DataError(_nothing_to_export(study, only_complete=only_complete))
    repeats = instance_frames(study, frame["response_id"].tolist()) \
        if study.questionnaire.repeats else None
    result = write_responses(
        frame, path, questionnaire=study.questionnaire, labels=labels, anonymize=anonymize,
        keep_text=keep_text, pseudonym_key=study.pseudonym_key() if anonymize else None,
        raw=raw, repeats=repeats,
    )
    return replace(result, responses="complete" if only_complete else "all")


def _nothing_to_export(study: Study, *, only_complete: bool) -> str:
    """Why an export would be empty: no responses at all, or which of them a filter leaves out."""
    from dmsurvey.wording import plural

    with study.connect() as connection:
        counts = dict(connection.execute(
            "SELECT status, count(*) FROM responses GROUP BY status").fetchall())
    left_out = []
    if only_complete and counts.get("in_progress"):
        left_out.append(f"{plural(counts['in_progress'], 'response')} in progress "
                        f"{'is' if counts['in_progress'] == 1 else 'are'} exported with --all")
    if counts.get("void"):
        left_out.append(f"{plural(counts['void'], 'void response')} "
                        f"{'is' if counts['void'] == 1 else 'are'} never exported")
    return NO_RESPONSES + (f" ({'; '.join(left_out)})" if left_out else "")


def write_responses(
    frame: pd.DataFrame,
    path: str | os.PathLike,
    *,
    questionnaire: Questionnaire,
    labels: str | None = None,
    anonymize: bool = False,
    keep_text: bool = False,
    pseudonym_key: bytes | None = None,
    raw: bool = False,
    repeats: Mapping[str, pd.DataFrame] | None = None,
) -> ExportResult:
    """Write a typed responses frame (as `Study.responses()` returns it) to `path`.

    Anonymised without a `pseudonym_key`, the pseudonyms are made with a key used once, so
    they link to no other export. A CSV is made for spreadsheets: text Excel would run as a
    formula gets a leading `'` (`spreadsheet_safe`); `raw` writes the exact text instead, for
    programs.

    `repeats`: per repeat section, its instances (as `instances.instance_frames` gives them),
    written as one more sheet named after the repeat in Excel, else as one more file
    `<stem>-<repeat><suffix>` beside `path`; each starts with response_id, instance_key,
    parent_key and instance, and follows the main file's rules (labels, anonymisation with
    the same pseudonyms, Stata and SPSS names).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise DataError(
            f"cannot export to {path.name!r}: unknown file type",
            [Problem("unknown file type", file=str(path), value=path.suffix,
                     expected=", ".join(EXPORT_FORMATS))],
        )
    language = chosen_language(questionnaire, labels)
    if suffix == ".xlsx" and len(frame) > EXCEL_MAX_ROWS:
        raise DataError(
            f"{len(frame):,} responses do not fit in an Excel sheet (at most {EXCEL_MAX_ROWS:,} "
            "rows); export to .csv or .parquet instead."
        )
    notes: tuple[str, ...] = ()
    if anonymize:
        if pseudonym_key is None:
            import secrets

            pseudonym_key = secrets.token_bytes(32)
        frame, notes = anonymized(frame, questionnaire, pseudonym_key=pseudonym_key,
                                  keep_text=keep_text)
    options = {"labels": labels, "anonymize": anonymize, "keep_text": keep_text,
               "pseudonym_key": pseudonym_key, "raw": raw}
    sheets, further = _repeat_outputs(repeats or {}, path, questionnaire, options)
    if suffix in (".dta", ".sav"):
        rules = STATA if suffix == ".dta" else SPSS
        labelled = stata_frame(frame, questionnaire, language=language, rules=rules)
        writer = _STATISTICS_WRITERS[suffix]
        columns = len(labelled.data.columns)
        notes += labelled.notes
        if suffix == ".dta" and stata_release(columns) == 119:
            notes += (f"Stata: {columns:,} variables are more than Stata/SE opens "
                      f"({STATA_MAX_VARIABLES:,}); the file needs Stata/MP 15 or later.",)
        write_atomically(path, lambda tmp: writer(labelled, tmp))
    else:
        if labels is not None:
            from dmsurvey.store.frames import with_labels

            frame = with_labels(frame, questionnaire, labels)
        if suffix == ".csv" and not raw:
            frame = spreadsheet_safe(frame)
        writer = _TABLE_WRITERS[suffix]
        if sheets:
            writer = functools.partial(_write_xlsx, repeats=sheets)
        write_atomically(path, lambda tmp: writer(frame, tmp, questionnaire, language))
        columns = len(frame.columns)
        sheets = [name for name, _ in excel_sheets(frame.columns)] if suffix == ".xlsx" else []
        if len(sheets) > 1:
            notes += (f"Excel: {columns:,} columns are more than a sheet holds "
                     f"({EXCEL_MAX_COLUMNS:,}); the data continue on sheets "
                     f"{', '.join(sheets[1:])}, each starting with response_id.",)
    files = [path]
    for repeat_path, write in further:
        written = write()
        files.append(repeat_path)
        notes += tuple(f"{repeat_path.name}: {note}" for note in written.notes
                       if not note.startswith("Anonymised"))
    return ExportResult(path=path, rows=len(frame), columns=columns, notes=notes,
                        files=tuple(files))


def _repeat_outputs(repeats: Mapping[str, pd.DataFrame], path: Path,
                    questionnaire: Questionnaire, options: dict):
    """What the instances of each repeat become: (sheet name, frame, its questionnaire) for
    an Excel workbook, or (path, a call writing that file) for other formats."""
    from dmsurvey.store.instances import repeat_questionnaire, sheet_name

    sheets, further = [], []
    for repeat, frame in repeats.items():
        asked = repeat_questionnaire(questionnaire, repeat)
        if path.suffix.lower() == ".xlsx":
            if options["anonymize"]:
                frame, _ = anonymized(frame, asked, pseudonym_key=options["pseudonym_key"],
                                      keep_text=options["keep_text"])
            if options["labels"] is not None:
                from dmsurvey.store.frames import with_labels

                frame = with_labels(frame, asked, options["labels"])
            sheets.append((sheet_name(repeat), frame, asked))
        else:
            target = path.with_name(f"{path.stem}-{repeat}{path.suffix}")
            further.append((target, functools.partial(
                write_responses, frame, target, questionnaire=asked, **options)))
    return sheets, further


def chosen_language(questionnaire: Questionnaire, language: str | None) -> str:
    """`language` if the questionnaire has it, its default language for None, else an error."""
    if language is not None and language not in questionnaire.languages:
        raise DataError(
            f"the questionnaire has no labels in {language!r}",
            [Problem("unknown language", value=language,
                     expected=", ".join(questionnaire.languages))],
        )
    return questionnaire.label_language(language)


def anonymized(
    frame: pd.DataFrame, questionnaire: Questionnaire, *, pseudonym_key: bytes,
    keep_text: bool = False,
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """`frame` without what identifies a firm or a person, and one line per kind removed.

    Leaves out questions marked `pii` (with their 0/1 columns), free-text answers (unless
    `keep_text`), enumerators and devices, and paper form numbers; replaces response ids by
    pseudonyms (a keyed hash: the same id gets the same pseudonym under the same key) and
    cuts times to the date.
    """
    import hmac

    from dmsurvey.store.checking import TIMESTAMP_FIELDS

    def leave_out(names: Iterable[str]) -> list[str]:
        names = set(names)
        return [column for column in frame.columns
                if column in names or column.split("/")[0] in names]

    personal = leave_out(q.id for q in questionnaire.answerable if q.pii)
    text = [] if keep_text else leave_out(
        q.id for q in questionnaire.answerable if q.type == "text" and not q.pii)
    people = leave_out(ENUMERATOR_COLUMNS)
    forms = leave_out(IDENTIFYING_METADATA)
    frame = frame.drop(columns=personal + text + people + forms)
    notes = [f"Anonymised: left out {kind}: {', '.join(columns)}{advice}"
             for kind, columns, advice in (
                 ("personal data (pii)", personal, ""),
                 ("free-text answers", text, " (keep them with --keep-text)"),
                 ("who collected the answers", people, ""),
                 ("form numbers", forms, ""))
             if columns]
    if "response_id" in frame:
        frame["response_id"] = frame["response_id"].map(
            lambda response_id: None if response_id is None or response_id != response_id
            else hmac.new(pseudonym_key, str(response_id).encode(), "sha256").hexdigest()[:20])
        notes.append("Anonymised: response ids replaced by pseudonyms, the same in every "
                     "anonymised export of this study")
    times = [column for column in TIMESTAMP_FIELDS if column in frame]
    for column in times:
        frame[column] = frame[column].astype("str").str.slice(0, 10).where(frame[column].notna())
    if times:
        notes.append(f"Anonymised: times cut to the date: {', '.join(times)}")
    return frame, tuple(notes)


# --- CSV, Excel, Parquet, JSON --------------------------------------------------------------


# OWASP's advice against CSV injection: a cell starting with one of these is a formula to a
# spreadsheet (=HYPERLINK(...) can send data away); a leading ' makes it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"
CSV_CHUNK_ROWS = 1_000


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with text that a spreadsheet would run as a formula prefixed with `'`.

    Plain numbers written as text ("-5", "+86") are left alone: a spreadsheet reads them as
    numbers, which runs nothing.
    """
    import pandas as pd

    changed = {}
    for name in frame.columns:
        column = frame[name]
        if not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)):
            continue
        text = column.astype("str")
        starts = (column.notna() & text.str.startswith(FORMULA_STARTS)).to_numpy(
            dtype=bool, na_value=False)
        if not starts.any():  # most columns: no need to look at their numbers
            continue
        risky = starts & ~text.str.fullmatch(PLAIN_NUMBER).to_numpy(dtype=bool, na_value=False)
        if risky.any():
            changed[name] = column.mask(risky, "'" + text)
    return frame.assign(**changed) if changed else frame


def _write_csv(frame, path, questionnaire, language):
    # The byte-order mark makes Excel read the file as UTF-8 (Chinese shows correctly).
    # pandas converts every column once per chunk of rows, and its chunks shrink as a frame
    # widens (33 rows at 3,000 columns): at least 1,000 rows a chunk keeps that cost down.
    frame.to_csv(path, index=False, encoding="utf-8-sig",
                 chunksize=max(CSV_CHUNK_ROWS, 100_000 // max(len(frame.columns), 1)))


def _write_parquet(frame, path, questionnaire, language):
    frame.to_parquet(path, index=False)


def _write_json(frame, path, questionnaire, language):
    frame.to_json(path, orient="records", force_ascii=False, date_format="iso", indent=1)


def _write_xlsx(frame, path, questionnaire, language, repeats=()):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for name, columns in excel_sheets(frame.columns):
        _append_table(workbook.create_sheet(name), frame[columns])
    for name, instances, _ in repeats:
        _append_table(workbook.create_sheet(name), instances)
    codebook_sheet = workbook.create_sheet("codebook")
    _append_table(codebook_sheet, questionnaire.codebook(language))
    workbook.save(path)


def excel_sheets(columns: Iterable[str]) -> list[tuple[str, list[str]]]:
    """The data sheets and their columns: `data`, and for more columns than a sheet holds
    `data_2`, `data_3`, ..., each repeating response_id first so that they join."""
    columns = list(columns)
    if len(columns) <= EXCEL_MAX_COLUMNS:
        return [("data", columns)]
    key = [name for name in columns[:1] if name == "response_id"]
    rest = columns[len(key):]
    room = EXCEL_MAX_COLUMNS - len(key)
    return [
        ("data" if start == 0 else f"data_{start // room + 1}", [*key, *rest[start:start + room]])
        for start in range(0, len(rest), room)
    ]


def _append_table(sheet, frame: pd.DataFrame) -> None:
    """Write `frame` with a bold, frozen header; text is always text, never a formula."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    sheet.freeze_panes = "A2"
    header = []
    for name in frame.columns:
        cell = WriteOnlyCell(sheet, value=str(name))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for name in frame.columns:
        width = min(40, max(10, len(str(name)) + 2))
        sheet.column_dimensions[_column_letter(frame.columns.get_loc(name))].width = width
    for row in frame.astype(object).itertuples(index=False, name=None):
        sheet.append([_excel_cell(sheet, value) for value in row])


def _excel_cell(sheet, value):
    import pandas as pd
    from openpyxl.cell import WriteOnlyCell

    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        # Excel files cannot hold control characters other than tab and line breaks.
        cell = WriteOnlyCell(sheet, value=printable(value, keep="\t\n\r"))
        # openpyxl reads a leading "=" as a formula; answers are data, so force text.
        cell.data_type = "s"
        return cell
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.tz_localize(None) if value.tzinfo else value.to_pydatetime()
    return value


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


_TABLE_WRITERS: dict[str, Callable] = {
    ".csv": _write_csv,
    ".xlsx": _write_xlsx,
    ".parquet": _write_parquet,
    ".json": _write_json,
}


# --- Stata and SPSS --------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelledFrame:
    """A frame ready for Stata/SPSS: short names, numbered choices, and their labels."""

    data: pd.DataFrame
    variable_labels: dict[str, str]
    value_labels: dict[str, dict[int, str]]
    notes: tuple[str, ...] = ()  # "Stata: renamed end → end_ (a reserved word)"


def stata_frame(
    frame: pd.DataFrame,
    questionnaire: Questionnaire,
    *,
    language: str,
    rules: NamingRules = STATA,
) -> LabelledFrame:
    """Numbered choices with value labels, 0/1 multi-select variables, names of <= 32 chars.

    Names the program does not accept (reserved words, ...) are changed the same way every
    time, and each change of a column's own name is told in `notes`.
    """
    import pandas as pd

    from dmsurvey.store.frames import chosen_codes

    columns: dict[str, pd.Series] = {}
    variable_labels: dict[str, str] = {}
    value_labels: dict[str, dict[int, str]] = {}
    answerable = {q.id: q for q in questionnaire.answerable}
    for name in frame.columns:
        question = answerable.get(name)
        column = frame[name]
        if question is None:
            columns[name] = _plain_column(column)
            if name in METADATA_LABELS:
                texts = METADATA_LABELS[name]
                variable_labels[name] = texts.get(language, texts["en"])
            continue
        label = question.label.in_language(language)
        variable_labels[name] = label
        if question.type == "select_one":
            numbers = {c.code: n for n, c in enumerate(question.choices, start=1)}
            columns[name] = column.astype("str").map(numbers).astype("Int64")
            value_labels[name] = {
                numbers[c.code]: c.label.in_language(language) for c in question.choices
            }
        elif question.type == "select_multiple":
            columns[name] = _plain_column(column)
            answered, chosen = chosen_codes(column, question.choice_codes)
            for position, choice in enumerate(question.choices):
                key = f"{name}/{choice.code}"
                columns[key] = pd.Series(pd.arrays.IntegerArray(
                    chosen[:, position].astype("int64"), ~answered), index=frame.index)
                choice_label = choice.label.in_language(language)
                room = STATA_LABEL_LIMIT - len(choice_label) - 2
                variable_labels[key] = f"{_truncate(label, max(room, 10))}: {choice_label}"
        else:
            columns[name] = _plain_column(column)
    data = pd.DataFrame(columns, index=frame.index).reset_index(drop=True)
    names = short_names(data.columns, rules=rules)
    return LabelledFrame(
        data=data.rename(columns=names),
        variable_labels={names[k]: _truncate(v, STATA_LABEL_LIMIT) for k, v in
                         variable_labels.items()},
        value_labels={names[k]: v for k, v in value_labels.items()},
        notes=tuple(
            f"{rules.program}: renamed {old} → {new} ({_why_renamed(old, rules)})"
            for old, new in names.items()
            if old != new and "/" not in old
) + _choice_columns_renamed(names, rules),
    )


def _choice_columns_renamed(names: dict[str, str], rules: NamingRules) -> tuple[str, ...]:
    """Notes on the 0/1 columns (`question/code`) renamed beyond `/` -> `_`: one per question
    when its columns share a new stem (`stem/* → ste_*`), else one per column."""
    changed: dict[str, list[tuple[str, str, str]]] = {}
    for old, new in names.items():
        stem, slash, code = old.partition("/")
        plain = re.sub(r"[^A-Za-z0-9_]", "_", old)
        if slash and new != plain:
            changed.setdefault(stem, []).append((old, new, plain[len(stem) + 1:]))
    notes = []
    for stem, columns in changed.items():
        why = _why_renamed(stem + "_" + columns[0][2], rules)
        prefixes = {new[: len(new) - len(code)] for _, new, code in columns
                    if new.endswith(code)}
        if len(prefixes) == 1 and all(new.endswith(code) for _, new, code in columns):
            notes.append(f"{rules.program}: renamed {stem}/* → {prefixes.pop()}* ({why})")
        else:
            notes += [f"{rules.program}: renamed {old} → {new} ({why})"
                      for old, new, _ in columns]
    return tuple(notes)


def _plain_column(column: pd.Series) -> pd.Series:
    """Numbers stay numbers; everything else becomes text (Stata and SPSS have no categories)."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(column):
        return column.astype("Int64")
    if pd.api.types.is_numeric_dtype(column):
        return column
    if pd.api.types.is_datetime64_any_dtype(column):
        return column.dt.strftime("%Y-%m-%dT%H:%M:%S").astype(object).where(column.notna(), "")
    text = column.astype("str")
    return text.astype(object).where(column.notna(), "")


def short_names(
    names: Iterable[str], limit: int = STATA_NAME_LIMIT, *, rules: NamingRules = STATA
) -> dict[str, str]:
    """Map each column name to a unique Stata/SPSS name: letters, digits, `_`, <= `limit`.

    `question/code` becomes `question_code`; where that is too long, the question part is cut
    to the same length for every code of the question (so `stem_*` still selects them all).
    A reserved word gets `_` at its end (`end` -> `end_`); a name that may not begin as it does
    gets a `v` in front.
    """
    parts = {
        name: tuple(re.sub(r"[^A-Za-z0-9_]", "_", part) for part in name.partition("/"))
        for name in names
    }
    longest_code: dict[str, int] = {}
    for stem, slash, code in parts.values():
        if slash:
            longest_code[stem] = max(longest_code.get(stem, 0), len(code))
    result: dict[str, str] = {}
    taken: set[str] = set()
    for name, (stem, slash, code) in parts.items():
        candidate = f"{stem}_{code}" if slash else stem
        if len(candidate) > limit and slash:
            candidate = f"{stem[: max(limit - longest_code[stem] - 1, 10)]}_{code}"
        if not re.match(rules.first_character, candidate):
            candidate = f"v{candidate}"
        candidate = candidate[:limit]
        if rules.is_reserved(candidate):
            candidate = f"{candidate[: limit - 1]}_"
        unique, number = candidate, 2
        while rules.key(unique) in taken:
            tail = f"_{number}"
            unique = f"{candidate[: limit - len(tail)]}{tail}"
            number += 1
        taken.add(rules.key(unique))
        result[name] = unique
    return result


def _why_renamed(name: str, rules: NamingRules) -> str:
    if rules.is_reserved(name):
        return "a reserved word"
    if re.search(r"[^A-Za-z0-9_]", name):
        return "letters, digits and _ only"
    if not re.match(rules.first_character, name):
        return rules.first_character_rule
    if len(name) > STATA_NAME_LIMIT:
        return f"longer than {STATA_NAME_LIMIT} characters"
    return "the name was taken by another column"


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _write_stata(labelled: LabelledFrame, path) -> None:
    from dmsurvey.store.stata import write_dta

    write_dta(
        labelled.data,
        path,
        release=stata_release(len(labelled.data.columns)),
        variable_labels=labelled.variable_labels,
        value_labels=labelled.value_labels,
    )


def stata_release(variables: int) -> int:
    """The Stata file format that holds `variables`: 118 (Stata 14 and later) up to
    32,767, 119 (Stata/MP 15 and later) up to 120,000; more are refused."""
    if variables > STATA_MP_MAX_VARIABLES:
        raise DataError(
            f"{variables:,} variables do not fit in a Stata file (at most "
            f"{STATA_MP_MAX_VARIABLES:,}); export to .sav, .parquet or .csv instead."
        )
    return 118 if variables <= STATA_MAX_VARIABLES else 119


def _write_spss(labelled: LabelledFrame, path) -> None:
    import pyreadstat

    data = labelled.data.copy()
    for name in data.columns:
        if data[name].dtype != object:
            data[name] = data[name].astype("float64")
    value_labels = {
        name: {float(number): text for number, text in labels.items()}
        for name, labels in labelled.value_labels.items()
    }
    pyreadstat.write_sav(
        data,
        os.fspath(path),
        column_labels={name: labelled.variable_labels.get(name, "") for name in data.columns},
        variable_value_labels=value_labels,
    )


_STATISTICS_WRITERS: dict[str, Callable] = {".dta": _write_stata, ".sav": _write_spss}


# --- shared ----------------------------------------------------------------------------------


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Run `write` on a temporary file beside `path`, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent
    )
    os.close(handle)
    temporary = Path(temporary)
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
