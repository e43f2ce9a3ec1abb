"""The bundled sample reproduces every figure the 2020 paper publishes.

Each figure is computed here from the CSV with plain pandas (and statsmodels for the size
gradient), independently of dmsurvey's own analysis code. Where the paper rounds ("over 64%",
"less than one-third", "about 30%"), the test accepts what rounds or bounds the same way.
The paper is Xi, Hu and Xu, "Are China's SMEs Lagging Behind the Digital Transition? Evidence
From a Survey" (Fudan-Ping An Research Institute for Macroeconomy, November 2020).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

ABOVE_HALF = ("51_75", "76_100")
SIZES = ("employees_2019", "revenue_2019", "assets_2019")


@pytest.fixture(scope="module")
def manufacturers(firms) -> pd.DataFrame:
    return firms[firms["industry"] == "manufacturing"]


def percent(part: pd.Series) -> float:
    """Share of True in per cent."""
    return 100 * part.mean()


def chose(frame: pd.DataFrame, question: str, code: str) -> pd.Series:
    """Whether each firm chose `code` in a multi-select answer."""
    return frame[question].fillna("").str.split().apply(lambda codes: code in codes)


def test_sample_99_firms_40_electronic_59_paper(firms):
    assert len(firms) == 99
    assert firms["response_id"].is_unique
    assert firms["source"].value_counts().to_dict() == {"paper": 59, "electronic": 40}


def test_83_private_firms_and_few_of_each_other_ownership(firms):
    counts = firms["ownership"].value_counts()
    assert counts["private"] == 83 and round(100 * 83 / 99) == 84
    assert counts.drop("private").max() <= 7


def test_nearly_70_percent_of_respondents_middle_or_senior_managers(firms):
    managers = percent(firms["respondent_role"].isin(["middle_manager", "senior_manager"]))
    assert 66 <= managers < 70


def test_industry_mix(firms):
    counts = firms["industry"].value_counts()
    assert counts["manufacturing"] == 28
    assert counts["software_it"] == 19
    assert round(100 * (counts["info_comm"] + counts["wholesale_retail"]) / 99) == 16


def test_manufacturers_mainly_medicine_equipment_and_electronics(firms, manufacturers):
    assert firms.loc[firms["industry"] != "manufacturing", "mfg_subsector"].isna().all()
    subsector = manufacturers["mfg_subsector"]
    assert subsector.notna().all()
    named = ["pharma", "general_equipment", "special_equipment", "electronic_equipment"]
    assert percent(subsector.isin(named)) >= 75


def test_most_firms_founded_in_the_last_ten_years(firms):
    founded = firms["founded_year"].astype(int)
    assert founded.between(1900, 2020).all()
    assert percent(founded.between(2010, 2019)) > 50


def test_86_percent_under_50_employees_and_89_percent_under_20_million_revenue(firms):
    assert (firms["employees_2019"].astype(int) < 50).sum() == 85
    assert (firms["revenue_2019"].astype(float) < 2000).sum() == 88


def test_sizes_are_realistic(firms):
    sizes = firms[list(SIZES)].astype(float)
    assert (sizes > 0).all().all()
    employees = sizes["employees_2019"]
    assert employees.mean() > employees.median()  # skewed to the right
    logs = np.log(sizes)
    assert logs.corr().loc["employees_2019", "revenue_2019"] > 0.5
    assert logs.corr().loc["revenue_2019", "assets_2019"] > 0.5


def test_80_percent_transfer_large_data_and_most_are_satisfied_with_speed(firms):
    assert round(percent(firms["large_data_transfer"] == "yes")) == 80
    assert percent(firms["bandwidth_satisfied"] == "satisfied") > 70


@pytest.mark.parametrize(
    "technology", ["industrial_internet", "5g", "big_data", "ai", "industrial_apps"]
)
def test_each_technology_used_by_less_than_a_third(firms, technology):
    assert percent(chose(firms, "tech_used", technology)) < 100 / 3


def test_more_than_two_thirds_use_neither_ai_nor_big_data(firms):
    neither = ~chose(firms, "tech_used", "ai") & ~chose(firms, "tech_used", "big_data")
    assert percent(neither) > 200 / 3


@pytest.mark.parametrize(
    ("bought", "spend", "published"),
    [
        ("bought_data_services", "data_services_spend", 10),
        ("bought_ai_services", "ai_services_spend", 6),
    ],
)
def test_bought_services_all_under_100k(firms, bought, spend, published):
    buyers = firms[bought] == "yes"
    assert round(percent(buyers)) == published
    assert (firms.loc[buyers, spend] == "lt_100k").all()
    assert firms.loc[~buyers, spend].isna().all()


def test_half_migrated_to_the_cloud_and_nearly_half_of_the_rest_plan_to(firms):
    cloud = firms["cloud_status"]
    assert 48 <= percent(cloud == "migrated") <= 52
    rest = cloud[cloud != "migrated"]
    assert 40 <= percent(rest == "planning") < 50


def test_online_procurement_17_percent_above_half_majority_1_to_50(firms):
    share = firms["online_procurement_share"]
    assert share.isin(ABOVE_HALF).sum() == 17
    assert percent(share.isin(["1_25", "26_50"])) > 50


def test_online_sales_14_percent_above_half_majority_under_25(firms):
    share = firms["online_sales_share"]
    assert share.isin(ABOVE_HALF).sum() == 14
    assert percent(share.isin(["none", "1_25"])) > 50


def size_logit(firms: pd.DataFrame, outcome: str, size: str):
    """Plain bivariate logit of (share above 50%) on log size, with an intercept."""
    y = firms[outcome].isin(ABOVE_HALF).astype(float)
    x = sm.add_constant(np.log(firms[size].astype(float)))
    result = sm.Logit(y, x).fit(disp=0)
    return result.params[size], result.pvalues[size]


@pytest.mark.parametrize("size", SIZES)
def test_larger_firms_more_likely_to_procure_mostly_online(firms, size):
    coefficient, p_value = size_logit(firms, "online_procurement_share", size)
    assert coefficient > 0 and p_value < 0.05


@pytest.mark.parametrize("size", SIZES)
def test_no_clear_relation_between_size_and_online_sales(firms, size):
    _, p_value = size_logit(firms, "online_sales_share", size)
    assert p_value > 0.2


def test_online_marketing(firms):
    marketers = firms["online_marketing"] == "yes"
    assert percent(marketers) > 80
    assert percent(firms.loc[marketers, "new_marketing_models"] == "yes") > 50
    assert (
        firms.loc[~marketers, ["new_marketing_models", "online_marketing_spend_share"]]
        .isna()
        .all()
        .all()
    )
    assert percent(firms["digital_marketing_services"] == "yes") < 15
    assert percent(firms["payment_merchant_services"] == "yes") > 50


def test_supply_chain_platforms_emergency_services_above_30_percent_others_below(firms):
    shares = {
        code: percent(chose(firms, "supply_chain_platform_services", code))
        for code in [
            "employee_sharing",
            "protective_materials",
            "sales_logistics_sharing",
            "supplier_matching",
            "production_line_config",
            "mold_sharing",
        ]
    }
    above = {code for code, share in shares.items() if share > 30}
    assert above == {"employee_sharing", "protective_materials", "sales_logistics_sharing"}


def test_smart_manufacturing_among_the_28_manufacturers(firms, manufacturers):
    assert len(manufacturers) == 28
    assert firms.loc[firms["industry"] != "manufacturing", "smart_mfg"].isna().all()
    share = {
        code: percent(chose(manufacturers, "smart_mfg", code))
        for code in [
            "equipment_networked",
            "smart_lines",
            "smart_workshops",
            "smart_factories",
            "cnc_key_processes",
            "process_optimization",
            "modular_equipment",
        ]
    }
    assert max(share["smart_lines"], share["smart_workshops"], share["smart_factories"]) < 18
    assert share["equipment_networked"] < 20
    for code in ("cnc_key_processes", "process_optimization", "modular_equipment"):
        assert 25 <= share[code] <= 35, code


def test_digital_rd(firms, manufacturers):
    items = ["open_rd_platform", "vr_3d_design", "digital_model_simulation", "cax"]
    overall = {code: percent(chose(firms, "rd_digital", code)) for code in items}
    assert overall["open_rd_platform"] < 20
    assert 25 <= overall["vr_3d_design"] <= 35
    assert 25 <= overall["digital_model_simulation"] <= 35
    assert round(overall["cax"]) == 44
    for code in items:
        assert percent(chose(manufacturers, "rd_digital", code)) > overall[code], code


def test_internet_finance(firms):
    share = firms["internet_finance_share"].dropna()
    assert len(share) == 98  # one firm left it blank: the paper's base
    assert percent(share == "none") > 64
    assert (share != "none").sum() == 35
    assert share.isin(ABOVE_HALF).sum() == 1
    used = firms["internet_finance_share"].notna() & (firms["internet_finance_share"] != "none")
    assert firms.loc[used, "internet_finance_channels"].notna().all()
    assert firms.loc[~used, "internet_finance_channels"].isna().all()


def test_interest_in_financing_platforms_30_60_10(firms):
    interest = firms["fin_platform_interest"].value_counts(normalize=True) * 100
    assert [round(interest[code], -1) for code in ["high", "average", "none"]] == [30, 60, 10]


def test_covid(firms):
    coped = ["no_barrier", "overcome"]
    assert percent(firms["covid_customer_comm"].isin(coped)) > 90
    assert percent(firms["covid_remote_work"].isin(coped)) > 80
    importance = firms["covid_digital_importance"].dropna()
    assert len(importance) == 98  # one firm left it blank
    assert percent(importance == "yes") > 90


def test_biggest_obstacles_fees_35_percent_funds_30_percent(firms):
    obstacle = firms["biggest_obstacle"].value_counts(normalize=True) * 100
    assert round(obstacle["provider_fees"]) == 35
    assert round(obstacle["lack_funds"]) == 30
    assert obstacle.idxmax() == "provider_fees"


def test_policy_support(firms):
    assert round(percent(chose(firms, "policy_support", "tax"))) == 33
    assert percent(chose(firms, "policy_support", "finance")) < 30
    assert percent(chose(firms, "policy_support", "subsidy")) < 15


def test_97_percent_say_digitalisation_helps(firms):
    assert round(percent(firms["digital_helps"] == "yes")) == 97


def test_charts_state_the_base_of_98_where_a_firm_left_the_question_blank(firms, tmp_path):
    import matplotlib.pyplot as plt

    from dmsurvey.questionnaire.loader import load_questionnaire
    from dmsurvey.reporting.charts import summary_charts
    from dmsurvey.store.sample import QUESTIONNAIRE, load_sample_responses

    questionnaire = load_questionnaire(QUESTIONNAIRE)
    tables = summary_charts(load_sample_responses(), questionnaire, tmp_path, language="en")
    plt.close("all")
    finance = tables["04_internet_finance"]
    assert set(finance["n"]) == {firms["internet_finance_share"].notna().sum()} == {98}
    assert (tmp_path / "04_internet_finance.svg").read_text(encoding="utf-8").count("(98)") >= 1
    assert set(tables["01_technology_use"]["n"]) == {99}
