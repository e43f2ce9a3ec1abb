"""Studies on read-only media open for reading; damaged databases get one message, no traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import contextmanager

import pandas as pd
import pytest
from typer.testing import CliRunner

from dmsurvey.cli import app
from dmsurvey.errors import StudyError
from dmsurvey.store.sample import sample_study
from dmsurvey.store.study import open_study

runner = CliRunner()


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return sample_study(tmp_path_factory.mktemp("sample") / "study")


@pytest.fixture
def copy_of_sample(sample, tmp_path):
    return shutil.copytree(sample.path, tmp_path / "study")


@contextmanager
def read_only(folder):
    """`folder` and its files made unwritable, as on a write-protected medium.

    Permissions do not stop root, so as root the files are made immutable instead.
    """
    paths = [folder, *folder.rglob("*")]
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", *map(str, paths)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", *map(str, paths)], check=True)
    else:
        modes = {path: path.stat().st_mode for path in paths}
        for path in paths:
            path.chmod(modes[path] & 0o555)
        try:
            yield
        finally:
            for path in reversed(paths):
                path.chmod(modes[path])


def test_a_read_only_study_can_be_exported_validated_and_scored(copy_of_sample, tmp_path):
    expected = open_study(copy_of_sample).responses(status=None)
    with read_only(copy_of_sample):
        exported = tmp_path / "firms.csv"
        result = runner.invoke(app, ["export", str(copy_of_sample), "-o", str(exported)])
        assert result.exit_code == 0, result.output
        assert runner.invoke(app, ["validate", str(copy_of_sample)]).exit_code == 0
        scored = runner.invoke(app, ["score", str(copy_of_sample), "-o", str(tmp_path / "s.csv")])
        assert scored.exit_code == 0, scored.output
        # nothing was written beside the database
        assert sorted(p.name for p in copy_of_sample.iterdir()) == [
            "questionnaire.yaml", "reports", "study.json", "study.sqlite"]
        # writing is refused with a message, not a crash
        with pytest.raises(StudyError, match="cannot be written"):
            open_study(copy_of_sample).start_response()
    back = pd.read_csv(exported, dtype=str, encoding="utf-8-sig")
    assert sorted(back["response_id"]) == sorted(expected["response_id"])


def damage(database, *, header: bool = False) -> None:
    data = bytearray(database.read_bytes())
    if header:
        data[:100] = b"\x00" * 100
    else:
        for page in range(3 * 4096, len(data) - 4096, 4096):
            data[page + 100:page + 400] = b"\xff" * 300
    database.write_bytes(bytes(data))


@pytest.mark.parametrize("command", [["validate"], ["export", "-o", "out.csv"],
                                     ["score", "-o", "scores.csv"]])
def test_a_damaged_database_gives_one_message_with_what_to_do(copy_of_sample, tmp_path,
                                                              command):
    damage(copy_of_sample / "study.sqlite")
    name, *options = command
    options = [str(tmp_path / option) if "." in option else option for option in options]
    completed = subprocess.run([sys.executable, "-m", "dmsurvey", name, str(copy_of_sample),
                                *options], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 1
    assert completed.stdout == "" and "Traceback" not in completed.stderr
    message = completed.stderr.strip()
    assert message.startswith("Error:") and message.count("Error:") == 1
    assert "damaged" in message and ".recover" in message and "backup" in message
    assert str(copy_of_sample / "study.sqlite") in message


def test_a_database_with_a_damaged_header_is_refused_on_opening(copy_of_sample):
    damage(copy_of_sample / "study.sqlite", header=True)
    with pytest.raises(StudyError) as caught:
        open_study(copy_of_sample)
    assert ".recover" in str(caught.value) and "backup" in str(caught.value)
