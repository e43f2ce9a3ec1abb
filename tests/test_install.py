"""A plain (non-editable) install ships the bundled questionnaires as package data."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*command, cwd=None) -> subprocess.CompletedProcess:
    completed = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, cwd=cwd, timeout=300
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed


@pytest.mark.slow
def test_wheel_install_lists_the_bundled_questionnaire(tmp_path):
    wheels = tmp_path / "wheels"
    run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
        "-w", wheels, ROOT,
    )
    (wheel,) = wheels.glob("dmsurvey-*.whl")

    environment = tmp_path / "env"
    venv.EnvBuilder(with_pip=False).create(environment)
    python = environment / "bin" / "python"
    site_packages = Path(
        run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip()
    )
    # Dependencies come from the project's environment, so nothing is downloaded; its
    # editable dmsurvey is not picked up, as .pth files in an added folder are not run.
    (site_packages / "project-dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n", encoding="utf-8"
    )
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--quiet", wheel)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    located = run(python, "-c", "import dmsurvey; print(dmsurvey.__file__)", cwd=elsewhere)
    assert Path(located.stdout.strip()).is_relative_to(site_packages)
    listed = run(environment / "bin" / "dmsurvey", "questionnaire", "list", cwd=elsewhere)
    assert "sme-digital-2020" in listed.stdout
    shown = run(
        python,
        "-c",
        "from dmsurvey.questionnaire.bundled import bundled_path; "
        "print(bundled_path('sme-digital-2020'))",
        cwd=elsewhere,
    )
    assert Path(shown.stdout.strip()).is_relative_to(site_packages)
