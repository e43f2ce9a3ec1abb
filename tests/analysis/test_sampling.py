"""Planning, drawing and weighting a sample: `dmsurvey sample size|draw` and `design`."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from dmsurvey.cli import app
from dmsurvey.errors import DataError
from dmsurvey.sampling.planning import (
    allocate,
    required_sample_size,
    stratified_draw,
    synthetic_register,
)
from dmsurvey.sampling.record import load_design, respondent_design
from dmsurvey.sampling.sample_design import DRAW_CSV, read_draw_csv, sample_draw
from dmsurvey.sampling.weighting import trim, weighting_steps
from dmsurvey.store.sample import read_sample_csv, sample_study

runner = CliRunner()


@pytest.fixture(scope="module")
def register_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("frame") / "register.csv"
    synthetic_register(20000).to_csv(path, index=False)
    return path


def test_sample_size_for_a_share_by_the_textbook_formula():
    result = required_sample_size(margin=0.05, share=0.5)
    assert result["n"] == 385  # 1.96^2 * 0.25 / 0.05^2 = 384.1
    corrected = required_sample_size(margin=0.05, share=0.3, deff=1.5, population=2000,
                                     response_rate=0.6)
    n0 = 1.959964**2 * 0.21 / 0.0025 * 1.5
    assert corrected["n"] == math.ceil(n0 / (1 + (n0 - 1) / 2000))
    assert corrected["contacts"] == math.ceil(corrected["n"] / 0.6)
    mean = required_sample_size(margin=2.0, sd=10.0)
    assert mean["n"] == math.ceil(1.959964**2 * 100 / 4)
    with pytest.raises(DataError, match="margin"):
        required_sample_size(margin=1.5)


def test_allocations_add_up_and_follow_their_rule():
    populations = pd.Series({"a": 6000, "b": 3000, "c": 1000})
    assert allocate(populations, 100).tolist() == [60, 30, 10]
    assert allocate(populations, 99, method="equal").tolist() == [33, 33, 33]
    spread = pd.Series({"a": 1.0, "b": 4.0, "c": 6.0})
    neyman = allocate(populations, 120, method="neyman", spread=spread)
    assert neyman.tolist() == [30, 60, 30]  # N_h S_h = 6000, 12000, 6000
    cost = pd.Series({"a": 1.0, "b": 4.0, "c": 1.0})
    optimal = allocate(populations, 120, method="optimal", spread=spread, cost=cost)
    assert optimal.tolist() == [40, 40, 40]  # N_h S_h / sqrt(c_h) = 6000, 6000, 6000
    small = allocate(pd.Series({"a": 1000, "b": 3}), 50)
    assert small.tolist() == [48, 2] and small.sum() == 50
    capped = allocate(pd.Series({"a": 100, "b": 2}), 60, method="equal")
    assert capped.tolist() == [58, 2]


def test_draw_of_400_from_20000_firms_reproduces_its_allocation(register_csv, tmp_path):
    output = tmp_path / "draw.csv"
    arguments = ["sample", "draw", str(register_csv), "--strata", "industry,size_class",
                 "--n", "400", "--allocation", "proportional", "--seed", "7",
                 "--id", "firm_id", "-o", str(output)]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    draw = pd.read_csv(output)
    table = pd.read_csv(tmp_path / "draw_allocation.csv")
    register = pd.read_csv(register_csv)
    sample = draw[draw["role"] == "sample"]
    drawn_per_stratum = sample.groupby("stratum").size()
    assert drawn_per_stratum.reindex(table["stratum"]).tolist() == table["allocated"].tolist()
    assert table["allocated"].sum() == 400 and len(sample) == 400
    # inclusion probabilities over the whole frame add up to n; weights to the frame
    assert (table["population"] * table["sampling_fraction"]).sum() == pytest.approx(400)
    assert sample["design_weight"].sum() == pytest.approx(len(register))
    expected = register.groupby(["industry", "size_class"]).size()
    expected.index = [f"{i}/{s}" for i, s in expected.index]
    allocated = table.set_index("stratum")["allocated"].reindex(expected.index)
    # strata too small for two firms by proportion get two (or all they have); the rest
    # share what is left in proportion to their size, rounded down or up
    small = 400 * expected / expected.sum() < 2
    assert (allocated[small] == np.minimum(expected[small], 2)).all()
    rest = (400 - allocated[small].sum()) * expected[~small] / expected[~small].sum()
    assert ((allocated[~small] == np.floor(rest)) | (allocated[~small] == np.ceil(rest))).all()
    # reserves are other firms of the same stratum, never drawn twice
    assert draw["firm_id"].is_unique
    assert (draw[draw["role"] == "reserve"].groupby("stratum").size()
            == np.ceil(0.5 * drawn_per_stratum).reindex(
                draw[draw["role"] == "reserve"]["stratum"].unique())).all()

    again = tmp_path / "again.csv"
    shuffled = tmp_path / "shuffled.csv"
    register.sample(frac=1, random_state=3).to_csv(shuffled, index=False)
    arguments[2] = str(shuffled)
    arguments[-1] = str(again)
    assert runner.invoke(app, arguments).exit_code == 0
    assert pd.read_csv(again)["firm_id"].tolist() == draw["firm_id"].tolist()
    other, _ = stratified_draw(register, strata=["industry", "size_class"], n=400, seed=8,
                               id_column="firm_id")
    assert other["firm_id"].tolist() != draw["firm_id"].tolist()


def test_draw_names_a_missing_column(register_csv):
    result = runner.invoke(app, ["sample", "draw", str(register_csv), "--strata", "sector",
                                 "--n", "10"])
    assert result.exit_code == 1
    assert isinstance(result.exception, DataError)
    assert "'sector'" in str(result.exception) and "register.csv" in str(result.exception)


def test_sample_size_command_per_stratum(register_csv):
    result = runner.invoke(app, ["sample", "size", "--margin", "0.1", "--frame",
                                 str(register_csv), "--strata", "industry",
                                 "--response-rate", "0.5"])
    assert result.exit_code == 0, result.output
    assert "manufacturing" in result.output and "total" in result.output


def test_weighting_steps_nonresponse_calibration_and_trimming():
    draw = pd.DataFrame({"stratum": ["a"] * 4 + ["b"] * 4,
                         "size": ["s", "l", "s", "l", "s", "s", "l", "l"],
                         "design_weight": [10.0] * 4 + [5.0] * 4,
                         "responded": [1, 1, 0, 1, 1, 0, 0, 1]})
    margins = pd.DataFrame({"variable": ["size", "size"], "category": ["s", "l"],
                            "population": [30.0, 30.0]})
    steps = weighting_steps(draw, margins=margins, trim_upper=1.5)
    after = steps["after_nonresponse"]
    assert after[draw["responded"] == 0].eq(0).all()
    assert after[draw["stratum"] == "a"].sum() == pytest.approx(40)
    assert after[draw["stratum"] == "b"].sum() == pytest.approx(20)
    calibrated = steps["after_calibration"].groupby(draw["size"]).sum()
    assert calibrated.tolist() == pytest.approx([30.0, 30.0])
    assert steps["weight"].sum() == pytest.approx(60.0)
    positive = steps["weight"][steps["weight"] > 0]
    assert positive.max() <= 1.5 * steps["after_calibration"][
        steps["after_calibration"] > 0].median() + 1e-9
    # 10 is cut to 3 x the median; the 7 cut off is spread over the other four
    assert trim(pd.Series([1.0, 1.0, 1.0, 1.0, 10.0]), upper=3).tolist() == pytest.approx(
        [2.75, 2.75, 2.75, 2.75, 3.0])


def test_bundled_draw_is_what_its_generator_writes():
    written = read_draw_csv()
    assert written.equals(read_draw_csv(DRAW_CSV))
    fresh = sample_draw()
    assert fresh["firm_id"].tolist() == written["firm_id"].tolist()
    assert np.allclose(fresh["weight"], written["weight"])
    respondents = written[written["responded"] == 1]
    assert len(respondents) == len(read_sample_csv())
    # nonresponse-adjusted weights carry the respondents to the frame
    assert respondents["weight"].sum() == pytest.approx(
        written.groupby("stratum")["population"].first().sum())


def test_design_command_records_weights_that_agree_with_the_bundled_ones(tmp_path):
    study = sample_study(tmp_path / "study")
    result = runner.invoke(app, ["design", str(study.path), "--show"])
    assert result.exit_code == 1 and "no design" in result.output
    result = runner.invoke(app, ["design", str(study.path), "--frame", str(DRAW_CSV),
                                 "--strata", "stratum"])
    assert result.exit_code == 0, result.output
    assert "software_it/micro" in result.output and "kish_deff" in result.output
    draw, spec = load_design(study.path)
    bundled = read_draw_csv()
    assert np.allclose(draw["weight"], bundled["weight"])
    responses = study.responses()
    design = respondent_design(responses, draw, spec)
    assert design.weights.sum() == pytest.approx(7967)


def test_a_study_with_a_design_is_analysed_design_based_and_says_so(tmp_path):
    study = sample_study(tmp_path / "study")
    plain = runner.invoke(app, ["shares", str(study.path), "online_procurement_share",
                                "--by", "size_class"])
    assert plain.exit_code == 0, plain.output
    assert "Unweighted: the study has no survey design" in plain.output
    assert "medium" in plain.output
    by_level = runner.invoke(app, ["shares", str(study.path), "tech_used", "--by", "level"])
    assert by_level.exit_code == 0, by_level.output

    assert runner.invoke(app, ["design", str(study.path), "--frame", str(DRAW_CSV),
                               "--strata", "stratum"]).exit_code == 0
    result = runner.invoke(app, ["analyze", str(study.path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Estimates: design-based (99 firms in 14 strata" in result.output
    tables = tmp_path / "out" / "tables"
    shares = pd.read_csv(tables / "shares.csv")
    assert {"std_err", "deff", "df"} <= set(shares.columns)
    regressions = pd.read_csv(tables / "size_regressions.csv")
    assert regressions["note"].str.contains("design-based").all()
    obstacles = pd.read_csv(tables / "obstacle_breakdowns.csv")
    assert "rao_scott_f" in set(obstacles["test"]) or obstacles["note"].str.contains(
        "design-based test needs every cell").all()
    weighted = runner.invoke(app, ["shares", str(study.path), "online_procurement_share"])
    assert "Design-based estimates with logit intervals" in weighted.output


def test_design_command_rakes_to_margins_and_trims(tmp_path):
    study = sample_study(tmp_path / "study")
    draw = read_draw_csv()
    totals = draw.groupby("stratum")["population"].first()
    industries = totals.groupby(totals.index.str.split("/").str[0]).sum()
    margins = tmp_path / "margins.csv"
    pd.DataFrame({"variable": "industry", "category": industries.index,
                  "population": industries.to_numpy() * 1.1}).to_csv(margins, index=False)
    result = runner.invoke(app, ["design", str(study.path), "--frame", str(DRAW_CSV),
                                 "--strata", "stratum", "--margins", str(margins),
                                 "--trim", "4"])
    assert result.exit_code == 0, result.output
    recorded, _ = load_design(study.path)
    respondents = recorded[recorded["responded"] == 1]
    assert {"after_nonresponse", "after_calibration", "after_trimming"} <= set(recorded)
    raked = respondents.groupby("industry")["after_calibration"].sum()
    assert raked.to_numpy() == pytest.approx(industries.reindex(raked.index).to_numpy() * 1.1)
    weights = respondents["weight"]
    assert weights.max() <= 4 * respondents["after_calibration"].median() + 1e-6
    assert weights.sum() == pytest.approx(respondents["after_calibration"].sum())
