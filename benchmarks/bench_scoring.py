"""Benchmark: scoring a million responses, and `analyze` on a hundred thousand.

    python benchmarks/bench_scoring.py                 # 1,000,000 and 100,000 firms
    python benchmarks/bench_scoring.py --rows 200000 --analyze-rows 20000

Synthetic responses are the bundled sample's 99 firms drawn with replacement (new ids,
sizes jittered), so every answer is a valid code in realistic proportions. Each timed
step runs in a fresh process, whose peak resident memory comes from the kernel (VmHWM,
else `resource.getrusage`). Goals: scoring Parquet -> Parquet at most 3x the time pandas
takes to read and write the same file, peak memory under 4 GiB; `analyze` on 100,000
firms under a minute.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GIB = 1024**3


def make_responses(rows: int, path: Path, seed: int = 2020) -> None:
    import numpy as np
    import pandas as pd

    from dmsurvey.store.sample import read_sample_csv

    rng = np.random.default_rng(seed)
    sample = read_sample_csv()
    frame = sample.iloc[rng.integers(0, len(sample), rows)].reset_index(drop=True)
    frame["response_id"] = "bench-" + pd.Series(np.arange(rows)).astype(str)
    for measure in ("employees_2019", "revenue_2019", "assets_2019"):
        values = pd.to_numeric(frame[measure], errors="coerce")
        jitter = np.exp(rng.normal(0, 0.2, rows))
        frame[measure] = (values * jitter).round().astype("Int64").astype(str)
    frame.to_parquet(path, index=False)


def child(step: str, source: str, target: str) -> None:
    """Run one step in this process and print its wall time and peak memory as JSON."""
    import pandas as pd

    started = time.perf_counter()
    if step == "pandas_roundtrip":
        pd.read_parquet(source).to_parquet(target, index=False)
    elif step == "score":
        from dmsurvey.analysis.scoring import score_file

        score_file(source, target, "sme-digital-2020")
    elif step == "analyze":
        from dmsurvey.analysis.outputs import analyze

        analyze(source, target, questionnaire="sme-digital-2020")
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_bytes": peak_memory()}))


def peak_memory() -> int:
    """Peak resident memory of this process in bytes.

    Linux keeps `ru_maxrss` across exec, so a child started by a large parent would report
    the parent's peak; the kernel's per-process high-water mark (VmHWM) starts afresh.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, kilobytes elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def run(step: str, source: Path, target: Path) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", step, str(source), str(target)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--analyze-rows", type=int, default=100_000)
    parser.add_argument("--child", nargs=3, metavar=("STEP", "SOURCE", "TARGET"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        responses = work / "responses.parquet"
        make_responses(args.rows, responses)
        baseline = run("pandas_roundtrip", responses, work / "copy.parquet")
        scored = run("score", responses, work / "scores.parquet")
        small = work / "responses_small.parquet"
        make_responses(args.analyze_rows, small)
        analysed = run("analyze", small, work / "analysis")
    ratio = scored["seconds"] / baseline["seconds"]
    print(f"responses scored: {args.rows:,}")
    print(f"pandas read + write Parquet: {baseline['seconds']:.2f} s, "
          f"peak {baseline['peak_bytes'] / GIB:.2f} GiB")
    print(f"score Parquet -> Parquet:    {scored['seconds']:.2f} s, "
          f"peak {scored['peak_bytes'] / GIB:.2f} GiB, "
          f"{ratio:.2f}x pandas (goal <= 3x, < 4 GiB)")
    print(f"analyze {args.analyze_rows:,} responses: {analysed['seconds']:.2f} s, "
          f"peak {analysed['peak_bytes'] / GIB:.2f} GiB (goal < 60 s)")


if __name__ == "__main__":
    main()
