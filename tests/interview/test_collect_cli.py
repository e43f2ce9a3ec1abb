"""The `dmsurvey collect` command: its options, no terminal, and a light start."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dmsurvey.cli import app

from .terminal import CTRL_C, ENTER, Terminal

runner = CliRunner()


def test_without_a_terminal_it_says_so_and_exits_1(study):
    result = runner.invoke(app, ["collect", str(study.path)], input="1\n")
    assert result.exit_code == 1
    assert "needs an interactive terminal" in result.output
    assert "dmsurvey import" in result.output
    chinese = runner.invoke(app, ["collect", str(study.path), "--lang", "zh"], input="")
    assert chinese.exit_code == 1
    assert "需要在交互式终端中运行" in chinese.output
    assert study.response_ids() == []


@pytest.mark.parametrize(
    "arguments",
    [
        ["--entry", "1"],
        ["--form", "12"],
        ["--entry", "3", "--form", "12"],
        ["--entry", "1", "--form", "12", "--self"],
        ["--lang", "fr"],
    ],
)
def test_wrong_options_are_usage_errors(study, arguments):
    result = runner.invoke(app, ["collect", str(study.path), *arguments])
    assert result.exit_code == 2


def test_help_shows_every_option_and_an_example():
    result = runner.invoke(app, ["collect", "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    for option in ("--enumerator", "--lang", "--resume", "--entry", "--form", "--self"):
        assert option in result.output
    assert "dmsurvey collect my-study" in result.output
    usage = next(line for line in result.output.splitlines() if "Usage:" in line)
    assert "STUDY" in usage and "study" not in usage  # like the other commands


# Runs the command in a fresh interpreter; on the way out, lists the heavy modules it loaded.
PROBE = """
import atexit, json, sys
heavy = ("pandas", "numpy", "statsmodels", "scipy", "matplotlib", "seaborn", "pyarrow")
atexit.register(lambda: print("LOADED=" + json.dumps(
    sorted({m.split(".")[0] for m in sys.modules} & set(heavy)))))
from dmsurvey.cli import main
sys.argv = ["dmsurvey", *sys.argv[1:]]
main()
"""


@pytest.mark.slow
def test_the_interview_starts_without_heavy_imports(study):
    terminal = Terminal("collect", str(study.path), "--lang", "en", python=("-c", PROBE))
    terminal.expect("Start")
    terminal.send(ENTER)
    terminal.at("A · 1/")  # the first question is on screen ...
    terminal.send(ENTER)  # ... answered (and committed) ...
    terminal.at("A · 2/")
    terminal.send(CTRL_C)  # ... and the interview paused
    terminal.expect("Pause")
    terminal.send(ENTER)
    status, printed = terminal.finish()
    assert status == 0
    assert json.loads(printed.rsplit("LOADED=", 1)[1].split()[0]) == []
