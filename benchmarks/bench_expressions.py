"""Expressions of real-form and extreme size: parse time per term, vectorised evaluation.

    python benchmarks/bench_expressions.py                  # 100,000 terms over 10,000 rows
    python benchmarks/bench_expressions.py --terms 10000 --rows 1000

Parsing is linear when the time per term stays flat from a tenth of the chain to the whole
of it. The vectorised evaluation of the whole sum is set against the same arithmetic written
directly in numpy (one array operation per operator), measured in the same run.
"""

from __future__ import annotations

import argparse
import time


def _sum_text(terms: int) -> str:
    return " + ".join(f"${{x}} * {weight % 7}" for weight in range(terms))


def _or_text(terms: int) -> str:
    return " or ".join(f"${{x}} = {value}" for value in range(terms))


def _seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=10_000)
    arguments = parser.parse_args()

    import numpy as np
    import pandas as pd

    from dmsurvey.questionnaire.expressions import _parse_cached, parse_expression

    terms, rows = arguments.terms, arguments.rows
    print(f"{'measure':<44}{'terms':>9}{'seconds':>9}{'us/term':>9}")
    for name, make in (("parse a sum", _sum_text), ("parse an or-chain", _or_text)):
        for size in (terms // 10, terms):
            text = make(size)
            _parse_cached.cache_clear()
            seconds = _seconds(lambda text=text: parse_expression(text))
            print(f"{name:<44}{size:>9,}{seconds:>9.3f}{seconds / size * 1e6:>9.1f}")

    frame = pd.DataFrame({"x": pd.array(np.arange(rows) % 97, dtype="Int64")})
    expression = parse_expression(_sum_text(terms))
    result = None

    def vectorised():
        nonlocal result
        result = expression.evaluate_frame(frame)

    def plain_numpy():
        x = frame["x"].to_numpy(dtype="float64", na_value=np.nan)
        total = x * 0.0
        for weight in range(1, terms):
            total = total + x * float(weight % 7)
        return total

    seconds = _seconds(vectorised)
    baseline = _seconds(plain_numpy)
    expected = frame["x"].to_numpy(dtype="float64") * sum(weight % 7 for weight in range(terms))
    agrees = np.allclose(result.to_numpy(dtype="float64"), expected)
    print(f"{f'evaluate_frame of the sum, {rows:,} rows':<44}{terms:>9,}{seconds:>9.3f}"
          f"{seconds / terms * 1e6:>9.1f}")
    print(f"{'baseline: the same sum in plain numpy':<44}{terms:>9,}{baseline:>9.3f}"
          f"{baseline / terms * 1e6:>9.1f}")
    print(f"ratio {seconds / baseline:.2f}x; result agrees with numpy: {agrees}")


if __name__ == "__main__":
    main()
