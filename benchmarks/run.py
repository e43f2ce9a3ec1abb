"""dmsurvey's benchmarks in one table: every step against a baseline measured in the same run.

    python benchmarks/run.py --quick      # 1,000 and 100,000 firms (scoring also 1,000,000)
    python benchmarks/run.py              # 1,000, 100,000 and 1,000,000 firms everywhere
    python benchmarks/run.py --sizes 1000,20000
    python benchmarks/run.py --sizes 100000 --steps import   # import and its baselines only

Data are synthetic firms drawn from the bundled sample (benchmarks/synthetic.py). Each
timed step runs in a fresh Python process that imports what it needs first and then times
only the work, and reports its peak resident memory. Ratios, not seconds, are what carry
from one machine to another: `ratio` is the step's time over its baseline's.

Goals (benchmarks/README.md): `dmsurvey --help` at most 1.5x a bare Typer import; import
with validation at most 5x `pandas.read_csv`, and at most 1.0x `pandas.read_csv` followed by
`DataFrame.to_sql` into SQLite (the same storage without any checking); scoring at most 3x
a pandas Parquet read and write, peak memory under 4 GiB.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent


# ---- steps, run inside a child process -------------------------------------------------

def _questionnaire():
    from dmsurvey.questionnaire.loader import load_questionnaire

    return load_questionnaire("sme-digital-2020")


def _typed(csv: Path):
    import pandas as pd

    from dmsurvey.store.frames import typed_responses

    raw = pd.read_csv(csv, dtype=str, keep_default_na=False)
    return typed_responses(raw.replace("", None), _questionnaire())


def prepare_read_csv(data: dict) -> Callable[[], None]:
    import pandas as pd

    return lambda: pd.read_csv(data["csv"])


def prepare_read_csv_to_sql(data: dict) -> Callable[[], None]:
    """The same storage without any checking: read the file, write it into a SQLite table."""
    import sqlite3

    import pandas as pd

    target = Path(tempfile.mkdtemp(prefix="plain-", dir=data["work"])) / "plain.sqlite"

    def store() -> None:
        connection = sqlite3.connect(target)
        try:
            pd.read_csv(data["csv"]).to_sql("responses", connection, index=False)
            connection.commit()
        finally:
            connection.close()

    return store


def prepare_import(data: dict) -> Callable[[], None]:
    from dmsurvey.store.importing import import_files
    from dmsurvey.store.study import init_study

    # A fresh study each time: import is measured against more than one baseline.
    folder = Path(tempfile.mkdtemp(prefix="import-study-", dir=data["work"]))
    study = init_study(folder / "study", questionnaire="sme-digital-2020")
    return lambda: import_files(study, [data["csv"]], source="electronic", who="benchmark")


def prepare_parquet_roundtrip(data: dict) -> Callable[[], None]:
    import pandas as pd

    target = Path(data["work"]) / "roundtrip.parquet"
    return lambda: pd.read_parquet(data["parquet"]).to_parquet(target, index=False)


def prepare_score(data: dict) -> Callable[[], None]:
    import dmsurvey.analysis.scoring  # noqa: F401  (imports are not the work timed)
    from dmsurvey.datasets import score_dataset

    questionnaire = _questionnaire()
    target = Path(data["work"]) / "scores.parquet"
    return lambda: score_dataset(data["parquet"], questionnaire, target)


def prepare_value_counts(data: dict) -> Callable[[], None]:
    import pandas as pd

    def count():
        frame = pd.read_parquet(data["parquet"], columns=["tech_used", "industry"])
        frame.groupby("industry")["tech_used"].value_counts()

    return count


def prepare_shares(data: dict) -> Callable[[], None]:
    import dmsurvey.analysis.shares  # noqa: F401  (imports are not the work timed)
    from dmsurvey.datasets import shares_dataset

    questionnaire = _questionnaire()
    return lambda: shares_dataset(data["parquet"], "tech_used", questionnaire, by="industry")


def prepare_one_logit(data: dict) -> Callable[[], None]:
    import numpy as np
    import statsmodels.api as sm

    typed = _typed(Path(data["csv"]))
    outcome = typed["online_procurement_share"].isin(["51_75", "76_100"]).astype(float)
    size = np.log(typed["employees_2019"].astype(float))
    keep = np.isfinite(size)
    design = sm.add_constant(size[keep].to_numpy())
    return lambda: sm.Logit(outcome[keep].to_numpy(), design).fit(disp=0)


def prepare_regressions(data: dict) -> Callable[[], None]:
    from dmsurvey.analysis.regressions import size_regressions
    from dmsurvey.analysis.scoring import score

    questionnaire = _questionnaire()
    typed = _typed(Path(data["csv"]))
    scores = score(typed, questionnaire)
    return lambda: size_regressions(typed, questionnaire=questionnaire, scores=scores)


def prepare_analyze(data: dict) -> Callable[[], None]:
    from dmsurvey.analysis.outputs import analyze

    target = Path(data["work"]) / "analysis"
    return lambda: analyze(data["parquet"], target, questionnaire="sme-digital-2020")


def prepare_plain_charts(data: dict) -> Callable[[], None]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    typed = _typed(Path(data["csv"]))
    target = Path(data["work"]) / "plain"
    target.mkdir(exist_ok=True)

    def draw():
        for number in range(6):
            shares = typed["biggest_obstacle"].value_counts(normalize=True)
            figure, axes = plt.subplots(figsize=(7, 4))
            axes.barh(shares.index.astype(str), shares.to_numpy())
            figure.savefig(target / f"{number}.png", dpi=200)
            figure.savefig(target / f"{number}.svg")
            plt.close(figure)

    return draw


def prepare_charts(data: dict) -> Callable[[], None]:
    from dmsurvey.reporting.charts import summary_charts

    questionnaire = _questionnaire()
    typed = _typed(Path(data["csv"]))
    target = Path(data["work"]) / "charts"
    return lambda: summary_charts(typed, questionnaire, target)


def prepare_report(data: dict) -> Callable[[], None]:
    from dmsurvey.reporting.report import write_report

    questionnaire = _questionnaire()
    typed = _typed(Path(data["csv"]))
    target = Path(data["work"]) / "report"
    return lambda: write_report(typed, questionnaire, target)


def _form_import(data: dict, calculated: bool) -> Callable[[], None]:
    """Importing responses of a form with a calculation and a cascading select, or of the
    same form without them (benchmarks/bench_import_xlsform.py)."""
    sys.path.insert(0, str(HERE))
    from bench_import_xlsform import FORM, plain_form, responses

    from dmsurvey.questionnaire.xlsform import questionnaire_yaml
    from dmsurvey.store.importing import import_files
    from dmsurvey.store.study import init_study

    name = "calculated" if calculated else "plain"
    work = Path(data["work"])
    csv = work / "form-responses.csv"
    if not csv.exists():
        responses(data["size"]).to_csv(csv, index=False)
    form = work / f"{name}-form.yaml"
    form.write_text(questionnaire_yaml(FORM if calculated else plain_form()), encoding="utf-8")
    study = init_study(work / f"{name}-form-study", form)
    return lambda: import_files(study, [csv])


def prepare_import_plain_form(data: dict) -> Callable[[], None]:
    return _form_import(data, calculated=False)


def prepare_import_calculated_form(data: dict) -> Callable[[], None]:
    return _form_import(data, calculated=True)


STEPS: dict[str, Callable[[dict], Callable[[], None]]] = {
    "read_csv": prepare_read_csv,
    "read_csv_to_sql": prepare_read_csv_to_sql,
    "import": prepare_import,
    "import_plain_form": prepare_import_plain_form,
    "import_calculated_form": prepare_import_calculated_form,
    "parquet_roundtrip": prepare_parquet_roundtrip,
    "score": prepare_score,
    "value_counts": prepare_value_counts,
    "shares": prepare_shares,
    "one_logit": prepare_one_logit,
    "regressions": prepare_regressions,
    "analyze": prepare_analyze,
    "plain_charts": prepare_plain_charts,
    "charts": prepare_charts,
    "report": prepare_report,
}


def child(step: str, data: dict) -> None:
    work = STEPS[step](data)
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_mib": peak_resident_mib()}))


def peak_resident_mib() -> float:
    """This process's peak resident memory. VmHWM starts afresh at exec, unlike ru_maxrss,
    which a child inherits from the (large) parent that forked it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---- the parent: data, processes, the table --------------------------------------------

def measure(step: str, data: dict) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", step, json.dumps(data)],
        capture_output=True, text=True, check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"step {step} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def command_seconds(command: list[str], repeat: int = 7) -> float:
    """Median wall time of a whole command, started afresh each time."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def make_data(size: int, folder: Path) -> dict:
    sys.path.insert(0, str(HERE))
    from synthetic import synthetic_responses, write

    frame = synthetic_responses(size)
    csv = write(frame, folder / f"responses-{size}.csv")
    parquet = write(frame, folder / f"responses-{size}.parquet")
    work = folder / f"work-{size}"
    work.mkdir(exist_ok=True)
    return {"csv": str(csv), "parquet": str(parquet), "work": str(work), "size": size}


# step, baseline, which sizes (None: all), goal
COMPARISONS = [
    ("import", "read_csv", None, "<= 5x"),
    ("import", "read_csv_to_sql", None, "<= 1.0x"),
    ("import_calculated_form", "import_plain_form", 100_000,
     "calculation + choice_filter column-wise"),
    ("score", "parquet_roundtrip", None, "<= 3x, < 4 GiB"),
    ("shares", "value_counts", None, ""),
    ("regressions", "one_logit", 100_000, ""),
    ("analyze", "read_csv", 100_000, "< 60 s at 100k"),
    ("charts", "plain_charts", 100_000, ""),
    ("report", "charts", 1_000, ""),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k and 100k firms")
    parser.add_argument("--sizes", help="comma-separated numbers of firms")
    parser.add_argument("--steps", help="comma-separated steps to time (default: all), such as "
                                        "import")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments.child[0], json.loads(arguments.child[1]))
        return

    if arguments.sizes:
        sizes = [int(size) for size in arguments.sizes.split(",")]
    else:
        sizes = [1_000, 100_000] if arguments.quick else [1_000, 100_000, 1_000_000]
    score_sizes = sorted(set(sizes) | ({1_000_000} if arguments.quick else set()))
    rows = []
    started = time.perf_counter()

    if not arguments.steps or "help" in arguments.steps.split(","):
        dmsurvey = str(VENV_BIN / "dmsurvey")
        help_seconds = command_seconds([dmsurvey, "--help"])
        typer_seconds = command_seconds([sys.executable, "-c", "import typer, typer.rich_utils"])
        rows.append(("dmsurvey --help", "-", help_seconds, "import typer", typer_seconds,
                     None, "<= 1.5x"))

    with tempfile.TemporaryDirectory(prefix="dmsurvey-bench-") as folder:
        for size in sorted(set(sizes) | set(score_sizes)):
            data = make_data(size, Path(folder))
            for step, baseline, only_size, goal in COMPARISONS:
                if arguments.steps and step not in arguments.steps.split(","):
                    continue
                wanted = score_sizes if step == "score" else sizes
                if size not in wanted or (only_size is not None and size > only_size):
                    continue
                print(f"  {step} on {size:,} firms ...", file=sys.stderr, flush=True)
                measured, reference = measure(step, data), measure(baseline, data)
                rows.append((step, f"{size:,}", measured["seconds"], baseline,
                             reference["seconds"], measured["peak_mib"], goal))

    print(f"\n{'step':<16}{'firms':>11}{'seconds':>10}  {'baseline':<18}{'seconds':>9}"
          f"{'ratio':>8}{'peak MiB':>10}  goal")
    for step, size, seconds, baseline, base_seconds, peak, goal in rows:
        peak_text = f"{peak:,.0f}" if peak is not None else "-"
        print(f"{step:<16}{size:>11}{seconds:>10.3f}  {baseline:<18}{base_seconds:>9.3f}"
              f"{seconds / base_seconds:>7.2f}x{peak_text:>10}  {goal}")
    print(f"\n(total {time.perf_counter() - started:.0f} s; the interview's own timings: "
          "python benchmarks/bench_collect.py)")


if __name__ == "__main__":
    main()
