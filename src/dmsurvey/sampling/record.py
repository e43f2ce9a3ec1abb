"""The design kept with a study: which firm was drawn from which stratum with which
probability, the weights after each adjustment, and the `SurveyDesign` of the
respondents that the analyses use.

A study's design lives in its folder as `design/draw.csv` (one row per drawn firm, the
columns of `dmsurvey.sampling.weighting.weighting_steps` included) and
`design/design.json` (which columns are the strata, PSUs, population sizes, weights and
the link to the responses).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dmsurvey.analysis.design import SurveyDesign
from dmsurvey.errors import AnalysisError, Problem

DESIGN_FOLDER = "design"


@dataclass(frozen=True)
class DesignSpec:
    """Column names of a draw: `link` (shared with the responses), `strata`, `psu`,
    `fpc` (population size of the stratum) and `weight` (the final weight)."""

    link: str = "response_id"
    strata: tuple[str, ...] = ("stratum",)
    psu: str | None = None
    fpc: str | None = "population"
    weight: str = "weight"


def respondent_design(responses: pd.DataFrame, draw: pd.DataFrame,
                      spec: DesignSpec = DesignSpec()) -> SurveyDesign:
    """The `SurveyDesign` of `responses` (in their order): each response is matched to
    its row of the draw by `spec.link`; a response without a drawn firm is an error."""
    rows = respondent_rows(responses, draw, spec)
    return SurveyDesign.from_frame(rows, weights=spec.weight, strata=list(spec.strata),
                                   psu=spec.psu, fpc=spec.fpc)


def respondent_rows(responses: pd.DataFrame, draw: pd.DataFrame,
                    spec: DesignSpec = DesignSpec()) -> pd.DataFrame:
    """The draw's rows of the responding firms, in the order of `responses`."""
    for frame, what in ((responses, "responses"), (draw, "draw")):
        if spec.link not in frame.columns:
            raise AnalysisError(f"the {what} have no column {spec.link!r} to link "
                                "responses to the draw",
                                [Problem("missing column", column=spec.link)])
    keys = draw[spec.link].astype("string")
    indexed = draw[keys.notna().to_numpy()].set_index(keys[keys.notna()].to_numpy())
    wanted = responses[spec.link].astype("string").to_numpy()
    unknown = [i for i, key in enumerate(wanted) if key not in indexed.index]
    if unknown:
        raise AnalysisError(
            "responses without a drawn firm in the design",
            [Problem("not in the draw", row=i + 1, column=spec.link, value=wanted[i])
             for i in unknown[:20]])
    rows = indexed.loc[wanted].reset_index(drop=True)
    rows.index = responses.index
    return rows


def save_design(study_path: str | Path, draw: pd.DataFrame, spec: DesignSpec) -> Path:
    """Write the draw and the spec into the study folder; return the folder."""
    folder = Path(study_path) / DESIGN_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / "draw.csv.partial"
    draw.to_csv(temporary, index=False, lineterminator="\n")
    temporary.replace(folder / "draw.csv")
    (folder / "design.json").write_text(json.dumps(asdict(spec), indent=2) + "\n",
                                        encoding="utf-8")
    return folder


def load_design(study_path: str | Path) -> tuple[pd.DataFrame, DesignSpec] | None:
    """The study's draw and spec, or None when the study has no design."""
    folder = Path(study_path) / DESIGN_FOLDER
    if not (folder / "design.json").exists():
        return None
    values = json.loads((folder / "design.json").read_text(encoding="utf-8"))
    values["strata"] = tuple(values.get("strata") or ())
    spec = DesignSpec(**values)
    draw = pd.read_csv(folder / "draw.csv", dtype={spec.link: "string"})
    return draw, spec


def weight_summary(weights: np.ndarray) -> dict[str, float]:
    """Spread of the weights: smallest, median, largest, ratio largest/smallest and
    Kish's design effect of unequal weighting 1 + CV^2."""
    values = np.asarray(weights, dtype=float)
    values = values[values > 0]
    return {"min": float(values.min()), "median": float(np.median(values)),
            "max": float(values.max()), "ratio": float(values.max() / values.min()),
            "kish_deff": float(len(values) * (values**2).sum() / values.sum() ** 2)}
