"""`dmsurvey compare`: every paired test equals scipy/statsmodels on the same pairs, computed
here independently from the two waves' answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from typer.testing import CliRunner

from dmsurvey.analysis.panel import compare_waves
from dmsurvey.analysis.scoring import score
from dmsurvey.cli import app

MEASURES = ["ai_bigdata", "online_trade", "composite"]
TECHNOLOGIES = ["industrial_internet", "5g", "big_data", "ai", "industrial_apps"]


@pytest.fixture(scope="module")
def answers(waves):
    return [study.responses() for study in waves]


@pytest.fixture(scope="module")
def tables(waves, answers):
    return compare_waves(*answers, earlier_questionnaire=waves[0].questionnaire)


@pytest.fixture(scope="module")
def pairs(waves, answers) -> pd.DataFrame:
    """The firms in both waves, paired by credit code with plain pandas, scores beside."""
    questionnaire = waves[0].questionnaire
    sides = []
    for frame in answers:
        scored = pd.concat([frame.reset_index(drop=True),
                            score(frame, questionnaire).drop(columns="response_id")
                            .reset_index(drop=True)], axis=1)
        sides.append(scored[scored["credit_code"].notna()])
    return sides[0].merge(sides[1], on="credit_code", suffixes=("_2020", "_2022"))


def test_the_panel_is_the_firms_with_the_same_code(tables, pairs):
    changes = tables["firm_changes"]
    assert set(changes["later_id"]) == set(pairs["response_id_2022"])
    assert len(changes) == len(pairs) >= 60


@pytest.mark.parametrize("measure", MEASURES)
def test_score_tests_equal_scipy_on_the_same_pairs(tables, pairs, measure):
    row = tables["score_tests"].set_index("measure").loc[measure]
    both = pairs[[f"{measure}_2020", f"{measure}_2022"]].dropna()
    before, after = both.iloc[:, 0].to_numpy(), both.iloc[:, 1].to_numpy()
    t_test = stats.ttest_rel(after, before)
    wilcoxon = stats.wilcoxon(after - before)
    change = after - before
    half = stats.t.ppf(0.975, len(change) - 1) * change.std(ddof=1) / np.sqrt(len(change))
    assert row["n_pairs"] == len(both)
    assert row["mean_change"] == pytest.approx(change.mean())
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((change.mean() - half,
                                                             change.mean() + half))
    assert (row["t_statistic"], row["t_p_value"]) == pytest.approx(
        (t_test.statistic, t_test.pvalue))
    assert (row["wilcoxon_statistic"], row["wilcoxon_p_value"]) == pytest.approx(
        (wilcoxon.statistic, wilcoxon.pvalue))
    assert row["mean_change"] > 0 and row["t_p_value"] < 0.05


def test_an_unchanged_dimension_says_so_instead_of_testing(tables):
    row = tables["score_tests"].set_index("measure").loc["internet_finance"]
    assert row["note"] == "no firm's score changed" and np.isnan(row["t_p_value"])


@pytest.mark.parametrize("code", TECHNOLOGIES)
def test_mcnemar_per_technology_equals_statsmodels(tables, pairs, code):
    row = tables["adoption_tests"].set_index("indicator").loc[f"tech_used:{code}"]
    before = pairs["tech_used_2020"].astype(str).str.split().map(lambda chosen: code in chosen)
    after = pairs["tech_used_2022"].astype(str).str.split().map(lambda chosen: code in chosen)
    table = pd.crosstab(before, after).reindex(index=[True, False], columns=[True, False],
                                               fill_value=0).to_numpy()
    assert (row["both"], row["dropped"], row["adopted"], row["neither"]) == tuple(table.ravel())
    discordant = table[0, 1] + table[1, 0]
    if discordant:
        expected = mcnemar(table, exact=discordant < 25, correction=True)
        assert (row["statistic"], row["p_value"]) == pytest.approx(
            (expected.statistic, expected.pvalue))
    change = (table[1, 0] - table[0, 1]) / table.sum()
    assert row["change"] == pytest.approx(change)
    assert row["change_ci_low"] <= change <= row["change_ci_high"]


def test_cloud_adoption_is_tested_too(tables, pairs):
    row = tables["adoption_tests"].set_index("indicator").loc["cloud_status:migrated"]
    before = pairs["cloud_status_2020"].astype(str) == "migrated"
    after = pairs["cloud_status_2022"].astype(str) == "migrated"
    assert row["adopted"] == (~before & after).sum() > 0
    assert row["share_later"] == pytest.approx(after.mean())


def test_the_transition_matrix_equals_a_pandas_crosstab(tables, pairs, waves):
    levels = [level.id for level in waves[0].questionnaire.scoring.levels]
    expected = pd.crosstab(pairs["level_2020"].astype(str), pairs["level_2022"].astype(str)
                           ).reindex(index=levels, columns=levels, fill_value=0)
    got = tables["transitions"].pivot(index="level_earlier", columns="level_later",
                                      values="count").reindex(index=levels, columns=levels)
    assert (got.to_numpy() == expected.to_numpy()).all()
    shares = tables["transitions"].dropna(subset=["row_share"])
    assert shares.groupby("level_earlier")["row_share"].sum().round(9).eq(1).all()


def test_the_attrition_table_equals_a_pandas_crosstab_and_its_test(tables, answers, pairs):
    earlier = answers[0]
    status = np.where(earlier["response_id"].isin(pairs["response_id_2020"]), "panel",
                      "earlier_only")
    industry = earlier["industry"].astype(str)
    expected = pd.crosstab(industry, status)
    got = tables["attrition"].query("wave == 'earlier' and by == 'industry'")
    counts = got.pivot(index="group", columns="status", values="count")
    assert counts.loc[expected.index, expected.columns].to_numpy().tolist() == (
        expected.to_numpy().tolist())
    # Firms keyed in 2022 only with a 2020 form lacking the code cannot be in a key panel.
    assert got["n"].groupby(got["group"]).first().sum() == len(earlier)
    test = got["test"].iloc[0]
    if test == "chi2":
        assert got["p_value"].iloc[0] == pytest.approx(
            stats.chi2_contingency(expected.to_numpy(), correction=False).pvalue)
    assert test in {"chi2", "chi2_monte_carlo", "fisher_exact"}


def test_the_size_regression_equals_statsmodels(tables, pairs):
    frame = pd.DataFrame({"change": pairs["composite_2022"] - pairs["composite_2020"],
                          "log_employees": np.log(pairs["employees_2019_2020"].astype(float))})
    fitted = sm.OLS(frame["change"], sm.add_constant(frame[["log_employees"]])).fit(
        cov_type="HC1")
    row = tables["size_change"].query("measure == 'composite' and model == 'size'").iloc[0]
    assert (row["coef"], row["std_err"], row["p_value"]) == pytest.approx(
        (fitted.params["log_employees"], fitted.bse["log_employees"],
         fitted.pvalues["log_employees"]))
    # The larger firms moved first, so the change grows with size.
    assert row["coef"] > 0


def test_change_by_size_class_matches_a_groupby(tables, pairs):
    from dmsurvey.analysis.sizes import size_class

    classes = size_class(pairs.rename(columns={"employees_2019_2020": "employees_2019"}))
    change = pairs["composite_2022"] - pairs["composite_2020"]
    expected = change.groupby(classes.astype(str)).mean()
    got = tables["change_by_group"].query("by == 'size_class' and measure == 'composite'")
    assert got.set_index("group")["mean_change"].to_dict() == pytest.approx(expected.to_dict())


def test_cross_sections_count_every_firm_of_each_wave(tables, answers):
    cross = tables["cross_sections"].query("kind == 'adoption' and sample == 'all'")
    big_data = cross[cross["item"] == "tech_used:big_data"].set_index("wave")
    for wave, frame in zip(("earlier", "later"), answers, strict=True):
        chosen = frame["tech_used"].astype(str).str.split().map(lambda codes: "big_data" in codes)
        assert big_data.loc[wave, "count"] == chosen.sum()
        assert big_data.loc[wave, "n"] == len(frame)
        assert big_data.loc[wave, "ci_low"] < big_data.loc[wave, "value"] < big_data.loc[
            wave, "ci_high"]


def test_firm_changes_name_what_each_firm_adopted(tables, pairs):
    changes = tables["firm_changes"].set_index("later_id")
    for _, firm in pairs.iterrows():
        before = set(str(firm["tech_used_2020"]).split())
        after = set(str(firm["tech_used_2022"]).split())
        row = changes.loc[firm["response_id_2022"]]
        if "big_data" in after - before:
            assert "Big data" in row["adopted"]
        if "big_data" in before - after:
            assert "Big data" in row["dropped"]
        assert row["composite_change"] == pytest.approx(firm["composite_2022"]
                                                        - firm["composite_2020"])


def test_confirmed_links_add_firms_and_unconfirmed_ones_add_none(waves, answers, truth, tmp_path):
    from dmsurvey.store.linking import confirmed_links, link_studies, write_links

    links = link_studies(*waves)
    path = write_links(links, tmp_path / "links.csv")
    keyed_only = compare_waves(*answers, earlier_questionnaire=waves[0].questionnaire,
                               links=confirmed_links(path))
    assert len(keyed_only["firm_changes"]) == (links["match"] == "key").sum()
    right = set(zip(truth["response_id_2020"], truth["response_id_2022"], strict=True))
    confirm = [(e, later) in right for e, later in zip(links["earlier_id"], links["later_id"],
                                                       strict=True)]
    links.loc[(links["match"] == "proposed") & pd.Series(confirm), "confirm"] = "yes"
    path = write_links(links, tmp_path / "links.csv")
    with_proposals = compare_waves(*answers, earlier_questionnaire=waves[0].questionnaire,
                                   links=confirmed_links(path))
    assert len(with_proposals["firm_changes"]) == len(truth)


def test_the_command_writes_tables_and_charts(waves, tmp_path):
    output = tmp_path / "change"
    result = CliRunner().invoke(app, ["compare", str(waves[0].path), str(waves[1].path),
                                      "-o", str(output), "--lang", "zh"])
    assert result.exit_code == 0, result.output
    tables = {path.stem for path in (output / "tables").glob("*.csv")}
    assert {"firm_changes", "transitions", "adoption_tests", "score_tests", "change_by_group",
            "size_change", "attrition", "cross_sections"} <= tables
    for stem in ("panel_01_score_slopes", "panel_02_level_transitions",
                 "panel_03_adoption_both_waves"):
        assert (output / "charts" / f"{stem}.png").stat().st_size > 10_000
    slopes = pd.read_csv(output / "charts" / "panel_01_score_slopes.csv")
    assert set(slopes["wave"].astype(str)) == {"2020", "2022"}
    assert "综合指数" in set(slopes["label"])


def test_a_bad_links_file_is_one_message(waves, tmp_path):
    path = tmp_path / "links.csv"
    path.write_text("earlier_id,later_id,match,confirm\na,b,proposed,maybe\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["compare", str(waves[0].path), str(waves[1].path),
                                      "--links", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "row 2" in str(result.exception) and "maybe" in str(result.exception)


def test_a_changed_instrument_compares_mapped_codes_and_lists_the_rest(waves, answers):
    """2022 asks cloud_status with the 2020 `migrated` split in two, mapped by `previous:`."""
    from dmsurvey.questionnaire.loader import questionnaire_from_yaml

    earlier = waves[0].questionnaire
    text = open(earlier.source, encoding="utf-8").read()
    text = text.replace(
        '          - {code: migrated, label: {zh: 已经上云, en: "Yes, already in the cloud"}}',
        '          - {code: migrated_full, label: {zh: 全部上云, en: "Fully"}}\n'
        '          - {code: migrated_part, label: {zh: 部分上云, en: "Partly"}}')
    text = text.replace("          - {code: no_plan, label: {zh: 尚未上云，暂无计划",
                        "          - {code: hybrid, label: {zh: 混合云, en: Hybrid}}\n"
                        "          - {code: no_plan, label: {zh: 尚未上云，暂无计划")
    text = text.replace("      - id: cloud_status\n        type: select_one\n",
                        "      - id: cloud_status\n        type: select_one\n"
                        "        previous: {migrated_full: migrated, migrated_part: migrated,"
                        " hybrid: null}\n")
    text = text.replace("points: {migrated: 100, planning: 40}",
                        "points: {migrated_full: 100, migrated_part: 100, planning: 40}")
    later_questionnaire = questionnaire_from_yaml(text)
    later = answers[1].copy()
    cloud = later["cloud_status"].astype("object")
    split = np.where(np.arange(len(later)) % 2 == 0, "migrated_full", "migrated_part")
    later["cloud_status"] = np.where(cloud == "migrated", split, cloud)
    later.loc[later.index[:3], "cloud_status"] = "hybrid"

    tables = compare_waves(answers[0], later, earlier_questionnaire=earlier,
                           later_questionnaire=later_questionnaire)
    listed = tables["not_comparable"]
    assert ("cloud_status", "hybrid") in set(zip(listed["item"], listed["code"], strict=True))
    assert {"dimension ai_bigdata", "composite"} <= set(listed["item"])
    assert set(tables["score_tests"]["measure"]) == {"online_trade", "smart_manufacturing",
                                                     "internet_finance"}
    row = tables["adoption_tests"].set_index("indicator").loc[
        "cloud_status:migrated_full+migrated_part"]
    unchanged = compare_waves(*answers, earlier_questionnaire=earlier)["adoption_tests"]
    same = unchanged.set_index("indicator").loc["cloud_status:migrated"]
    # The hybrid answers cannot be compared: those firms leave the pairs, nothing else moves.
    hybrid_pairs = int(later["cloud_status"].isin(["hybrid"]).sum())
    in_panel = tables["firm_changes"]["later_id"].isin(later.loc[later.index[:3], "response_id"])
    assert row["n_pairs"] == same["n_pairs"] - in_panel.sum()
    assert hybrid_pairs == 3
    assert "transitions" in tables and tables["transitions"].empty
