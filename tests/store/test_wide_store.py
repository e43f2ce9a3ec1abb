"""Questionnaires wider than one SQLite table: answers spread over tables, used as one."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from dmsurvey.cli import app
from dmsurvey.store.merge import merge_studies
from dmsurvey.store.study import init_study

QUESTIONS = 1_990  # with the metadata columns, past SQLite's 2,000 columns in one table


def _integer_questionnaire(path, questions: int = QUESTIONS):
    data = {
        "name": "wide",
        "version": "1",
        "title": {"zh": "宽问卷", "en": "Wide"},
        "languages": ["zh", "en"],
        "metadata": ["start", "end", "today", "deviceid"],
        "sections": [{
            "id": "A",
            "title": {"zh": "甲", "en": "A"},
            "questions": [
                {"id": f"n{number}", "type": "integer", "constraint": ". >= 0",
                 "label": {"zh": f"数{number}", "en": f"Count {number}"}}
                for number in range(1, questions + 1)
            ],
        }],
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def wide_form(tmp_path_factory):
    return _integer_questionnaire(tmp_path_factory.mktemp("form") / "wide.yaml")


def _stored(study, response_id: str, question: str):
    """An answer read straight from SQLite, wherever the store put its column."""
    with sqlite3.connect(study.database_path) as connection:
        tables = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'responses%'")]
        for table in tables:
            columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
            if question in columns:
                return connection.execute(
                    f'SELECT "{question}" FROM {table} WHERE response_id = ?', (response_id,)
                ).fetchone()[0]
    raise AssertionError(f"no column {question}")


def test_init_collects_and_reads_back_every_answer(wide_form, tmp_path):
    result = CliRunner().invoke(app, ["init", str(tmp_path / "study"), "-q", str(wide_form)])
    assert result.exit_code == 0, result.output
    from dmsurvey.store.study import open_study

    study = open_study(tmp_path / "study")
    response = study.start_response(enumerator="Li", metadata={"deviceid": "tablet-7"})
    for question, value in (("n1", 3), ("n1000", 10), ("n1990", 1990)):
        study.save_answer(response, question, value, who="Li")
    assert study.get_answers(response) == {"n1": 3, "n1000": 10, "n1990": 1990}
    assert _stored(study, response, "n1990") == 1990
    (unfinished,) = study.unfinished()
    assert (unfinished.answered, unfinished.total) == (3, QUESTIONS)
    study.save_answer(response, "n1990", None, who="Li")
    assert "n1990" not in study.get_answers(response)
    trail = study.audit(response)
    changes = trail[trail["field"] == "n1990"][["old", "new"]].fillna("empty")
    assert changes.values.tolist() == [["empty", "1990"], ["1990", "empty"]]
    assert study.get_response(response)["deviceid"] == "tablet-7"


def test_import_replace_export_and_merge_across_tables(tmp_path, monkeypatch):
    # Tables of 25 columns: 60 questions spread over three, as 3,000 do over three of 1,000.
    from dmsurvey.store import layout

    monkeypatch.setattr(layout, "COLUMNS_PER_TABLE", 25)
    questions = 60
    form = _integer_questionnaire(tmp_path / "narrow-tables.yaml", questions)
    study = init_study(tmp_path / "study", questionnaire=form)
    with sqlite3.connect(study.database_path) as connection:
        assert layout.further_tables(connection) == ["responses_2", "responses_3"]
    rows = pd.DataFrame({
        "response_id": ["a", "b", "c"],
        **{f"n{number}": [number, number * 2, None] for number in range(1, questions + 1)},
    })
    added = study.add_responses(rows, who="Wang", source="paper")
    assert added.added == 3
    frame = study.responses()
    assert frame["response_id"].tolist() == ["a", "b", "c"]
    assert frame["n60"].tolist() == [60, 120, pd.NA]
    assert (frame["source"] == "paper").all()
    assert _stored(study, "b", "n50") == 100

    changed = rows.copy()
    changed.loc[1, "n55"] = 7
    replaced = study.add_responses(changed, who="Wang", replace=True)
    assert (replaced.replaced, replaced.unchanged) == (1, 2)
    assert _stored(study, "b", "n55") == 7
    trail = study.audit("b")
    assert trail[trail["action"] == "replace"][["field", "old", "new"]].values.tolist() == [
        ["n55", "110", "7"]]

    exported = tmp_path / "wide.csv"
    result = CliRunner().invoke(app, ["export", str(study.path), "-o", str(exported)])
    assert result.exit_code == 0, result.output
    back = pd.read_csv(exported)
    assert back.shape == (3, 9 + 4 + questions)
    assert back["n55"].tolist()[:2] == [55, 7]

    laptop = init_study(tmp_path / "laptop", questionnaire=form)
    laptop.add_responses(rows.assign(response_id=["d", "e", "f"]), who="Zhao")
    merge_studies(study, [laptop])
    merged = study.responses()
    assert merged["response_id"].tolist() == ["a", "b", "c", "d", "e", "f"]
    assert merged["n40"].tolist() == [40, 80, pd.NA, 40, 80, pd.NA]
    with sqlite3.connect(study.database_path) as connection:
        for table in ("responses", "responses_2", "responses_3"):
            assert connection.execute(f"SELECT count(*) FROM {table}").fetchone() == (6,)
