"""The tool speaks every language it claims, with the same placeholders in each."""

from __future__ import annotations

import string

from dmsurvey.interview import messages


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_exists_in_every_language_with_the_same_fields():
    for key, by_language in messages._MESSAGES.items():
        assert set(by_language) == set(messages.TOOL_LANGUAGES), key
        assert len({frozenset(fields(text)) for text in by_language.values()}) == 1, key


def test_unknown_languages_fall_back_to_english():
    assert messages.message("required", "fr") == messages.message("required", "en")
    assert messages.message("required", "zh") == "此题必须回答。"
    assert "017" in messages.message("form_header", "en", form="017", entry=1)


def test_counts_agree_with_their_noun():
    def missing(count: int, language: str) -> str:
        questions = messages.counted(count, "required_question", language)
        return messages.message("missing_required", language, questions=questions)

    assert missing(1, "en") == "Not submitted yet: 1 required question still without an answer."
    assert missing(3, "en") == "Not submitted yet: 3 required questions still without an answer."
    assert missing(3, "zh") == "尚未提交：还有3 道必答题没有回答。"
