"""Where things land on an 80x24 screen, and resuming by the start of an id, end to end.

A real pseudo-terminal that answers cursor-position requests (as xterm, tmux and the Windows
terminal do): prompt_toolkit would then stretch each prompt to the foot of the screen.
"""

from __future__ import annotations

import pytest

from .terminal import BACKSPACE, CTRL_C, DOWN, ENTER, SPACE, UP, Terminal, row_with

pytestmark = pytest.mark.slow


def test_messages_under_the_answer_back_without_tick_box_resume_by_prefix(study):
    terminal = Terminal("collect", str(study.path), "--lang", "zh")
    terminal.expect("开始")
    terminal.send(ENTER)
    terminal.expect("行业")
    terminal.send(DOWN + ENTER)
    terminal.expect("员工人数")
    terminal.send("abc" + ENTER)
    terminal.expect("请输入整数")
    rows = terminal.rows()
    assert row_with(rows, "请输入整数") == row_with(rows, "员工人数") + 1

    terminal.send(BACKSPACE * 3 + "-5" + ENTER)
    terminal.expect("人数须在0到99999之间")  # the questionnaire's own message
    rows = terminal.rows()
    assert row_with(rows, "人数须在0到99999之间") == row_with(rows, "员工人数") + 1

    terminal.send(BACKSPACE * 2 + "5" + ENTER)
    terminal.expect("营业收入")
    terminal.send(ENTER)
    terminal.expect("使用的技术")
    terminal.expect("返回上一题")
    back_row = terminal.rows()[row_with(terminal.rows(), "返回上一题")]
    assert "○" not in back_row and "●" not in back_row
    assert "○" in terminal.rows()[row_with(terminal.rows(), "都没有")]

    terminal.send(SPACE + UP + UP + SPACE + ENTER)  # big data and none: not together
    terminal.expect("“都没有”不能与其他选项同时勾选。")
    rows = terminal.rows()
    assert row_with(rows, "不能与其他选项同时勾选") == row_with(rows, "返回上一题") + 1

    terminal.send(CTRL_C)
    terminal.expect("暂停")
    terminal.send(ENTER)
    status, printed = terminal.finish()
    assert status == 0
    response_id = printed.split("--resume", 1)[1].split()[0]

    # The first characters of the id are enough to resume.
    terminal = Terminal("collect", str(study.path), "--lang", "zh", "--resume", response_id[:6])
    terminal.at("B · 4/")  # where it stopped: revenue, left blank, is not asked again
    terminal.expect("使用的技术")
    terminal.send(SPACE + ENTER)
    terminal.expect("谢谢")
    terminal.send(ENTER)
    terminal.expect("意见")
    terminal.send("好" + ENTER)
    terminal.expect("提交问卷")
    terminal.send(UP + UP + ENTER)  # the review opens on "submit"; two up is section A
    terminal.expect("员工人数：5")  # a full-width colon after Chinese
    assert "行业：服务业" in terminal.rows()[row_with(terminal.rows(), "行业")]
    terminal.send(CTRL_C)
    terminal.expect("暂停")
    terminal.send(ENTER)
    status, printed = terminal.finish()
    assert status == 0
    assert response_id in printed


def test_an_unknown_resume_id_is_one_message(study):
    terminal = Terminal("collect", str(study.path), "--resume", "zzz")
    status, printed = terminal.finish()
    assert status == 1
    assert "No unfinished interview in this study has an id starting with 'zzz'" in printed
    assert "Traceback" not in printed
