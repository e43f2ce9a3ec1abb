"""Write Stata .dta files (formats 118 and 119) a column at a time, in time linear in their size.

pandas' writer converts a wide frame column by column in ways that cost time in proportion
to the number of columns each, which makes a national survey's 10,000 variables take many
minutes; pyreadstat names each value label after its variable with a number added, which
Stata refuses for 32-character names, and stores every whole number as a 4-byte long. This
writer lays every variable out with numpy and writes the data block in one piece.

The layout follows Stata's description of the format (`help dta`): a header, a map of
where each part starts, the variables' types, names, formats, value-label names and labels,
the data row by row, long strings (strL) and the value labels. Format 118 holds up to
32,767 variables (Stata 14 and later); 119 up to 120,000 (Stata/MP 15 and later).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from dmsurvey.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

# Storage types of format 117 and later: 1..2045 are strings of that many bytes.
STR_MAX_BYTES = 2045
STRL, DOUBLE, LONG, INT, BYTE = 32768, 65526, 65528, 65529, 65530
# The largest value each integer type holds; the values above are Stata's missing values,
# the first of them is ".".
INTEGER_TYPES = (
    (BYTE, "<i1", -127, 100, 101, "%8.0g"),
    (INT, "<i2", -32767, 32740, 32741, "%8.0g"),
    (LONG, "<i4", -2147483647, 2147483620, 2147483621, "%12.0g"),
)
DOUBLE_MISSING = struct.unpack("<d", b"\x00\x00\x00\x00\x00\x00\xe0\x7f")[0]  # 2 ** 1023
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
# The parts of a file in order, as the map lists where each begins.
PARTS = (
    "stata_data", "map", "variable_types", "varnames", "sortlist", "formats",
    "value_label_names", "variable_labels", "characteristics", "data", "strls",
    "value_labels", "stata_data_close", "end-of-file",
)
NAME_BYTES = 129  # 32 characters of up to 4 bytes in UTF-8, and a terminating null
LABEL_BYTES = 321  # 80 characters likewise
FORMAT_BYTES = 57


@dataclass
class _Variable:
    """One variable as stored: its type code, display format and numpy cells."""

    type_code: int
    display: str
    cells: np.ndarray


def write_dta(
    data: pd.DataFrame,
    path: str | os.PathLike,
    *,
    release: int = 118,
    variable_labels: dict[str, str] | None = None,
    value_labels: dict[str, dict[int, str]] | None = None,
) -> None:
    """Write `data` to `path` as a Stata file of `release` 118 or 119.

    Columns are numbers (whole numbers take the smallest integer type that holds them,
    missing values become Stata's `.`) or text (`""` is empty; text longer than 2,045 bytes
    is a strL). Names are expected to be valid Stata names already; `variable_labels` are at
    most 80 characters, `value_labels` map whole numbers to text.
    """
    if release not in (118, 119):
        raise ValueError(f"Stata format {release} is not written; use 118 or 119")
    variable_labels = variable_labels or {}
    value_labels = value_labels or {}
    names = [str(name) for name in data.columns]
    strls: list[bytes] = []
    variables = [
        _variable(column, number, release, strls)
        for number, (_, column) in enumerate(data.items(), start=1)
    ]
    record = np.dtype({
        "names": [f"f{position}" for position in range(len(variables))],
        "formats": [variable.cells.dtype for variable in variables],
    })
    rows = np.empty(len(data), dtype=record)
    for position, variable in enumerate(variables):
        rows[f"f{position}"] = variable.cells

    count = "<H" if release == 118 else "<I"
    with open(path, "wb") as handle:
        where: dict[str, int] = {}

        def part(tag: str, content: bytes) -> None:
            where[tag] = handle.tell()
            handle.write(_tagged(tag, content))

        handle.write(b"<stata_dta>")
        handle.write(_tagged("header", _header(release, len(names), len(data))))
        where["map"] = handle.tell()
        handle.write(_tagged("map", bytes(8 * len(PARTS))))
        part("variable_types", b"".join(struct.pack("<H", v.type_code) for v in variables))
        part("varnames", b"".join(_padded(name, NAME_BYTES) for name in names))
        part("sortlist", bytes(struct.calcsize(count) * (len(names) + 1)))
        part("formats", b"".join(_padded(v.display, FORMAT_BYTES) for v in variables))
        part("value_label_names", b"".join(
            _padded(name if name in value_labels else "", NAME_BYTES) for name in names))
        part("variable_labels", b"".join(
            _padded(variable_labels.get(name, ""), LABEL_BYTES) for name in names))
        part("characteristics", b"")
        where["data"] = handle.tell()
        handle.write(b"<data>")
        handle.write(rows.tobytes())
        handle.write(b"</data>")
        part("strls", b"".join(strls))
        part("value_labels", b"".join(
            _tagged("lbl", _value_label_table(name, value_labels[name]))
            for name in names if name in value_labels))
        where["stata_data_close"] = handle.tell()
        handle.write(b"</stata_dta>")
        where["end-of-file"] = handle.tell()
        where["stata_data"] = 0
        handle.seek(where["map"])
        handle.write(_tagged("map", b"".join(struct.pack("<Q", where[tag]) for tag in PARTS)))


def _variable(column: pd.Series, number: int, release: int, strls: list[bytes]) -> _Variable:
    import pandas as pd

    if pd.api.types.is_bool_dtype(column):
        column = column.astype("Int64")
    if pd.api.types.is_numeric_dtype(column):
        return _numeric(column)
    return _text(column, number, release, strls)


def _numeric(column: pd.Series) -> _Variable:
    """Whole numbers in the smallest integer type that holds them, others as doubles."""
    import pandas as pd

    values = column.to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(values)
    if np.isinf(values).any():
        raise DataError(f"{column.name} holds an infinite number, which Stata cannot store")
    if pd.api.types.is_integer_dtype(column.dtype):
        present = values[~missing]
        low, high = (present.min(), present.max()) if len(present) else (0, 0)
        for type_code, cell_type, smallest, largest, missing_value, display in INTEGER_TYPES:
            if smallest <= low and high <= largest:
                cells = np.where(missing, missing_value, np.nan_to_num(values))
                return _Variable(type_code, display, cells.astype(cell_type))
    return _Variable(DOUBLE, "%10.0g", np.where(missing, DOUBLE_MISSING, values).astype("<f8"))


def _text(column: pd.Series, number: int, release: int, strls: list[bytes]) -> _Variable:
    """Text as fixed-width UTF-8 cells, or as strL references when a cell is too long."""
    texts = column.astype(object).where(column.notna(), "").to_numpy(dtype=str)
    encoded = np.strings.encode(texts, "utf-8")
    longest = encoded.dtype.itemsize
    if longest <= STR_MAX_BYTES:
        width = max(longest, 1)
        return _Variable(width, f"%{width}s", encoded.astype(f"S{width}"))
    # A strL cell holds where its text is: variable number v and row o, packed in 8 bytes
    # (format 118: 2 bytes of v, 6 of o; 119: 3 of v, 5 of o). An empty cell is (0, 0).
    shift = 16 if release == 118 else 24
    cells = np.zeros(len(encoded), dtype="<u8")
    for row, cell in enumerate(encoded.tolist(), start=1):
        if cell:
            cells[row - 1] = number + (row << shift)
            strls.append(b"GSO" + struct.pack("<IQBI", number, row, 130, len(cell) + 1)
                         + cell + b"\x00")
    return _Variable(STRL, "%9s", cells)


def _header(release: int, variables: int, observations: int) -> bytes:
    now = datetime.now()
    stamp = f"{now:%d} {MONTHS[now.month - 1]} {now:%Y %H:%M}".encode()
    return b"".join([
        _tagged("release", str(release).encode()),
        _tagged("byteorder", b"LSF"),
        _tagged("K", struct.pack("<H" if release == 118 else "<I", variables)),
        _tagged("N", struct.pack("<Q", observations)),
        _tagged("label", struct.pack("<H", 0)),
        _tagged("timestamp", bytes([len(stamp)]) + stamp),
    ])


def _value_label_table(name: str, labels: dict[int, str]) -> bytes:
    """A value label: its name, then the values and the offsets of their null-ended texts."""
    texts = [str(text).encode("utf-8") + b"\x00" for text in labels.values()]
    offsets = np.cumsum([0, *map(len, texts[:-1])]).astype("<i4") if texts else np.array([])
    table = (
        struct.pack("<ii", len(texts), sum(map(len, texts)))
        + np.asarray(offsets, dtype="<i4").tobytes()
        + np.array(list(labels), dtype="<i4").tobytes()
        + b"".join(texts)
    )
    return struct.pack("<i", len(table)) + _padded(name, NAME_BYTES) + bytes(3) + table


def _padded(text: str, size: int) -> bytes:
    """`text` in UTF-8, cut to leave a null at the end, then nulls up to `size` bytes."""
    encoded = text.encode("utf-8")[: size - 1]
    return encoded + bytes(size - len(encoded))


def _tagged(tag: str, content: bytes) -> bytes:
    return b"<" + tag.encode() + b">" + content + b"</" + tag.encode() + b">"
