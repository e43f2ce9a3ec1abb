"""Synthetic response sets of any size, drawn from the bundled sample study.

Firms are drawn with replacement from the 99 sample firms, get fresh ids, and have their
size figures jittered (log-normal noise) so regressions meet many distinct sizes rather
than 99 repeated ones. The same seed always gives the same data.

    python benchmarks/synthetic.py 100000 responses.parquet
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from dmsurvey.store.sample import SAMPLE_CSV

SIZE_COLUMNS = ("employees_2019", "revenue_2019", "assets_2019")


def synthetic_responses(n: int, seed: int = 2020) -> pd.DataFrame:
    """`n` valid responses as raw codes (strings), as an export file holds them."""
    sample = pd.read_csv(SAMPLE_CSV, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    frame = sample.iloc[rng.integers(0, len(sample), n)].reset_index(drop=True)
    frame["response_id"] = [f"bench-{number:08d}" for number in range(n)]
    for column in SIZE_COLUMNS:
        values = pd.to_numeric(frame[column], errors="coerce")
        jittered = values * np.exp(rng.normal(0.0, 0.15, n))
        if column == "employees_2019":
            text = jittered.round(0).astype("Int64").astype("str")
        else:
            text = jittered.round(1).astype("str")
        frame[column] = text.where(values.notna(), "")
    return frame


def write(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        frame.replace("", None).to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, encoding="utf-8")
    return path


if __name__ == "__main__":
    size, target = int(sys.argv[1]), Path(sys.argv[2])
    write(synthetic_responses(size), target)
    print(f"wrote {size:,} responses to {target}")
