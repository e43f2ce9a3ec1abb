"""`questionnaire show` at 80 columns keeps every word: Chinese folds instead of being cut."""

from __future__ import annotations

import re

import pytest
from rich.console import Console

from dmsurvey.cli.questionnaire import codebook_renderables
from dmsurvey.questionnaire.loader import load_questionnaire

CELL_EDGES = re.compile(r"[│┃]")


def question_column_text(questionnaire, language: str) -> str:
    """The question column of every codebook table, rendered at 80 columns and read back
    without spaces (folding may break a text anywhere)."""
    console = Console(width=80, record=True, color_system=None)
    console.print(*codebook_renderables(questionnaire, language))
    cells = [
        CELL_EDGES.split(line)[3]
        for line in console.export_text().splitlines()
        if len(CELL_EDGES.split(line)) == 5
    ]
    return re.sub(r"\s+", "", "".join(cells))


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_label_and_hint_appears_in_full_at_80_columns(language):
    questionnaire = load_questionnaire("sme-digital-2020")
    shown = question_column_text(questionnaire, language)
    texts = [question.label for question in questionnaire.questions] + [
        question.hint for question in questionnaire.questions if question.hint
    ]
    assert len(texts) > 40
    missing = [
        text.in_language(language)
        for text in texts
        if re.sub(r"\s+", "", text.in_language(language)) not in shown
    ]
    assert missing == []
    assert "…" not in shown
