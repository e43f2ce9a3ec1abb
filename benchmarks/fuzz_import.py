"""Import damaged and hostile response files and check that dmsurvey fails safely on each.

    python benchmarks/fuzz_import.py                    # 2,000 files, seed 1
    python benchmarks/fuzz_import.py --files 300 --seed 7

Starting from five valid files of the bundled sample (CSV, .xlsx, JSON, Parquet and an ODK
Central .zip), every file is a seeded mutation: flipped, inserted, deleted or repeated bytes,
a cut, a damaged part inside the .xlsx or .zip, or a hostile value in one cell (NUL, zero-width
text, a lone surrogate, a formula, an unclosed quote, a huge or deeply nested value). Each is
imported into one study. A file passes when the import either stores all its rows or raises
the `DataError` a user sees, naming the file, with the study unchanged. Anything else (another
exception, a partial store, a message without the file name) is listed and the run fails.
The test suite runs a few hundred of these (tests/store/test_fuzz_import.py).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
import traceback
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_ROWS = 6
HOSTILE_TEXTS = [
    "\u200b", "\ufeff", " \u200d ", "A\x00B", "=HYPERLINK(\"http://x\",\"y\")", "@SUM(1)",
    "\"unclosed", "x" * 40_000, "9" * 30, "1e400", "-0", "NaN", "\r", "\n", ",", ";", "\t",
    "\U0001f600", "\u202egnp.exe", "<v>1</v>", "&#0;", "%s%n", "../../etc/passwd",
]


@dataclass
class Outcome:
    """What the run found: counts, and every file that did not fail safely."""

    accepted: int = 0
    refused: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (file, what happened)


def base_files() -> dict[str, bytes]:
    """Valid files in every format, from the first rows of the bundled sample."""
    import openpyxl
    import pandas as pd

    from dmsurvey.store.sample import SAMPLE_CSV

    frame = pd.read_csv(SAMPLE_CSV, dtype=str, keep_default_na=False).head(SAMPLE_ROWS)
    csv = frame.to_csv(index=False).encode("utf-8")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    xlsx = io.BytesIO()
    book.save(xlsx)
    parquet = io.BytesIO()
    frame.to_parquet(parquet)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as odk:
        odk.writestr("Form.csv", csv)
    records = json.dumps(frame.to_dict(orient="records"), ensure_ascii=False).encode("utf-8")
    return {".csv": csv, ".xlsx": xlsx.getvalue(), ".json": records,
            ".parquet": parquet.getvalue(), ".zip": archive.getvalue()}


def mutate(data: bytes, suffix: str, rng: random.Random) -> bytes:
    """One seeded mutation of a file's bytes, chosen to fit its format."""
    kinds = ["flip", "insert", "delete", "repeat", "cut"]
    if suffix in (".csv", ".json"):
        kinds += ["hostile"] * 4 + ["quote"]
    if suffix == ".json":
        kinds += ["nest", "surrogate"]
    if suffix in (".xlsx", ".zip"):
        kinds += ["member"] * 4
    kind = rng.choice(kinds)
    data = bytearray(data)
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif kind == "insert":
        where = rng.randrange(len(data))
        data[where:where] = rng.choice([b"\x00", b"\xff\xfe", b'"', b",", b"\r", b"\n", b"}",
                                        bytes(rng.randrange(256) for _ in range(16))])
    elif kind == "delete":
        where = rng.randrange(len(data))
        del data[where:where + rng.randint(1, 64)]
    elif kind == "repeat":
        where = rng.randrange(len(data))
        data[where:where] = data[where:where + rng.randint(1, 256)] * rng.randint(2, 20)
    elif kind == "cut":
        del data[rng.randrange(1, len(data)):]
    elif kind == "hostile":
        data = _hostile_cell(bytes(data), suffix, rng)
    elif kind == "quote":
        where = bytes(data).find(b",", rng.randrange(len(data)))
        data[where + 1:where + 1] = b'"'
    elif kind == "nest":
        depth = rng.choice([50, 5_000, 60_000])
        data = bytearray(data.replace(b'"industry":', b'"industry": ' + b"[" * depth + b"1"
                                      + b"]" * depth + b', "x":', 1))
    elif kind == "surrogate":
        data = bytearray(data.replace(b'"firm_name": "', b'"firm_name": "\\udc80', 1))
    elif kind == "member":
        data = bytearray(_damaged_member(bytes(data), rng))
    return bytes(data)


def _hostile_cell(data: bytes, suffix: str, rng: random.Random) -> bytes:
    text = rng.choice(HOSTILE_TEXTS)
    if suffix == ".json":
        encoded = json.dumps(text, ensure_ascii=rng.random() < 0.5).encode("utf-8")
        if rng.random() < 0.3:
            encoded = json.dumps({"zh": text}).encode()
        return data.replace(b'"firm_name": "', b'"firm_name": ' + encoded + b', "y": "', 1)
    lines = data.split(b"\n")
    row = rng.randrange(1, max(len(lines) - 1, 2))
    cells = lines[row].split(b",")
    cells[rng.randrange(len(cells))] = text.encode("utf-8", "surrogatepass")
    lines[row] = b",".join(cells)
    return b"\n".join(lines)


def _damaged_member(data: bytes, rng: random.Random) -> bytes:
    """The archive rewritten with one member damaged inside (not just its compressed bytes)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    names = source.namelist()
    target_name = rng.choice([n for n in names if n.endswith((".xml", ".csv"))] or names)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == target_name and content:
                content = bytearray(content)
                choice = rng.randrange(4)
                if choice == 0:
                    del content[rng.randrange(len(content)):]
                elif choice == 1:
                    where = rng.randrange(len(content))
                    content[where:where] = rng.choice([b"&#0;", b"<", b"\x00", b"</x>", b"&x;"])
                elif choice == 2:
                    content = content.replace(b"<v>", b'<f>SUM(A1)</f><v>', 1).replace(
                        b"<v>", b"<x>", 1)
                else:
                    content[rng.randrange(len(content))] ^= 0xFF
                content = bytes(content)
            target.writestr(info.filename, content)
    return out.getvalue()


def run(count: int, seed: int, folder: Path) -> Outcome:
    """Import `count` mutated files into one fresh study in `folder`."""
    from dmsurvey.errors import DataError
    from dmsurvey.store.importing import import_files
    from dmsurvey.store.study import init_study

    rng = random.Random(seed)
    bases = base_files()
    study = init_study(folder / "study", questionnaire="sme-digital-2020")
    outcome = Outcome()
    for number in range(count):
        suffix = list(bases)[number % len(bases)]
        path = folder / f"mutant-{number}{suffix}"
        path.write_bytes(mutate(bases[suffix], suffix, rng))
        before = len(study.response_ids())
        try:
            result = import_files(study, [path], replace=True)
        except DataError as error:
            outcome.refused += 1
            after = len(study.response_ids())
            if after != before:
                outcome.failures.append((path.name, f"refused, but the study went from "
                                                    f"{before} to {after} responses"))
            if path.name not in str(error):
                outcome.failures.append((path.name, f"refusal without the file name: {error}"))
        except Exception:  # noqa: BLE001 (this is what the run looks for)
            outcome.failures.append((path.name, traceback.format_exc(limit=-3)))
        else:
            outcome.accepted += 1
            after = len(study.response_ids())
            if after != before + result.added or result.rejected:
                outcome.failures.append((path.name, f"partial store: {result}"))
        path.unlink()
    return outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        outcome = run(arguments.files, arguments.seed, Path(folder))
    seconds = time.perf_counter() - started
    print(f"{arguments.files} files, seed {arguments.seed}: {outcome.accepted} imported, "
          f"{outcome.refused} refused with a message, {len(outcome.failures)} failures "
          f"({seconds:.1f} s)")
    for name, what in outcome.failures:
        print(f"--- {name}\n{what}")
    return 1 if outcome.failures else 0


if __name__ == "__main__":
    sys.exit(main())
