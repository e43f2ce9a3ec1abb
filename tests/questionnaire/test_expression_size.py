"""Expressions of any depth or length: nested thousands of levels, chained 100,000 terms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dmsurvey.questionnaire.expressions import parse_expression


def _nested_parentheses(depth: int) -> str:
    return "(" * depth + "${x} + 1" + ")" * depth + " = 8"


def _nested_ifs(depth: int) -> str:
    # if(${x} > 0, if(${x} > 1, ... , 0), 0): the count of thresholds below x, capped at depth.
    text = "0"
    for level in reversed(range(depth)):
        text = f"if(${{x}} > {level}, 1 + {text}, 0)"
    return text


def _nested_nots(depth: int) -> str:
    return "not(" * depth + "${x} > 5" + ")" * depth


def _or_chain(terms: int) -> str:
    return " or ".join(f"${{x}} = {value}" for value in range(terms))


def _sum(terms: int) -> str:
    return " + ".join(f"${{x}} * {weight % 7}" for weight in range(terms))


def _minuses(count: int) -> str:
    return "-" * count + "${x}"


X_VALUES = [3.0, 60_000.0]
FRAME = pd.DataFrame({"x": pd.array([0, 3, 7, 60_000, None], dtype="Int64")})


def _expected_sum(x: float, terms: int) -> float:
    return x * sum(weight % 7 for weight in range(terms))


CASES = [
    ("1,000 nested parentheses", _nested_parentheses(1_000), lambda x: x + 1 == 8),
    ("2,000 nested if()", _nested_ifs(2_000), lambda x: float(min(max(x, 0), 2_000))),
    ("5,000 nested not()", _nested_nots(5_000), lambda x: x > 5),
    ("10,000 nested parentheses", _nested_parentheses(10_000), lambda x: x + 1 == 8),
    ("50,000-term or", _or_chain(50_000), lambda x: x < 50_000),
    ("100,000-term sum", _sum(100_000), lambda x: _expected_sum(x, 100_000)),
    ("100,000 unary minuses", _minuses(100_000), lambda x: x),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_deep_and_long_expressions_evaluate_one_interview_at_a_time(name, text, expected):
    expression = parse_expression(text)
    assert expression.references == {"x"}
    for x in X_VALUES:
        assert expression.evaluate({"x": x}) == expected(x), (name, x)


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_deep_and_long_expressions_evaluate_over_a_frame(name, text, expected):
    expression = parse_expression(text)
    values = expression.evaluate_frame(FRAME)
    assert values.iloc[:4].tolist() == [expected(x) for x in (0.0, 3.0, 7.0, 60_000.0)], name
    # The unanswered row gives what one interview without an answer gives.
    unanswered = expression.evaluate({})
    assert values.iloc[4] == unanswered or (np.isnan(values.iloc[4]) and np.isnan(unanswered))


def test_deep_conditions_hold_row_by_row_as_one_at_a_time():
    expression = parse_expression(_nested_nots(5_001))
    assert expression.holds_frame(FRAME).tolist() == [True, True, False, False, True]
    assert [expression.holds({"x": x}) for x in (0, 3, 7, 60_000, None)] == [
        True,
        True,
        False,
        False,
        True,
    ]


def test_long_chains_keep_left_to_right_grouping():
    # 2 - 1 - 1 - ... must group to the left, as a short chain does.
    text = "20000 " + "- 1 " * 19_999
    assert parse_expression(text).evaluate({}) == 1.0
    assert parse_expression("10 div 2 div 5").evaluate({}) == 1.0
    assert parse_expression("-2 * 3 + -${x}").evaluate({"x": 1}) == -7.0


def test_codes_compared_anywhere_in_a_deep_expression_are_found():
    text = "not(" * 3_000 + "${industry} = 'manufacturing'" + ")" * 3_000
    assert parse_expression(text).compared_codes() == (("industry", "manufacturing"),)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("(" * 20_000 + "${x}" + ")" * 19_999, "expected ')' but found the end of the expression"),
        ("not(" * 5_000 + "${x}" + ")" * 5_001, "unexpected ')'"),
        ("${x} or " * 50_000, "expected a value but found the end of the expression"),
    ],
)
def test_a_mistake_deep_inside_is_reported_not_a_crash(text, reason):
    from dmsurvey.errors import ExpressionError

    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    assert caught.value.reason == reason


def _survey_with(survey_yaml: str, *, relevant: str, constraint: str) -> str:
    marker = "        relevant: \"${industry} = 'manufacturing'\"\n"
    assert marker in survey_yaml
    rules = f"        relevant: \"{relevant}\"\n        constraint: \"{constraint}\"\n"
    return survey_yaml.replace(marker, rules)


def test_validate_accepts_a_questionnaire_with_deep_and_long_rules(survey_yaml, tmp_path):
    from typer.testing import CliRunner

    from dmsurvey.cli import app

    relevant = "not(" * 5_000 + "${industry} != 'manufacturing'" + ")" * 5_000
    constraint = " or ".join(["string-length(.) > 0"] * 50_000)
    path = tmp_path / "deep.yaml"
    path.write_text(_survey_with(survey_yaml, relevant=relevant, constraint=constraint))
    result = CliRunner().invoke(app, ["questionnaire", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "is valid" in result.output


def test_a_mistake_in_a_deep_rule_names_its_line(survey_yaml, tmp_path):
    from typer.testing import CliRunner

    from dmsurvey.cli import app

    relevant = "(" * 3_000 + "${industry} = 'manufacturing'" + ")" * 2_999
    path = tmp_path / "deep.yaml"
    path.write_text(_survey_with(survey_yaml, relevant=relevant, constraint=". != ''"))
    line = 1 + path.read_text().splitlines().index(f'        relevant: "{relevant}"')
    result = CliRunner().invoke(app, ["questionnaire", "validate", str(path)])
    assert result.exit_code == 1
    assert f"line {line}" in result.output
    assert "expected ')' but found the end of the expression" in result.output
    assert "Traceback" not in result.output
