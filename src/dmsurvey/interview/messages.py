"""The interview's own words (prompts, key help, errors), in every language it speaks.

Question wording always comes from the questionnaire; this module holds only what the tool
itself says around it. Placeholders are `str.format` fields.
"""

from __future__ import annotations

from dmsurvey.wording import plural, translated

TOOL_LANGUAGES = ("zh", "en")

_MESSAGES: dict[str, dict[str, str]] = {
    "no_terminal": {
        "en": (
            "dmsurvey collect needs an interactive terminal (its input is not one). "
            "Run it directly in a terminal window or over `ssh -t`; to load answers from "
            "a file, use `dmsurvey import`."
        ),
        "zh": (
            "dmsurvey collect 需要在交互式终端中运行（当前输入不是终端）。"
            "请直接在终端窗口或通过 `ssh -t` 运行；如需从文件导入答案，请使用 `dmsurvey import`。"
        ),
    },
    "keys_select": {
        "en": "↑↓ move · Enter choose · Ctrl-B back · Ctrl-C pause",
        "zh": "↑↓ 移动 · 回车 确认 · Ctrl-B 上一题 · Ctrl-C 暂停",
    },
    "keys_select_numbers": {
        "en": "number or ↑↓ · Enter choose · Ctrl-B back",
        "zh": "数字键或 ↑↓ · 回车 确认 · Ctrl-B 上一题",
    },
    "keys_checkbox": {
        "en": "↑↓ move · Space tick · Enter done · Ctrl-B back · Ctrl-C pause",
        "zh": "↑↓ 移动 · 空格 勾选 · 回车 完成 · Ctrl-B 上一题 · Ctrl-C 暂停",
    },
    "keys_checkbox_numbers": {
        "en": "number or Space tick · Enter done · Ctrl-B back",
        "zh": "数字键或空格 勾选 · 回车 完成 · Ctrl-B 上一题",
    },
    "keys_text": {
        "en": "Enter confirm · Ctrl-B back · Ctrl-C pause",
        "zh": "回车 确认 · Ctrl-B 上一题 · Ctrl-C 暂停",
    },
    "keys_text_compact": {"en": "Enter · Ctrl-B back", "zh": "回车 · Ctrl-B 上一题"},
    "back_choice": {"en": "« Back to the previous question", "zh": "« 返回上一题"},
    "continue_choice": {"en": "Continue »", "zh": "继续 »"},
    "leave_unanswered": {"en": "(leave unanswered)", "zh": "（不回答）"},
    "hint": {"en": "Hint: {text}", "zh": "提示：{text}"},
    "unit": {"en": "Unit: {text}", "zh": "单位：{text}"},
    "required": {"en": "An answer is required.", "zh": "此题必须回答。"},
    "constraint": {"en": "This answer is not allowed.", "zh": "此答案不符合要求。"},
    "not_integer": {
        "en": "Type a whole number, such as 1,200.",
        "zh": "请输入整数，例如 1200 或 1,200。",
    },
    "integer_too_large": {
        "en": "Too large to store exactly: type a whole number from "
        "-9,007,199,254,740,992 to 9,007,199,254,740,992.",
        "zh": "数值过大，无法精确保存：请输入 -9,007,199,254,740,992 到 "
        "9,007,199,254,740,992 之间的整数。",
    },
    "control_character": {
        "en": "The answer holds a control character (at character {place}); "
        "type text only (tabs and line breaks are fine).",
        "zh": "答案含有控制字符（第 {place} 个字符）；请只输入文字（可用制表符和换行）。",
    },
    "not_decimal": {
        "en": "Type a number, such as 1,234.5.",
        "zh": "请输入数字，例如 1234.5 或 1,234.5。",
    },
    "not_date": {
        "en": "Type a date, such as 2020-07-31, 2020/7/31, 31.7.2020 or 2020年7月31日.",
        "zh": "请输入日期，例如 2020-07-31、2020/7/31、31.7.2020 或 2020年7月31日。",
    },
    "not_time": {"en": "Type a time, such as 14:30.", "zh": "请输入时间，例如 14:30 或 14时30分。"},
    "not_datetime": {
        "en": "Type a date and a time, such as 2020-07-31 14:30.",
        "zh": "请输入日期和时间，例如 2020-07-31 14:30。",
    },
    "not_geopoint": {
        "en": "Type latitude and longitude (-90 to 90, -180 to 180), then altitude and "
              "accuracy if known: 30.27 120.15 12 5.",
        "zh": "请输入纬度和经度（-90至90，-180至180），可再加海拔和精度：30.27 120.15 12 5。",
    },
    "not_geotrace": {
        "en": "Type at least 2 points, separated by ;  such as 30.27 120.15; 30.28 120.16.",
        "zh": "请输入至少2个点，用 ; 分隔，例如 30.27 120.15; 30.28 120.16。",
    },
    "not_geoshape": {
        "en": "Type at least 3 points, separated by ;  such as 30 120; 30 121; 31 121.",
        "zh": "请输入至少3个点，用 ; 分隔，例如 30 120; 30 121; 31 121。",
    },
    "not_rank": {
        "en": "Type every code once, the first-ranked first.",
        "zh": "请按排名先后输入每个代码各一次。",
    },
    "rank_choices": {"en": "Codes: {choices}", "zh": "代码：{choices}"},
    "no_file": {
        "en": "No file at {path}. Type the path of the file, or leave it empty.",
        "zh": "{path} 不存在。请输入文件路径，或留空跳过。",
    },
    "media_hint": {
        "en": "Type the path of the file (only its name is kept), or press Enter to skip.",
        "zh": "请输入文件路径（只保存文件名），或按回车跳过。",
    },
    "acknowledge_choice": {"en": "OK", "zh": "确认"},
    "add_first": {"en": "{title}: is there one to add?", "zh": "{title}：是否需要填写？"},
    "add_another": {
        "en": "{title}: add another (number {number})?",
        "zh": "{title}：是否再添加一项（第 {number} 项）？",
    },
    "add_choice": {"en": "Yes: {title} {number}", "zh": "是：{title} {number}"},
    "no_more_choice": {"en": "No more: go on", "zh": "没有了：继续"},
    "remove_instances": {
        "en": "This removes {instances} with their answers (the audit trail keeps them). "
              "Remove?",
        "zh": "这将删除{instances}及其答案（审计记录会保留）。确定删除吗？",
    },
    "understood": {"en": "→ {value}", "zh": "→ {value}"},
    "exclusive": {
        "en": "“{label}” cannot be ticked together with other answers.",
        "zh": "“{label}”不能与其他选项同时勾选。",
    },
    "review_title": {
        "en": "Review: choose an answer to change it, or submit.",
        "zh": "核对答案：选择任意一题可修改，或提交问卷。",
    },
    "review_page": {
        "en": "Choose an answer to change it, or go back to the sections.",
        "zh": "选择要修改的答案，或返回各部分列表。",
    },
    "review_submit": {"en": "Submit the questionnaire", "zh": "提交问卷"},
    "not_answered": {"en": "(not answered)", "zh": "（未回答）"},
    "review_label": {"en": "{label}: ", "zh": "{label}："},
    "missing_required": {
        "en": "Not submitted yet: {questions} still without an answer.",
        "zh": "尚未提交：还有{questions}没有回答。",
    },
    "submitted": {
        "en": "Submitted: response {response_id} is complete. Thank you.\n"
              "To correct it later: dmsurvey collect {study} --edit {response_id}",
        "zh": "已提交：问卷 {response_id} 已完成。谢谢！\n"
              "如需修改：dmsurvey collect {study} --edit {response_id}",
    },
    "confirm_submit": {
        "en": "Submit the questionnaire now? To correct it afterwards, reopen it with "
              "dmsurvey collect --edit ID.",
        "zh": "现在提交问卷吗？提交后如需修改，可用 dmsurvey collect --edit ID 重新打开。",
    },
    "no_such_choice": {
        "en": "No such choice: press a number from 1 to {count}, or an arrow key.",
        "zh": "没有这个选项：请按 1 至 {count} 的数字键，或用方向键选择。",
    },
    "reopened": {
        "en": "Response {response_id} reopened for correction; the audit trail keeps what it "
              "held before.",
        "zh": "问卷 {response_id} 已重新打开以便修改；修改前的内容保留在审计记录中。",
    },
    "keyed_for_reconcile": {
        "en": "Saved: response {response_id} is keyed. This form is keyed twice, so it "
              "counts once its keyings agree: dmsurvey reconcile {study}",
        "zh": "已保存：问卷 {response_id} 已录入。该表录入了两遍，两遍核对一致后才计入："
              "dmsurvey reconcile {study}",
    },
    "interrupted": {"en": "Interview interrupted. What now?", "zh": "访谈已中断，接下来？"},
    "database_busy": {
        "en": "The study database is busy (an import or another program is writing to it). "
              "The answers are safe in {path} and are stored as soon as it is free.",
        "zh": "研究数据库正忙（正在导入或有其他程序写入）。答案已安全保存在 {path}，"
              "数据库空闲后即写入。",
    },
    "wait_choice": {"en": "Wait and try again", "zh": "等待并重试"},
    "leave_choice": {
        "en": "Leave now: the next dmsurvey collect stores them",
        "zh": "现在退出：下次运行 dmsurvey collect 时写入",
    },
    "pause_choice": {
        "en": "Pause: keep the answers and resume later",
        "zh": "暂停：保留答案，稍后继续",
    },
    "discard_choice": {
        "en": "Discard this interview (marked void)",
        "zh": "放弃本次访谈（标记为作废）",
    },
    "resume_choice": {"en": "Go on with the interview", "zh": "继续访谈"},
    "paused": {
        "en": (
            "Paused; every answer is saved. Resume with:\n"
            "  dmsurvey collect {study} --resume {response_id}"
        ),
        "zh": (
            "已暂停，所有答案均已保存。继续访谈：\n"
            "  dmsurvey collect {study} --resume {response_id}"
        ),
    },
    "discarded": {
        "en": "Interview {response_id} discarded (status void).",
        "zh": "访谈 {response_id} 已放弃（状态：作废）。",
    },
    "nothing_saved": {
        "en": "Stopped before the first answer; nothing was saved.",
        "zh": "在第一个答案之前停止，未保存任何内容。",
    },
    "resume_title": {
        "en": "Unfinished interviews in this study. Resume one or start a new one:",
        "zh": "本调查有未完成的访谈。选择继续其中一份，或开始新的访谈：",
    },
    "resume_item": {
        "en": "{firm} · {enumerator} · {answered}/{total} answered · {updated}",
        "zh": "{firm} · {enumerator} · 已答 {answered}/{total} · {updated}",
    },
    "new_interview": {"en": "Start a new interview", "zh": "开始新的访谈"},
    "unnamed_firm": {"en": "(firm not named yet)", "zh": "（企业名称未填）"},
    "no_enumerator": {"en": "(no enumerator)", "zh": "（无访员）"},
    "start_choice": {"en": "Start", "zh": "开始"},
    "form_header": {"en": "Form {form} · entry {entry}", "zh": "表 {form} · 第 {entry} 次录入"},
}


# Nouns counted in messages: English takes a plural; Chinese a measure word, and no plural.
_NOUNS: dict[str, dict[str, str]] = {
    "required_question": {"en": "required question", "zh": "道必答题"},
}


def counted(count: int, noun: str, language: str | None) -> str:
    """`count` with `noun` in the tool's language: "1 required question", "2 道必答题"."""
    language = tool_language(language)
    word = _NOUNS[noun][language]
    return plural(count, word) if language == "en" else f"{count:,} {word}"


def tool_language(language: str | None) -> str:
    """The language the tool speaks: `language` if it has words for it, else English."""
    return language if language in TOOL_LANGUAGES else "en"


def message(key: str, language: str | None, **fields: object) -> str:
    """The tool's message `key` in `language`, with `fields` filled in."""
    return translated(_MESSAGES, key, tool_language(language), **fields)
