"""Every way an answer comes in judges it alike (a property-based test).

Random responses, valid and not, typed as people type them (thousands separators, full-width
digits, labels instead of codes, "none" ticked with others, negative head counts), go through
the interview engine, the Excel entry template, a CSV import, the reconciliation prompt's
check and a merge. What the interview accepts, every other way accepts and stores as the
same canonical value; what it refuses, every other way refuses; and once refused values sit in
a store anyway (put there as an older version could have), `validate` finds every one of them.
Required answers left blank are the one deliberate difference: the interview asks again, files
store item non-response.

Examples are few and derived deterministically (`derandomize`), so the test is quick and the
same on every run.
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dmsurvey.errors import DataError, StudyError
from dmsurvey.interview.engine import Interview, InvalidAnswer
from dmsurvey.questionnaire.answers import AnswerChecker
from dmsurvey.questionnaire.loader import load_questionnaire
from dmsurvey.store.importing import import_files
from dmsurvey.store.merge import merge_studies
from dmsurvey.store.quality import validate_study
from dmsurvey.store.reconcile import answer_problem
from dmsurvey.store.study import init_study
from dmsurvey.store.template import FIRST_DATA_ROW, write_template

from .store.conftest import MINI_YAML

REFUSED = "refused"

numbers = st.one_of(
    st.sampled_from(["-4", "1,200", "１２", "12.0", "12.5", "1e3", "many", "-0", " 7 ", "3。5",
                     ""]),
    st.integers(-50, 10**9).map(str),
)
decimals = st.one_of(
    st.floats(-10, 10**6, allow_nan=False).map(lambda number: f"{number:.2f}"),
    st.sampled_from(["1,234.5", ".5", "-1", "abc", "1.2.3", "inf", ""]),
)
TECH = ["big_data", "ai", "5g", "none", "Big data", "人工智能", "robots"]
RAW_ANSWERS = st.fixed_dictionaries({
    "firm_name": st.text(alphabet="甲乙丙 abcXYZ09-", max_size=8),
    "industry": st.sampled_from(["manufacturing", "other", "Software and IT", "制造业", "OTHER",
                                 "farming", ""]),
    "mfg_subsector": st.sampled_from(["pharma", "other_mfg", "医药制造业", "x", ""]),
    "employees_2019": numbers,
    "revenue_2019": decimals,
    "tech_used": st.lists(st.sampled_from(TECH), max_size=3, unique=True).map(" ".join),
    "cloud": st.sampled_from(["yes", "no", "是", "maybe", ""]),
    "self_maturity": st.sampled_from(["1", "2", "3", "Leading", "4", ""]),
})
RESPONSES = st.lists(RAW_ANSWERS, min_size=1, max_size=2)


@pytest.fixture(scope="module")
def workspace():
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mini.yaml"
        path.write_text(MINI_YAML, encoding="utf-8")
        yield Path(folder), path, load_questionnaire(path)


def as_the_interview_judges(questionnaire, raw: dict) -> dict:
    """Question -> canonical value, or REFUSED; a required answer left blank counts as blank
    (the interview would ask again; a file stores it as missing)."""
    interview = Interview(questionnaire)
    judged = {}
    for question in questionnaire.answerable:
        try:
            judged[question.id] = interview.parse(raw[question.id], question)
        except InvalidAnswer:
            blank = not raw[question.id].strip()
            judged[question.id] = None if blank and question.required else REFUSED
        if judged[question.id] not in (None, REFUSED):
            interview.record(judged[question.id], question)
    return judged


def refusals(judged: list[dict]) -> set[tuple[int, str]]:
    return {(row, question) for row, answers in enumerate(judged)
            for question, value in answers.items() if value == REFUSED}


def refused_by_import(study, path, first_row: int) -> set[tuple[int, str]]:
    """The cells (row, question) an import of `path` refused (none: it stored them)."""
    try:
        import_files(study, [path])
    except DataError as refused:
        return {(problem.row - first_row, problem.column) for problem in refused.problems}
    return set()


def stored_like(judged: dict) -> dict:
    return {question: value for question, value in judged.items() if value is not None}


@settings(max_examples=12, derandomize=True, deadline=None,
          phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: kept quick
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(responses=RESPONSES)
def test_every_way_in_accepts_refuses_and_stores_alike(workspace, responses):
    folder, questionnaire_path, questionnaire = workspace
    run = Path(tempfile.mkdtemp(dir=folder))
    judged = [as_the_interview_judges(questionnaire, raw) for raw in responses]
    expected_refused = refusals(judged)
    ids = [f"r{row}" for row in range(len(responses))]

    # A CSV file, and the Excel entry template filled in as a clerk would.
    csv = run / "answers.csv"
    pd.DataFrame(responses).assign(response_id=ids).to_csv(csv, index=False)
    template = write_template(questionnaire, run / "entry.xlsx", rows=5)
    book = openpyxl.load_workbook(template)
    sheet = book["data"]
    headers = [cell.value for cell in sheet[1]]
    for offset, raw in enumerate(responses):
        values = raw | {"form_number": ids[offset]}
        for column, header in enumerate(headers, start=1):
            if values.get(header):
                sheet.cell(FIRST_DATA_ROW + offset, column, values[header])
    book.save(template)
    for path, first_row in ((csv, 2), (template, FIRST_DATA_ROW)):
        study = init_study(run / f"study-{path.suffix[1:]}", questionnaire=questionnaire_path)
        refused = refused_by_import(study, path, first_row)
        assert refused == expected_refused, path.name
        if not refused:  # the template keys forms by number; the CSV has response ids
            rows = study.responses(status=None)
            key = "form_number" if path == template else "response_id"
            stored = dict(zip(rows[key], rows["response_id"], strict=True))
            assert [study.get_answers(stored[row]) for row in ids] == [
                stored_like(answers) for answers in judged]

    # Reconciliation checks a value typed from the paper with the same rules.
    checker = AnswerChecker(questionnaire)
    for raw, answers in zip(responses, judged, strict=True):
        for question in questionnaire.answerable:
            problem = answer_problem(checker, question, raw[question.id], {})
            assert (problem is not None) == (answers[question.id] == REFUSED), question.id

    # Values that got into a laptop's store unchecked: validate lists each, merge refuses.
    laptop = init_study(run / "laptop", questionnaire=questionnaire_path)
    hub = init_study(run / "hub", questionnaire=questionnaire_path)
    with sqlite3.connect(laptop.database_path) as connection:
        for row, (raw, answers) in enumerate(zip(responses, judged, strict=True)):
            kept = {q: (raw[q] if value == REFUSED else value) for q, value in answers.items()}
            kept = {q: value for q, value in kept.items() if value not in (None, "")}
            names = ["response_id", "status", *kept]
            connection.execute(
                f"INSERT INTO responses ({', '.join(names)}) VALUES "
                f"({', '.join('?' for _ in names)})", [ids[row], "complete", *kept.values()])
    issues = validate_study(laptop)
    invalid = issues[issues["check"] == "invalid_answer"]
    assert {(ids.index(rid), question) for rid, question
            in zip(invalid["response_id"], invalid["question"], strict=True)} == expected_refused
    if expected_refused:
        with pytest.raises(StudyError):
            merge_studies(hub, [laptop])
        assert hub.response_ids() == []
    else:
        assert merge_studies(hub, [laptop]).added == {laptop.path: len(responses)}
        assert [hub.get_answers(rid) for rid in ids] == [stored_like(a) for a in judged]
