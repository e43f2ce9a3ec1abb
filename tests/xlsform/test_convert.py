"""`dmsurvey questionnaire convert` and `convert_xlsform`: converted forms load and validate."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from typer.testing import CliRunner

from dmsurvey.cli import app
from dmsurvey.errors import QuestionnaireError
from dmsurvey.questionnaire.loader import load_questionnaire
from dmsurvey.questionnaire.model import Repeat
from dmsurvey.questionnaire.xlsform import convert_xlsform

runner = CliRunner()


def test_converted_form_is_a_working_questionnaire(firm_form):
    questionnaire = convert_xlsform(firm_form)
    assert questionnaire.name == "sme_survey"
    assert questionnaire.languages == ("en", "zh")
    assert questionnaire.default_language == "zh"
    assert questionnaire.metadata_fields == ("start", "end", "deviceid")
    assert [s.id for s in questionnaire] == ["general", "profile", "factory", "profile_2"]
    tech = questionnaire["tech_used"]
    assert tech.choice_codes == ("cloud", "ai", "none")
    assert tech.choice("ai").label.in_language("zh") == "人工智能"
    assert questionnaire["firm_name"].required
    assert questionnaire["employees"].constraint_message["en"] == "Cannot be negative"
    assert questionnaire["automation_share"].relevant == "count-selected(${tech_used}) > 0"


def test_skip_logic_of_nested_groups_works_on_answers(firm_form):
    from dmsurvey.questionnaire.expressions import parse_expression

    factory = next(s for s in convert_xlsform(firm_form) if s.id == "factory")
    relevant = parse_expression(factory.relevant)
    assert relevant.holds({"firm_name": "Acme", "industry": "manufacturing"})
    assert not relevant.holds({"firm_name": "Acme", "industry": "services"})
    assert not relevant.holds({"industry": "manufacturing"})  # outer group skipped


@pytest.mark.parametrize("form", ["firm_form", "old_syntax_form", "or_other_form"])
def test_written_yaml_loads_back_equal(form, tmp_path, request):
    path = request.getfixturevalue(form)
    output = tmp_path / "converted.yaml"
    converted = convert_xlsform(path, output)
    assert load_questionnaire(output) == converted
    # an XLSForm is also accepted wherever a questionnaire is
    assert load_questionnaire(path) == converted


def test_cli_writes_readable_yaml_next_to_the_form(firm_form):
    result = runner.invoke(app, ["questionnaire", "convert", str(firm_form)])
    assert result.exit_code == 0, result.output
    output = firm_form.with_suffix(".yaml")
    assert f"Wrote {output}: 4 sections, 6 questions, languages en, zh" in result.output
    assert "metadata start, end, deviceid" in result.output
    assert "survey sheet row 5: appearance is ignored (display only)" in result.output
    text = output.read_text(encoding="utf-8")
    assert "企业名称" in text  # Chinese as written, not escaped
    keys = list(yaml.safe_load(text))
    assert keys[:4] == ["name", "version", "title", "languages"]
    assert keys[-1] == "sections"


def test_cli_output_option(old_syntax_form, tmp_path):
    output = tmp_path / "out" / "old.yaml"
    output.parent.mkdir()
    arguments = ["questionnaire", "convert", str(old_syntax_form), "-o", str(output)]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    assert "2 sections, 3 questions, languages en" in result.output
    assert load_questionnaire(output)["channels"].choice_codes == ("1", "2")


def test_cli_converts_nested_repeats_and_lists_the_reordered_question_by_row(repeat_form):
    result = runner.invoke(app, ["questionnaire", "convert", str(repeat_form)])
    assert result.exit_code == 0, result.output
    assert ("survey sheet row 8: 'remark' comes after repeat 'tree' inside repeat 'plot': "
            "it is asked before it") in result.output
    questionnaire = load_questionnaire(repeat_form.with_suffix(".yaml"))
    assert [(s.id, s.repeat) for s in questionnaire.repeats] == [
        ("plot", Repeat(count="${plots}")), ("tree", Repeat(within="plot"))]
    assert [q.id for q in questionnaire.repeat("plot")] == ["area", "remark"]
    assert questionnaire.find("height").section == "tree"
    assert [q.id for q in questionnaire.questions] == ["plots"]


def test_strict_refusal_in_a_real_shell_is_one_message_without_traceback(repeat_form):
    completed = subprocess.run(
        [sys.executable, "-m", "dmsurvey", "questionnaire", "convert", "--strict",
         str(repeat_form)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 1
    assert completed.stderr.startswith(f"Error: {repeat_form} cannot be converted (1 problem)")
    assert "without --strict, they are adapted" in completed.stderr
    assert "survey sheet row 8: 'remark' comes after repeat 'tree'" in completed.stderr
    assert "Traceback" not in completed.stderr + completed.stdout
    assert not repeat_form.with_suffix(".yaml").exists()


def test_a_rule_naming_a_later_question_is_dropped_with_its_row(xlsform):
    form = xlsform(
        "late",
        survey=[
            ["type", "name", "label", "relevant"],
            ["text", "contact", "Contact person", "${staff} > 10"],
            ["integer", "staff", "Staff"],
        ],
    )
    notes: list[str] = []
    questionnaire = convert_xlsform(form, warnings=notes)
    assert questionnaire["contact"].relevant is None
    assert [note for note in notes[1:] if "personal data" not in note] == [
        "survey sheet row 2: relevant '${staff} > 10' is dropped (the question is always "
        "asked): ${staff} is not asked before it"
    ]
    with pytest.raises(QuestionnaireError) as caught:
        convert_xlsform(form, strict=True)
    (problem,) = caught.value.problems
    assert problem.message.startswith("survey sheet row 2: relevant '${staff} > 10' is dropped")


@pytest.mark.parametrize("name", ["form.csv", "form.txt", "form"])
def test_a_workbook_is_read_as_one_whatever_its_name(firm_form, tmp_path, name):
    renamed = tmp_path / name
    renamed.write_bytes(firm_form.read_bytes())
    result = runner.invoke(app, ["questionnaire", "convert", str(renamed)])
    assert result.exit_code == 0, result.output
    output = renamed.with_suffix(".yaml")
    assert f"Wrote {output}: 4 sections, 6 questions, languages en, zh" in result.output
    assert load_questionnaire(output) == convert_xlsform(firm_form)
