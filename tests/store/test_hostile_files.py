"""Files from other tools, half-copied spreadsheets and damaged downloads: every one is either
read correctly or refused with one message naming the file and the place; none is half stored."""

from __future__ import annotations

import io
import json
import zipfile

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dmsurvey.errors import DataError, Problem
from dmsurvey.store.importing import import_files
from dmsurvey.store.readers import ReadLimits, read_table

HEADER = ["response_id", "firm_name", "industry", "employees_2019"]
ROWS = [["r1", "甲公司", "other", "120"], ["r2", "乙科技", "software_it", "15"],
        ["r3", "Acme", "other", "40"]]


def csv_bytes(rows=ROWS, header=HEADER, newline="\n") -> bytes:
    lines = [",".join(header)] + [",".join(row) for row in rows]
    return (newline.join(lines) + newline).encode("utf-8")


def workbook_bytes(rows=ROWS, header=HEADER, edit=None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append([int(v) if v.isdigit() else v for v in row])
    if edit:
        edit(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewrite_member(data: bytes, member: str, change) -> bytes:
    """The same zip with one member's bytes changed (as another program might write it)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == member:
                content = change(content)
            target.writestr(info.filename, content)
    return out.getvalue()


def refused(study, tmp_path, name, content) -> DataError:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError) as caught:
        import_files(study, [path])
    assert study.response_ids() == []
    assert name in str(caught.value)
    return caught.value


def imported(study, tmp_path, name, content) -> pd.DataFrame:
    path = tmp_path / name
    path.write_bytes(content)
    import_files(study, [path])
    return study.responses().set_index("response_id")


# ---------------------------------------------------------------- damaged workbooks


def test_a_workbook_with_flipped_bytes_is_refused_naming_the_file(study, tmp_path):
    data = bytearray(workbook_bytes())
    sheet_at = data.find(b"xl/worksheets/sheet1.xml") + 60
    for offset in range(sheet_at, sheet_at + 40, 3):
        data[offset] ^= 0xFF
    error = refused(study, tmp_path, "flipped.xlsx", bytes(data))
    assert "Traceback" not in str(error)


def test_a_sheet_cut_in_half_is_refused(study, tmp_path):
    data = rewrite_member(workbook_bytes(), "xl/worksheets/sheet1.xml",
                          lambda xml: xml[: len(xml) // 2])
    refused(study, tmp_path, "half.xlsx", data)


def test_a_nul_character_reference_in_a_sheet_is_refused(study, tmp_path):
    data = rewrite_member(workbook_bytes(), "xl/worksheets/sheet1.xml",
                          lambda xml: xml.replace(b"<v>120</v>", b"<v>1&#0;20</v>"))
    refused(study, tmp_path, "nul-ref.xlsx", data)


def test_a_formula_without_a_saved_result_is_refused_with_its_cell(study, tmp_path):
    def formula(sheet):
        sheet["D2"] = "=10*12"  # openpyxl saves no result: Excel computes it on opening

    error = refused(study, tmp_path, "formula.xlsx", workbook_bytes(edit=formula))
    assert any(p.row == 2 and p.column == "employees_2019" for p in error.problems)
    assert "formula" in str(error)


def test_a_stray_value_in_the_last_excel_column_is_one_problem(study, tmp_path):
    def stray(sheet):
        sheet["XFD3"] = "oops"

    error = refused(study, tmp_path, "stray.xlsx", workbook_bytes(edit=stray))
    assert len(error.problems) == 1
    assert "column XFD" in str(error.problems[0])


def test_formatted_empty_header_cells_are_ignored(study, tmp_path):
    def formatted(sheet):
        for column in "EFGH":
            sheet[f"{column}1"].font = openpyxl.styles.Font(bold=True)
            sheet[f"{column}1"].value = ""

    stored = imported(study, tmp_path, "formatted.xlsx", workbook_bytes(edit=formatted))
    assert stored.loc["r2", "employees_2019"] == 15


def test_a_sheet_whose_dimension_claims_a_million_rows_reads_only_what_holds_data(tmp_path):
    def blank_rows(xml: bytes) -> bytes:
        rows = b"".join(b'<row r="%d" s="1" customFormat="1"/>' % n for n in range(5, 20_005))
        xml = xml.replace(b'<dimension ref="A1:D4"/>', b'<dimension ref="A1:XFD1048576"/>')
        return xml.replace(b"</sheetData>", rows + b"</sheetData>")

    path = tmp_path / "blank.xlsx"
    path.write_bytes(rewrite_member(workbook_bytes(), "xl/worksheets/sheet1.xml", blank_rows))
    table = read_table(path)
    assert table.headers == HEADER
    assert table.rows.tolist() == [2, 3, 4]
    assert len(table.cells.columns) == 4


# ------------------------------------------------------------------------- CSV text


def test_a_csv_ending_in_empty_columns_is_read(study, tmp_path):
    lines = [",".join(HEADER) + ",,"] + [",".join(row) + ",," for row in ROWS]
    stored = imported(study, tmp_path, "trailing.csv", ("\n".join(lines) + "\n").encode())
    assert stored.loc["r1", "firm_name"] == "甲公司"


@pytest.mark.parametrize("encoding", ["utf-32", "utf-16"])
def test_utf32_and_utf16_csv_are_read(study, tmp_path, encoding):
    content = csv_bytes().decode("utf-8").encode(encoding)
    stored = imported(study, tmp_path, f"{encoding}.csv", content)
    assert stored.loc["r3", "firm_name"] == "Acme"


def test_a_csv_with_old_mac_line_endings_is_read(study, tmp_path):
    stored = imported(study, tmp_path, "cr.csv", csv_bytes(newline="\r"))
    assert stored.loc["r2", "industry"] == "software_it"
    assert len(stored) == 3


def test_an_unclosed_quote_is_reported_with_the_line_where_it_opened(study, tmp_path):
    rows = [["r1", '"甲公司', "manufacturing", "120"]] + ROWS[1:]
    error = refused(study, tmp_path, "quote.csv", csv_bytes(rows))
    assert "quote" in str(error)
    assert any(p.line == 2 for p in error.problems)


def test_nul_bytes_in_a_cell_are_refused_with_their_place(study, tmp_path):
    padding = [[f"p{n}", "firm", "other", "1"] for n in range(5000)]  # NUL past the first 64 KiB
    rows = padding + [["r1", "Ac\x00me", "other", "3"]]
    error = refused(study, tmp_path, "nul.csv", csv_bytes(rows))
    problem = next(p for p in error.problems if p.column == "firm_name")
    assert problem.row == 5002


def test_a_huge_header_is_refused_in_a_short_message(study, tmp_path):
    content = ("x" * (1 << 20) + ",industry\nvalue,other\n").encode()
    error = refused(study, tmp_path, "wide.csv", content)
    assert len(str(error)) < 1000


def test_a_huge_bad_cell_is_shortened_in_the_message(study, tmp_path):
    rows = [["r1", "Acme", "other", "9" * 20_000 + "x"]]
    error = refused(study, tmp_path, "long.csv", csv_bytes(rows))
    assert len(str(error)) < 1000


def test_long_values_are_shortened_in_any_problem():
    text = str(Problem("not a number", file="f.csv", row=2, column="c", value="y" * 100_000))
    assert len(text) < 400 and "characters" in text


@pytest.mark.parametrize("text", ["\u200b", "\ufeff", " \u200d\u2060 "])
def test_invisible_only_text_is_no_answer(study, tmp_path, text):
    rows = [["r1", text, "other", "3"]]
    stored = imported(study, tmp_path, "invisible.csv", csv_bytes(rows))
    assert pd.isna(stored.loc["r1", "firm_name"])


# ----------------------------------------------------------------------------- JSON


def test_a_lone_surrogate_in_json_is_refused_with_its_place(study, tmp_path):
    content = b'[{"response_id": "r1", "firm_name": "A\\ud800", "industry": "other"}]'
    error = refused(study, tmp_path, "surrogate.json", content)
    assert any(p.row == 1 and p.column == "firm_name" for p in error.problems)


def test_json_nested_fifty_thousand_deep_is_refused(study, tmp_path):
    refused(study, tmp_path, "deep.json", b"[" * 50_000 + b"]" * 50_000)


def test_an_object_as_a_firm_name_is_refused_with_its_place(study, tmp_path):
    content = json.dumps([{"response_id": "r1", "firm_name": {"zh": "甲"}, "industry": "other"},
                          {"response_id": "r2", "firm_name": ["甲", ["乙"]],
                           "industry": "other"}]).encode()
    error = refused(study, tmp_path, "nested.json", content)
    assert {(p.row, p.column) for p in error.problems} >= {(1, "firm_name"), (2, "firm_name")}


# -------------------------------------------------------------------- Parquet, ZIP


def parquet_bytes(table: pa.Table) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def test_a_decimal_parquet_column_is_read(study, tmp_path):
    from decimal import Decimal

    table = pa.table({"response_id": ["r1"], "industry": ["other"],
                      "revenue_2019": pa.array([Decimal("1234.50")], pa.decimal128(10, 2))})
    stored = imported(study, tmp_path, "decimal.parquet", parquet_bytes(table))
    assert stored.loc["r1", "revenue_2019"] == 1234.5


def test_a_parquet_list_column_is_named_as_such(study, tmp_path):
    table = pa.table({"response_id": ["r1"], "industry": ["other"],
                      "employees_2019": pa.array([[1, 2]], pa.list_(pa.int64()))})
    error = refused(study, tmp_path, "lists.parquet", parquet_bytes(table))
    assert "damaged" not in str(error)
    assert "list" in str(error) and "employees_2019" in str(error)


def test_a_damaged_odk_zip_is_refused(study, tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Form.csv", csv_bytes() * 50)
    data = bytearray(out.getvalue())
    for offset in range(40, 80, 2):
        data[offset] ^= 0x55
    refused(study, tmp_path, "odk.zip", bytes(data))


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Form.csv", b"a,b\n" + b"0,1\n" * (1 << 20))
    assert path.stat().st_size < 100_000
    with pytest.raises(DataError, match="unpack") as caught:
        read_table(path, limits=ReadLimits(max_unpacked_mb=2))
    assert "--max-mb" in str(caught.value)
    assert len(read_table(path, limits=ReadLimits(max_unpacked_mb=8)).cells) == 1 << 20


def test_a_file_over_the_size_limit_is_refused_with_the_option_to_raise_it(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"industry\n" + b"other\n" * 400_000)
    with pytest.raises(DataError, match="--max-mb"):
        read_table(path, limits=ReadLimits(max_file_mb=1))


def test_an_archive_member_packed_a_thousandfold_is_refused_as_a_zip_bomb(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b" " * (40 << 20))
    with pytest.raises(DataError, match="zip bomb"):
        read_table(path)


def test_the_limits_are_options_of_import(study, tmp_path):
    from typer.testing import CliRunner

    from dmsurvey.cli import app

    path = tmp_path / "long.csv"
    path.write_bytes(csv_bytes([["r1", "A" * 50, "other", "3"]]))
    refused_run = CliRunner().invoke(app, ["import", str(study.path), str(path),
                                           "--max-cell", "10"])
    assert refused_run.exit_code == 1 and "at most 10 characters" in str(refused_run.exception)
    assert study.response_ids() == []
    accepted = CliRunner().invoke(app, ["import", str(study.path), str(path), "--max-cell", "60"])
    assert accepted.exit_code == 0, accepted.output
    assert study.response_ids() == ["r1"]


def test_a_json_list_is_a_multiple_choice_answer_and_nothing_else(study, tmp_path):
    content = json.dumps([{"response_id": "r1", "firm_name": ["甲", "乙"], "industry": "other",
                           "tech_used": ["ai", "big_data"]}]).encode()
    error = refused(study, tmp_path, "list.json", content)
    assert [(p.row, p.column) for p in error.problems] == [(1, "firm_name")]
    content = json.dumps([{"response_id": "r1", "firm_name": "甲", "industry": "other",
                           "tech_used": ["ai", "big_data"]}]).encode()
    stored = imported(study, tmp_path, "list-ok.json", content)
    assert stored.loc["r1", "tech_used"] == "big_data ai"  # in the order of the choices
