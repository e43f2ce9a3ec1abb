"""The documentation tells the truth about the commands."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import typer.main

from dmsurvey.cli import app

ROOT = Path(__file__).resolve().parents[1]


def load_reference_module():
    script = ROOT / "docs/make_cli_reference.py"
    spec = importlib.util.spec_from_file_location("make_cli_reference", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def leaf_commands():
    reference = load_reference_module()
    root = typer.main.get_command(app)
    return [
        (" ".join(path), command)
        for path, command in reference.iter_commands(root)
        if not getattr(command, "commands", None)
    ]


def test_cli_reference_is_up_to_date():
    reference = load_reference_module()
    expected = reference.cli_reference()
    actual = (ROOT / "docs/cli.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/cli.md is stale: run python docs/make_cli_reference.py"


@pytest.mark.parametrize("name,command", leaf_commands(), ids=lambda value: str(value))
def test_every_command_has_help_with_an_example(name, command):
    assert command.help, f"{name} has no help text"
    assert "example" in command.help.lower(), f"{name} help shows no example"


def test_contract_commands_exist():
    names = {name for name, _ in leaf_commands()}
    for command in (
        "init", "questionnaire list", "questionnaire show", "questionnaire validate",
        "questionnaire convert", "collect", "import", "reconcile", "validate", "template",
        "export", "merge", "score", "analyze", "charts", "report", "demo",
    ):
        assert f"dmsurvey {command}" in names


def test_readme_commands_are_real_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = {name for name, _ in leaf_commands()}
    used = re.findall(r"^\$ (dmsurvey [a-z]+(?: [a-z]+)?)", readme, flags=re.MULTILINE)
    assert used, "README shows no dmsurvey command"
    for line in used:
        words = line.split()
        assert " ".join(words[:2]) in names or " ".join(words[:3]) in names, line
    assert "make demo" in readme and "make test" in readme
