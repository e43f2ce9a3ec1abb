"""A firm's feedback sheet: scores against peers, shown only where 10 or more answered."""

from __future__ import annotations

import pytest

from dmsurvey.analysis.scoring import score
from dmsurvey.analysis.sizes import size_class
from dmsurvey.errors import AnalysisError
from dmsurvey.reporting.feedback import firm_feedback, write_firm_feedback


def comparison(feedback, group_prefix, dimension):
    return next(c for c in feedback.comparisons
                if c.group.startswith(group_prefix) and c.dimension == dimension)


def test_peer_means_are_the_other_firms_of_the_industry(sample, questionnaire):
    firm = sample[sample["industry"].astype(object) == "manufacturing"].iloc[0]
    feedback = firm_feedback(sample, questionnaire, firm["response_id"])
    scores = score(sample, questionnaire)
    peers = scores[(sample["industry"].astype(object) == "manufacturing")
                   & (sample["response_id"] != firm["response_id"])]
    found = comparison(feedback, "Same industry", "online_trade")
    assert found.peers_answered == peers["online_trade"].notna().sum() == 27
    assert found.peer_mean == pytest.approx(peers["online_trade"].mean())
    own = scores.loc[sample["response_id"] == firm["response_id"], "composite"].iloc[0]
    assert feedback.scores["composite"] == pytest.approx(own)


def test_groups_under_ten_peers_are_not_shown(sample, questionnaire):
    classes = size_class(sample)
    lonely = sample[classes.astype(str) == "large"].iloc[0]  # the only large firm
    feedback = firm_feedback(sample, questionnaire, lonely["response_id"])
    size = comparison(feedback, "Same size class", "composite")
    assert size.peers_answered == 0 and size.peer_mean is None
    strict = firm_feedback(sample, questionnaire, lonely["response_id"], min_peers=200)
    assert all(c.peer_mean is None for c in strict.comparisons)
    assert strict.practices is None


def test_practices_are_what_peers_use_and_the_firm_does_not(sample, questionnaire):
    firm = sample.iloc[5]
    feedback = firm_feedback(sample, questionnaire, firm["response_id"])
    chosen = set(str(firm["tech_used"]).split())
    tech_question = questionnaire.question("tech_used")
    tech_label = tech_question.label["en"]
    listed = feedback.practices[feedback.practices["question"] == tech_label]
    for row in listed.itertuples():
        code = next(c.code for c in tech_question.choices if c.label["en"] == row.practice)
        assert code not in chosen
    peers = sample[(sample["industry"].astype(object) == firm["industry"])
                   & (sample["response_id"] != firm["response_id"])]
    if len(listed):
        first = listed.iloc[0]
        code = next(c.code for c in tech_question.choices if c.label["en"] == first["practice"])
        answers = peers["tech_used"].astype(object).dropna()
        assert first["share"] == pytest.approx(answers.str.split().map(
            lambda codes: code in codes).mean())


def test_the_page_names_the_firm_and_hides_small_groups(sample, questionnaire, tmp_path):
    firm = sample[size_class(sample).astype(str) == "large"].iloc[0]
    page = write_firm_feedback(sample, questionnaire, firm["response_id"], tmp_path)
    html = page.read_text(encoding="utf-8")
    assert str(firm["firm_name"]) in html
    assert "fewer than 10 peers answered; not shown" in html


def test_an_ambiguous_prefix_is_refused(sample, questionnaire):
    with pytest.raises(AnalysisError, match="matches"):
        firm_feedback(sample, questionnaire, "")


def test_a_non_manufacturer_is_told_smart_manufacturing_does_not_apply(sample, questionnaire,
                                                                       tmp_path):
    firm = sample[sample["industry"].astype(str) == "software_it"].iloc[0]
    feedback = firm_feedback(sample, questionnaire, firm["response_id"])
    assert feedback.not_applicable == {"smart_manufacturing"}
    page = write_firm_feedback(sample, questionnaire, firm["response_id"], tmp_path).read_text()
    assert "does not apply to your enterprise" in page
    assert "not scored (too few answers)" not in page


def test_practices_are_adoption_items_each_used_by_ten_peers(sample, questionnaire):
    bands = {choice.label["en"] for choice in
             questionnaire.question("online_procurement_share").choices}
    for position in range(0, len(sample), 7):
        feedback = firm_feedback(sample, questionnaire, sample["response_id"].iloc[position])
        if feedback.practices is None:
            continue
        practices = feedback.practices
        assert not set(practices["practice"]) & bands
        assert not practices["practice"].isin(["None of these", "No"]).any()
        # Each share shown stands for at least 10 peers using the practice.
        assert (practices["share"] * practices["n"]).round().ge(10).all()


@pytest.mark.parametrize("odd_id", ["../../etc/passwd", "K/2020/17", "x" * 300,
                                    "企业" * 100, "a:b*c?d"])
def test_firm_pages_of_odd_ids_get_safe_distinct_file_names(sample, questionnaire, tmp_path,
                                                            odd_id):
    responses = sample.copy()
    responses["response_id"] = responses["response_id"].astype(object)
    responses.loc[responses.index[0], "response_id"] = odd_id
    responses.loc[responses.index[1], "response_id"] = odd_id + "2"
    out = tmp_path / "pages"
    first = write_firm_feedback(responses, questionnaire, odd_id, out)
    second = write_firm_feedback(responses, questionnaire, odd_id + "2", out)
    assert first.parent == second.parent == out
    assert first != second and first.is_file() and second.is_file()
    assert len(first.name.encode("utf-8")) <= 120
    assert sorted(path.name for path in tmp_path.rglob("*") if path.is_file()) == sorted(
        [first.name, second.name])


def test_a_firm_page_of_a_plain_id_is_named_after_it(sample, questionnaire, tmp_path):
    firm = str(sample["response_id"].iloc[0])
    assert write_firm_feedback(sample, questionnaire, firm, tmp_path).name == f"firm-{firm}.html"
