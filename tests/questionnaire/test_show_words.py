"""`questionnaire show`: the tool's own words follow --lang; long choice labels wrap under
themselves, not back at the left edge of the cell."""

from __future__ import annotations

import re

from rich.console import Console

from dmsurvey.cli.questionnaire import codebook_renderables
from dmsurvey.questionnaire.loader import load_questionnaire

CELL_EDGES = re.compile(r"[│┃]")


def rendered(questionnaire, language: str, width: int = 80) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(*codebook_renderables(questionnaire, language))
    return console.export_text()


def question_cells(text: str) -> list[str]:
    """The question column, line by line, with its leading spaces."""
    return [
        CELL_EDGES.split(line)[3][1:]  # rich pads each cell with one space
        for line in text.splitlines()
        if len(CELL_EDGES.split(line)) == 5
    ]


def test_chinese_codebook_speaks_chinese_around_ids_types_and_expressions():
    text = rendered(load_questionnaire("sme-digital-2020"), "zh", width=120)
    headers = [line for line in text.splitlines() if "┃" in line]
    assert headers and not any(re.search(r"\b(id|type|question)\b", line) for line in headers)
    english = ["asked if", "check", "unit", "exclusive", "Scoring", "Levels", "dimension",
               "weight", "applies if", "languages", "questions", "required", "pii"]
    assert [word for word in english if re.search(rf"\b{word}\b", text)] == []
    for chinese in ("编号", "类型", "题目", "必答", "个人信息", "提问条件 ${industry} =",
                    "校验 . >= 0 — 人数不能为负数", "单位：人", "（互斥）", "评分", "维度",
                    "权重", "适用条件", "等级 起步级 0–25", "语言 zh, en · 45 道题"):
        assert chinese in text, chinese
    # Ids, types and expressions stay as written.
    for kept in ("tech_used", "select_multiple", "${industry} = 'manufacturing'"):
        assert kept in text, kept


def test_english_codebook_keeps_its_english_words():
    text = rendered(load_questionnaire("sme-digital-2020"), "en", width=120)
    for english in ("asked if ${industry}", "check . >= 0", "unit: persons", "(exclusive)",
                    "Scoring", "Levels", "languages zh, en · 45 questions"):
        assert english in text, english


def label_lines(cells: list[str], code: str) -> tuple[str, list[str]]:
    """The cell line holding `code`, and the lines after it up to the next choice."""
    row = next(i for i, cell in enumerate(cells) if cell.startswith(f"  {code}"))
    following = []
    for cell in cells[row + 1 :]:
        if re.match(r"  \S", cell) or not cell.strip():
            break
        following.append(cell)
    return cells[row], following


def test_a_long_choice_label_wraps_indented_under_itself():
    questionnaire = load_questionnaire("sme-digital-2020")
    for language, label in (("zh", "科学研究和技术服务业"),
                            ("en", "Scientific research and technical services")):
        for width in (60, 80):
            cells = question_cells(rendered(questionnaire, language, width))
            code_line, following = label_lines(cells, "sci_tech_services")
            # A long code: the label goes on the lines below it, deeper than the codes.
            assert code_line.strip() == "sci_tech_services"
            assert following and all(cell.startswith("    ") for cell in following)
            shown = "".join(cell.strip() for cell in following)  # folding may split anywhere
            assert shown.replace(" ", "") == label.replace(" ", "")


def test_a_label_beside_a_short_code_continues_under_its_first_character():
    cells = question_cells(rendered(load_questionnaire("sme-digital-2020"), "zh", 80))
    code_line, following = label_lines(cells, "senior_manager")
    indent = len("  senior_manager  ")
    assert code_line.startswith("  senior_manager  高层管理人员")
    assert following and all(cell[:indent].isspace() for cell in following)
    shown = code_line[indent:].strip() + "".join(cell.strip() for cell in following)
    assert shown == "高层管理人员（如董事长、总经理、副总经理）"
