"""A national-survey-sized study: 3,000 bilingual questions, 10,000 responses.

    python benchmarks/bench_wide.py                         # 3,000 questions, 10,000 rows
    python benchmarks/bench_wide.py --questions 1500 --rows 1000

Times `init` and the import of the generated responses (reading, checking every cell,
storing across the store's tables) against a baseline measured in the same run on the same
file: pandas `read_csv` plus `to_sql` into SQLite, split into tables of at most 1,000
columns as the store splits them (SQLite takes no more than 2,000 in one). Then reading the
study back (`Study.responses()`), `validate`, `score` and each export are timed on their
own; with `--stata-baseline`, the .dta writer also against pandas' `to_stata` of the same
labelled frame (which takes minutes at full width: pandas converts a wide frame column by
column at a cost growing with its width).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def _seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _read_csv_to_sql(csv: Path, database: Path) -> None:
    import pandas as pd

    from dmsurvey.store.layout import COLUMNS_PER_TABLE

    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    with sqlite3.connect(database) as connection:
        columns = list(frame.columns[1:])
        for number, start in enumerate(range(0, len(columns), COLUMNS_PER_TABLE - 1), start=1):
            part = frame[["response_id", *columns[start:start + COLUMNS_PER_TABLE - 1]]]
            part.to_sql(f"responses_{number}", connection, index=False, chunksize=20_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=3_000)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--exports", default=".csv,.parquet,.json,.sav,.dta,.xlsx",
                        help="formats to time after the import (empty: none)")
    parser.add_argument("--stata-baseline", action="store_true",
                        help="also time pandas' to_stata of the frame the .dta export writes")
    arguments = parser.parse_args()

    from wide_survey import wide_questionnaire, wide_responses

    from dmsurvey.datasets import score_file
    from dmsurvey.store.exporting import export_study
    from dmsurvey.store.importing import import_files
    from dmsurvey.store.quality import validate_study
    from dmsurvey.store.study import init_study

    with tempfile.TemporaryDirectory(prefix="dmsurvey-wide-") as folder:
        folder = Path(folder)
        form = wide_questionnaire(folder / "national.yaml", arguments.questions)
        study = None

        def init():
            nonlocal study
            study = init_study(folder / "study", questionnaire=form)

        init_seconds = _seconds(init)
        csv = folder / "responses.csv"
        wide_responses(study.questionnaire, arguments.rows).to_csv(csv, index=False)
        baseline = _seconds(lambda: _read_csv_to_sql(csv, folder / "baseline.sqlite"))
        imported = _seconds(lambda: import_files(study, [csv], source="electronic", who="bench"))
        print(f"{arguments.questions:,} questions, {arguments.rows:,} responses "
              f"({csv.stat().st_size / 2**20:,.0f} MiB of CSV)")
        print(f"{'step':<34}{'seconds':>9}")
        print(f"{'init':<34}{init_seconds:>9.2f}")
        print(f"{'baseline: read_csv + to_sql':<34}{baseline:>9.2f}")
        print(f"{'import (read, check, store)':<34}{imported:>9.2f}   "
              f"ratio {imported / baseline:.2f}x", flush=True)
        print(f"{'Study.responses()':<34}{_seconds(study.responses):>9.2f}", flush=True)
        print(f"{'validate':<34}{_seconds(lambda: validate_study(study)):>9.2f}", flush=True)
        scored = _seconds(lambda: score_file(study.path, folder / "scores.csv"))
        print(f"{'score':<34}{scored:>9.2f}", flush=True)
        for suffix in filter(None, arguments.exports.split(",")):
            target = folder / f"national{suffix}"
            seconds = _seconds(lambda target=target: export_study(study, target))
            print(f"{f'export {suffix}':<34}{seconds:>9.2f}", flush=True)
        if arguments.stata_baseline:
            _compare_stata_writers(study, folder)


def _compare_stata_writers(study, folder: Path) -> None:
    """The .dta writing step alone: dmsurvey's writer against pandas' on the same frame."""
    from dmsurvey.store.exporting import stata_frame
    from dmsurvey.store.stata import write_dta

    frame = study.responses()
    labelled = stata_frame(frame, study.questionnaire,
                           language=study.questionnaire.label_language(None))
    ours = _seconds(lambda: write_dta(
        labelled.data, folder / "ours.dta", variable_labels=labelled.variable_labels,
        value_labels=labelled.value_labels))
    pandas = _seconds(lambda: labelled.data.to_stata(
        folder / "pandas.dta", write_index=False, version=118,
        variable_labels=labelled.variable_labels, value_labels=labelled.value_labels))
    print(f"{'.dta writer: pandas to_stata':<34}{pandas:>9.2f}")
    print(f"{'.dta writer: dmsurvey write_dta':<34}{ours:>9.2f}   "
          f"ratio {ours / pandas:.3f}x")


if __name__ == "__main__":
    main()
