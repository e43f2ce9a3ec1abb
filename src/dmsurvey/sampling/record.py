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
    repeated = keys[keys.notna() & keys.duplicated()]
    if len(repeated):
        raise AnalysisError(f"the draw lists a firm twice in {spec.link!r}",
                            [Problem("repeated id", column=spec.link, value=value)
                             for value in repeated.unique()[:20]])
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


def record_design(study_path: str | Path, draw: pd.DataFrame, *,
                  strata: tuple[str, ...], psu: str | None = None, fpc: str | None = None,
                  link: str = "response_id", classes: tuple[str, ...] = (),
                  margins: pd.DataFrame | None = None, cells: pd.DataFrame | None = None,
                  trim_upper: float | None = None, source: str = "the draw"
                  ) -> pd.DataFrame:
    """Attach a draw to the study at `study_path`: mark which drawn firms answered (their
    `link` value is among the study's responses), weight the respondents (design weight,
    nonresponse within `classes` or the strata, then calibration and trimming as asked),
    and save draw and weights in the study. Returns the saved draw.

    The draw needs `design_weight` (or `inclusion_probability`) per firm; firms marked
    `role = reserve` that did not answer were never contacted and are left out.
    """
    from dmsurvey.analysis.inputs import load_responses
    from dmsurvey.sampling.weighting import weighting_steps

    named = [c for c in [*strata, psu, fpc, link, *classes] if c]
    missing = [c for c in named if c not in draw.columns]
    if missing:
        raise AnalysisError(f"{source} has no column {', '.join(map(repr, missing))}",
                            [Problem("missing column", file=source, column=c)
                             for c in missing])
    draw = draw.copy()
    if "design_weight" not in draw.columns:
        if "inclusion_probability" not in draw.columns:
            raise AnalysisError(f"{source} needs a design_weight or inclusion_probability "
                                "column", [Problem("missing column", file=source,
                                                   column="design_weight")])
        draw["design_weight"] = 1 / pd.to_numeric(draw["inclusion_probability"])
    responses, _ = load_responses(study_path)
    if link not in responses.columns:
        raise AnalysisError(f"the study's responses have no column {link!r} to link them "
                            "to the draw", [Problem("missing column", column=link)])
    answered = set(responses[link].dropna().astype(str))
    draw["responded"] = draw[link].astype("string").isin(answered).fillna(False).astype(int)
    if "role" in draw.columns:
        draw = draw[(draw["role"] != "reserve") | (draw["responded"] == 1)]
    drawn_ids = set(draw[link].dropna().astype(str))
    unknown = sorted(answered - drawn_ids)
    if unknown:
        raise AnalysisError(
            f"{len(unknown)} responses are not in {source} (every respondent must be a "
            "drawn firm)", [Problem("not in the draw", column=link, value=v)
                            for v in unknown[:20]])
    steps = weighting_steps(draw, classes=classes or strata, cells=cells, margins=margins,
                            trim_upper=trim_upper)
    for column in steps.columns:
        draw[column] = steps[column]
    spec = DesignSpec(link=link, strata=tuple(strata), psu=psu, fpc=fpc, weight="weight")
    save_design(study_path, draw.reset_index(drop=True), spec)
    return draw.reset_index(drop=True)


def design_overview(draw: pd.DataFrame, spec: DesignSpec) -> dict[str, pd.DataFrame]:
    """What a reader of the study's design wants to see: per stratum its population,
    firms drawn, respondents, response rate and weights (`strata`), and the spread of the
    weights (`weights`: min, median, max, ratio, Kish design effect)."""
    keys = draw[list(spec.strata)].astype(str).agg("/".join, axis=1)
    grouped = draw.assign(_stratum=keys).groupby("_stratum", sort=True)
    strata = pd.DataFrame({
        "population": grouped[spec.fpc].first() if spec.fpc else grouped.size() * np.nan,
        "drawn": grouped.size(),
        "responded": grouped["responded"].sum(),
    })
    strata["response_rate"] = strata["responded"] / strata["drawn"]
    strata["design_weight"] = grouped["design_weight"].mean()
    strata["weight"] = grouped["weight"].max()
    strata = strata.rename_axis("stratum").reset_index()
    respondents = draw.loc[draw["responded"] == 1, "weight"].to_numpy(float)
    spread = pd.DataFrame([weight_summary(respondents)])
    return {"strata": strata, "weights": spread}
