"""Read response files (CSV, Excel, JSON, Parquet) into a grid of text cells.

Every reader returns a `Table`: the header texts exactly as written (repeats included), the
cells as text (`""` where empty) and, for each data row, the row number a user sees: in a CSV
or Excel file the spreadsheet row (the header is row 1), in JSON or Parquet the record number.
Nothing is interpreted here (codes, numbers, labels are the importer's business); what cannot
be read at all (a binary file, a wrong encoding, ragged or truncated rows, a damaged workbook)
raises a `DataError` that says what is wrong, where, and what to do. That holds for any damage:
whatever goes wrong inside a parser becomes a `DataError` naming the file.

Some cells are settled here because they are the same in every format: text made only of
invisible characters (spaces, zero-width spaces, a stray byte-order mark) is no answer; a
UTF-16 surrogate without its pair, a nested JSON value or a cell longer than Excel allows is
refused with its row and column (control characters such as NUL are refused by the answer
checker). Columns without a header and without a value are left out
(a sheet's formatted but empty cells, a CSV ending in `,,`). `ReadLimits` bounds what a file may
make us read (its size, what an archive unpacks to) before reading it whole.

CSV files are parsed by pyarrow, which is fast and strict about the number of cells in a row;
only a file it refuses is read again row by row, to say exactly which rows are wrong.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd

from dmsurvey.errors import DataError, Problem, shortened
from dmsurvey.wording import plural

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
OLD_EXCEL_SUFFIXES = (".xls",)  # what 问卷星 and older Excel write
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
PARQUET_SUFFIXES = (".parquet", ".pq")
ZIP_SUFFIXES = (".zip",)  # ODK Central's CSV export: the main CSV plus one per repeat
READABLE = (CSV_SUFFIXES + EXCEL_SUFFIXES + OLD_EXCEL_SUFFIXES + JSON_SUFFIXES + PARQUET_SUFFIXES
            + ZIP_SUFFIXES)
# Encodings tried, in order, when none is given: what Excel and WPS write in China.
AUTO_ENCODINGS = ("utf-8", "gb18030")
DELIMITERS = (",", "\t", ";")
BINARY_SIGNATURES = {
    b"PK\x03\x04": "a zip archive (an .xlsx workbook?)",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls or Word file",
    b"%PDF": "a PDF document",
    b"PAR1": "a Parquet file",
    b"SQLite format 3": "a SQLite database",
}


MB = 1 << 20
# An archive member unpacking to more than this is checked for its compression ratio: a
# spreadsheet compresses about 10:1, a zip bomb 1000:1; small members may do anything.
RATIO_CHECKED_FROM_MB = 32
# Text that is empty once these are removed counts as no answer: white space, and characters
# that show nothing (soft hyphen, zero-width spaces and joiners, direction marks, BOM).
INVISIBLE_CHARS = "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + (
    "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\ufeff")
INVISIBLE = re.compile(f"[{re.escape(INVISIBLE_CHARS)}]+")
# The invisible characters the importer's own stripping of white space leaves.
SHOWING_NOTHING = re.compile(f"[{re.escape(INVISIBLE_CHARS[INVISIBLE_CHARS.index(chr(0xad)):])}]")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Refusals of one kind listed one by one up to this many; the rest are counted.
LISTED_PROBLEMS = 20


@dataclass(frozen=True)
class ReadLimits:
    """How much one response file may make `read_table` read.

    The defaults hold the largest real surveys with room to spare (a million rows of a
    hundred columns); what goes beyond is a damaged file or a zip bomb. Raise them with
    `import --max-mb` / `--max-cell`, or pass your own `ReadLimits`.
    """

    max_file_mb: float = 512  # the file itself
    max_unpacked_mb: float = 512  # any one member of an .xlsx or .zip, unpacked
    max_ratio: float = 100  # unpacked / packed size of a member above RATIO_CHECKED_FROM_MB
    max_cell_chars: int = 32_767  # Excel's own limit for one cell

    def raised(self, *, max_mb: float | None = None, max_cell: int | None = None) -> ReadLimits:
        """These limits with the sizes a user gave (`None`: unchanged)."""
        from dataclasses import replace

        sizes = {} if max_mb is None else {"max_file_mb": max_mb, "max_unpacked_mb": max_mb}
        cells = {} if max_cell is None else {"max_cell_chars": max_cell}
        return replace(self, **sizes, **cells)


DEFAULT_LIMITS = ReadLimits()


@dataclass
class Table:
    """A file's cells as text, before any interpretation."""

    file: str
    headers: list[str]
    cells: pd.DataFrame  # columns 0..n-1 in file order, "" where empty
    rows: np.ndarray  # the row number a user sees, one per row of `cells`
    row_kind: str = "row"  # "row" (spreadsheet row, header = 1) or "record"
    # 0-based position in the file of each column of `cells` (columns holding nothing at
    # all are left out, so these may skip); None: 0..n-1
    positions: list[int] | None = field(default=None, repr=False)
    # header -> rows whose cell was a JSON list (read as its items separated by spaces):
    # only a multiple-choice answer may be one
    listed: dict[str, set[int]] = field(default_factory=dict, repr=False)
    sheet: str | None = None  # the workbook sheet the cells come from, when not the first

    def letter(self, column: int) -> str:
        """The spreadsheet letter of a column of `cells` as the file has it (A, B, ... XFD)."""
        return excel_column(self.positions[column] if self.positions else column)


def read_table(
    path: str | os.PathLike,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Table:
    """Read one response file; the file extension says how. Any failure is a `DataError`."""
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise DataError(f"No such file: {name}")
    if path.is_dir():
        raise DataError(f"{name} is a folder; give the response files inside it.")
    suffix = path.suffix.lower()
    if suffix not in READABLE:
        raise DataError(
            f"{name}: cannot import {suffix or 'files without an extension'}; "
            "use CSV, Excel .xlsx or .xls, JSON, Parquet or an ODK Central .zip export."
        )
    size = path.stat().st_size
    if size > limits.max_file_mb * MB:
        raise DataError(
            f"{name} is {size / MB:,.0f} MB, more than the {limits.max_file_mb:g} MB a response "
            "file may have; if it really holds responses, raise the limit with --max-mb."
        )
    data = path.read_bytes()
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise DataError(f"{name} is empty: it has no content to import.")
    try:
        if suffix in CSV_SUFFIXES:
            return _read_csv(name, data, encoding, limits)
        if suffix in EXCEL_SUFFIXES:
            return _read_excel(name, data, sheet, limits)
        if suffix in OLD_EXCEL_SUFFIXES:
            return _read_old_excel(name, data, sheet, limits)
        if suffix in JSON_SUFFIXES:
            return _read_json(name, data, encoding, limits, lines=suffix != ".json")
        if suffix in ZIP_SUFFIXES:
            return _read_zip(name, data, encoding, limits)
        return _read_parquet(name, data, limits)
    except DataError:
        raise
    except RecursionError:
        raise DataError(f"{name} cannot be read: its values are nested too deeply "
                        "(a response file holds a list of flat records).") from None
    except MemoryError:
        raise DataError(f"{name} is too large to read in the memory of this computer.") \
            from None
    except Exception as error:  # noqa: BLE001 (any parser failure is a damaged file)
        # Parsers of zip, XML and Parquet raise their own errors on damaged bytes; for the
        # user they all mean the same thing: this file cannot be read, whatever the cause.
        raise DataError(
            f"{name} cannot be read: the file is damaged, truncated or not what its "
            f"extension says ({_error_text(error)}). Open it in the program that wrote it and "
            "save or export it again."
        ) from None


def _error_text(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return shortened(text, 200)


def read_further_tables(
    path: str | os.PathLike,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> dict[str, Table]:
    """The tables of a response file beside its main one, by name: the other sheets of an
    .xlsx workbook (by sheet name), the other CSV files of an ODK Central .zip export (by
    what follows the main file's name and `-`: `Form-members.csv` is "members"). Repeat
    groups come this way; other files have none. Call after `read_table` has read the file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXCEL_SUFFIXES + ZIP_SUFFIXES:
        return {}
    name = str(path)
    data = path.read_bytes()
    try:
        if suffix in ZIP_SUFFIXES:
            return _further_csv_files(name, data, encoding, limits)
        return _further_sheets(name, data, sheet, limits)
    except DataError:
        raise
    except Exception as error:  # noqa: BLE001 (as in read_table: a damaged file)
        raise DataError(f"{name} cannot be read: the file is damaged or truncated "
                        f"({_error_text(error)}). Export it again.") from None


def _further_sheets(name: str, data: bytes, sheet: str | None,
                    limits: ReadLimits) -> dict[str, Table]:
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    tables = {}
    try:
        main = _sheet_index(name, workbook.sheetnames, sheet)
        for position, worksheet in enumerate(workbook.worksheets):
            if position == main:
                continue
            header, records, numbers = _sheet_rows(worksheet)
            if header is None or not any(_holds(value) for value in header):
                continue
            table = _sheet_table(name, header, records, numbers, limits)
            table.sheet = worksheet.title
            tables[worksheet.title] = table
    finally:
        workbook.close()
    return tables


def _further_csv_files(name: str, data: bytes, encoding: str | None,
                       limits: ReadLimits) -> dict[str, Table]:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [m for m in archive.namelist() if m.lower().endswith(".csv")]
        stems = {m: Path(m).stem for m in members}
        main = min(stems.values(), key=len, default="")
        tables = {}
        for member, stem in stems.items():
            if stem != main and stem.startswith(main + "-"):
                content = unpack(name, archive, member, limits)
                tables[stem[len(main) + 1:]] = _read_csv(f"{name}:{member}", content, encoding,
                                                         limits)
    return tables


# ----------------------------------------------------------------------------- CSV


def decode(name: str, data: bytes, encoding: str | None) -> tuple[str, str]:
    """(text, encoding used). Without `encoding`: UTF-8 (with or without BOM), else GB18030."""
    if encoding is None:
        if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
            encoding = "utf-32"
        elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
            encoding = "utf-16"
        else:
            _refuse_binary(name, data)
    candidates = (encoding,) if encoding else AUTO_ENCODINGS
    errors: list[UnicodeDecodeError] = []
    for candidate in candidates:
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError as error:
            errors.append(error)
            continue
        except LookupError:
            raise DataError(f"Unknown encoding {encoding!r}; try utf-8 or gb18030.") from None
        return text.removeprefix("\ufeff"), candidate
    first_error = errors[0]
    line = data[: first_error.start].count(b"\n") + 1
    tried = " or ".join(candidates)
    advice = (
        "save it as CSV UTF-8 from Excel, or give its encoding with --encoding"
        if encoding is None
        else "check the encoding (without --encoding, UTF-8 and GB18030 are recognised)"
    )
    raise DataError(
        f"{name} cannot be read as {tried} text",
        [Problem(f"undecodable bytes; {advice}", file=name, line=line,
                 value=data[first_error.start:first_error.start + 4].hex(" "))],
    )


def _refuse_binary(name: str, data: bytes) -> None:
    head = data[:65536]
    for signature, kind in BINARY_SIGNATURES.items():
        if head.startswith(signature):
            raise DataError(
                f"{name} is not a text file: it looks like {kind}. "
                "Give it the right extension, or export the data as CSV."
            )
    if b"\x00" in head:
        raise DataError(f"{name} is not a text file (it contains binary data).")


def _read_csv(name: str, data: bytes, encoding: str | None,
              limits: ReadLimits = DEFAULT_LIMITS) -> Table:
    text, used = decode(name, data, encoding)
    if "\n" not in text and "\r" in text:  # old Mac line endings: CR alone
        text, used = text.replace("\r", "\n"), "cr"
    first_line = text[: text.find("\n")] if "\n" in text else text
    delimiter = max(DELIMITERS, key=first_line.count)
    if not first_line.count(delimiter):
        delimiter = ","
    try:
        headers = next(csv.reader(io.StringIO(first_line), delimiter=delimiter))
    except csv.Error as error:
        raise DataError(f"{name}: the header row cannot be read",
                        [Problem(str(error), file=name, line=1)]) from None
    utf8 = data.removeprefix(b"\xef\xbb\xbf") if used == "utf-8" else text.encode("utf-8")
    # An odd number of quotes means one is never closed: pyarrow would take the rest of the
    # file as one cell, so the careful reader says where it opened.
    fast = None if utf8.count(b'"') % 2 else _parse_csv_fast(utf8, len(headers), delimiter)
    if fast is not None:
        cells, rows = fast, np.arange(2, len(fast) + 2)
    else:
        cells, rows = _parse_csv_carefully(name, text, len(headers), delimiter)
    return _table(name, headers, cells, rows, limits=limits, text=text)


def _parse_csv_fast(utf8: bytes, width: int, delimiter: str) -> pd.DataFrame | None:
    """All cells as text via pyarrow, or None if any row is ragged, blank or unparsable."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    refused: list[object] = []

    def refuse(row) -> str:
        refused.append(row)
        return "skip"

    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(utf8),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 20),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                # slower, so only when a quoted cell might hold a line break
                newlines_in_values=b'"' in utf8,
                ignore_empty_lines=False,
                invalid_row_handler=refuse,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return None
    if refused:
        return None
    frame = table.to_pandas(types_mapper=_text_types().get)
    frame.columns = range(width)
    return frame


def _parse_csv_carefully(
    name: str, text: str, width: int, delimiter: str
) -> tuple[pd.DataFrame, np.ndarray]:
    """Row by row, to name every ragged row; blank rows are skipped (their numbers kept)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[list[str]] = []
    numbers: list[int] = []
    ragged: list[tuple[int, int]] = []
    problems: list[Problem] = []
    number = 0
    opened_on = 1  # the line where the record being read starts
    try:
        for number, record in enumerate(reader, start=1):
            opened_on = reader.line_num + 1
            if number == 1 or not any(cell.strip() for cell in record):
                continue
            if len(record) != width:
                ragged.append((number, len(record)))
                continue
            records.append(record)
            numbers.append(number)
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            problems.append(Problem(
                f"a quote opened in row {number + 1} is never closed: the rest of the file "
                "would become one cell", file=name, line=opened_on, row=number + 1,
                expected='a closing " (a quote inside a quoted cell is written "")',
            ))
        else:
            problems.append(Problem(
                f"the file cannot be read beyond this row ({error}): it may be truncated, or "
                "a quote is never closed", file=name, row=number + 1,
            ))
    for row, count in ragged:
        hint = "; is the file complete?" if row == number and count < width else ""
        problems.append(Problem(
            f"this row has {plural(count, 'cell')} but the header has {width}{hint}", file=name,
            row=row, expected=f"{plural(width, 'cell')}: check for a missing or extra "
            "delimiter, or an unquoted delimiter inside a cell",
        ))
    if problems:
        problems.sort(key=lambda problem: problem.row or 0)
        raise DataError(f"{name} has rows that cannot be read", problems)
    frame = pd.DataFrame(records, columns=range(width), dtype="str") if records else \
        pd.DataFrame({i: pd.Series([], dtype="str") for i in range(width)})
    return frame, np.array(numbers, dtype=int)


def _read_zip(name: str, data: bytes, encoding: str | None,
              limits: ReadLimits = DEFAULT_LIMITS) -> Table:
    """The main CSV of an ODK Central export (`Form.csv` beside `Form-repeat.csv` files)."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [m for m in archive.namelist() if m.lower().endswith(".csv")]
            stems = [Path(m).stem for m in members]
            main = [m for m, stem in zip(members, stems, strict=True)
                    if all(other.startswith(stem) for other in stems)]
            if len(main) != 1:
                raise DataError(
                    f"{name}: cannot tell which CSV file in the archive holds the responses "
                    f"({', '.join(members) or 'there is none'}); extract it and import that file."
                )
            content = unpack(name, archive, main[0], limits)
    except (zipfile.BadZipFile, OSError) as error:
        raise DataError(f"{name} cannot be read as a zip archive (damaged or truncated?): "
                        f"{error}") from None
    return _read_csv(f"{name}:{main[0]}", content, encoding, limits)


def check_archive(name: str, archive, limits: ReadLimits, members=None) -> None:
    """Refuse an archive whose members would unpack to more than `limits` allow, from the
    sizes its directory declares, before unpacking anything (`unpack` holds them to it)."""
    for info in archive.infolist():
        if members is not None and info.filename not in members:
            continue
        unpacked = info.file_size
        if unpacked > limits.max_unpacked_mb * MB:
            raise DataError(
                f"{name}: {info.filename} would unpack to {unpacked / MB:,.0f} MB, more than the "
                f"{limits.max_unpacked_mb:g} MB allowed; if the file is genuine, raise the "
                "limit with --max-mb."
            )
        ratio = unpacked / max(info.compress_size, 1)
        if unpacked > RATIO_CHECKED_FROM_MB * MB and ratio > limits.max_ratio:
            raise DataError(
                f"{name}: {info.filename} would unpack to {unpacked / MB:,.0f} MB from "
                f"{info.compress_size / MB:,.1f} MB ({ratio:,.0f} times; survey files stay "
                f"under {limits.max_ratio:g}): it looks like a zip bomb. If the file is genuine, "
                "open it and save it as CSV, then import that."
            )


def unpack(name: str, archive, member: str, limits: ReadLimits) -> bytes:
    """One member's bytes, never more than the limit whatever its header claims."""
    check_archive(name, archive, limits, {member})
    allowed = int(limits.max_unpacked_mb * MB)
    with archive.open(member) as stream:
        content = stream.read(allowed + 1)
    if len(content) > allowed:
        raise DataError(f"{name}: {member} unpacks to more than the {limits.max_unpacked_mb:g} "
                        "MB allowed; if the file is genuine, raise the limit with --max-mb.")
    return content


# --------------------------------------------------------------------------- Excel


def _read_excel(name: str, data: bytes, sheet: str | None,
                limits: ReadLimits = DEFAULT_LIMITS) -> Table:
    import zipfile

    import openpyxl

    if not data.startswith(b"PK\x03\x04"):
        raise DataError(
            f"{name} is not an Excel .xlsx workbook (an .xlsx file is a zip archive; this one is "
            "not). If it is a CSV file, rename it to .csv."
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            check_archive(name, archive, limits)
            formulas = _has_formulas(archive)
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise DataError(f"{name} cannot be read as an Excel workbook (damaged or truncated?): "
                        f"{_error_text(error)}") from None
    try:
        worksheet = workbook.worksheets[_sheet_index(name, workbook.sheetnames, sheet)]
        header, records, numbers = _sheet_rows(worksheet)
        title = worksheet.title
    finally:
        workbook.close()
    if header is None:
        raise DataError(f"{name}: the sheet {title!r} is empty.")
    if formulas:
        _refuse_formulas_without_results(name, data, title, header, dict(zip(numbers, records,
                                                                             strict=True)))
    return _sheet_table(name, header, records, numbers, limits)


def _sheet_table(name: str, header, records: list, numbers: list[int],
                 limits: ReadLimits = DEFAULT_LIMITS) -> Table:
    """A sheet's header row and data rows (cell values, rows of any length) as a `Table`.

    The used range is what holds data: a stray value far right (column XFD) adds one
    column, not the sixteen thousand empty ones before it.
    """
    width = len(header)
    beyond = sorted({position for record in records if len(record) > width
                     for position in range(width, len(record)) if _holds(record[position])})
    positions = list(range(width)) + beyond
    if beyond:
        rows = [tuple(r[p] if p < len(r) else None for p in positions) for r in records]
    else:
        rows = [tuple(r[:width]) + (None,) * (width - len(r)) for r in records]
    headers = [_cell_text(value) for value in header] + [""] * len(beyond)
    frame = pd.DataFrame(rows, columns=range(len(positions)), dtype=object)
    return _table(name, headers, text_frame(frame), np.array(numbers, dtype=int),
                  positions=positions, limits=limits)


def _sheet_rows(worksheet) -> tuple[tuple | None, list[tuple], list[int]]:
    """(header, data rows holding something, their row numbers), reading only the cells the
    sheet stores: its dimension tag may claim a million rows and columns of formatting."""
    worksheet.reset_dimensions()
    _skip_empty_rows(worksheet)
    header, records, numbers = None, [], []
    for number, record in enumerate(worksheet.iter_rows(values_only=True), start=1):
        if number == 1:
            header = record
        elif any(_holds(value) for value in record):
            records.append(record)
            numbers.append(number)
    return header, records, numbers


class _ValuesOnly(io.RawIOBase):
    """A worksheet's XML without its formatting-only cells and rows (`<c r="B7" s="3"/>`,
    `<row r="8" s="1"/>`): a sheet formatted down to row 1,048,576 reads in a second, not in
    minutes. Works on the bytes as they stream by, never on the whole sheet at once."""

    EMPTY = re.compile(rb"<c\b[^>]*/>|<row\b[^>]*/>|<row\b[^>]*>\s*</row>")

    def __init__(self, stream):
        self.stream, self.pending, self.tail = stream, b"", b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.pending:
            chunk = self.stream.read(1 << 20)
            if not chunk:
                self.pending, self.tail = self.tail, b""
                break
            text = self.tail + chunk
            cut = text.rfind(b"<row")
            if cut <= 0:
                cut = text.rfind(b"<")
            self.pending, self.tail = self.EMPTY.sub(b"", text[:cut]), text[cut:]
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size

    def close(self) -> None:
        self.stream.close()
        super().close()


def _skip_empty_rows(worksheet) -> None:
    """Read `worksheet` through `_ValuesOnly` (openpyxl opens a read-only sheet's XML
    through `_get_source`; without it, nothing changes but the speed)."""
    opened = getattr(worksheet, "_get_source", None)
    if opened is not None:
        worksheet._get_source = lambda: io.BufferedReader(_ValuesOnly(opened()), 1 << 20)


def _holds(value) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


def _has_formulas(archive) -> bool:
    """Whether any worksheet has a formula element (read in chunks, never whole)."""
    for member in archive.namelist():
        if not member.startswith("xl/worksheets/"):
            continue
        with archive.open(member) as stream:
            tail = b""
            while chunk := stream.read(1 << 20):
                if b"<f>" in tail + chunk or b"<f " in tail + chunk:
                    return True
                tail = chunk[-4:]
    return False


def _refuse_formulas_without_results(name, data, title, header, values) -> None:
    """A formula saved without its result (written by a program that does not compute) reads
    as an empty cell: refuse it rather than lose the value."""
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        worksheet = workbook[title]
        worksheet.reset_dimensions()
        problems = []
        for number, record in enumerate(worksheet.iter_rows(values_only=True), start=1):
            for position, value in enumerate(record):
                if not (isinstance(value, str) and value.startswith("=")):
                    continue
                row = values.get(number, ())
                if position < len(row) and row[position] is not None:
                    continue
                if number == 1 and header[position] is not None:
                    continue
                column = header[position] if position < len(header) else None
                problems.append(Problem(
                    "a formula saved without its result", file=name, sheet=title, row=number,
                    column=_cell_text(column) or f"column {excel_column(position)}",
                    value=value, expected="a value: open the file in Excel or WPS and save it, "
                    "so the results are stored, or type the values",
                ))
    finally:
        workbook.close()
    if problems:
        raise DataError(f"{name} has formulas without results", _listed(problems))


def _sheet_index(name: str, names: list[str], sheet: str | None) -> int:
    """The position of the sheet asked for by name or number (default: the first)."""
    if sheet is None:
        return 0
    if sheet in names:
        return names.index(sheet)
    if sheet.isdigit() and 1 <= int(sheet) <= len(names):
        return int(sheet) - 1
    raise DataError(f"{name} has no sheet {sheet!r}; its sheets are "
                    + ", ".join(repr(s) for s in names))


def _read_old_excel(name: str, data: bytes, sheet: str | None,
                    limits: ReadLimits = DEFAULT_LIMITS) -> Table:
    """An old Excel .xls workbook, read with xlrd (dates become ISO 8601 text)."""
    import xlrd

    if data.startswith(b"PK\x03\x04"):
        raise DataError(f"{name} is an .xlsx workbook with an .xls name: rename it to .xlsx.")
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<":
        raise DataError(f"{name} is a web page (HTML) with an .xls name: open it in Excel or WPS "
                        "and save it as .xlsx, then import that file.")
    if not data.startswith(b"\xd0\xcf\x11\xe0"):
        # some platforms write tab-separated text under an .xls name
        return _read_csv(name, data, None, limits)
    try:
        workbook = xlrd.open_workbook(file_contents=data, on_demand=True)
    except (xlrd.XLRDError, OSError, ValueError, AssertionError) as error:
        raise DataError(f"{name} cannot be read as an Excel .xls workbook (damaged or "
                        f"truncated?): {error}") from None
    worksheet = workbook.sheet_by_index(_sheet_index(name, workbook.sheet_names(), sheet))
    if worksheet.nrows == 0:
        raise DataError(f"{name}: the sheet {worksheet.name!r} is empty.")

    def value(cell):
        if cell.ctype == xlrd.XL_CELL_DATE:
            return xlrd.xldate.xldate_as_datetime(cell.value, workbook.datemode)
        if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
            return None
        return cell.value

    records = [tuple(value(cell) for cell in worksheet.row(number))
               for number in range(worksheet.nrows)]
    return _sheet_table(name, records[0], records[1:], list(range(2, len(records) + 1)), limits)


# ---------------------------------------------------------------------------- JSON


def _read_json(name: str, data: bytes, encoding: str | None,
               limits: ReadLimits = DEFAULT_LIMITS, *, lines: bool) -> Table:
    text, _ = decode(name, data, encoding)
    parsed = _json_lines(name, text) if lines else _json_value(name, text, 0)
    records = _json_records(parsed)
    if records is None or not all(isinstance(r, dict) for r in records):
        raise DataError(
            f"{name}: expected a list of responses, each an object of column: value "
            '(for example [{"response_id": "...", "industry": "manufacturing"}])'
        )
    listed = _refuse_json_values(name, records)
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    headers = [str(column) for column in frame.columns]
    frame.columns = range(len(headers))
    numbers = np.arange(1, len(frame) + 1)
    table = _table(name, headers, text_frame(frame), numbers, row_kind="record", limits=limits)
    table.listed = listed
    return table


def _refuse_json_values(name: str, records: list[dict]) -> dict[str, set[int]]:
    """An answer is a string, number, true/false, null, or a list of those (the choices of
    a multi-select); objects, lists of lists and lone UTF-16 surrogates are refused.
    Returns, per header, the records where the value is a list."""
    problems = []
    listed: dict[str, set[int]] = {}
    for number, record in enumerate(records, start=1):
        for key, value in record.items():
            if isinstance(value, list):
                listed.setdefault(str(key).strip(), set()).add(number)
            if isinstance(value, dict) or (isinstance(value, list) and any(
                    isinstance(item, list | dict) for item in value)):
                problems.append(Problem(
                    "a nested value where an answer belongs", file=name, row=number,
                    column=str(key), value=json.dumps(value, ensure_ascii=False)[:200],
                    expected="text, a number, true/false, null, or a list of choice codes"))
            elif isinstance(value, str) and LONE_SURROGATE.search(value):
                problems.append(Problem(
                    "half of a UTF-16 character pair (a lone surrogate \\ud800-\\udfff)",
                    file=name, row=number, column=str(key),
                    value=LONE_SURROGATE.sub(lambda half: f"\\u{ord(half.group()):04x}", value),
                    expected="whole characters: the program that wrote the file cut one"))
    if problems:
        raise DataError(f"{name} has values that are not answers", _listed(problems))
    return listed


def _json_lines(name: str, text: str) -> list:
    return [_json_value(name, content, number)
            for number, content in enumerate(text.splitlines(), start=1) if content.strip()]


def _json_value(name: str, text: str, line: int):
    """Parse JSON text; `line` is its line in the file (0: the text is the whole file)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise DataError(
            f"{name} is not valid JSON (truncated?)",
            [Problem(error.msg, file=name, line=line or error.lineno)],
        ) from None


def _json_records(parsed) -> list | None:
    """The list of responses in a JSON document: a plain list, or under a known key."""
    if isinstance(parsed, list):
        return parsed
    if isinstance(parsed, dict):
        # pandas orient="table", the KoboToolbox API, ODK Central's OData feed
        for key in ("data", "results", "value", "responses"):
            if isinstance(parsed.get(key), list):
                return parsed[key]
    return None


# ------------------------------------------------------------------------- Parquet


def _read_parquet(name: str, data: bytes, limits: ReadLimits = DEFAULT_LIMITS) -> Table:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(io.BytesIO(data))
    except (pa.ArrowException, OSError, ValueError) as error:
        raise DataError(f"{name} cannot be read as Parquet (damaged or truncated?): "
                        f"{_error_text(error)}") from None
    nested = [f"{column.name} ({column.type})" for column in schema
              if _nested_arrow_type(column.type)]
    if nested:
        raise DataError(
            f"{name} has columns of lists, structures or binary data, which hold no single "
            f"answer: {', '.join(nested)}. Write one answer per column (a multi-select as its "
            "codes separated by spaces, or one 0/1 column per choice)."
        )
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except (pa.ArrowException, OSError, ValueError) as error:
        raise DataError(f"{name} cannot be read as Parquet (damaged or truncated?): "
                        f"{_error_text(error)}") from None
    headers = [str(column) for column in frame.columns]
    frame = frame.reset_index(drop=True)
    frame.columns = range(len(headers))
    numbers = np.arange(1, len(frame) + 1)
    return _table(name, headers, text_frame(frame), numbers, row_kind="record", limits=limits)


def _nested_arrow_type(arrow_type) -> bool:
    import pyarrow.types as kinds

    if kinds.is_list(arrow_type) or kinds.is_large_list(arrow_type):
        return not (kinds.is_string(arrow_type.value_type)
                    or kinds.is_large_string(arrow_type.value_type))
    return (kinds.is_struct(arrow_type) or kinds.is_map(arrow_type)
            or kinds.is_binary(arrow_type) or kinds.is_large_binary(arrow_type)
            or kinds.is_fixed_size_list(arrow_type) or kinds.is_union(arrow_type))


# ------------------------------------------------------------------------- helpers


def _table(name, headers, cells, rows, row_kind="row", positions=None,
           limits: ReadLimits = DEFAULT_LIMITS, text: str | None = None) -> Table:
    """The `Table` of a file's header and cells, cleaned and checked (see the module docs).

    `text`, the file's whole text when it has one, lets a large CSV skip the cell checks that
    cannot find anything in it.
    """
    headers = [str(header).strip().removeprefix("\ufeff") for header in headers]
    if not headers or not any(headers):
        raise DataError(f"{name} has no header row: its first row must name the columns.")
    rows = np.asarray(rows, dtype=int)
    positions = list(range(len(headers))) if positions is None else list(positions)
    if text is None or SHOWING_NOTHING.search(text):
        cells = _no_answer_if_invisible(cells)
    # Columns with neither a header nor a value are formatting, not data (a CSV ending in
    # ",,", a sheet's formatted empty header cells).
    keep = [column for column, header in enumerate(headers)
            if header or (cells[column] != "").any()]
    if len(keep) < len(headers):
        headers = [headers[column] for column in keep]
        positions = [positions[column] for column in keep]
        cells = cells[keep].set_axis(range(len(keep)), axis=1)
    # Blank rows (blank lines, rows of empty cells) are skipped; the others keep their numbers.
    filled = (cells != "").any(axis=1).to_numpy() if len(cells.columns) else np.zeros(len(rows),
                                                                                      dtype=bool)
    if not filled.all():
        cells = cells[filled].reset_index(drop=True)
        rows = rows[filled]
    table = Table(name, headers, cells, rows, row_kind,
                  None if positions == list(range(len(headers))) else positions)
    if text is None or len(text) > limits.max_cell_chars:
        _refuse_long_cells(table, limits)
    return table


def _no_answer_if_invisible(cells: pd.DataFrame) -> pd.DataFrame:
    """Text made only of spaces and invisible characters becomes "" (no answer)."""
    changed = False
    starts = list(INVISIBLE_CHARS)
    for column in cells.columns:
        values = cells[column]
        # only text starting with an invisible character can be all invisible: a vectorised
        # test first, the pattern on those few
        candidates = values[values.str.slice(0, 1).isin(starts).to_numpy(dtype=bool)]
        if candidates.empty:
            continue
        blank = candidates[[INVISIBLE.fullmatch(text) is not None for text in candidates]]
        if len(blank):
            if not changed:
                cells, changed = cells.copy(), True
            cells.loc[blank.index, column] = ""
    return cells


def _refuse_long_cells(table: Table, limits: ReadLimits) -> None:
    """Refuse, with their places, cells too long to be an answer. (Control characters such
    as NUL are the answer checker's: it refuses them in every way answers come in.)"""
    problems = []
    header_where = ({"line": 1} if table.row_kind == "row" and table.rows.size == 0 else {})
    for column, header in enumerate(table.headers):
        name = header or f"column {table.letter(column)}"
        if len(header) > limits.max_cell_chars:
            problems.append(Problem(
                f"a column name of {len(header):,} characters", file=table.file,
                column=table.letter(column), value=header, **header_where,
                expected=f"at most {limits.max_cell_chars:,} characters (--max-cell)"))
            name = f"column {table.letter(column)}"
        values = table.cells[column]
        lengths = values.str.len().to_numpy(dtype=float, na_value=0)
        for position in np.flatnonzero(lengths > limits.max_cell_chars):
            problems.append(Problem(
                f"a cell of {int(lengths[position]):,} characters", file=table.file,
                row=int(table.rows[position]), column=name, value=values.iat[position],
                expected=f"at most {limits.max_cell_chars:,} characters (raise with --max-cell)"))
    if problems:
        problems.sort(key=lambda problem: problem.row or 0)
        raise DataError(f"{table.file} has cells that cannot be imported", _listed(problems))


def _listed(problems: list[Problem]) -> list[Problem]:
    """At most LISTED_PROBLEMS problems, then one saying how many more there are."""
    if len(problems) <= LISTED_PROBLEMS:
        return problems
    rest = len(problems) - LISTED_PROBLEMS
    return problems[:LISTED_PROBLEMS] + [Problem(f"and {plural(rest, 'more problem')} of "
                                                 "these kinds", file=problems[0].file)]


def text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as text: whole numbers without ".0", dates in ISO 8601, "" where missing."""
    return pd.DataFrame({column: text_column(frame[column]) for column in frame.columns},
                        index=frame.index)


def text_column(values: pd.Series) -> pd.Series:
    types = pd.api.types
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        values = values.astype(object)
        dtype = values.dtype
    if types.is_bool_dtype(dtype):
        text = values.map({True: "true", False: "false"}).astype("str")
    elif types.is_integer_dtype(dtype):
        text = values.astype("str")
    elif types.is_float_dtype(dtype):
        numbers = values.astype("float64")
        whole = np.isfinite(numbers) & (numbers % 1 == 0) & (numbers.abs() < 2**53)
        text = numbers.astype("str")
        text = text.where(~whole, numbers.where(whole, 0).astype("int64").astype("str"))
    elif types.is_datetime64_any_dtype(dtype):
        text = pd.Series(values.map(_cell_text), index=values.index, dtype="str")
    elif types.is_string_dtype(dtype) and types.infer_dtype(values, skipna=True) in (
        "string", "empty"
    ):
        text = values.astype("str")
    else:
        # objects of mixed kinds, as Excel and JSON give them: one conversion per cell
        text = pd.Series(values.map(_cell_text), index=values.index, dtype="str")
    return text.fillna("")


def _cell_text(value) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, datetime | pd.Timestamp):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list | tuple):
        return " ".join(_cell_text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def excel_column(position: int) -> str:
    """The spreadsheet letter of a 0-based column position: 0 -> A, 27 -> AB."""
    letters = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _text_types() -> dict:
    import pyarrow as pa

    return {pa.string(): pd.StringDtype("pyarrow", na_value=np.nan),
            pa.large_string(): pd.StringDtype("pyarrow", na_value=np.nan)}
