"""A small questionnaire for the analysis tests, built straight from the model.

It mirrors the shape of the bundled instrument (a select_one share band, a multi-select
with `none`, a manufacturing-only question) at a size a test can reason about by hand.
"""

from __future__ import annotations

import pytest

from dmsurvey.questionnaire.model import (
    Choice,
    Dimension,
    Level,
    Question,
    Questionnaire,
    Scoring,
    ScoringItem,
    Section,
    Text,
)


def text(en: str) -> Text:
    return Text(en=en)


def select(qid: str, kind: str, codes: list[str], relevant: str | None = None) -> Question:
    exclusive = ("none",) if kind == "select_multiple" and "none" in codes else ()
    return Question(
        id=qid,
        type=kind,
        label=text(qid.replace("_", " ")),
        section="A",
        choices=tuple(Choice(code, text(code.replace("_", " ").title())) for code in codes),
        relevant=relevant,
        exclusive=exclusive,
    )


BANDS = ["none", "1_25", "26_50", "51_75", "76_100"]


@pytest.fixture
def small_questionnaire() -> Questionnaire:
    questions = (
        Question(id="firm_name", type="text", label=text("Firm"), section="A"),
        select("industry", "select_one", ["manufacturing", "software_it", "other"]),
        Question(id="employees_2019", type="integer", label=text("Employees"), section="A"),
        select("tech_used", "select_multiple", ["big_data", "ai", "cloud", "none"]),
        select("procurement", "select_one", BANDS),
        select("sales", "select_one", BANDS),
        select("smart", "select_multiple", ["lines", "factory", "none"],
               relevant="${industry} = 'manufacturing'"),
    )
    scoring = Scoring(
        dimensions=(
            Dimension(
                id="tech",
                label=text("Technology"),
                items=(ScoringItem("tech_used", {"big_data": 60, "ai": 60, "cloud": 30}),),
            ),
            Dimension(
                id="trade",
                label=text("Online trade"),
                weight=2,
                items=(
                    ScoringItem("procurement", {"1_25": 12.5, "26_50": 37.5, "51_75": 62.5,
                                                "76_100": 87.5}),
                    ScoringItem("sales", {"1_25": 12.5, "26_50": 37.5, "51_75": 62.5,
                                          "76_100": 87.5}, weight=3),
                ),
            ),
            Dimension(
                id="smart_manufacturing",
                label=text("Smart manufacturing"),
                applies_if="${industry} = 'manufacturing'",
                items=(ScoringItem("smart", {"lines": 50, "factory": 100}),),
            ),
        ),
        levels=(
            Level("beginner", text("Beginner"), 0, 25),
            Level("developing", text("Developing"), 25, 50),
            Level("advanced", text("Advanced"), 50, 75),
            Level("leader", text("Leader"), 75, 100),
        ),
    )
    return Questionnaire(
        name="small",
        version="1",
        title=text("Small"),
        languages=("en",),
        sections=(Section(id="A", title=text("A"), questions=questions),),
        scoring=scoring,
    )
