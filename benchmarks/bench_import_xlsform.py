"""Benchmark: importing 100,000 responses of a form with a calculation and a cascading select.

    python benchmarks/bench_import_xlsform.py                # 100,000 responses
    python benchmarks/bench_import_xlsform.py --rows 10000
    python benchmarks/bench_import_xlsform.py --repeats      # with 3 instances each

The form (written here, in the shape of a KoboToolbox form) asks a state, a city filtered by
the state (`choice_filter`), staff and managers, and calculates staff per manager. The
same responses are imported into a study of that form and into a study of the same form
without the calculation and the filter; the ratio of the two is what the calculation and
the filter cost. Both are worked out column-wise (per distinct code for the filter), never
row by row, so the ratio stays near 1 whatever the number of rows.

With `--repeats` the form is a household roster instead, imported from an ODK Central ZIP
export: members repeated three times per response, a birth year calculated in each instance
and the sum of the ages over them, against the same form without the calculations.
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from bench_import import REPEATS, best_of

from dmsurvey.questionnaire.xlsform import questionnaire_yaml
from dmsurvey.store.importing import import_files
from dmsurvey.store.study import init_study

STATES = {f"s{state}": [f"s{state}c{city}" for city in range(20)] for state in range(30)}
FORM = {
    "name": "cascading-bench",
    "version": "1",
    "title": {"en": "Cascading selects"},
    "languages": ["en"],
    "choice_lists": {
        "states": [{"code": state, "label": {"en": state}} for state in STATES],
        "cities": [{"code": city, "label": {"en": city}, "properties": {"state": state}}
                   for state, cities in STATES.items() for city in cities],
    },
    "sections": [{"id": "firm", "title": {"en": "Firm"}, "questions": [
        {"id": "state", "type": "select_one", "label": {"en": "State"}, "choices": "states"},
        {"id": "city", "type": "select_one", "label": {"en": "City"}, "choices": "cities",
         "choice_filter": "state = ${state}"},
        {"id": "staff", "type": "integer", "label": {"en": "Staff"}},
        {"id": "managers", "type": "integer", "label": {"en": "Managers"}},
        {"id": "per_manager", "type": "calculate",
         "calculation": "round(${staff} div ${managers}, 1)"},
    ]}],
}


def plain_form() -> dict:
    """The same form without the calculation and the filter: the baseline."""
    plain = copy.deepcopy(FORM)
    questions = plain["sections"][0]["questions"]
    del questions[1]["choice_filter"]
    questions[-1] = {"id": "per_manager", "type": "text", "label": {"en": "Per manager"}}
    return plain


def responses(rows: int, seed: int = 2020) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    states = np.array(list(STATES), dtype=object)[rng.integers(0, len(STATES), rows)]
    cities = [f"{state}c{city}" for state, city in zip(states, rng.integers(0, 20, rows),
                                                         strict=True)]
    staff, managers = rng.integers(1, 500, rows), rng.integers(1, 20, rows)
    return pd.DataFrame({"response_id": [f"r{n:07d}" for n in range(rows)], "state": states,
                         "city": cities, "staff": staff, "managers": managers,
                         # as the calculation rounds: halves away from zero (numpy's round
                         # takes halves to even)
                         "per_manager": np.floor(staff / managers * 10 + 0.5) / 10})


MEMBERS = 3
ROSTER = {
    "name": "roster-bench",
    "version": "1",
    "title": {"en": "Household roster"},
    "languages": ["en"],
    "sections": [
        {"id": "household", "title": {"en": "Household"}, "questions": [
            {"id": "n_members", "type": "integer", "label": {"en": "Members"}}]},
        {"id": "members", "title": {"en": "Members"}, "repeat": {"count": "${n_members}"},
         "questions": [
             {"id": "age", "type": "integer", "label": {"en": "Age"}},
             {"id": "born", "type": "calculate", "calculation": "2024 - ${age}"}]},
        {"id": "closing", "title": {"en": "Closing"}, "questions": [
            {"id": "total_age", "type": "calculate", "calculation": "sum(${age})"}]},
    ],
}


def plain_roster() -> dict:
    """The roster without its calculations: the baseline."""
    plain = copy.deepcopy(ROSTER)
    plain["sections"][1]["questions"][1] = {"id": "born", "type": "integer",
                                            "label": {"en": "Born"}}
    plain["sections"][2]["questions"][0] = {"id": "total_age", "type": "integer",
                                            "label": {"en": "Total age"}}
    return plain


def roster_export(path: Path, rows: int, seed: int = 2020) -> Path:
    """An ODK Central ZIP export of `rows` households of three members each."""
    ages = np.random.default_rng(seed).integers(1, 90, (rows, MEMBERS))
    keys = np.array([f"uuid:{n:08d}-0000-4000-8000-000000000000" for n in range(rows)],
                    dtype=object)
    households = pd.DataFrame({"household-n_members": MEMBERS,
                               "closing-total_age": ages.sum(axis=1), "KEY": keys})
    members = pd.DataFrame({
        "age": ages.ravel(), "born": (2024 - ages).ravel(),
        "PARENT_KEY": np.repeat(keys, MEMBERS),
        "KEY": [f"{key}/members[{number}]" for key in keys
                for number in range(1, MEMBERS + 1)]})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("roster.csv", households.to_csv(index=False))
        archive.writestr("roster-members.csv", members.to_csv(index=False))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", action="store_true",
                        help="a household roster with calculations in and over a repeat")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dmsurvey-xlsform-import-") as folder:
        folder = Path(folder)
        if arguments.repeats:
            data = roster_export(folder / "roster.zip", arguments.rows)
            forms = (("plain", plain_roster()), ("calculated", ROSTER))
        else:
            data = folder / "responses.csv"
            responses(arguments.rows).to_csv(data, index=False)
            forms = (("plain", plain_form()), ("calculated", FORM))
        seconds = {}
        for name, form in forms:
            path = folder / f"{name}.yaml"
            path.write_text(questionnaire_yaml(form), encoding="utf-8")
            studies = iter(init_study(folder / f"{name}-{n}", path) for n in range(REPEATS))
            results = []
            seconds[name] = best_of(REPEATS, lambda studies=studies, results=results:
                                    results.append(import_files(next(studies), [data])))
            if any(result.added != arguments.rows for result in results):
                raise SystemExit(f"not every row was imported into the {name} study")
    what = "calculations in and over repeats" if arguments.repeats else \
        "calculation and filter"
    shape = f" of {MEMBERS} instances each" if arguments.repeats else ""
    print(f"{arguments.rows:,} responses{shape}; best of {REPEATS} imports, each into a "
          "fresh study")
    print(f"{'without ' + what:<40} {seconds['plain']:8.3f} s")
    print(f"{'with ' + what:<40} {seconds['calculated']:8.3f} s")
    print(f"{'ratio':<40} {seconds['calculated'] / seconds['plain']:8.2f}x")


if __name__ == "__main__":
    main()
