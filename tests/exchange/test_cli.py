"""The export, template, merge and reconcile commands, run as a user runs them."""

from __future__ import annotations

import subprocess
import sys

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from dmsurvey.cli import app

runner = CliRunner()


@pytest.fixture
def study_with_firms(small_study):
    for enumerator, answers, status in [
        ("Li", {"firm_name": "上海甲", "industry": "manufacturing", "employees_2019": 120,
                "remarks": "=1+1"}, "complete"),
        ("Li", {"firm_name": "乙", "industry": "other"}, "in_progress"),
        ("Wang", {"firm_name": "丙", "industry": "software_it"}, "void"),
    ]:
        response_id = small_study.start_response(enumerator=enumerator)
        for question, value in answers.items():
            small_study.save_answer(response_id, question, value)
        small_study.set_status(response_id, status)
    return small_study


@pytest.mark.parametrize("command", ["export", "template", "merge", "reconcile"])
def test_help_has_an_example(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and f"dmsurvey {command}" in result.output


def test_export_csv_writes_complete_responses_unless_all(study_with_firms, tmp_path):
    """What score and report count, by default: an unfinished keying is not a firm."""
    out = tmp_path / "firms.csv"
    result = runner.invoke(app, ["export", str(study_with_firms.path), "-o", str(out), "--all"])
    assert result.exit_code == 0, result.output
    assert "Wrote 2 responses (complete and in progress)" in result.output
    assert list(pd.read_csv(out, encoding="utf-8-sig")["firm_name"]) == ["上海甲", "乙"]
    result = runner.invoke(
        app, ["export", str(study_with_firms.path), "-o", str(out), "--labels", "en",
              "--anonymize"],
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 1 complete response (" in result.output
    back = pd.read_csv(out, encoding="utf-8-sig")
    assert list(back["industry"]) == ["Manufacturing"]
    assert len(back) == len(study_with_firms.responses())  # as many as score counts
    assert "firm_name" not in back.columns and "enumerator" not in back.columns


def test_export_stata_from_the_command_line(study_with_firms, tmp_path):
    out = tmp_path / "firms.dta"
    result = runner.invoke(
        app, ["export", str(study_with_firms.path), "-o", str(out), "--labels", "zh"]
    )
    assert result.exit_code == 0, result.output
    with pd.io.stata.StataReader(out) as reader:
        data = reader.read(convert_categoricals=False)
        labels = reader.value_labels()
    assert data.loc[0, "industry"] == 1
    assert labels["industry"][1] == "制造业"


def test_export_to_unknown_type_fails_with_a_message(study_with_firms, tmp_path):
    out = tmp_path / "firms.txt"
    result = subprocess.run(
        [sys.executable, "-m", "dmsurvey", "export", str(study_with_firms.path), "-o", str(out)],
        capture_output=True, text=True,
    )
    assert result.returncode == 1
    assert "Error:" in result.stderr and ".csv" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_template_command(study_with_firms, tmp_path):
    out = tmp_path / "entry.xlsx"
    result = runner.invoke(
        app, ["template", str(study_with_firms.path), "-o", str(out), "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out)["data"]
    assert sheet["D1"].value == "industry"
    assert sheet["D1"].comment.text.startswith("Industry")


def test_reconcile_report(small_study, key_form, tmp_path):
    key_form(small_study, "7", 1, "张", {"industry": "other", "employees_2019": 10})
    key_form(small_study, "7", 2, "李", {"industry": "other", "employees_2019": 100})
    out = tmp_path / "diffs.csv"
    result = runner.invoke(app, ["reconcile", str(small_study.path), "--report", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 still to settle" in result.output
    assert "Agreement per enumerator recorded on the keyings:" in result.output
    assert "张: 83.3% of 6 fields on 1 form" in result.output
    assert "clerk" not in result.output
    assert "--report" not in result.output  # the report was just written
    asking = runner.invoke(app, ["reconcile", str(small_study.path)])  # no terminal here
    assert "or list them with --report diffs.csv." in asking.output
    diffs = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    assert list(diffs[["question", "first_value", "second_value"]].iloc[0]) == [
        "employees_2019", "10", "100"
    ]


def test_merge_command(tmp_path, questionnaire_file):
    from dmsurvey.store.study import init_study

    hq = init_study(tmp_path / "hq", questionnaire=questionnaire_file)
    laptop = init_study(tmp_path / "laptop", questionnaire=questionnaire_file)
    response_id = laptop.start_response(enumerator="Li")
    arguments = ["merge", str(hq.path), str(laptop.path), "--who", "lead"]
    for expected in ("1 response added, 0 responses already present",
                     "0 responses added, 1 response already present"):
        result = runner.invoke(app, arguments)
        assert result.exit_code == 0, result.output
        assert expected in result.output
    laptop.save_answer(response_id, "industry", "other")
    result = runner.invoke(app, arguments)
    assert result.exit_code == 1
    assert f"{response_id} (from {laptop.path}): industry" in result.output


def test_export_of_one_firm_says_one_response(small_study, tmp_path):
    response_id = small_study.start_response()
    small_study.save_answer(response_id, "industry", "other")
    small_study.set_status(response_id, "complete")
    out = tmp_path / "one.csv"
    result = runner.invoke(app, ["export", str(small_study.path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    columns = len(pd.read_csv(out, encoding="utf-8-sig").columns)
    assert result.output == f"Wrote 1 complete response ({columns} columns) to {out}\n"


def user_sees(result) -> str:
    """What `dmsurvey` prints: the output, then a refusal as `run_app` words it."""
    from dmsurvey.errors import DmsurveyError

    if isinstance(result.exception, DmsurveyError):
        return result.output + f"Error: {result.exception}\n"
    return result.output


def test_export_refuses_when_nothing_is_left_to_export(
    study_with_firms, questionnaire_file, tmp_path
):
    from dmsurvey.analysis._answers import NO_RESPONSES
    from dmsurvey.store.study import init_study

    out = tmp_path / "exports" / "none.csv"
    out.parent.mkdir()
    out.write_text("an earlier export\n", encoding="utf-8")
    empty = init_study(tmp_path / "empty", questionnaire=questionnaire_file)
    result = runner.invoke(app, ["export", str(empty.path), "-o", str(out)])
    assert result.exit_code == 1
    assert user_sees(result) == f"Error: {NO_RESPONSES}\n"  # as report and charts say it
    complete = study_with_firms.responses()["response_id"][0]
    study_with_firms.set_status(complete, "in_progress")
    result = runner.invoke(app, ["export", str(study_with_firms.path), "-o", str(out)])
    assert result.exit_code == 1
    assert user_sees(result) == (
        f"Error: {NO_RESPONSES} (2 responses in progress are exported with --all; "
        "1 void response is never exported)\n")
    assert out.read_text(encoding="utf-8") == "an earlier export\n"  # left as it was
    assert [path.name for path in out.parent.iterdir()] == ["none.csv"]  # no temporary left
    # with --all the two responses in progress are exported
    result = runner.invoke(app, ["export", str(study_with_firms.path), "-o", str(out), "--all"])
    assert result.exit_code == 0 and "Wrote 2 responses" in result.output


def test_template_refuses_a_language_the_questionnaire_lacks(small_study, tmp_path):
    out = tmp_path / "entry.xlsx"
    result = runner.invoke(app, ["template", str(small_study.path), "-o", str(out),
                                 "--lang", "fr"])
    assert result.exit_code == 1
    assert user_sees(result) == (
        "Error: the questionnaire has no labels in 'fr'\n"
        "  - unknown language: 'fr' (expected: zh, en)\n")
    assert not out.exists()
    reconcile = runner.invoke(app, ["reconcile", str(small_study.path), "--lang", "fr"])
    assert reconcile.exit_code == 1 and "(expected: zh, en)" in user_sees(reconcile)


@pytest.mark.parametrize("command", ["export", "template", "merge", "reconcile"])
def test_help_names_the_study_argument_and_default_language(command):
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "80"})
    usage = next(line for line in result.output.splitlines() if "Usage:" in line)
    assert "STUDY" in usage and "{study}" not in usage
    if command in ("template", "reconcile"):
        assert "the questionnaire's default" in result.output


def test_stata_export_renames_a_reserved_word_in_one_line(tmp_path, questionnaire_file):
    from dmsurvey.store.study import init_study

    declared = tmp_path / "with-end.yaml"
    declared.write_text(questionnaire_file.read_text(encoding="utf-8").replace(
        "languages: [zh, en]\n", "languages: [zh, en]\nmetadata: [start, end]\n"),
        encoding="utf-8")
    study = init_study(tmp_path / "timed", questionnaire=declared)
    response_id = study.start_response(metadata={"start": "2026-03-02T09:15:00.000+08:00"})
    study.save_answer(response_id, "industry", "other")
    study.set_metadata(response_id, end="2026-03-02T09:40:00.000+08:00")
    study.set_status(response_id, "complete")
    out = tmp_path / "timed.dta"
    # a real process, so that a warning printed by a library would show on stderr
    completed = subprocess.run(
        [sys.executable, "-m", "dmsurvey", "export", str(study.path), "-o", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    notes = completed.stdout.splitlines()[1:]
    assert notes[0] == "Stata: renamed end → end_ (a reserved word)"
    assert len(notes) == 4  # and the three 0/1 columns of a question with a long id
    assert all(note.startswith("Stata: renamed supply_chain_platform_services/")
               for note in notes[1:])
    with pd.io.stata.StataReader(out) as reader:
        data = reader.read()
        labels = reader.variable_labels()
    assert data.loc[0, "end_"] == "2026-03-02T09:40:00.000+08:00"
    assert labels["end_"] == "访问结束时间（设备时间，ISO 8601）"  # the default language
    assert labels["start"] == "访问开始时间（设备时间，ISO 8601）"


def test_export_csv_neutralises_formulas_unless_raw(study_with_firms, tmp_path):
    safe, raw = tmp_path / "safe.csv", tmp_path / "raw.csv"
    path = str(study_with_firms.path)
    assert runner.invoke(app, ["export", path, "-o", str(safe)]).exit_code == 0
    assert runner.invoke(app, ["export", path, "-o", str(raw), "--raw"]).exit_code == 0
    assert pd.read_csv(safe, dtype=str)["remarks"][0] == "'=1+1"
    assert pd.read_csv(raw, dtype=str)["remarks"][0] == "=1+1"
