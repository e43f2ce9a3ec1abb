"""Benchmark: reading workbooks whose formatting claims far more than their data holds.

    python benchmarks/bench_hostile_sheets.py

Three workbooks hold the same two rows: a clean one (the baseline), one with a stray value in
column XFD (the last Excel column), and one with 1,048,000 formatted blank rows and a
dimension tag claiming A1:XFD1048000. Each is read with `read_table`, best of three; the
used range is what holds data, so the hostile ones should cost seconds at most, not minutes.
"""

from __future__ import annotations

import io
import re
import tempfile
import time
import zipfile
from pathlib import Path

from dmsurvey.store.readers import read_table

BLANK_ROWS = 1_048_000


def clean_workbook(stray_far_right: bool = False) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["response_id", "industry"])
    sheet.append(["r1", "other"])
    if stray_far_right:
        sheet["XFD2"] = "oops"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def blank_rows_workbook() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(clean_workbook()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                rows = b"".join(b'<row r="%d" s="1" customFormat="1"/>' % number
                                for number in range(3, BLANK_ROWS + 1))
                content = content.replace(b"</sheetData>", rows + b"</sheetData>")
                content = re.sub(rb'<dimension ref="[^"]+"/>',
                                 b'<dimension ref="A1:XFD%d"/>' % BLANK_ROWS, content)
            target.writestr(info.filename, content)
    return out.getvalue()


def best_of_three(path: Path) -> float:
    times = []
    for _ in range(3):
        started = time.perf_counter()
        read_table(path)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        cases = {
            "clean (baseline)": clean_workbook(),
            "value in column XFD": clean_workbook(stray_far_right=True),
            f"{BLANK_ROWS:,} blank rows": blank_rows_workbook(),
        }
        baseline = None
        for label, content in cases.items():
            path = Path(folder) / "sheet.xlsx"
            path.write_bytes(content)
            seconds = best_of_three(path)
            baseline = baseline or seconds
            print(f"{label:<24} {len(content) / 1e6:6.2f} MB  {seconds:7.3f} s  "
                  f"{seconds / baseline:8.1f}x")


if __name__ == "__main__":
    main()
