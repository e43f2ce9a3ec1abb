"""A 3,000-question bilingual questionnaire from start to exports, at national-survey width.

init, an interview of the first 20 screens in a real terminal, an import of generated
responses, validate, score and an export to every format, each checked against the
generated answers. The suite imports 100 responses: the width is what it tests, and at
10,000 (DMSURVEY_NATIONAL_RESPONSES=10000, the size of a national survey) the test takes
about ten minutes on two cores, a fifth of it generating and writing the file it imports.
`benchmarks/bench_wide.py` times each step at that size.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from dmsurvey.cli import app
from dmsurvey.store.exporting import write_responses
from dmsurvey.store.study import open_study

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from interview.terminal import CTRL_C, ENTER, SPACE, Terminal  # noqa: E402
from wide_survey import SCORED_QUESTIONS, wide_questionnaire, wide_responses  # noqa: E402

pytestmark = pytest.mark.slow

QUESTIONS = 3_000
RESPONSES = int(os.environ.get("DMSURVEY_NATIONAL_RESPONSES", "100"))
# SPSS and Excel files are written for the first firms: their writers go cell by cell (minutes
# for 12,000 variables of 10,000 firms), and what is checked is that every variable is there.
SAMPLE = 50
runner = CliRunner()

# What the interview types on each of the first 20 screens, by question type: the first
# choice of a single choice (so the questions asked only after it are asked too), the first
# two of a multiple choice, and a number or a text.
KEYS = {
    "select_one": ENTER,
    "select_multiple": SPACE + "\x1b[B" + SPACE + ENTER,
    "integer": "12" + ENTER,
    "decimal": "3.5" + ENTER,
    "text": "远程办公" + ENTER,
}
STORED = {
    "select_one": "c1",
    "select_multiple": "c1 c2",
    "integer": 12,
    "decimal": 3.5,
    "text": "远程办公",
}


def _same(stored: pd.Series, generated: pd.Series) -> bool:
    """Stored answers equal the generated text (numbers as numbers, unanswered as empty)."""
    if pd.api.types.is_numeric_dtype(stored):
        numbers = pd.to_numeric(generated.replace("", np.nan)).astype(float)
        return bool(np.allclose(stored.astype(float), numbers, equal_nan=True))
    text = stored.astype(object).where(stored.notna(), "").astype(str)
    return text.tolist() == generated.astype(str).tolist()


def invoke(*arguments: str):
    result = runner.invoke(app, [str(argument) for argument in arguments])
    assert result.exit_code == 0, result.output
    return result


def test_a_national_survey_from_questionnaire_to_exports(tmp_path):
    form = wide_questionnaire(tmp_path / "national.yaml", QUESTIONS)
    study_path = tmp_path / "national"
    invoke("init", study_path, "-q", form)
    study = open_study(study_path)
    questions = study.questionnaire.answerable
    assert len(questions) == QUESTIONS
    assert len(study.questionnaire.languages) == 2

    # -- the first 20 screens of an interview, in Chinese, in a real terminal
    terminal = Terminal("collect", str(study_path), "--enumerator", "Li", "--lang", "zh",
                        timeout=120)
    terminal.expect("全国企业调查")
    terminal.send(ENTER)
    for position, question in enumerate(questions[:20], start=1):
        terminal.at(f"s001 · {position}/")
        terminal.expect(question.label["zh"])
        terminal.send(KEYS[question.type])
    terminal.at("s001 · 21/")
    terminal.send(CTRL_C)
    terminal.expect("暂停")
    terminal.send(ENTER)
    assert terminal.finish()[0] == 0
    (interviewed,) = study.response_ids()
    assert study.get_answers(interviewed) == {q.id: STORED[q.type] for q in questions[:20]}

    # -- 10,000 responses from a file
    generated = wide_responses(study.questionnaire, RESPONSES)
    csv = tmp_path / "responses.csv"
    generated.to_csv(csv, index=False)
    imported = invoke("import", study_path, csv, "--source", "electronic")
    assert f"Added {RESPONSES:,} responses, replaced 0" in imported.output
    responses = study.responses()  # the complete ones: the interview is paused
    assert len(responses) == RESPONSES
    assert responses.shape[1] == 9 + QUESTIONS
    for question in questions[::97]:
        assert _same(responses[question.id], generated[question.id]), question.id

    # -- validate: generated answers follow every rule, so no skip-logic violations
    validated = invoke("validate", study_path, "--json")
    issues = json.loads(validated.output)
    assert not [issue for issue in issues if "skip" in json.dumps(issue).lower()]

    # -- score: the mean of the scored single choices (c1 100, c2 50, others 0)
    scores_path = tmp_path / "scores.csv"
    invoke("score", study_path, "-o", scores_path)
    scores = pd.read_csv(scores_path).set_index("response_id")
    scored = [q.id for q in questions if q.type == "select_one" and not q.relevant]
    points = generated.set_index("response_id")[scored[:SCORED_QUESTIONS]].replace(
        {"c1": 100, "c2": 50}).apply(pd.to_numeric, errors="coerce").fillna(0)
    assert np.allclose(scores.loc[points.index, "breadth"], points.mean(axis=1), atol=0.006)

    # -- every export format
    for suffix in (".csv", ".parquet", ".json", ".dta"):
        invoke("export", study_path, "-o", tmp_path / f"national{suffix}")
    first = responses.head(SAMPLE)
    for suffix in (".sav", ".xlsx"):
        write_responses(first, tmp_path / f"national{suffix}", questionnaire=study.questionnaire)
    csv_back = pd.read_csv(tmp_path / "national.csv", low_memory=False)
    assert csv_back.shape == (RESPONSES, 9 + QUESTIONS)
    assert pd.read_parquet(tmp_path / "national.parquet").shape == (RESPONSES, 9 + QUESTIONS)
    assert len(json.loads((tmp_path / "national.json").read_text(encoding="utf-8"))) == RESPONSES
    multi = [q for q in questions if q.type == "select_multiple"]
    variables = 9 + QUESTIONS + sum(len(q.choices) for q in multi)
    _, stata_meta = pyreadstat.read_dta(tmp_path / "national.dta", metadataonly=True)
    assert (stata_meta.number_rows, stata_meta.number_columns) == (RESPONSES, variables)
    spss, meta = pyreadstat.read_sav(tmp_path / "national.sav")
    assert (meta.number_rows, meta.number_columns) == (SAMPLE, variables)
    chosen = multi[0]
    first_code = f"{chosen.id}_{chosen.choices[0].code}"
    stata, _ = pyreadstat.read_dta(tmp_path / "national.dta", usecols=["response_id", first_code])
    generated_codes = generated.set_index("response_id").loc[stata["response_id"], chosen.id]
    chose_first = generated_codes.str.split().map(lambda codes: chosen.choices[0].code in codes)
    assert stata[first_code].sum() == chose_first.sum() > 0
    assert spss[first_code].sum() == chose_first.head(SAMPLE).sum()
    sheet = load_workbook(tmp_path / "national.xlsx", read_only=True)["data"]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == SAMPLE + 1 and len(rows[0]) == 9 + QUESTIONS
