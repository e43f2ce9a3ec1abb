"""Benchmark: importing 100,000 responses with full validation, against `pandas.read_csv`.

    python benchmarks/bench_import.py                   # 100,000 responses
    python benchmarks/bench_import.py --rows 20000 --no-ids

Responses are drawn from the bundled questionnaire itself (seeded): a random code for each
single choice, a random set of codes for each multi-select (or its exclusive code alone),
numbers that meet the constraints, text for text questions; answers the skip logic rules out
are left empty, so every row is valid and every cell is checked and stored. The same CSV file
is read by `pandas.read_csv` (the baseline) and imported into a fresh study in the same run;
the script prints the best of three runs of each and their ratio (goal: at most 5x).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from dmsurvey.questionnaire.answer_columns import relevance
from dmsurvey.questionnaire.expressions import parse_expression
from dmsurvey.questionnaire.loader import load_questionnaire
from dmsurvey.store.importing import import_files
from dmsurvey.store.study import init_study

QUESTIONNAIRE = "sme-digital-2020"
# Candidate ranges for numbers; the first whose values all meet a question's constraint wins.
NUMBER_RANGES = ((0, 5000), (1950, 2021))
REPEATS = 3


def synthetic_responses(rows: int, *, seed: int = 2020, with_ids: bool = True) -> pd.DataFrame:
    questionnaire = load_questionnaire(QUESTIONNAIRE)
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {}
    if with_ids:
        columns["response_id"] = [f"bench-{number:08d}" for number in range(rows)]
    start = np.datetime64("2020-07-01T08:00:00")
    offsets = rng.integers(0, 30 * 24 * 3600, rows).astype("timedelta64[s]")
    columns["submitted_at"] = pd.Series(start + offsets).dt.strftime("%Y-%m-%dT%H:%M:%S+08:00")
    frame = pd.DataFrame(columns)
    for question in questionnaire.answerable:
        frame[question.id] = _answers(question, rows, rng, frame)
    for question in questionnaire.answerable:
        asked = relevance(frame, questionnaire, question)
        frame.loc[~asked, question.id] = None
    return frame


def _answers(question, rows, rng, frame):
    if question.type == "select_one":
        return np.array(question.choice_codes, dtype=object)[rng.integers(0, len(question.choices),
                                                                          rows)]
    if question.type == "select_multiple":
        codes = [code for code in question.choice_codes if code not in question.exclusive]
        chosen = rng.random((rows, len(codes))) < 0.3
        texts = pd.Series([""] * rows, dtype="str")
        for position, code in enumerate(codes):
            texts = texts + np.where(chosen[:, position], " " + code, "")
        texts = texts.str.strip()
        # nothing chosen: the exclusive code alone (`none`), else one code at random
        alone = (np.full(rows, question.exclusive[0], dtype=object) if question.exclusive
                 else np.array(codes, dtype=object)[rng.integers(0, len(codes), rows)])
        return texts.where(texts != "", pd.Series(alone))
    if question.type in ("integer", "decimal"):
        for low, high in NUMBER_RANGES:
            values = rng.integers(low, high, rows).astype(float)
            if question.type == "decimal":
                values = np.round(values * rng.uniform(0.5, 1.5, rows), 1)
            if not question.constraint or parse_expression(question.constraint).holds_frame(
                pd.DataFrame({question.id: values}), current=question.id
            ).all():
                return pd.Series(values).astype("Int64" if question.type == "integer" else float)
        raise SystemExit(f"no synthetic numbers meet the constraint of {question.id}")
    return pd.Series([f"{question.id} {number}" for number in range(rows)], dtype="str")


def best_of(repeats: int, work) -> float:
    """The shortest of several runs: the least disturbed by whatever else the machine does."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--no-ids", action="store_true",
                        help="leave out response_id, so ids are derived from the content")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dmsurvey-import-") as folder:
        csv = Path(folder) / "responses.csv"
        frame = synthetic_responses(arguments.rows, with_ids=not arguments.no_ids)
        frame.to_csv(csv, index=False)
        size_mb = csv.stat().st_size / 1e6
        print(f"{arguments.rows:,} responses x {frame.shape[1]} columns, {size_mb:.1f} MB CSV")

        baseline = best_of(REPEATS, lambda: pd.read_csv(csv))
        studies = iter(init_study(Path(folder) / f"study-{n}", questionnaire=QUESTIONNAIRE)
                       for n in range(REPEATS))
        results = []
        seconds = best_of(REPEATS, lambda: results.append(
            import_files(next(studies), [csv], who="benchmark")))
        if any(result.added != arguments.rows for result in results):
            raise SystemExit("not every row was imported")

    print(f"pandas.read_csv          {baseline:8.3f} s   (best of {REPEATS})")
    print(f"dmsurvey import          {seconds:8.3f} s   (best of {REPEATS}, each into a fresh "
          "study: read, every cell checked, stored, audited)")
    print(f"ratio                    {seconds / baseline:8.2f}x   (goal: at most 5x)")


if __name__ == "__main__":
    main()
