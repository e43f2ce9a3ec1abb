"""Files that are not XLSForms get one plain message and exit code 1, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from dmsurvey.cli import app
from dmsurvey.errors import QuestionnaireError
from dmsurvey.questionnaire.xlsform import convert_xlsform

WHAT_AN_XLSFORM_IS = "an XLSForm is an Excel workbook with survey and choices sheets"


def _response_csv(folder):
    path = folder / "good.csv"
    path.write_text(
        "response_id,firm_name,industry\nr-1,Huaxin Tools,manufacturing\n", encoding="utf-8"
    )
    return path


def _binary_csv(folder):
    path = folder / "binary.csv"
    path.write_bytes(bytes(range(128, 256)) * 3)
    return path


def _empty_csv(folder):
    path = folder / "empty.csv"
    path.write_bytes(b"")
    return path


def _renamed_binary(folder):
    path = folder / "fake.xlsx"
    path.write_bytes(bytes(range(128, 256)) * 3)
    return path


def _workbook_without_survey(folder):
    path = folder / "answers.xlsx"
    workbook = Workbook()
    workbook.active.title = "responses"
    workbook.create_sheet("codes")
    workbook.save(path)
    return path


# case -> (how to make the file, why it is not an XLSForm)
CASES = {
    "response csv": (_response_csv, "it has no 'survey' sheet"),
    "binary csv": (_binary_csv, "it is neither an Excel workbook nor a text file"),
    "empty csv": (_empty_csv, "the file is empty"),
    "renamed binary": (
        _renamed_binary,
        "its content is not an Excel workbook, although its name ends in .xlsx",
    ),
    "workbook without survey": (
        _workbook_without_survey,
        "it has no 'survey' sheet; its sheets are responses, codes",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_convert_says_why_the_file_is_not_an_xlsform(case, tmp_path):
    make, reason = CASES[case]
    path = make(tmp_path)
    result = CliRunner().invoke(app, ["questionnaire", "convert", str(path)])
    assert result.exit_code == 1
    assert isinstance(result.exception, QuestionnaireError)
    message = str(result.exception)
    assert message == f"{path} is not an XLSForm: {reason} ({WHAT_AN_XLSFORM_IS})"
    assert not path.with_suffix(".yaml").exists()


@pytest.mark.parametrize("case", ["response csv", "binary csv", "empty csv", "renamed binary"])
def test_convert_in_a_real_shell_prints_one_line_and_exits_1(case, tmp_path):
    make, reason = CASES[case]
    path = make(tmp_path)
    completed = subprocess.run(
        [sys.executable, "-m", "dmsurvey", "questionnaire", "convert", path.name],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr + completed.stdout
    assert completed.stderr.startswith(f"Error: {path.name} is not an XLSForm: {reason} (")
    assert len(completed.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["show", "validate"])
def test_show_and_validate_say_the_same_of_a_response_csv(command, tmp_path):
    path = _response_csv(tmp_path)
    result = CliRunner().invoke(app, ["questionnaire", command, str(path)])
    assert result.exit_code == 1
    message = str(result.exception) if command == "show" else result.output
    assert f"{path} is not an XLSForm: it has no 'survey' sheet" in message


def test_a_workbook_named_csv_without_survey_sheet_lists_its_sheets(tmp_path):
    path = _workbook_without_survey(tmp_path).rename(tmp_path / "answers.csv")
    with pytest.raises(QuestionnaireError) as raised:
        convert_xlsform(path)
    assert "it has no 'survey' sheet; its sheets are responses, codes" in str(raised.value)
