"""A questionnaire with ten different mistakes: all ten are reported at once, each on its line.

The mistakes are made in a copy of the bundled instrument and in the small inline survey,
by editing single lines (so no line moves) found by the question ids of the codebook.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dmsurvey.cli import app
from dmsurvey.errors import QuestionnaireError
from dmsurvey.questionnaire.loader import load_questionnaire

from .conftest import SURVEY_YAML

BUNDLED = Path(__file__).resolve().parents[2] / "questionnaires" / "sme-digital-2020.yaml"


def _find(lines: list[str], pattern: str, start: int = 0) -> int:
    for index in range(start, len(lines)):
        if re.search(pattern, lines[index]):
            return index
    raise LookupError(f"no line matching {pattern!r} after line {start + 1}")


def _question(lines: list[str], question_id: str) -> int:
    return _find(lines, rf"^\s*- id: {question_id}\s*$")


def _edit(lines: list[str], index: int, pattern: str, replacement: str) -> int:
    edited = re.sub(pattern, replacement, lines[index], count=1)
    assert edited != lines[index], f"edit {pattern!r} did nothing on {lines[index]!r}"
    lines[index] = edited
    return index + 1


def _remove_english(lines: list[str], label_line: int) -> int:
    """Drop the English text of a label, whether written inline or as a block."""
    if "{" in lines[label_line]:
        return _edit(lines, label_line, r",\s*en:\s*(?:\"[^\"]*\"|[^}]*)\}", "}")
    english = _find(lines, r"^\s+en:", label_line)
    lines[english] = "          # (no English text)"
    return label_line + 1


def make_ten_mistakes(text: str) -> tuple[str, list[tuple[int, str]]]:
    """The edited text and, for each mistake, its line and a phrase the report must use."""
    lines = text.splitlines()
    expected = []

    line = _edit(lines, _question(lines, "revenue_2019"), "revenue_2019", "employees_2019")
    expected.append((line, "question id 'employees_2019' is used twice"))

    type_line = _find(lines, r"^\s+type:", _question(lines, "ownership"))
    expected.append((_edit(lines, type_line, "select_one", "select one"), "unknown type"))

    choices = _find(lines, r"^\s+choices: yes_no\s*$", _question(lines, "large_data_transfer"))
    line = _edit(lines, choices, "yes_no", "yes_or_no")
    expected.append((line, "uses a choice list that does not exist"))

    relevant = _find(lines, r"^\s+relevant:", _question(lines, "mfg_subsector"))
    line = _edit(lines, relevant, r"\$\{industry\}", "${industri}")
    expected.append((line, "refers to ${industri}, which is not a question"))

    relevant = _find(lines, r"^\s+relevant:", _question(lines, "data_services_spend"))
    line = _edit(lines, relevant, r"\$\{bought_data_services\}", "${self_maturity}")
    expected.append((line, "refers to ${self_maturity}, which is not asked before it"))

    label = _find(lines, r"^\s+label:", _question(lines, "industry"))
    expected.append((_remove_english(lines, label), "has no text in language 'en'"))

    constraint = _find(lines, r"^\s+constraint:", _question(lines, "employees_2019"))
    line = _edit(lines, constraint, r"\. >= 0", ". >=")
    expected.append((line, "constraint cannot be read"))

    item = _find(lines, r"^\s+- question: tech_used\s*$")
    expected.append((_edit(lines, item, "tech_used", "tech_use"), "does not exist: 'tech_use'"))

    points = _find(lines, r"migrated:", _find(lines, r"^\s+- question: cloud_status\s*$"))
    line = _edit(lines, points, "migrated:", "migratd:")
    expected.append((line, "points for a code cloud_status does not have"))

    second_level = _find(lines, r"min: [1-9]", _find(lines, r"^\s+levels:"))
    line = _edit(lines, second_level, r"min: (\d+)", lambda m: f"min: {int(m[1]) + 5}")
    expected.append((line, "leaves a gap"))

    return "\n".join(lines) + "\n", expected


SOURCES = {"inline survey": lambda: SURVEY_YAML}
if BUNDLED.exists():
    SOURCES["bundled instrument"] = lambda: BUNDLED.read_text(encoding="utf-8")


@pytest.fixture(params=sorted(SOURCES))
def broken_file(request, tmp_path) -> tuple[Path, list[tuple[int, str]]]:
    original = SOURCES[request.param]()
    # The unedited text is valid: every problem below comes from an edit.
    path = tmp_path / "original.yaml"
    path.write_text(original, encoding="utf-8")
    load_questionnaire(path)
    text, expected = make_ten_mistakes(original)
    broken = tmp_path / "broken.yaml"
    broken.write_text(text, encoding="utf-8")
    return broken, expected


def test_all_ten_mistakes_are_reported_with_their_lines(broken_file):
    path, expected = broken_file
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(path)
    problems = caught.value.problems
    assert all(problem.file == str(path) for problem in problems)
    for line, phrase in expected:
        on_line = [str(problem) for problem in problems if problem.line == line]
        assert any(phrase in text for text in on_line), (line, phrase, on_line)
    assert len({line for line, _ in expected}) == 10


def test_validate_command_lists_every_mistake_and_exits_1(broken_file):
    path, expected = broken_file
    result = CliRunner().invoke(app, ["questionnaire", "validate", str(path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for line, phrase in expected:
        assert any(
            f"line {line}:" in row and phrase in row for row in result.output.splitlines()
        ), (line, phrase)
