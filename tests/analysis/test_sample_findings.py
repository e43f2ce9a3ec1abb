"""The paper's findings, shown by the analysis of the bundled sample study."""

import warnings

import pandas as pd
import pytest

from dmsurvey.analysis import run_all
from dmsurvey.analysis.regressions import CONTRACT_COLUMNS
from dmsurvey.questionnaire.loader import load_questionnaire
from dmsurvey.store.sample import load_sample_responses


@pytest.fixture(scope="module")
def tables():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return run_all(load_sample_responses(), load_questionnaire("sme-digital-2020"))


def test_every_table_is_there(tables):
    assert set(tables) == {
        "scores", "reliability", "item_rest", "principal_component", "size_classes", "shares",
        "shares_by_group", "size_regressions", "size_gradients", "obstacle_breakdowns",
        "policy_breakdowns", "support_by_maturity",
    }
    assert list(tables["size_regressions"].columns[:9]) == CONTRACT_COLUMNS
    assert len(tables["scores"]) == 99


def test_procurement_rises_with_size_and_sales_do_not(tables):
    logits = tables["size_regressions"].query("model == 'logit'")
    for measure in ("employees_2019", "revenue_2019", "assets_2019"):
        rows = logits[logits["size_measure"] == measure].set_index("outcome")
        assert rows.loc["online_procurement_gt50", "coef"] > 0
        assert rows.loc["online_procurement_gt50", "p_value"] < 0.05
        assert rows.loc["online_sales_gt50", "p_value"] >= 0.05
    gradients = tables["size_gradients"].drop_duplicates(["outcome", "by"]).set_index(
        ["outcome", "by"])
    assert gradients.loc[("online_procurement_gt50", "size_class"), "trend_p_value"] < 0.05
    assert gradients.loc[("online_sales_gt50", "size_class"), "trend_p_value"] >= 0.05


def test_one_firm_above_half_internet_finance_is_a_note(tables):
    rows = tables["size_regressions"].query("outcome == 'internet_finance_gt50'")
    assert rows["coef"].isna().all()
    assert rows["note"].str.contains("too few events").all()


def test_headline_shares(tables):
    overall = tables["shares"].set_index(["question", "item"])
    assert overall.loc[("biggest_obstacle", "provider_fees"), "share"] == pytest.approx(
        0.35, abs=0.01)
    procurement = overall.loc["online_procurement_share"]
    assert procurement.loc[["51_75", "76_100"], "count"].sum() == 17
    # One firm left the share blank: it counts out of the base, as in the paper.
    never = overall.loc[("internet_finance_share", "none")]
    assert (never["count"], never["n"]) == (63, 98)


def test_breakdowns_have_tests_and_residuals(tables):
    obstacles = tables["obstacle_breakdowns"]
    assert set(obstacles["by"]) == {"size_class", "industry", "ownership", "level"}
    assert obstacles["p_value"].between(0, 1).all()
    policy = tables["policy_breakdowns"]
    finance = policy[(policy["question"] == "policy_support/finance")
                     & (policy["by"] == "biggest_obstacle")]
    assert set(finance["group"]) >= {"lack_funds", "provider_fees"}
    assert finance["adjusted_residual"].notna().all()


def test_weights_from_margins(tmp_path):
    responses = load_sample_responses()
    questionnaire = load_questionnaire("sme-digital-2020")
    margins = tmp_path / "zone.csv"
    margins.write_text(
        "variable,category,population\n"
        "size_class,micro,500\nsize_class,small,300\nsize_class,medium,150\n"
        "size_class,large,50\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tables = run_all(responses, questionnaire, margins)
    assert tables["weights"]["weight"].sum() == pytest.approx(1000)
    shares = tables["shares"]
    assert {"weighted_count", "n_effective"} <= set(shares.columns)
    assert (shares["n_effective"] <= shares["n"] + 1e-9).all()
    assert pd.notna(tables["size_regressions"]["coef"]).any()
