"""docs/questionnaire-format.md: its example is valid and it documents every key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dmsurvey.questionnaire import loader
from dmsurvey.questionnaire.expressions import FUNCTIONS
from dmsurvey.questionnaire.loader import questionnaire_from_yaml

DOC = Path(__file__).resolve().parents[2] / "docs" / "questionnaire-format.md"


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def test_the_complete_example_is_a_valid_questionnaire(doc):
    example = re.search(r"## A complete small example\s+```yaml\n(.*?)```", doc, re.S)[1]
    questionnaire = questionnaire_from_yaml(example, source="example")
    assert questionnaire.name == "firm-pulse"
    assert questionnaire["smart_lines"].choice_codes == ("yes", "no")
    assert questionnaire["tech_used"].exclusive == ("none",)
    assert questionnaire.scoring.dimension("smart_manufacturing").items[0].points == {"yes": 100}


@pytest.mark.parametrize(
    "keys",
    [
        loader.TOP_KEYS,
        loader.SECTION_KEYS,
        loader.QUESTION_KEYS,
        loader.CHOICE_KEYS,
        loader.SCORING_KEYS,
        loader.DIMENSION_KEYS,
        loader.ITEM_KEYS,
        loader.LEVEL_KEYS,
        loader.METADATA_FIELDS,
    ],
)
def test_every_key_is_documented(doc, keys):
    for key in keys:
        assert f"`{key}`" in doc, key


def test_every_function_is_documented(doc):
    for name in FUNCTIONS:
        assert f"{name}(" in doc, name


def test_the_python_example_gives_what_it_says(doc):
    from dmsurvey.questionnaire.expressions import parse_expression

    rule = parse_expression("${industry} = 'manufacturing' and count-selected(${tech_used}) > 1")
    assert "frozenset({'industry', 'tech_used'})" in doc
    assert rule.references == frozenset({"industry", "tech_used"})
    assert rule.holds({"industry": "manufacturing", "tech_used": "big_data ai"})
