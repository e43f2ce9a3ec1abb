"""The report's tables: labels in the report language, blanks, one footnote per shared note."""

from __future__ import annotations

import html
import math
import re

import pandas as pd

from dmsurvey.reporting.report import quantity
from dmsurvey.reporting.tables import format_numbers, html_table
from dmsurvey.reporting.texts import translate_note
from dmsurvey.store.quality import MESSAGES
from dmsurvey.wording import translated


def cells(page: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", cell))
            for cell in re.findall(r"<t[dh][^>]*>.*?</t[dh]>", page)]


def test_breakdown_tests_are_named_in_chinese(questionnaire):
    note = "expected counts below 5; p-value from 9999 simulated tables"
    tests = pd.DataFrame({
        "question": ["biggest_obstacle", "policy_support/tax", "policy_support/any"],
        "by": ["size_class", "industry", "level"],
        "test": ["chi2_monte_carlo"] * 3,
        "statistic": [15.3, 3.81, 0.9],
        "df": [math.nan] * 3,
        "p_value": [0.2222, 0.00001, 1.0],
        "note": [note] * 3,
    })
    page = html_table(tests, "zh", questionnaire=questionnaire, percent_columns=())
    shown = cells(page)
    assert shown[:4] == ["题目", "分组变量", "检验", "统计量"]  # no empty df column
    assert "最大障碍" in shown and "政策支持：税收优惠" in shown and "政策支持：任一项" in shown
    assert "规模分组（员工人数）" in shown and "成熟度等级" in shown
    assert "卡方检验（模拟p值）" in shown
    assert "<0.001" in shown and "0.222" in shown
    # One footnote instead of the same note on every row.
    assert page.count("部分期望频数小于5") == 1
    assert "注：部分期望频数小于5；p值由9999次模拟表计算" in page


def test_quality_issues_show_blanks_and_labels(questionnaire):
    issues = pd.DataFrame({
        "check": ["implausible"], "severity": ["warning"], "response_id": ["2c63e9e9"],
        "form_number": [None], "question": ["revenue_2019/employees_2019"], "value": [4.204],
        "message": ["revenue per employee far from the other firms (robust z -3.5 on a log "
                    "scale; median 35.3)"],
    })
    shown = cells(html_table(issues, "en", questionnaire=questionnaire))
    assert "None" not in shown and "nan" not in shown
    assert "Form" not in shown  # nothing in it, so no column
    assert shown[:3] == ["Check", "Severity", "Response"]
    assert "Implausible ratio" in shown and "warning" in shown
    assert "Operating revenue, 2019 / Employees, end of 2019" in shown
    # The store writes its messages in the report's language; the table shows them as they are.
    chinese = translated(MESSAGES, "implausible", "zh", ratio="人均营业收入", z=-3.5, median=35.3)
    zh = cells(html_table(issues.assign(message=[chinese]), "zh", questionnaire=questionnaire))
    assert "警告" in zh and "比值异常" in zh
    assert "人均营业收入与其他企业差异过大（对数尺度稳健z值-3.5；中位数35.3）" in zh


def test_a_column_of_numbers_has_one_number_of_decimals():
    assert format_numbers(pd.Series([10.0, 27.0, 19.25])) == ["10.0", "27.0", "19.2"]
    assert format_numbers(pd.Series([10.0, 27.0])) == ["10", "27"]
    assert format_numbers(pd.Series([-0.4619, 0.035, math.nan])) == ["-0.462", "0.035", ""]
    assert format_numbers(pd.Series([1234.5, 20.0])) == ["1,234", "20"]


def test_money_reads_in_millions_in_english_and_wan_in_chinese(questionnaire):
    unit = questionnaire.question("revenue_2019").unit
    assert quantity(512, unit, "en") == "RMB 5.12 million"
    assert quantity(512, unit, "zh") == "512万元"
    persons = questionnaire.question("employees_2019").unit
    assert quantity(19.5, persons, "en") == "19.5 persons"
    assert quantity(20, persons, "zh") == "20人"


def test_unknown_notes_stay_as_they_are():
    assert translate_note("something new; did not converge", "zh") == "something new；未收敛"
    assert translate_note(None, "zh") == ""
    assert translate_note(math.nan, "en") == ""
