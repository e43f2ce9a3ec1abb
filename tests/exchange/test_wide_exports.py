"""Exports wider than the programs' limits: Excel's 16,384 columns a sheet, Stata's variables."""

from __future__ import annotations

import pandas as pd
from openpyxl import load_workbook

from dmsurvey.questionnaire.loader import load_questionnaire
from dmsurvey.store.exporting import EXCEL_MAX_COLUMNS, write_responses


def test_excel_splits_columns_over_sheets_that_join_on_response_id(tmp_path):
    width = EXCEL_MAX_COLUMNS + 40  # response_id and 16,423 answers
    frame = pd.DataFrame({
        "response_id": ["r1", "r2"],
        **{f"q{number:05d}": [number, f"={number}"] for number in range(1, width)},
    })
    path = tmp_path / "wide.xlsx"
    result = write_responses(frame, path, questionnaire=load_questionnaire("sme-digital-2020"))
    assert result.notes == (
        f"Excel: {width:,} columns are more than a sheet holds (16,384); the data continue "
        "on sheets data_2, each starting with response_id.",
    )
    workbook = load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["data", "data_2", "codebook"]
    first = list(workbook["data"].iter_rows(values_only=True))
    second = list(workbook["data_2"].iter_rows(values_only=True))
    assert len(first[0]) == EXCEL_MAX_COLUMNS
    assert second[0] == ("response_id", *(f"q{n:05d}" for n in range(EXCEL_MAX_COLUMNS, width)))
    assert [row[0] for row in second] == ["response_id", "r1", "r2"]
    # every column once, in order, values intact (text that looks like a formula stays text)
    joined = list(first[0]) + list(second[0][1:])
    assert joined == list(frame.columns)
    assert second[1][-1] == width - 1 and second[2][-1] == f"={width - 1}"
