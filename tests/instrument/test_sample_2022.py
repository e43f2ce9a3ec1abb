"""The 2022 sample wave: reproducible, valid, a panel of the 2020 firms with plausible change."""

from __future__ import annotations

import pandas as pd
import pytest

from dmsurvey.store import sample_2022
from dmsurvey.store.sample import read_sample_csv

SHARE_ORDER = ["none", "1_25", "26_50", "51_75", "76_100"]


@pytest.fixture(scope="module")
def waves() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    truth = sample_2022.panel_truth()
    return read_sample_csv(), read_sample_csv(sample_2022.SAMPLE_2022_CSV), truth


def paired(truth, before, after) -> pd.DataFrame:
    """One row per returning firm, its 2020 and 2022 answers side by side."""
    return (truth.merge(before.add_suffix("_2020"), on="response_id_2020")
            .merge(after.add_suffix("_2022"), on="response_id_2022"))


def test_regenerating_gives_the_bundled_file_byte_for_byte(tmp_path):
    written = sample_2022.write_sample_2022_csv(tmp_path / "again.csv")
    assert written.read_bytes() == sample_2022.SAMPLE_2022_CSV.read_bytes()


def test_about_80_firms_return_and_new_ones_join(waves):
    before, after, truth = waves
    assert len(truth) == 80 and truth["response_id_2020"].isin(before["response_id"]).all()
    assert truth["response_id_2022"].isin(after["response_id"]).all()
    assert len(after) - len(truth) == 21
    assert list(after.columns) == list(before.columns)
    assert after["submitted_at"].str.startswith("2022-07-").all()


def test_returning_firms_keep_their_code_or_leave_it_blank(waves):
    before, after, truth = waves
    pairs = paired(truth, before[["response_id", "credit_code"]],
                   after[["response_id", "credit_code"]])
    both = pairs.dropna(subset=["credit_code_2020", "credit_code_2022"])
    assert (both["credit_code_2020"] == both["credit_code_2022"]).all()
    unkeyed = pairs["credit_code_2022"].isna() | pairs["credit_code_2020"].isna()
    assert 12 <= unkeyed.sum() <= 25
    newcomers = after[~after["response_id"].isin(truth["response_id_2022"])]
    assert not newcomers["credit_code"].dropna().isin(before["credit_code"].dropna()).any()


def test_more_cloud_and_online_sales_and_the_largest_firms_move_first(waves):
    before, after, truth = waves
    pairs = paired(truth, before, after)
    assert (pairs["cloud_status_2022"] == "migrated").mean() > (
        pairs["cloud_status_2020"] == "migrated").mean() + 0.05
    band = {code: rank for rank, code in enumerate(SHARE_ORDER)}
    sales_up = (pairs["online_sales_share_2022"].map(band)
                - pairs["online_sales_share_2020"].map(band))
    assert sales_up.min() >= 0 and sales_up.mean() > 0.2
    moved = ((pairs["cloud_status_2022"] != pairs["cloud_status_2020"]) | (sales_up > 0)
             | (pairs["tech_used_2022"] != pairs["tech_used_2020"]))
    large = pd.to_numeric(pairs["employees_2019_2020"]) >= pd.to_numeric(
        pairs["employees_2019_2020"]).median()
    assert moved[large].mean() > moved[~large].mean()


def test_the_wave_imports_into_a_study_of_the_2020_questionnaire(tmp_path):
    study = sample_2022.sample_study_2022(tmp_path / "zone-2022")
    assert len(study.response_ids()) == 101
