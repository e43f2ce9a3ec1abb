"""A generated national-survey-sized questionnaire and synthetic answers to it.

`wide_questionnaire(3000)` writes a bilingual (zh/en) questionnaire of 3,000 answerable
questions in sections of 50: many multi-selects, single choices, integers with a
constraint, decimals and text, with skip logic on earlier answers. `wide_responses` draws
answers that satisfy every rule, so an import of them is valid. Used by the wide-store
tests and by `benchmarks/bench_wide.py`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

SECTION_SIZE = 50
# Question types by position in a cycle of ten: four multi-selects out of ten.
TYPE_CYCLE = (
    "select_multiple", "select_one", "integer", "select_multiple", "select_one",
    "select_multiple", "decimal", "select_one", "select_multiple", "text",
)
LIST_SIZES = (4, 6, 8, 10, 12)
# The scoring block scores the first single-choice questions: c1 is worth 100, c2 50.
SCORED_QUESTIONS = 10


def _choice_lists() -> dict[str, list[dict]]:
    return {
        f"list_{size}": [
            {"code": f"c{code}", "label": {"zh": f"选项{code}", "en": f"Option {code}"}}
            for code in range(1, size + 1)
        ]
        for size in LIST_SIZES
    }


def _question(number: int, previous_single: str | None) -> dict:
    kind = TYPE_CYCLE[number % len(TYPE_CYCLE)]
    question = {
        "id": f"q{number:04d}",
        "type": kind,
        "label": {"zh": f"第{number}题", "en": f"Question {number}"},
    }
    if kind.startswith("select"):
        question["choices"] = f"list_{LIST_SIZES[number % len(LIST_SIZES)]}"
    if kind == "integer":
        question["constraint"] = ". >= 0"
    # Every seventh question is asked only after a first choice at an earlier question.
    if number % 7 == 0 and previous_single is not None:
        question["relevant"] = f"${{{previous_single}}} = 'c1'"
    return question


def wide_questionnaire_dict(questions: int = 3_000) -> dict:
    sections = []
    previous_single = None
    for start in range(0, questions, SECTION_SIZE):
        built = []
        for number in range(start + 1, min(start + SECTION_SIZE, questions) + 1):
            built.append(_question(number, previous_single))
            if built[-1]["type"] == "select_one" and "relevant" not in built[-1]:
                previous_single = built[-1]["id"]
        section = start // SECTION_SIZE + 1
        sections.append({
            "id": f"s{section:03d}",
            "title": {"zh": f"第{section}部分", "en": f"Part {section}"},
            "questions": built,
        })
    first_singles = [
        question["id"] for section in sections for question in section["questions"]
        if question["type"] == "select_one" and "relevant" not in question
    ][:SCORED_QUESTIONS]
    return {
        "name": "national-enterprise-survey",
        "version": "1",
        "title": {"zh": "全国企业调查", "en": "National enterprise survey"},
        "languages": ["zh", "en"],
        "choice_lists": _choice_lists(),
        "sections": sections,
        "scoring": {
            "dimensions": [{
                "id": "breadth",
                "label": {"zh": "广度", "en": "Breadth"},
                "items": [
                    {"question": question_id, "points": {"c1": 100, "c2": 50}}
                    for question_id in first_singles
                ],
            }],
            "levels": [
                {"id": "basic", "label": {"zh": "起步", "en": "Basic"}, "min": 0, "max": 50},
                {"id": "advanced", "label": {"zh": "先进", "en": "Advanced"},
                 "min": 50, "max": 100},
            ],
        },
    }


def wide_questionnaire(path: Path, questions: int = 3_000) -> Path:
    """Write the questionnaire of `questions` answerable questions as YAML to `path`."""
    text = yaml.safe_dump(
        wide_questionnaire_dict(questions), allow_unicode=True, sort_keys=False, width=100
    )
    path.write_text(text, encoding="utf-8")
    return path


def wide_responses(questionnaire, rows: int, seed: int = 2020) -> pd.DataFrame:
    """`rows` valid responses (codes as text, unanswered empty), with response ids."""
    from dmsurvey.questionnaire.expressions import parse_expression

    generator = np.random.default_rng(seed)
    columns: dict[str, np.ndarray] = {
        "response_id": np.array([f"firm-{number:06d}" for number in range(rows)], dtype=object)
    }
    for question in questionnaire.answerable:
        codes = np.array(question.choice_codes, dtype=object)
        if question.type == "select_one":
            values = codes[generator.integers(0, len(codes), rows)]
        elif question.type == "select_multiple":
            chosen = generator.random((rows, len(codes))) < 0.3
            joined = np.full(rows, "", dtype=object)
            for position, code in enumerate(codes):
                joined = joined + np.where(chosen[:, position], f" {code}", "").astype(object)
            values = np.array([text[1:] for text in joined], dtype=object)
        elif question.type == "integer":
            values = generator.integers(0, 500, rows).astype(str).astype(object)
        elif question.type == "decimal":
            values = np.round(generator.random(rows) * 100, 2).astype(str).astype(object)
        else:
            values = np.array([f"note {number % 97}" for number in range(rows)], dtype=object)
        if question.relevant:
            relevant = parse_expression(question.relevant)
            earlier = pd.DataFrame({name: columns[name] for name in relevant.references})
            asked = relevant.holds_frame(earlier)
            values = np.where(asked.to_numpy(), values, "")
        columns[question.id] = values
    return pd.DataFrame(columns)
