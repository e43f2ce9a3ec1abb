"""The XPath functions of real forms: values as ODK gives them, and the same values whether
worked out for one interview or column-wise for a whole file."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from dmsurvey.errors import ExpressionError
from dmsurvey.questionnaire.expressions import parse_expression

ANSWERS = {"name": "Acme Ltd", "staff": "12", "share": "2.5", "visit": "2020-07-31",
           "tools": "erp cloud ai", "code": "AC-17"}


@pytest.mark.parametrize(
    "text,expected",
    [
        ("concat(${name}, ' (', ${staff}, ')')", "Acme Ltd (12)"),
        ("substr(${code}, 0, 2)", "AC"),
        ("substr(${code}, 3)", "17"),
        ("contains(${name}, 'Ltd')", True),
        ("starts-with(${code}, 'AC-')", True),
        ("ends-with(${code}, '18')", False),
        ("selected-at(${tools}, 2)", "ai"),
        ("selected-at(${tools}, 5)", ""),
        ("int(-${share})", -2.0),
        ("round(${share})", 3.0),
        ("round(-2.5)", -3.0),
        ("round(1005, -1)", 1010.0),
        ("round(2 div 3, 2)", 0.67),
        ("pow(${staff}, 2)", 144.0),
        ("sqrt(16) + abs(-1)", 5.0),
        ("max(${staff}, ${share}, 30)", 30.0),
        ("min(${staff}, ${share})", 2.5),
        ("sum(${staff}, ${share})", 14.5),
        ("max(${staff}, ${missing})", math.nan),
        ("decimal-date-time(${visit})", 18474.0),
        ("date(18474)", "2020-07-31"),
        ("date(${visit}) = ${visit}", True),
        ("format-date(${visit}, '%e %b %Y, %a')", "31 Jul 2020, Fri"),
        ("format-date(${visit}, '%Y年%n月%e日')", "2020年7月31日"),
        ("${visit} < '2020-08-01' and ${visit} > '2020-07-30'", True),
        ("once(${staff}) + 1", 13.0),
    ],
)
def test_values_as_odk_gives_them(text, expected):
    value = parse_expression(text).evaluate(ANSWERS)
    if isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(value)
    elif isinstance(expected, float):
        assert value == pytest.approx(expected)
    else:
        assert value == expected


def test_today_and_now_in_constraints():
    assert parse_expression("today()").evaluate({}) == date.today().isoformat()
    assert parse_expression(". <= today()").holds({}, current="2020-07-31")
    assert not parse_expression(". <= today()").holds({}, current="2999-01-01")
    assert parse_expression("now() > ${visit}").holds(ANSWERS)
    assert parse_expression("today()").evaluate({}) == parse_expression(
        "format-date(now(), '%Y-%m-%d')").evaluate({})


def test_an_unknown_function_is_named():
    with pytest.raises(ExpressionError, match=r"unknown function digest\(\)"):
        parse_expression("digest(${item}, 'SHA-256')")


COLUMNS = pd.DataFrame({
    "name": ["Acme Ltd", "Bolt", "", "Cog & Co", "Acme Ltd"],
    "staff": ["12", "3", "", "7.5", "12"],
    "share": ["2.5", "-0.5", "1", "", "2.5"],
    "visit": ["2020-07-31", "2021-02-28", "", "2019-12-31T08:30:00", "2020-07-31"],
    "tools": ["erp cloud", "ai", "", "erp", "erp cloud"],
    "code": ["AC-17", "BO-2", "", "CC-3", "AC-17"],
})


@pytest.mark.parametrize(
    "text",
    [
        "concat(${name}, '/', ${code})",
        "substr(${code}, 0, 2)",
        "substr(${name}, ${share})",
        "substr(${name}, 1, ${staff})",
        "contains(${name}, 'Co')",
        "contains(${name}, ${code})",
        "starts-with(${code}, 'AC')",
        "ends-with(${name}, ${tools})",
        "selected-at(${tools}, 1)",
        "int(${staff} div 2)",
        "round(${share})",
        "round(${staff} div 7, 2)",
        "sqrt(${staff}) + pow(${share}, 2)",
        "max(${staff}, ${share})",
        "min(${staff}, ${share}, 1)",
        "sum(${staff}, ${share})",
        "date(decimal-date-time(${visit}))",
        "format-date(${visit}, '%d.%m.%Y')",
        "${visit} <= today()",
        "if(${visit} < '2020-01-01', 'old', concat('new ', ${code}))",
    ],
)
def test_column_wise_equals_one_by_one(text):
    expression = parse_expression(text)
    one_by_one = [expression.evaluate(row) for row in COLUMNS.to_dict("records")]
    column = expression.evaluate_frame(COLUMNS).tolist()
    for single, whole in zip(one_by_one, column, strict=True):
        if isinstance(single, float) and math.isnan(single):
            assert math.isnan(whole)
        else:
            assert whole == single
