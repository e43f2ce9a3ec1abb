"""dmsurvey's design-based figures against R's survey package.

`tests/reference/survey_reference.R` computes, for the bundled sample under its
stratified design (`src/dmsurvey/data/sample_draw.csv`: strata, population sizes,
nonresponse-adjusted weights), every share with its standard error, design effect, logit
and Korn-Graubard interval, domain estimates, a Rao-Scott test, and the svyglm logits and
svyolr ordered logits of the size regressions. Its output is committed beside it; these
tests compare dmsurvey's figures with it to 1e-6 relative, and rerun the script when R and
its survey package are installed so that the file cannot go stale.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dmsurvey.analysis.design import domain_mean, rao_scott
from dmsurvey.analysis.regressions import size_regressions
from dmsurvey.analysis.shares import shares
from dmsurvey.questionnaire.loader import load_questionnaire
from dmsurvey.sampling.record import respondent_design, respondent_rows
from dmsurvey.sampling.sample_design import read_draw_csv
from dmsurvey.store.sample import QUESTIONNAIRE, read_sample_csv

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
RELATIVE = 1e-6


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "survey_reference.csv", dtype={"term": str})


@pytest.fixture(scope="module")
def sample():
    responses = read_sample_csv()
    draw = read_draw_csv()
    return responses, load_questionnaire(QUESTIONNAIRE), respondent_design(responses, draw)


def figures(reference: pd.DataFrame, table: str) -> dict[tuple[str, str], dict[str, float]]:
    part = reference[reference["table"] == table]
    return {key: dict(zip(group["quantity"], group["value"], strict=True))
            for key, group in part.groupby(["name", "term"])}


def close(ours: float, theirs: float, relative: float = RELATIVE) -> bool:
    if np.isnan(theirs):
        return bool(np.isnan(ours))
    return abs(ours - theirs) <= relative * max(abs(theirs), 1e-12) + 1e-13


def test_reference_covers_every_select_question_of_the_questionnaire(sample):
    _, questionnaire, _ = sample
    listed = pd.read_csv(REFERENCE / "select_questions.csv")
    expected = [(q.id, q.type) for q in questionnaire.answerable if q.is_select]
    assert list(zip(listed["question"], listed["type"], strict=True)) == expected


def test_every_share_matches_svymean_and_svyciprop(sample, reference):
    responses, questionnaire, design = sample
    expected = figures(reference, "share")
    assert len(expected) > 120
    ours = {}
    for question in {name for name, _ in expected}:
        logit = shares(responses, question, questionnaire=questionnaire, design=design)
        beta = shares(responses, question, questionnaire=questionnaire, design=design,
                      interval="korn_graubard")
        for (_, row), (_, kg) in zip(logit.iterrows(), beta.iterrows(), strict=True):
            ours[(question, row["item"])] = {
                "estimate": row["share"], "std_err": row["std_err"], "deff": row["deff"],
                "df": row["df"], "logit_low": row["ci_low"], "logit_high": row["ci_high"],
                "kg_low": kg["ci_low"], "kg_high": kg["ci_high"]}
    # Where the design fixes a share (industries are strata), its standard error is 0
    # and R's Korn-Graubard interval degenerates to 0.5-0.5; dmsurvey gives the share
    # itself, as the logit interval does (docs/methodology.md)
    mismatches = [(key, quantity, ours[key][quantity], value)
                  for key, values in expected.items() for quantity, value in values.items()
                  if not close(ours[key][quantity], value)
                  and not (quantity.startswith("kg_") and values["std_err"] == 0)]
    assert mismatches == [], mismatches


def test_domain_estimates_match_svyby(sample, reference):
    responses, _, design = sample
    answers = responses["online_procurement_share"]
    buys_online = answers.isin(["51_75", "76_100"]).astype(float).where(answers.notna())
    size_group = respondent_rows(responses, read_draw_csv())["size_group"]
    for by, groups in (("industry", responses["industry"]), ("size_group", size_group)):
        expected = figures(reference, f"domain_{by}")
        assert len(expected) >= 5
        for (_, group), values in expected.items():
            result = domain_mean(buys_online.to_numpy(), design,
                                 (groups == group).to_numpy())
            assert close(result["estimate"], values["estimate"]), (by, group)
            assert close(result["std_err"], values["std_err"]), (by, group)


def test_rao_scott_test_matches_svychisq(sample, reference):
    responses, _, design = sample
    micro = np.where(pd.to_numeric(responses["employees_2019"]) < 10, "yes", "no")
    result = rao_scott(responses.assign(micro=micro), "cloud_status", "micro", design)
    expected = figures(reference, "rao_scott")[("cloud_status", "micro")]
    for quantity in ("statistic", "ndf", "ddf", "p_value"):
        assert close(result[quantity], expected[quantity]), quantity


def test_size_regressions_match_svyglm_and_svyolr(sample, reference):
    responses, questionnaire, design = sample
    table = size_regressions(responses, questionnaire=questionnaire, design=design,
                             industry=None)
    logits = figures(reference, "svyglm_logit")
    ordered = figures(reference, "svyolr")
    assert len(logits) == 15 and len(ordered) == 9
    for model, expected in (("logit", logits), ("ordered_logit", ordered)):
        for (outcome, measure), values in expected.items():
            row = table[(table["model"] == model) & (table["outcome"] == outcome)
                        & (table["size_measure"] == measure)].iloc[0]
            assert "design-based" in row["note"]
            assert close(row["coef"], values["coef"]), (model, outcome, measure)
            assert close(row["std_err"], values["std_err"]), (model, outcome, measure)


@pytest.mark.slow
def test_committed_reference_is_what_the_r_script_writes(tmp_path, reference):
    if shutil.which("Rscript") is None or subprocess.run(
            ["Rscript", "-e", "library(survey); library(MASS)"],
            capture_output=True).returncode != 0:
        pytest.skip("R with the survey and MASS packages is not installed "
                    "(Debian: r-cran-survey)")
    output = tmp_path / "reference.csv"
    subprocess.run(["Rscript", str(REFERENCE / "survey_reference.R"), str(output)],
                   check=True, capture_output=True)
    fresh = pd.read_csv(output, dtype={"term": str})
    assert list(fresh[["table", "name", "term", "quantity"]].itertuples(index=False)) == \
        list(reference[["table", "name", "term", "quantity"]].itertuples(index=False))
    assert all(close(a, b, 1e-9) for a, b in zip(fresh["value"], reference["value"],
                                                 strict=True))
