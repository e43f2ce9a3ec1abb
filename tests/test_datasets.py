"""Scores and shares over Parquet datasets: batches and Dask give what pandas gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dmsurvey.analysis.scoring import score
from dmsurvey.analysis.shares import shares
from dmsurvey.datasets import score_dataset, shares_dataset
from dmsurvey.errors import AnalysisError, DataError
from dmsurvey.questionnaire.loader import load_questionnaire
from dmsurvey.store.sample import SAMPLE_CSV


@pytest.fixture(scope="module")
def questionnaire():
    return load_questionnaire("sme-digital-2020")


@pytest.fixture(scope="module")
def responses():
    """3,000 firms drawn from the bundled sample, stored as raw codes as files hold them."""
    raw = pd.read_csv(SAMPLE_CSV, dtype=str, keep_default_na=False).replace("", None)
    rows = np.random.default_rng(7).integers(0, len(raw), 3000)
    frame = raw.iloc[rows].reset_index(drop=True)
    frame["response_id"] = [f"firm-{number:05d}" for number in range(len(frame))]
    return frame


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, responses):
    """A folder of three Parquet parts, as a statistics office would keep them."""
    folder = tmp_path_factory.mktemp("responses")
    for number, part in enumerate(np.array_split(responses.index, 3)):
        responses.loc[part].to_parquet(folder / f"part-{number}.parquet", index=False)
    return folder


@pytest.fixture(scope="module")
def cluster_address():
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def read_scores(path) -> pd.DataFrame:
    frame = pd.read_parquet(path).sort_values("response_id").reset_index(drop=True)
    frame["level"] = frame["level"].astype("str")
    return frame


def expected_scores(responses, questionnaire) -> pd.DataFrame:
    frame = score(responses, questionnaire).sort_values("response_id").reset_index(drop=True)
    frame["level"] = frame["level"].astype("str")
    return frame


def test_batched_scoring_equals_scoring_in_memory(tmp_path, dataset, responses, questionnaire):
    output = tmp_path / "scores.parquet"
    scored = score_dataset(dataset, questionnaire, output, batch_rows=400)
    assert scored == len(responses)
    pd.testing.assert_frame_equal(
        read_scores(output), expected_scores(responses, questionnaire), check_dtype=False
    )
    assert not list(tmp_path.glob("*.partial")), "a finished run leaves no partial file"


@pytest.mark.parametrize("by", [None, "industry", ["industry", "ownership"]])
def test_batched_shares_equal_shares_in_memory(dataset, responses, questionnaire, by):
    batched = shares_dataset(dataset, "tech_used", questionnaire, by=by, batch_rows=700)
    whole = shares(responses, "tech_used", questionnaire=questionnaire, by=by)
    keys = ([by] if isinstance(by, str) else list(by or [])) + ["item"]
    batched = batched.sort_values(keys).reset_index(drop=True)
    whole = whole.sort_values(keys).reset_index(drop=True)
    for column in keys:
        whole[column] = whole[column].astype("str")
        batched[column] = batched[column].astype("str")
    pd.testing.assert_frame_equal(batched, whole[batched.columns], check_dtype=False)


@pytest.mark.slow
def test_dask_cluster_gives_identical_scores_and_shares(
    tmp_path, dataset, responses, questionnaire, cluster_address
):
    output = tmp_path / "scores-dask.parquet"
    scored = score_dataset(
        dataset, questionnaire, output, engine="dask", scheduler=cluster_address
    )
    assert scored == len(responses)
    pd.testing.assert_frame_equal(
        read_scores(output), expected_scores(responses, questionnaire), check_dtype=False
    )
    on_dask = shares_dataset(
        dataset, "online_procurement_share", questionnaire, by="industry",
        engine="dask", scheduler=cluster_address,
    )
    in_batches = shares_dataset(dataset, "online_procurement_share", questionnaire, by="industry")
    pd.testing.assert_frame_equal(
        on_dask.sort_values(["industry", "item"]).reset_index(drop=True),
        in_batches.sort_values(["industry", "item"]).reset_index(drop=True),
    )


def test_missing_dataset_is_named(tmp_path, questionnaire):
    with pytest.raises(DataError, match="no such file"):
        score_dataset(tmp_path / "nowhere", questionnaire, tmp_path / "out.parquet")


def test_dataset_without_a_needed_column_lists_it(tmp_path, responses, questionnaire):
    path = tmp_path / "partial.parquet"
    responses.drop(columns=["tech_used"]).to_parquet(path)
    with pytest.raises(DataError) as raised:
        score_dataset(path, questionnaire, tmp_path / "out.parquet")
    assert [problem.column for problem in raised.value.problems] == ["tech_used"]
    assert not (tmp_path / "out.parquet").exists()


def test_unknown_engine_is_refused(dataset, questionnaire, tmp_path):
    with pytest.raises(AnalysisError, match="unknown engine"):
        score_dataset(dataset, questionnaire, tmp_path / "out.parquet", engine="spark")


def test_score_command_scores_a_parquet_folder_into_csv(
    tmp_path, dataset, responses, questionnaire
):
    from typer.testing import CliRunner

    from dmsurvey.cli import app

    output = tmp_path / "scores.csv"
    result = CliRunner().invoke(app, ["score", str(dataset), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert f"Scored {len(responses):,} firms" in result.output
    written = pd.read_csv(output, dtype={"response_id": str})
    expected = expected_scores(responses, questionnaire)
    written = written.sort_values("response_id").reset_index(drop=True)
    assert written["response_id"].tolist() == expected["response_id"].tolist()
    # People open CSV files: two decimals, as the in-memory scores round to.
    np.testing.assert_allclose(written["composite"], expected["composite"].round(2))


def test_shares_command_on_a_parquet_folder(tmp_path, dataset, responses, questionnaire):
    from typer.testing import CliRunner

    from dmsurvey.cli import app

    output = tmp_path / "shares.csv"
    result = CliRunner().invoke(
        app, ["shares", str(dataset), "cloud_status", "--by", "industry", "-o", str(output)]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(output)
    migrated = table[(table["item"] == "migrated") & (table["industry"] == "manufacturing")]
    manufacturers = responses[responses["industry"] == "manufacturing"]
    assert migrated["count"].item() == (manufacturers["cloud_status"] == "migrated").sum()
    assert migrated["n"].item() == manufacturers["cloud_status"].notna().sum()
