"""The command line starts instantly: `--help` imports none of the heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "statsmodels", "scipy", "seaborn", "matplotlib")

# Runs the real entry point in a fresh interpreter, then lists the heavy modules it loaded.
PROBE = """
import json, sys
from dmsurvey.cli import main
arguments, heavy_names = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.argv = ["dmsurvey", *arguments]
try:
    main()
except SystemExit as exit:
    code = exit.code
else:
    code = 0
heavy = sorted(m for m in sys.modules if m.split(".")[0] in heavy_names)
print("\\nHEAVY=" + json.dumps({"code": code, "heavy": heavy}))
"""


def run_probe(*arguments: str) -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(arguments)), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    marker = completed.stdout.rsplit("HEAVY=", 1)
    assert len(marker) == 2, completed.stdout + completed.stderr
    return json.loads(marker[1])


@pytest.mark.parametrize(
    "arguments",
    [
        ("--help",),
        ("--version",),
        ("questionnaire", "--help"),
        ("questionnaire", "list"),
        ("questionnaire", "validate", str(ROOT / "questionnaires" / "sme-digital-2020.yaml")),
        ("questionnaire", "show", "sme-digital-2020"),
    ],
)
def test_commands_start_without_heavy_imports(arguments):
    result = run_probe(*arguments)
    assert result["code"] in (0, None)
    assert result["heavy"] == []


def test_python_dash_m_runs_the_command_line():
    completed = subprocess.run(
        [sys.executable, "-m", "dmsurvey", "--help"], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert "Usage" in completed.stdout
    assert "questionnaire" in completed.stdout


def test_version_is_the_one_the_package_is_built_with():
    import tomllib

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    completed = subprocess.run(
        [sys.executable, "-m", "dmsurvey", "--version"], capture_output=True, text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == f"dmsurvey {declared}\n"
