"""The second sample wave: the same development zone surveyed again in July 2022.

Made up like the 2020 sample (see `dmsurvey.store.sample`), from the 2020 firms themselves, so
the two waves form a panel a re-assessment can analyse. Run ``python -m
dmsurvey.store.sample_2022`` to rewrite the bundled CSV.

* About 80 of the 99 firms answer again; larger firms were likelier to take part again, as
  in real panels, so the attrition table has something to find. About 20 new firms join.
* Change over two years: more firms move to the cloud, sell and buy more online and take up
  digital technologies (a few drop one); the larger a firm, the likelier it moves, so the
  largest firms move first. Firms grow a little. Everything else is answered as in 2020.
* Identity: returning firms give the same unified social credit code, except some that
  leave it blank this time (and those that left it blank in 2020). Some of these unkeyed
  firms write their name differently or have a new respondent, so `dmsurvey link` has real
  work to do. `panel_truth()` says which 2022 response is which 2020 firm.
* The instrument is the 2020 questionnaire asked again; its `*_2019` size questions hold the
  latest year's figures in this wave.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dmsurvey.store.sample import (
    CREDIT_CODE_BLANK,
    CREDIT_CODE_STREAM,
    N_FIRMS,
    QUESTIONNAIRE,
    SEED,
    _cell,
    _respondents,
    credit_codes,
    generate_sample,
    read_sample_csv,
)

if TYPE_CHECKING:
    import pandas as pd

    from dmsurvey.store.study import Study

SEED_2022 = 20220715
RETURNING = 80
NEW_FIRMS = 21
# Returning firms that had a code in 2020 but leave it blank in 2022.
CODE_LEFT_BLANK = 12
SAMPLE_2022_CSV = Path(__file__).resolve().parent.parent / "data" / "sample_responses_2022.csv"
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://dmsurvey.invalid/sample/sme-digital-2022")

SHARE_BANDS = ("none", "1_25", "26_50", "51_75", "76_100")
CLOUD_STEPS = {"no_plan": "planning", "planning": "migrated"}
# Chance (times a firm's propensity to move) that a firm takes up each technology.
TECH_UPTAKE = {"big_data": 0.35, "ai": 0.2, "5g": 0.3, "industrial_internet": 0.15,
               "industrial_apps": 0.1}
TECH_DROP = 0.06
# Firm names as people also write them: the same firm, spelled otherwise.
NAME_VARIANTS = (
    lambda name: name.replace("有限公司", "股份有限公司"),
    lambda name: name.removeprefix("上海").replace("有限公司", "（上海）有限公司"),
    lambda name: name.replace("有限公司", "有限责任公司"),
    lambda name: name.removeprefix("上海"),
)


def _wave(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The 2022 wave as text codes, and the pairs (response_id_2020, response_id_2022)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    before = generate_sample(SEED)
    employees = pd.to_numeric(before["employees_2019"]).to_numpy(dtype=float)
    size_rank = pd.Series(employees).rank(pct=True).to_numpy()
    # Bigger firms come back more often.
    stay_weight = np.exp(1.5 * size_rank)
    returning = np.sort(rng.choice(N_FIRMS, RETURNING, replace=False,
                                   p=stay_weight / stay_weight.sum()))
    again = before.iloc[returning].reset_index(drop=True).copy()
    propensity = 0.2 + 0.7 * size_rank[returning] ** 1.5
    _move(again, propensity, rng)
    _grow(again, rng)
    unkeyed = _forget_codes(again, rng)
    _rename_and_reassign(again, unkeyed, rng)

    newcomers = _newcomers(before, seed, rng)
    frame = pd.concat([again, newcomers], ignore_index=True)
    frame["response_id"] = [str(uuid.uuid5(_ID_NAMESPACE, f"{seed}/{firm}"))
                            for firm in range(len(frame))]
    frame["submitted_at"] = frame["submitted_at"].str.replace("2020-07-", "2022-07-", regex=False)
    truth = pd.DataFrame({"response_id_2020": before["response_id"].iloc[returning].to_numpy(),
                          "response_id_2022": frame["response_id"].iloc[:RETURNING].to_numpy()})
    frame = frame.astype("str").sort_values(["submitted_at", "response_id"], ignore_index=True)
    return frame, truth


def _move(frame: pd.DataFrame, propensity: np.ndarray, rng: np.random.Generator) -> None:
    """Two years of digital change: cloud, online trade, technologies, self-rating."""
    moves = rng.random(len(frame)) < propensity
    frame["cloud_status"] = np.where(moves, frame["cloud_status"].map(CLOUD_STEPS)
                                     .fillna(frame["cloud_status"]), frame["cloud_status"])
    for question, chance in (("online_sales_share", 0.8), ("online_procurement_share", 0.5)):
        up = rng.random(len(frame)) < chance * propensity
        bands = frame[question].map(SHARE_BANDS.index).to_numpy()
        frame[question] = [SHARE_BANDS[min(band + step, 4)] for band, step in zip(bands, up,
                                                                                    strict=True)]
    tech = []
    for used, firm_propensity in zip(frame["tech_used"], propensity, strict=True):
        # Draws in a fixed order: the file must not depend on the hash order of a set.
        chosen = {code for code in used.split() if code != "none" and rng.random() >= TECH_DROP}
        chosen |= {code for code, chance in TECH_UPTAKE.items()
                   if rng.random() < chance * firm_propensity}
        tech.append(" ".join(code for code in TECH_UPTAKE_ORDER if code in chosen) or "none")
    frame["tech_used"] = tech
    rating = frame["self_maturity"].astype(int) + (rng.random(len(frame)) < 0.4 * propensity)
    frame["self_maturity"] = rating.clip(upper=5).astype(str)


TECH_UPTAKE_ORDER = ("industrial_internet", "5g", "big_data", "ai", "industrial_apps")


def _grow(frame: pd.DataFrame, rng: np.random.Generator) -> None:
    import pandas as pd

    for column, drift, spread in (("employees_2019", 0.05, 0.12), ("revenue_2019", 0.08, 0.2),
                                  ("assets_2019", 0.06, 0.15)):
        values = pd.to_numeric(frame[column]).to_numpy(dtype=float)
        grown = values * rng.lognormal(drift, spread, len(frame))
        grown = np.maximum(np.round(grown), 1) if column == "employees_2019" else np.round(grown)
        frame[column] = [_cell(value) for value in grown]


def _forget_codes(frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Leave out some returning firms' codes; positions of every unkeyed returning firm."""
    keyed = np.flatnonzero(frame["credit_code"].notna().to_numpy())
    forgotten = rng.choice(keyed, CODE_LEFT_BLANK, replace=False)
    frame.loc[forgotten, "credit_code"] = None
    return np.flatnonzero(frame["credit_code"].isna().to_numpy())


def _rename_and_reassign(frame: pd.DataFrame, unkeyed: np.ndarray, rng: np.random.Generator):
    """Unkeyed firms spell their name otherwise, and some have a new respondent."""
    for position, firm in enumerate(rng.permutation(unkeyed)):
        if position % 3 != 2:
            variant = NAME_VARIANTS[position % len(NAME_VARIANTS)]
            frame.loc[firm, "firm_name"] = variant(frame.loc[firm, "firm_name"])
    new_people = _respondents(rng)
    for firm in range(len(frame)):
        if rng.random() < 0.2:
            frame.loc[firm, "respondent_name"] = new_people["respondent_name"][firm]
            frame.loc[firm, "respondent_phone"] = new_people["respondent_phone"][firm]
            frame.loc[firm, "respondent_role"] = rng.choice(
                ["senior_manager", "middle_manager", "staff"])


def _newcomers(before: pd.DataFrame, seed: int, rng: np.random.Generator) -> pd.DataFrame:
    """New firms: drawn like the 2020 firms, with names and codes of their own."""
    pool = generate_sample(seed)
    pool = pool[~pool["firm_name"].isin(before["firm_name"])]
    chosen = pool.iloc[np.sort(rng.choice(len(pool), NEW_FIRMS, replace=False))]
    chosen = chosen.reset_index(drop=True).copy()
    codes = credit_codes(NEW_FIRMS + N_FIRMS, np.random.default_rng([seed, CREDIT_CODE_STREAM]))
    fresh = [code for code in codes if code not in set(before["credit_code"].dropna())]
    chosen["credit_code"] = fresh[:NEW_FIRMS]
    blank = rng.choice(NEW_FIRMS, max(1, CREDIT_CODE_BLANK // 3), replace=False)
    chosen.loc[blank, "credit_code"] = None
    return chosen


# ---------------------------------------------------------------------------------------------
# Public API


def generate_sample_2022(seed: int = SEED_2022) -> pd.DataFrame:
    """The 2022 wave as a flat frame of codes, in the columns of the 2020 sample."""
    return _wave(seed)[0]


def panel_truth(seed: int = SEED_2022) -> pd.DataFrame:
    """Which 2022 response is which 2020 firm: `response_id_2020, response_id_2022`."""
    return _wave(seed)[1]


def write_sample_2022_csv(path: str | Path = SAMPLE_2022_CSV, seed: int = SEED_2022) -> Path:
    """Write the 2022 wave as UTF-8 CSV and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    generate_sample_2022(seed).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def sample_study_2022(path: str | Path) -> Study:
    """Create a study folder at `path` holding the 2022 wave, and return it."""
    from dmsurvey.store.study import init_study

    study = init_study(path, questionnaire=QUESTIONNAIRE)
    study.add_responses(read_sample_csv(SAMPLE_2022_CSV), who="sample")
    return study


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m dmsurvey.store.sample_2022 [OUTPUT.csv]`: rewrite the bundled 2022 wave."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    path = write_sample_2022_csv(arguments[0] if arguments else SAMPLE_2022_CSV)
    print(f"Wrote {RETURNING + NEW_FIRMS} firms of the 2022 wave to {path}")


if __name__ == "__main__":
    main()
