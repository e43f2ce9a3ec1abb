"""The sample generator is reproducible and every sample firm is a valid interview."""

from __future__ import annotations

from importlib.resources import files

import pandas as pd
import pytest

from dmsurvey.questionnaire.expressions import parse_expression
from dmsurvey.store import sample

BUNDLED = files("dmsurvey") / "data" / "sample_responses.csv"


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    with BUNDLED.open(encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False, na_values=[""])


def test_regenerating_gives_the_bundled_file_byte_for_byte(tmp_path):
    written = sample.write_sample_csv(tmp_path / "again.csv")
    assert written.read_bytes() == BUNDLED.read_bytes()


def test_command_rewrites_the_file(tmp_path, capsys):
    sample.main([str(tmp_path / "sample.csv")])
    assert (tmp_path / "sample.csv").read_bytes() == BUNDLED.read_bytes()
    assert "99" in capsys.readouterr().out


def test_another_seed_gives_other_firms_with_the_same_published_counts():
    other = sample.generate_sample(seed=7)
    bundled = sample.generate_sample()
    assert set(other["response_id"]).isdisjoint(bundled["response_id"])
    for column in ("industry", "online_procurement_share", "biggest_obstacle"):
        assert other[column].value_counts().to_dict() == bundled[column].value_counts().to_dict()


def test_columns_are_metadata_then_every_question_in_order(raw, questionnaire):
    assert list(raw.columns) == list(sample.METADATA_COLUMNS) + [
        q.id for q in questionnaire.answerable
    ]


def test_metadata(raw):
    submitted = pd.to_datetime(raw["submitted_at"], format="ISO8601", utc=True)
    assert submitted.dt.tz_convert("Asia/Shanghai").dt.strftime("%Y-%m").eq("2020-07").all()
    assert raw["submitted_at"].str.endswith("+08:00").all()
    assert raw["enumerator"].notna().all() and 2 <= raw["enumerator"].nunique() <= 6
    assert raw["firm_name"].is_unique
    assert raw["firm_name"].str.fullmatch(r"上海\w+有限公司").all()


def answered(values: pd.Series) -> pd.Series:
    return values.notna() & (values.astype("str").str.strip() != "")


def test_every_firm_follows_the_skip_logic(raw, questionnaire):
    problems = []
    for question in questionnaire.answerable:
        relevant = (
            parse_expression(question.relevant).holds_frame(raw)
            if question.relevant
            else pd.Series(True, index=raw.index)
        )
        given = answered(raw[question.id])
        problems += [
            (question.id, "answered but not asked", row) for row in raw.index[given & ~relevant]
        ]
        if question.required:
            problems += [
                (question.id, "required but missing", row) for row in raw.index[relevant & ~given]
            ]
    # Item non-response, as in the paper's bases of 98: one firm each, two different firms.
    missing = [(question, row) for question, _, row in problems]
    assert [question for question, _ in missing] == [
        "internet_finance_share", "covid_digital_importance"]
    assert missing[0][1] != missing[1][1]
    assert [kind for _, kind, _ in problems] == ["required but missing"] * 2


def test_every_answer_meets_its_constraint(raw, questionnaire):
    for question in questionnaire.answerable:
        if question.constraint:
            given = answered(raw[question.id])
            holds = parse_expression(question.constraint).holds_frame(raw, current=question.id)
            assert holds[given].all(), question.id


def test_every_answer_is_a_valid_code_and_none_stands_alone(raw, questionnaire):
    for question in questionnaire.answerable:
        values = raw[question.id].dropna()
        if question.type == "select_one":
            assert values.isin(question.choice_codes).all(), question.id
        elif question.type == "select_multiple":
            for answer in values:
                codes = answer.split(" ")
                assert codes == [c for c in question.choice_codes if c in codes], (
                    question.id,
                    answer,
                )
                assert len(codes) == 1 or not set(codes) & set(question.exclusive), answer
        elif question.type == "integer":
            assert values.str.fullmatch(r"\d+").all(), question.id
        elif question.type == "decimal":
            assert pd.to_numeric(values).notna().all(), question.id


def test_load_sample_responses_is_typed(questionnaire):
    responses = sample.load_sample_responses()
    assert len(responses) == 99
    assert responses["employees_2019"].dtype == "Int64"
    assert responses["revenue_2019"].dtype == "Float64"
    assert list(responses["industry"].cat.categories) == list(
        questionnaire.question("industry").choice_codes
    )
    assert (responses["industry"] == "manufacturing").sum() == 28


def test_sample_study_holds_the_99_firms_as_complete_responses(tmp_path, questionnaire):
    study = sample.sample_study(tmp_path / "sample-study")
    stored = study.responses().sort_values("response_id", ignore_index=True)
    bundled = sample.load_sample_responses().sort_values("response_id", ignore_index=True)
    assert len(stored) == 99 and (stored["status"] == "complete").all()
    assert stored["source"].value_counts().to_dict() == {"paper": 59, "electronic": 40}
    columns = list(sample.METADATA_COLUMNS) + [q.id for q in questionnaire.answerable]
    pd.testing.assert_frame_equal(stored[columns], bundled[columns])
