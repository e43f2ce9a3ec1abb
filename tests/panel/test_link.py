"""`dmsurvey link`: every keyed pair, the right firm proposed first, nothing linked unconfirmed."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from dmsurvey.cli import app
from dmsurvey.errors import DataError
from dmsurvey.store.linking import (
    confirmed_links,
    link_studies,
    normalised_firm_name,
    write_links,
)


@pytest.fixture(scope="module")
def links(waves) -> pd.DataFrame:
    return link_studies(*waves)


def test_every_firm_with_the_same_code_in_both_waves_is_linked(waves, links):
    before, after = (study.responses() for study in waves)
    # Independently: pairs of responses whose credit codes are equal.
    expected = before.dropna(subset=["credit_code"]).merge(
        after.dropna(subset=["credit_code"]), on="credit_code")
    keyed = links[links["match"] == "key"]
    assert set(zip(keyed["earlier_id"], keyed["later_id"], strict=True)) == set(
        zip(expected["response_id_x"], expected["response_id_y"], strict=True))
    assert len(keyed) >= 60 and (keyed["confirm"] == "yes").all()


def test_key_matches_are_all_right(links, truth):
    keyed = links[links["match"] == "key"]
    right = set(zip(truth["response_id_2020"], truth["response_id_2022"], strict=True))
    assert all(pair in right for pair in zip(keyed["earlier_id"], keyed["later_id"],
                                             strict=True))


def test_the_right_firm_is_proposed_first_for_at_least_95_percent_of_unkeyed_ones(links, truth):
    keyed = links[links["match"] == "key"]
    unkeyed = truth[~truth["response_id_2022"].isin(keyed["later_id"])]
    assert len(unkeyed) >= 12
    first = links[(links["match"] == "proposed") & (links["rank"] == 1)]
    proposed_first = dict(zip(first["later_id"], first["earlier_id"], strict=True))
    right = [proposed_first.get(later) == earlier for earlier, later in
             zip(unkeyed["response_id_2020"], unkeyed["response_id_2022"], strict=True)]
    assert sum(right) / len(right) >= 0.95
    assert (links.loc[links["match"] == "proposed", "confirm"] == "").all()


def test_only_key_matches_and_confirmed_proposals_count(links, tmp_path, truth):
    path = write_links(links, tmp_path / "links.csv")
    counted = confirmed_links(path)
    assert (counted["match"] == "key").all()
    assert len(counted) == (links["match"] == "key").sum()

    edited = pd.read_csv(path, dtype="str", keep_default_na=False, encoding="utf-8-sig")
    right = set(zip(truth["response_id_2020"], truth["response_id_2022"], strict=True))
    is_right = [(earlier, later) in right for earlier, later in
                zip(edited["earlier_id"], edited["later_id"], strict=True)]
    proposals = edited["match"] == "proposed"
    edited.loc[proposals & pd.Series(is_right), "confirm"] = "yes"
    edited.loc[proposals & ~pd.Series(is_right), "confirm"] = "no"
    edited.to_csv(path, index=False, encoding="utf-8-sig")
    counted = confirmed_links(path)
    assert len(counted) == len(links[links["match"] == "key"]) + sum(
        p and r for p, r in zip(proposals, is_right, strict=True))
    assert all(pair in right for pair in zip(counted["earlier_id"], counted["later_id"],
                                             strict=True))


def test_a_confirmation_that_is_not_yes_or_no_is_refused_with_its_row(links, tmp_path):
    edited = links.copy()
    first_proposal = edited.index[edited["match"] == "proposed"][0]
    edited.loc[first_proposal, "confirm"] = "maybe"
    path = write_links(edited, tmp_path / "links.csv")
    with pytest.raises(DataError) as caught:
        confirmed_links(path)
    [problem] = caught.value.problems
    assert (problem.row, problem.column, problem.value) == (first_proposal + 2, "confirm", "maybe")


def test_a_firm_confirmed_twice_is_refused(links, tmp_path):
    edited = links.copy()
    later = edited.loc[edited["match"] == "proposed", "later_id"].value_counts().index[0]
    edited.loc[edited["later_id"] == later, "confirm"] = "yes"
    path = write_links(edited, tmp_path / "links.csv")
    with pytest.raises(DataError, match="linked more than once"):
        confirmed_links(path)


@pytest.mark.parametrize(
    ("one", "other"),
    [("上海瑞丰信息科技有限公司", "上海瑞丰信息科技股份有限公司"),
     ("上海瑞丰信息科技有限公司", "上海 瑞丰信息科技 有限责任公司"),
     ("瑞丰信息科技（上海）有限公司", "瑞丰信息科技(上海)有限公司"),
     ("Acme Trading Co., Ltd.", "ACME TRADING LIMITED")],
)
def test_names_written_otherwise_normalise_alike(one, other):
    assert normalised_firm_name(one) == normalised_firm_name(other)


def test_the_command_writes_the_links_file(waves, tmp_path):
    earlier, later = waves
    output = tmp_path / "links.csv"
    result = CliRunner().invoke(app, ["link", str(earlier.path), str(later.path), "-o",
                                      str(output)])
    assert result.exit_code == 0, result.output
    assert "by key" in result.output and output.is_file()
    written = pd.read_csv(output, dtype="str", keep_default_na=False, encoding="utf-8-sig")
    assert (written["match"] == "key").sum() >= 60
