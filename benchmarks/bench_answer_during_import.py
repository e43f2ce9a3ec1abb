"""Benchmark: how long an interview answer waits while a large import is being stored.

    python benchmarks/bench_answer_during_import.py                 # 200,000 rows
    python benchmarks/bench_answer_during_import.py --rows 20000    # quicker

A study of the bundled questionnaire imports synthetic responses (benchmarks/synthetic.py) in
another process. Meanwhile this process answers a question every 20 ms, twice over: first
writing straight to the study database (the baseline: it waits for the import's write lock),
then as the interview does, through its outbox (`dmsurvey.store.outbox`). Each import gets
its own rows. Printed: the longest and median answer wait of each way, their ratio, the
import's duration, and whether every answer and every imported row reached the study.
Goal: the longest wait through the outbox under 0.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synthetic import synthetic_responses, write  # noqa: E402

from dmsurvey.store.outbox import Outbox  # noqa: E402
from dmsurvey.store.study import init_study  # noqa: E402

IMPORT = """
import sys, time
from dmsurvey.store.importing import import_files
from dmsurvey.store.study import open_study
started = time.perf_counter()
result = import_files(open_study(sys.argv[1]), [sys.argv[2]])
print(result.added, round(time.perf_counter() - started, 2))
"""
ANSWER_EVERY = 0.02


def answers_during_import(study, path: Path, answer) -> tuple[list[float], str]:
    """Answer (`answer(number)`) again and again while the import of `path` runs; the
    seconds each answer took, and what the import printed."""
    importer = subprocess.Popen([sys.executable, "-c", IMPORT, str(study.path), str(path)],
                                stdout=subprocess.PIPE, text=True)
    waits = []
    number = 0
    while importer.poll() is None:
        started = time.perf_counter()
        answer(number)
        waits.append(time.perf_counter() - started)
        number += 1
        time.sleep(ANSWER_EVERY)
    return waits, importer.stdout.read().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        study = init_study(folder / "study", questionnaire="sme-digital-2020")
        first, second = synthetic_responses(rows, seed=1), synthetic_responses(rows, seed=2)
        second["response_id"] = [f"second-{number:08d}" for number in range(rows)]
        write(first, folder / "first.csv")
        write(second, folder / "second.csv")
        response_id = study.start_response()

        def direct(number: int) -> None:
            study.save_answer(response_id, "it_staff_2019", number)

        outbox = Outbox(study, response_id)

        def through_outbox(number: int) -> None:
            outbox.add("save_answer", response_id=response_id, question="it_staff_2019",
                       value=100_000 + number)

        results = {}
        for label, answer, path in [("straight to the database (baseline)", direct,
                                     folder / "first.csv"),
                                    ("through the outbox (the interview)", through_outbox,
                                     folder / "second.csv")]:
            waits, printed = answers_during_import(study, path, answer)
            results[label] = waits
            added, seconds = printed.split()
            print(f"{label:<38} {len(waits):5d} answers  longest {max(waits):7.3f} s  "
                  f"median {statistics.median(waits) * 1000:7.1f} ms   "
                  f"(import of {int(added):,} rows: {float(seconds):.1f} s)")
        last = 100_000 + len(results["through the outbox (the interview)"]) - 1
        stored = outbox.flush(timeout=600)
        outbox.close()
        baseline, outboxed = results.values()
        print(f"ratio of the longest waits               {max(outboxed) / max(baseline):.3f}x "
              f"(goal: longest through the outbox < 0.5 s: "
              f"{'met' if max(outboxed) < 0.5 else 'NOT met'})")
        answers = study.get_answers(response_id)
        print(f"every answer stored: {stored and answers.get('it_staff_2019') == last}; "
              f"responses in the study: {len(study.response_ids()):,} "
              f"(expected {2 * rows + 1:,})")


if __name__ == "__main__":
    main()
