import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.miscmodels.ordinal_model import OrderedModel

from dmsurvey.analysis.regressions import (
    CONTRACT_COLUMNS,
    adoption_outcomes,
    size_regressions,
)
from dmsurvey.questionnaire.loader import load_questionnaire

BANDS = ["none", "1_25", "26_50", "51_75", "76_100"]


@pytest.fixture(scope="module")
def questionnaire():
    return load_questionnaire("sme-digital-2020")


@pytest.fixture(scope="module")
def firms():
    """300 firms whose online procurement rises with size; a few unusable sizes."""
    rng = np.random.default_rng(7)
    n = 300
    employees = np.round(np.exp(rng.normal(3, 1.2, n))).astype(int)
    revenue = np.exp(rng.normal(6, 1.5, n))
    latent = 0.9 * np.log(np.maximum(employees, 1)) + rng.logistic(size=n) - 3.5
    band = np.digitize(latent, [-2.0, -0.5, 0.5, 1.5])
    sales = rng.integers(0, 5, n)
    industry = rng.choice(["manufacturing", "software_it", "wholesale_retail"], n)
    frame = pd.DataFrame({
        "industry": industry,
        "employees_2019": pd.array(employees, dtype="Int64"),
        "revenue_2019": revenue,
        "online_procurement_share": [BANDS[b] for b in band],
        "online_sales_share": [BANDS[b] for b in sales],
    })
    frame.loc[0, "employees_2019"] = 0          # leaves the employees models
    frame.loc[1, "employees_2019"] = pd.NA      # likewise
    frame.loc[2, "online_procurement_share"] = None
    return frame


def _design(frame, measure):
    usable = frame[frame[measure].astype(float) > 0]
    return usable, np.log(usable[measure].astype(float))


def test_contract_columns_come_first(firms, questionnaire):
    table = size_regressions(firms, questionnaire=questionnaire)
    assert list(table.columns[: len(CONTRACT_COLUMNS)]) == CONTRACT_COLUMNS
    assert {"ame", "ame_se", "events", "note"} <= set(table.columns)
    assert set(table["size_measure"]) == {"employees_2019", "revenue_2019"}


def test_logit_matches_statsmodels_called_directly(firms, questionnaire):
    table = size_regressions(firms, questionnaire=questionnaire)
    row = table.query("outcome == 'online_procurement_gt50' and size_measure == "
                      "'employees_2019' and model == 'logit'").iloc[0]
    usable, log_size = _design(firms.dropna(subset=["online_procurement_share"]),
                               "employees_2019")
    y = usable["online_procurement_share"].isin(["51_75", "76_100"]).astype(float)
    direct = sm.Logit(y, sm.add_constant(log_size.rename("x"))).fit(disp=0)
    assert row["n"] == len(usable) <= 297  # the firm of size 0 and the missing one left
    assert row["events"] == y.sum()
    assert row["coef"] == pytest.approx(direct.params["x"], rel=1e-6)
    assert row["std_err"] == pytest.approx(direct.bse["x"], rel=1e-5)
    assert row["p_value"] == pytest.approx(direct.pvalues["x"], rel=1e-4)
    assert [row["ci_low"], row["ci_high"]] == pytest.approx(
        direct.conf_int().loc["x"].tolist(), rel=1e-5)
    margeff = direct.get_margeff(at="overall")
    assert row["ame"] == pytest.approx(margeff.margeff[0], rel=1e-6)
    assert row["ame_se"] == pytest.approx(margeff.margeff_se[0], rel=1e-4)
    assert row["p_value"] < 0.001


def test_logit_with_industry_controls_matches_statsmodels(firms, questionnaire):
    table = size_regressions(firms, questionnaire=questionnaire)
    row = table.query("outcome == 'online_procurement_gt50' and size_measure == "
                      "'revenue_2019' and model == 'logit_industry'").iloc[0]
    usable = firms.dropna(subset=["online_procurement_share"])
    y = usable["online_procurement_share"].isin(["51_75", "76_100"]).astype(float)
    design = pd.concat([
        sm.add_constant(np.log(usable["revenue_2019"]).rename("x")),
        pd.get_dummies(usable["industry"], drop_first=True, dtype=float),
    ], axis=1)
    direct = sm.Logit(y, design).fit(disp=0)
    assert row["coef"] == pytest.approx(direct.params["x"], rel=1e-6)
    assert row["std_err"] == pytest.approx(direct.bse["x"], rel=1e-5)
    assert row["note"] == ""


def test_ordered_logit_matches_ordered_model(firms, questionnaire):
    table = size_regressions(firms, questionnaire=questionnaire)
    row = table.query("outcome == 'online_procurement_share' and size_measure == "
                      "'employees_2019' and model == 'ordered_logit'").iloc[0]
    usable, log_size = _design(firms.dropna(subset=["online_procurement_share"]),
                               "employees_2019")
    band = pd.Series(pd.Categorical(usable["online_procurement_share"], categories=BANDS,
                                    ordered=True), index=usable.index)
    direct = OrderedModel(band, log_size.rename("x").to_frame(), distr="logit").fit(
        method="bfgs", disp=False, maxiter=500)
    assert row["coef"] == pytest.approx(direct.params["x"], rel=1e-4)
    assert row["std_err"] == pytest.approx(direct.bse["x"], rel=1e-3)


def test_ols_of_scores_uses_hc3(firms, questionnaire):
    rng = np.random.default_rng(3)
    scores = pd.DataFrame({"composite": rng.uniform(0, 100, len(firms))}, index=firms.index)
    table = size_regressions(firms, questionnaire=questionnaire, scores=scores)
    row = table.query("outcome == 'composite' and size_measure == 'revenue_2019'").iloc[0]
    direct = sm.OLS(scores["composite"],
                    sm.add_constant(np.log(firms["revenue_2019"]).rename("x"))).fit(
        cov_type="HC3")
    assert row["model"] == "ols"
    assert row["coef"] == pytest.approx(direct.params["x"])
    assert row["std_err"] == pytest.approx(direct.bse["x"])
    # small samples: the p-value and interval come from t with n - 2 degrees of freedom
    t = direct.params["x"] / direct.bse["x"]
    assert row["p_value"] == pytest.approx(2 * stats.t.sf(abs(t), len(firms) - 2))
    half = stats.t.ppf(0.975, len(firms) - 2) * direct.bse["x"]
    assert row["ci_high"] == pytest.approx(direct.params["x"] + half)


def test_separation_and_rare_events_are_notes_not_crashes(questionnaire):
    employees = np.arange(1, 41)
    firms = pd.DataFrame({
        "employees_2019": employees,
        # every firm above 20 employees buys most online: size separates the outcome
        "online_procurement_share": np.where(employees > 20, "76_100", "1_25"),
        # only one firm sells most online
        "online_sales_share": ["51_75"] + ["none"] * 39,
    })
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = size_regressions(firms, questionnaire=questionnaire, industry=None)
    logits = table[table["model"] == "logit"].set_index("outcome")
    separated = logits.loc["online_procurement_gt50"]
    assert "perfect separation" in separated["note"]
    assert np.isnan(separated["coef"])
    rare = logits.loc["online_sales_gt50"]
    assert "too few events" in rare["note"] and rare["events"] == 1
    assert np.isnan(rare["coef"]) and rare["n"] == 40


def test_weights_equal_to_one_leave_estimates_unchanged(firms, questionnaire):
    plain = size_regressions(firms, questionnaire=questionnaire)
    weighted = size_regressions(firms, questionnaire=questionnaire,
                                weights=pd.Series(1.0, index=firms.index))
    logit = (plain["model"] == "logit").to_numpy()
    assert weighted["coef"][logit].to_numpy() == pytest.approx(plain["coef"][logit].to_numpy())


def test_outcomes_follow_the_codebook(questionnaire):
    frame = pd.DataFrame({
        "tech_used": ["ai 5g", "none", None, "big_data"],
        "cloud_status": ["migrated", "planning", "no_plan", None],
        "internet_finance_share": ["none", "1_25", "76_100", None],
    })
    outcomes = adoption_outcomes(frame, questionnaire)
    assert outcomes["ai_or_big_data"].tolist()[:2] == [1, 0]
    assert np.isnan(outcomes["ai_or_big_data"][2])
    assert outcomes["cloud_migrated"].tolist()[:3] == [1, 0, 0]
    assert outcomes["internet_finance_any"].tolist()[:3] == [0, 1, 1]
    assert outcomes["internet_finance_gt50"].tolist()[:3] == [0, 0, 1]
    assert "online_sales_gt50" not in outcomes


def test_every_firm_the_same_size_gives_notes_not_a_crash(questionnaire):
    """A size measure with no variance cannot explain anything: every model says so."""
    rng = np.random.default_rng(11)
    firms = pd.DataFrame({
        "employees_2019": [50] * 60,
        "online_procurement_share": rng.choice(BANDS, 60),
        "online_sales_share": rng.choice(BANDS, 60),
    })
    scores = pd.DataFrame({"composite": rng.uniform(0, 100, 60)}, index=firms.index)
    table = size_regressions(firms, questionnaire=questionnaire, scores=scores, industry=None)
    assert set(table["model"]) == {"logit", "ordered_logit", "ols"}
    assert table["coef"].isna().all()
    assert table["note"].str.contains("no variance").all()


def test_ols_on_a_size_with_no_variance_is_an_empty_row(questionnaire):
    """R's lm gives NA for such a coefficient; statsmodels gives a number, p = 0."""
    firms = pd.DataFrame({"revenue_2019": [7.5] * 30})
    scores = pd.DataFrame({"composite": np.linspace(10, 90, 30)})
    table = size_regressions(firms, questionnaire=questionnaire, scores=scores,
                             industry=None, size_measures=["revenue_2019"])
    row = table.set_index("model").loc["ols"]
    assert np.isnan(row["coef"]) and np.isnan(row["p_value"])
    assert "no variance" in row["note"] and row["n"] == 30


def test_singular_design_is_named(questionnaire):
    """Industry dummies that duplicate the size measure leave the design singular."""
    employees = np.repeat([10, 100], 40)
    rng = np.random.default_rng(5)
    firms = pd.DataFrame({
        "employees_2019": employees,
        "industry": np.where(employees == 10, "manufacturing", "software_it"),
        "online_procurement_share": rng.choice(BANDS, 80),
    })
    table = size_regressions(firms, questionnaire=questionnaire, industry="industry")
    row = table.query("model == 'logit_industry' and outcome == 'online_procurement_gt50'")
    assert len(row) == 1
    assert np.isnan(row["coef"].iloc[0])
    assert "singular design" in row["note"].iloc[0]


def test_ordered_logit_under_separation_is_an_empty_row(questionnaire):
    """Small firms all in the lowest bands, large ones all in the top: no finite estimate."""
    employees = np.arange(1, 61)
    bands = np.where(employees <= 20, "none", np.where(employees <= 40, "26_50", "76_100"))
    firms = pd.DataFrame({"employees_2019": employees, "online_procurement_share": bands})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = size_regressions(firms, questionnaire=questionnaire, industry=None)
    row = table.query("model == 'ordered_logit' and outcome == 'online_procurement_share'")
    assert np.isnan(row["coef"].iloc[0]) and np.isnan(row["odds_ratio"].iloc[0])
    assert "separation" in row["note"].iloc[0]
