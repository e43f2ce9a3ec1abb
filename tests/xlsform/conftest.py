"""XLSForms written at test time with openpyxl, as a form designer would lay them out.

Each sheet is given as rows, the header row first; `None` leaves a cell empty. Row numbers
in messages count the header as row 1, as Excel shows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from openpyxl import Workbook

Sheet = Sequence[Sequence[object]]


def write_xlsform(
    path: Path,
    survey: Sheet,
    choices: Sheet | None = None,
    settings: Sheet | None = None,
) -> Path:
    workbook = Workbook()
    workbook.active.title = "survey"
    sheets = {"survey": survey, "choices": choices, "settings": settings}
    for name, rows in sheets.items():
        if rows is None:
            continue
        sheet = workbook["survey"] if name == "survey" else workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    workbook.save(path)
    return path


@pytest.fixture
def xlsform(tmp_path):
    """`xlsform("name", survey=..., choices=..., settings=...)` writes name.xlsx."""

    def make(name: str, survey: Sheet, choices: Sheet | None = None, settings=None) -> Path:
        return write_xlsform(tmp_path / f"{name}.xlsx", survey, choices, settings)

    return make


# A small bilingual firm survey in the shape KoboToolbox users write: two languages, a
# question outside any group, nested groups with skip logic, a multi-select, constraints
# with messages, required answers, and metadata.
FIRM_SURVEY = [
    ["type", "name", "label::English (en)", "label::Chinese (zh)", "hint::English (en)",
     "hint::Chinese (zh)", "required", "relevant", "constraint",
     "constraint_message::English (en)", "constraint_message::Chinese (zh)", "appearance"],
    ["start", "start"],
    ["end", "end"],
    ["text", "firm_name", "Firm name", "企业名称", "As registered", "以营业执照为准", "yes"],
    ["begin group", "profile", "Firm profile", "企业概况", None, None, None,
     "${firm_name} != ''", None, None, None, "field-list"],
    ["select_one industry", "industry", "Industry", "行业", None, None, "yes"],
    ["integer", "employees", "Employees at the end of 2019", "2019年末员工人数", None, None,
     "yes", None, ". >= 0", "Cannot be negative", "不能为负数"],
    ["begin group", "factory", "Manufacturing", "制造业", None, None, None,
     "${industry} = ‘manufacturing’"],
    ["select_multiple tech", "tech_used", "Technologies used", "使用的技术", None, None,
     None, None, "not(selected(., 'none') and count-selected(.) > 1)",
     "'None' cannot be combined", "“无”不能与其他选项同时选择"],
    ["decimal", "automation_share", "Share of automated lines (%)", "自动化产线占比（%）",
     None, None, None, "count-selected(${tech_used}) > 0", ". >= 0 and . <= 100",
     "Between 0 and 100", "应在0到100之间"],
    ["end group"],
    ["note", "thanks_profile", "Thank you", "谢谢"],
    ["end group"],
    ["deviceid", "deviceid"],
]
FIRM_CHOICES = [
    ["list_name", "name", "label::English (en)", "label::Chinese (zh)"],
    ["industry", "manufacturing", "Manufacturing", "制造业"],
    ["industry", "services", "Services", "服务业"],
    ["tech", "cloud", "Cloud computing", "云计算"],
    ["tech", "ai", "Artificial intelligence", "人工智能"],
    ["tech", "none", "None of these", "以上都没有"],
]
FIRM_SETTINGS = [
    ["form_title", "form_id", "version", "default_language"],
    ["SME survey", "sme_survey", "2020.1", "Chinese (zh)"],
]


@pytest.fixture
def firm_form(xlsform) -> Path:
    return xlsform("firm", FIRM_SURVEY, FIRM_CHOICES, FIRM_SETTINGS)


# The old syntax many forms still use: `select one from`, `label:english`, `list name`.
OLD_SYNTAX_SURVEY = [
    ["type", "name", "label:english", "required"],
    ["select one from yes_no", "exports", "Does the firm export?", "TRUE"],
    ["select all that apply from channel", "channels", "Sales channels", None],
    ["begin_group", "more", "More", None],
    ["int", "founded", "Year founded", None],
    ["end_group", None, None, None],
]
OLD_SYNTAX_CHOICES = [
    ["list name", "name", "label:english"],
    ["yes_no", "yes", "Yes"],
    ["yes_no", "no", "No"],
    ["channel", "1", "Shop"],
    ["channel", "2", "Online"],
]


@pytest.fixture
def old_syntax_form(xlsform) -> Path:
    return xlsform("old", OLD_SYNTAX_SURVEY, OLD_SYNTAX_CHOICES)


@pytest.fixture
def or_other_form(xlsform) -> Path:
    return xlsform(
        "other",
        survey=[["type", "name", "label"], ["select_one owner or_other", "ownership", "Ownership"]],
        choices=[["list_name", "name", "label"], ["owner", "private", "Private"],
                 ["owner", "state", "State-owned"]],
    )


# A plot roster: plots as many as the answer says, trees in each plot until there are no
# more. The plot's question after the trees (row 8) is asked before them: an adaptation.
@pytest.fixture
def repeat_form(xlsform) -> Path:
    return xlsform(
        "roster",
        survey=[
            ["type", "name", "label", "repeat_count"],
            ["integer", "plots", "Number of plots"],
            ["begin repeat", "plot", "Plot", "${plots}"],
            ["decimal", "area", "Area"],
            ["begin repeat", "tree", "Tree"],
            ["integer", "height", "Height"],
            ["end repeat"],
            ["text", "remark", "Remark"],
            ["end repeat"],
        ],
    )
