"""Exports wider than the programs' limits: Excel's 16,384 columns a sheet, Stata's variables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from openpyxl import load_workbook

from dmsurvey.errors import DataError
from dmsurvey.questionnaire.loader import load_questionnaire
from dmsurvey.store.exporting import (
    EXCEL_MAX_COLUMNS,
    STATA_MAX_VARIABLES,
    STATA_MP_MAX_VARIABLES,
    stata_release,
    write_responses,
)


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


def test_stata_past_32767_variables_writes_a_stata_mp_file(tmp_path):
    width = STATA_MAX_VARIABLES + 33  # response_id, 32,797 numbers, a missing value, a text
    numbers = np.arange(1, width - 2)
    frame = pd.concat([
        pd.DataFrame({"response_id": ["r1", "r2"]}),
        pd.DataFrame([numbers % 90, numbers % 7], columns=[f"q{n:05d}" for n in numbers]),
        pd.DataFrame({"unanswered": pd.array([None, 3], dtype="Int64"),
                      "remarks": ["远程办公", ""]}),
    ], axis=1)
    path = tmp_path / "wide.dta"
    result = write_responses(frame, path, questionnaire=load_questionnaire("sme-digital-2020"))
    assert result.notes == (
        f"Stata: {width:,} variables are more than Stata/SE opens (32,767); the file needs "
        "Stata/MP 15 or later.",
    )
    assert path.read_bytes().startswith(b"<stata_dta><header><release>119</release>")
    with pd.io.stata.StataReader(path) as reader:
        data = reader.read()
        assert reader.variable_labels()["response_id"] == "答卷编号"
    assert list(data.columns) == list(frame.columns)
    assert data.iloc[:, 1:-2].to_numpy().tolist() == [list(numbers % 90), list(numbers % 7)]
    assert pd.isna(data["unanswered"][0]) and data["unanswered"][1] == 3
    assert data["remarks"].tolist() == ["远程办公", ""]
    # ReadStat, which R's haven also reads with, agrees
    some, _ = pyreadstat.read_dta(path, usecols=["response_id", "q32797", "unanswered"])
    assert some["response_id"].tolist() == ["r1", "r2"] and some["q32797"].tolist() == [37, 2]
    assert pd.isna(some["unanswered"][0]) and some["unanswered"][1] == 3


def test_stata_formats_by_width_and_the_refusal_past_stata_mp():
    assert stata_release(STATA_MAX_VARIABLES) == 118
    assert stata_release(STATA_MAX_VARIABLES + 1) == 119
    assert stata_release(STATA_MP_MAX_VARIABLES) == 119
    with pytest.raises(DataError, match=r"120,001 variables do not fit in a Stata file "
                       r"\(at most 120,000\); export to \.sav, \.parquet or \.csv instead"):
        stata_release(STATA_MP_MAX_VARIABLES + 1)
