"""A seeded fuzz run: a few hundred damaged and hostile files of every format are imported;
each one is stored whole or refused with a message naming it, never a traceback or half a
store. The generator is benchmarks/fuzz_import.py, which also runs larger batches on purpose."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

FUZZER = Path(__file__).resolve().parents[2] / "benchmarks" / "fuzz_import.py"


def load_fuzzer():
    spec = importlib.util.spec_from_file_location("fuzz_import", FUZZER)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("fuzz_import", module)  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def test_two_hundred_and_fifty_mutated_files_fail_safely(tmp_path):
    outcome = load_fuzzer().run(250, seed=20261201, folder=tmp_path)
    assert outcome.failures == []
    assert outcome.accepted + outcome.refused == 250
    assert outcome.accepted >= 5 and outcome.refused >= 150  # both paths were exercised


def test_the_mutations_cover_every_format_and_are_reproducible():
    fuzzer = load_fuzzer()
    bases = fuzzer.base_files()
    assert set(bases) == {".csv", ".xlsx", ".json", ".parquet", ".zip"}
    first = [fuzzer.mutate(bases[".xlsx"], ".xlsx", random.Random(5)) for _ in range(2)]
    assert first[0] == first[1] != bases[".xlsx"]
