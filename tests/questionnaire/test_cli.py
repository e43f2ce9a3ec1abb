"""`dmsurvey questionnaire list | show | validate`."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from dmsurvey.cli import app
from dmsurvey.questionnaire.loader import load_questionnaire

runner = CliRunner()


def invoke(*arguments: str):
    return runner.invoke(app, ["questionnaire", *arguments], env={"COLUMNS": "200"})


def test_list_shows_the_bundled_questionnaires():
    result = invoke("list", "--lang", "en")
    assert result.exit_code == 0, result.output
    bundled = load_questionnaire("sme-digital-2020")
    row = next(line for line in result.output.splitlines() if "sme-digital-2020" in line)
    assert bundled.title["en"] in row
    assert bundled.version in row
    assert str(len(bundled.answerable)) in row.split()


def test_show_prints_a_codebook(survey_file):
    result = invoke("show", str(survey_file), "--lang", "en")
    assert result.exit_code == 0, result.output
    output = result.output
    for expected in (
        "Firm survey",
        "Basic information",
        "mfg_subsector",
        "select_one",
        "Manufacturing sub-sector",
        "pharma",
        "asked if ${industry} = 'manufacturing'",
        "check . >= 0",
        "Cannot be negative",
        "unit: persons",
        "(exclusive)",
        "technology",
        "big_data 50",
        "Basic 0–50",
    ):
        assert expected in output, expected
    assert "制造业" not in output


def test_show_in_chinese_and_by_bundled_name(survey_file):
    chinese = invoke("show", str(survey_file), "--lang", "zh")
    assert "制造业细分行业" in chinese.output
    bundled = invoke("show", "sme-digital-2020")
    assert bundled.exit_code == 0
    assert "mfg_subsector" in bundled.output and "tech_used" in bundled.output


def test_validate_a_valid_file(survey_file):
    result = invoke("validate", str(survey_file))
    assert result.exit_code == 0
    assert result.output.strip() == (
        f"{survey_file} is valid: firm-survey 1.0, 3 sections, 12 questions, "
        "1 scoring dimension, languages zh, en"
    )


@pytest.mark.parametrize("command", ["show", "validate"])
def test_missing_files_exit_1_with_a_message(command, tmp_path):
    missing = tmp_path / "absent.yaml"
    completed = subprocess.run(
        [sys.executable, "-m", "dmsurvey", "questionnaire", command, str(missing)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert f"questionnaire file not found: {missing}" in completed.stderr


def test_every_command_has_help_with_an_example():
    for command in ("list", "show", "validate"):
        result = invoke(command, "--help")
        assert result.exit_code == 0
        assert f"dmsurvey questionnaire {command}" in result.output
