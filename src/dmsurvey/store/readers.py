"""Read response files (CSV, Excel, JSON, Parquet) into a grid of text cells.

Every reader returns a `Table`: the header texts exactly as written (repeats included), the
cells as text (`""` where empty) and, for each data row, the row number a user sees: in a CSV
or Excel file the spreadsheet row (the header is row 1), in JSON or Parquet the record number.
Nothing is interpreted here (codes, numbers, labels are the importer's business); what cannot
be read at all (a binary file, a wrong encoding, ragged or truncated rows, a damaged workbook)
raises a `DataError` that says what is wrong, where, and what to do.

CSV files are parsed by pyarrow, which is fast and strict about the number of cells in a row;
only a file it refuses is read again row by row, to say exactly which rows are wrong.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd

from dmsurvey.errors import DataError, Problem
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


@dataclass
class Table:
    """A file's cells as text, before any interpretation."""

    file: str
    headers: list[str]
    cells: pd.DataFrame  # columns 0..n-1 in file order, "" where empty
    rows: np.ndarray  # the row number a user sees, one per row of `cells`
    row_kind: str = "row"  # "row" (spreadsheet row, header = 1) or "record"


def read_table(
    path: str | os.PathLike, *, encoding: str | None = None, sheet: str | None = None
) -> Table:
    """Read one response file; the file extension says how."""
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
    data = path.read_bytes()
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise DataError(f"{name} is empty: it has no content to import.")
    if suffix in CSV_SUFFIXES:
        return _read_csv(name, data, encoding)
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(name, data, sheet)
    if suffix in OLD_EXCEL_SUFFIXES:
        return _read_old_excel(name, data, sheet)
    if suffix in JSON_SUFFIXES:
        return _read_json(name, data, encoding, lines=suffix != ".json")
    if suffix in ZIP_SUFFIXES:
        return _read_zip(name, data, encoding)
    return _read_parquet(name, data)


# ----------------------------------------------------------------------------- CSV


def decode(name: str, data: bytes, encoding: str | None) -> tuple[str, str]:
    """(text, encoding used). Without `encoding`: UTF-8 (with or without BOM), else GB18030."""
    if encoding is None:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
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


def _read_csv(name: str, data: bytes, encoding: str | None) -> Table:
    text, used = decode(name, data, encoding)
    first_line = text[: text.find("\n")] if "\n" in text else text
    delimiter = max(DELIMITERS, key=first_line.count)
    if not first_line.count(delimiter):
        delimiter = ","
    headers = next(csv.reader(io.StringIO(first_line), delimiter=delimiter))
    utf8 = data.removeprefix(b"\xef\xbb\xbf") if used == "utf-8" else text.encode("utf-8")
    fast = _parse_csv_fast(utf8, len(headers), delimiter)
    if fast is not None:
        cells, rows = fast, np.arange(2, len(fast) + 2)
    else:
        cells, rows = _parse_csv_carefully(name, text, len(headers), delimiter)
    return _table(name, headers, cells, rows)


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
    try:
        for number, record in enumerate(reader, start=1):
            if number == 1 or not any(cell.strip() for cell in record):
                continue
            if len(record) != width:
                ragged.append((number, len(record)))
                continue
            records.append(record)
            numbers.append(number)
    except csv.Error as error:
        problems.append(Problem(
            f"the file cannot be read beyond this row ({error}): it may be truncated, or a "
            "quote is never closed", file=name, row=number + 1,
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


def _read_zip(name: str, data: bytes, encoding: str | None) -> Table:
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
            content = archive.read(main[0])
    except (zipfile.BadZipFile, OSError) as error:
        raise DataError(f"{name} cannot be read as a zip archive (damaged or truncated?): "
                        f"{error}") from None
    return _read_csv(f"{name}:{main[0]}", content, encoding)


# --------------------------------------------------------------------------- Excel


def _read_excel(name: str, data: bytes, sheet: str | None) -> Table:
    from zipfile import BadZipFile

    import openpyxl

    if not data.startswith(b"PK\x03\x04"):
        raise DataError(
            f"{name} is not an Excel .xlsx workbook (an .xlsx file is a zip archive; this one is "
            "not). If it is a CSV file, rename it to .csv."
        )
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as error:
        raise DataError(f"{name} cannot be read as an Excel workbook (damaged or truncated?): "
                        f"{error}") from None
    try:
        worksheet = workbook.worksheets[_sheet_index(name, workbook.sheetnames, sheet)]
        rows = iter(worksheet.iter_rows(values_only=True))
        header = next(rows, None)
        records, numbers = [], []
        # blank rows are left out here already: a formatted sheet may report a million of them
        for number, record in enumerate(rows, start=2):
            if any(value is not None and str(value).strip() for value in record):
                records.append(record)
                numbers.append(number)
    finally:
        workbook.close()
    if header is None:
        raise DataError(f"{name}: the sheet {worksheet.title!r} is empty.")
    return _sheet_table(name, header, records, numbers)


def _sheet_table(name: str, header, records: list, numbers: list[int]) -> Table:
    """A sheet's header row and data rows (cell values, rows of any length) as a `Table`."""
    width = max([len(header)] + [len(record) for record in records])
    headers = [_cell_text(value) for value in header] + [""] * (width - len(header))
    frame = pd.DataFrame([tuple(r) + (None,) * (width - len(r)) for r in records],
                         columns=range(width), dtype=object)
    return _table(name, headers, text_frame(frame), np.array(numbers, dtype=int))


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


def _read_old_excel(name: str, data: bytes, sheet: str | None) -> Table:
    """An old Excel .xls workbook, read with xlrd (dates become ISO 8601 text)."""
    import xlrd

    if data.startswith(b"PK\x03\x04"):
        raise DataError(f"{name} is an .xlsx workbook with an .xls name: rename it to .xlsx.")
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<":
        raise DataError(f"{name} is a web page (HTML) with an .xls name: open it in Excel or WPS "
                        "and save it as .xlsx, then import that file.")
    if not data.startswith(b"\xd0\xcf\x11\xe0"):
        # some platforms write tab-separated text under an .xls name
        return _read_csv(name, data, None)
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
    return _sheet_table(name, records[0], records[1:], list(range(2, len(records) + 1)))


# ---------------------------------------------------------------------------- JSON


def _read_json(name: str, data: bytes, encoding: str | None, *, lines: bool) -> Table:
    text, _ = decode(name, data, encoding)
    parsed = _json_lines(name, text) if lines else _json_value(name, text, 0)
    records = _json_records(parsed)
    if records is None or not all(isinstance(r, dict) for r in records):
        raise DataError(
            f"{name}: expected a list of responses, each an object of column: value "
            '(for example [{"response_id": "...", "industry": "manufacturing"}])'
        )
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    headers = [str(column) for column in frame.columns]
    frame.columns = range(len(headers))
    numbers = np.arange(1, len(frame) + 1)
    return _table(name, headers, text_frame(frame), numbers, row_kind="record")


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


def _read_parquet(name: str, data: bytes) -> Table:
    import pyarrow as pa

    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except (pa.ArrowException, OSError, ValueError) as error:
        raise DataError(f"{name} cannot be read as Parquet (damaged or truncated?): {error}") \
            from None
    headers = [str(column) for column in frame.columns]
    frame = frame.reset_index(drop=True)
    frame.columns = range(len(headers))
    numbers = np.arange(1, len(frame) + 1)
    return _table(name, headers, text_frame(frame), numbers, row_kind="record")


# ------------------------------------------------------------------------- helpers


def _table(name, headers, cells, rows, row_kind="row") -> Table:
    headers = [str(header).strip().removeprefix("\ufeff") for header in headers]
    if not headers or not any(headers):
        raise DataError(f"{name} has no header row: its first row must name the columns.")
    rows = np.asarray(rows, dtype=int)
    # Blank rows (blank lines, rows of empty cells) are skipped; the others keep their numbers.
    filled = (cells != "").any(axis=1).to_numpy() if len(cells.columns) else np.zeros(len(rows),
                                                                                      dtype=bool)
    if not filled.all():
        cells = cells[filled].reset_index(drop=True)
        rows = rows[filled]
    return Table(name, headers, cells, rows, row_kind)


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
