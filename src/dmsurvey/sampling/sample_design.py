"""The design of the bundled sample study: a stratified draw from a synthetic zone register.

The 2020 survey's sampling was not published, so the bundled sample gets a plausible,
documented one (run ``python -m dmsurvey.sampling.sample_design`` to rewrite the CSV):

* **Frame.** A register of the zone's firms by industry and size. Strata are industry x
  employee size group: micro (under 10), small (10-49) and medium or large (50 and more),
  where an industry's groups with few firms in the zone are joined (`STRATA` lists them):
  only manufacturing keeps three groups, information and communication is one stratum.
* **Draw.** Within each stratum firms were drawn without replacement, at a sampling
  fraction that rises with size (`SAMPLING_FRACTION`): larger firms are fewer and matter
  more for the totals. The firm's inclusion probability is n_h / N_h and its design weight
  N_h / n_h.
* **Response.** Each of the 99 sample firms is a respondent of its stratum; the drawn
  firms that did not answer (refusals and firms not reached) are added per stratum with a
  seeded response rate between 45% and 80%.
* **Weights.** Nonresponse is adjusted within strata (respondents carry the design weight
  of the drawn firms of their stratum), so a respondent's weight is N_h / r_h.

Nothing here changes an answer of the sample: the design is a table beside it, linked by
`response_id`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20191231
DRAW_CSV = Path(__file__).resolve().parent.parent / "data" / "sample_draw.csv"

# Size groups of each industry's strata, by lower bound in employees.
STRATA: dict[str, tuple[tuple[str, int], ...]] = {
    "manufacturing": (("micro", 0), ("small", 10), ("medium_large", 50)),
    "business_services": (("micro", 0), ("small_plus", 10)),
    "info_comm": (("all_sizes", 0),),
    "other": (("micro", 0), ("small_plus", 10)),
    "sci_tech_services": (("micro", 0), ("small_plus", 10)),
    "software_it": (("micro", 0), ("small_plus", 10)),
    "wholesale_retail": (("micro", 0), ("small_plus", 10)),
}
SAMPLING_FRACTION = {"micro": 0.01, "small": 0.05, "small_plus": 0.04, "medium_large": 0.25,
                     "all_sizes": 0.06}
RESPONSE_RATES = (0.45, 0.80)
DRAW_COLUMNS = ["firm_id", "industry", "size_group", "stratum", "population", "drawn",
                "inclusion_probability", "design_weight", "disposition", "responded",
                "response_id", "weight"]


def size_group(industry: str, employees: float) -> str:
    """The size group of a firm's stratum in its industry (the largest group whose lower
    bound it reaches; a firm without a head count goes to the industry's first group)."""
    groups = STRATA.get(industry, STRATA["other"])
    chosen = groups[0][0]
    for name, lower in groups:
        if not np.isnan(employees) and employees >= lower:
            chosen = name
    return chosen


def sample_draw(responses: pd.DataFrame | None = None, seed: int = SEED) -> pd.DataFrame:
    """The draw behind the bundled sample: one row per drawn firm (respondents first, in
    the sample's order), columns `DRAW_COLUMNS`."""
    from dmsurvey.store.sample import read_sample_csv

    responses = read_sample_csv() if responses is None else responses
    rng = np.random.default_rng(seed)
    employees = pd.to_numeric(responses["employees_2019"], errors="coerce").to_numpy(float)
    industry = responses["industry"].fillna("other").astype(str).to_numpy()
    groups = [size_group(i, e) for i, e in zip(industry, employees, strict=True)]
    respondents = pd.DataFrame({"industry": industry, "size_group": groups,
                                "response_id": responses["response_id"].to_numpy()})
    respondents["stratum"] = respondents["industry"] + "/" + respondents["size_group"]
    parts = [respondents.assign(disposition="responded")]
    for stratum, members in respondents.groupby("stratum", sort=True):
        rate = rng.uniform(*RESPONSE_RATES)
        drawn = int(np.ceil(len(members) / rate))
        refusals = drawn - len(members)
        dispositions = rng.choice(["refused", "not_reached"], size=refusals, p=[0.6, 0.4])
        parts.append(pd.DataFrame({
            "industry": members["industry"].iloc[0], "size_group": members["size_group"].iloc[0],
            "stratum": stratum, "response_id": None, "disposition": dispositions}))
    draw = pd.concat(parts, ignore_index=True)
    draw["drawn"] = draw.groupby("stratum")["stratum"].transform("size")
    fraction = draw["size_group"].map(SAMPLING_FRACTION)
    draw["population"] = (draw["drawn"] / fraction).round().astype("int64")
    draw["inclusion_probability"] = draw["drawn"] / draw["population"]
    draw["design_weight"] = draw["population"] / draw["drawn"]
    draw["responded"] = (draw["disposition"] == "responded").astype("int64")
    respondents_per_stratum = draw.groupby("stratum")["responded"].transform("sum")
    draw["weight"] = np.where(draw["responded"] == 1,
                              draw["population"] / respondents_per_stratum, 0.0)
    frame_size = int(draw.groupby("stratum")["population"].first().sum())
    draw["firm_id"] = [f"Z{number:05d}" for number in
                       rng.permutation(frame_size)[:len(draw)] + 1]
    return draw[DRAW_COLUMNS]


def write_draw_csv(path: str | Path = DRAW_CSV) -> Path:
    """Write the bundled draw (as `sample_draw` returns it) and return its path."""
    path = Path(path)
    sample_draw().to_csv(path, index=False, lineterminator="\n", float_format="%.10g")
    return path


def read_draw_csv(path: str | Path = DRAW_CSV) -> pd.DataFrame:
    """The bundled draw as written."""
    return pd.read_csv(path, dtype={"response_id": "str", "firm_id": "str"})


def record_sample_design(study_path: str | Path) -> None:
    """Record the bundled draw as the design of a sample study (`sample_study`), with the
    weights adjusted for nonresponse within strata."""
    from dmsurvey.sampling.record import record_design

    record_design(study_path, read_draw_csv(), strata=("stratum",), fpc="population",
                  link="response_id", source=str(DRAW_CSV))


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m dmsurvey.sampling.sample_design [OUTPUT.csv]`: rewrite the bundled draw."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    path = write_draw_csv(arguments[0] if arguments else DRAW_CSV)
    print(f"Wrote the sample's draw to {path}")


if __name__ == "__main__":
    main()
