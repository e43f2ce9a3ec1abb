"""The bundled 2020 instrument honours the codebook contract and is fit for a field team.

The codebook (ids, types, choice codes, skip logic) is copied here as data on purpose: it is a
contract that importers, exports and outside scripts rely on, so a change to the questionnaire
file that breaks it must fail a test rather than silently follow.
"""

from __future__ import annotations

import re

import pytest

from dmsurvey.questionnaire.expressions import parse_expression
from dmsurvey.questionnaire.model import Text

SHARE_BANDS = ("none", "1_25", "26_50", "51_75", "76_100")
SPEND = ("lt_100k", "100k_500k", "500k_1m", "gt_1m")
YES_NO = ("yes", "no")
BARRIERS = ("no_barrier", "overcome", "not_overcome")

# section -> (id, type, choice codes in the codebook's order, or () for non-choice questions)
CODEBOOK = {
    "A": [
        ("firm_name", "text", ()),
        ("ownership", "select_one", ("private", "collective", "state", "foreign", "other")),
        (
            "industry",
            "select_one",
            (
                "manufacturing",
                "software_it",
                "info_comm",
                "wholesale_retail",
                "business_services",
                "sci_tech_services",
                "other",
            ),
        ),
        (
            "mfg_subsector",
            "select_one",
            (
                "pharma",
                "general_equipment",
                "special_equipment",
                "electronic_equipment",
                "other_mfg",
            ),
        ),
        ("founded_year", "integer", ()),
        ("employees_2019", "integer", ()),
        ("revenue_2019", "decimal", ()),
        ("assets_2019", "decimal", ()),
        ("respondent_role", "select_one", ("senior_manager", "middle_manager", "staff", "other")),
    ],
    "B": [
        ("large_data_transfer", "select_one", YES_NO),
        ("bandwidth_satisfied", "select_one", ("satisfied", "neutral", "unsatisfied")),
        ("cloud_status", "select_one", ("migrated", "planning", "no_plan")),
    ],
    "C": [
        (
            "tech_used",
            "select_multiple",
            ("industrial_internet", "5g", "big_data", "ai", "industrial_apps", "none"),
        ),
        ("bought_data_services", "select_one", YES_NO),
        ("data_services_spend", "select_one", SPEND),
        ("bought_ai_services", "select_one", YES_NO),
        ("ai_services_spend", "select_one", SPEND),
    ],
    "D": [
        ("online_procurement_share", "select_one", SHARE_BANDS),
        ("online_sales_share", "select_one", SHARE_BANDS),
        ("online_marketing", "select_one", YES_NO),
        ("new_marketing_models", "select_one", YES_NO),
        ("online_marketing_spend_share", "select_one", SHARE_BANDS),
        ("digital_marketing_services", "select_one", YES_NO),
        ("payment_merchant_services", "select_one", YES_NO),
        (
            "supply_chain_platform_services",
            "select_multiple",
            (
                "employee_sharing",
                "protective_materials",
                "sales_logistics_sharing",
                "supplier_matching",
                "production_line_config",
                "mold_sharing",
                "none",
            ),
        ),
    ],
    "E": [
        (
            "smart_mfg",
            "select_multiple",
            (
                "equipment_networked",
                "smart_lines",
                "smart_workshops",
                "smart_factories",
                "cnc_key_processes",
                "process_optimization",
                "modular_equipment",
                "none",
            ),
        ),
        (
            "rd_digital",
            "select_multiple",
            ("open_rd_platform", "vr_3d_design", "digital_model_simulation", "cax", "none"),
        ),
    ],
    "F": [
        ("internet_finance_share", "select_one", SHARE_BANDS),
        (
            "internet_finance_channels",
            "select_multiple",
            ("internet_bank", "supply_chain_finance", "online_lending_platform"),
        ),
        ("fin_platform_interest", "select_one", ("high", "average", "none")),
    ],
    "G": [
        ("covid_customer_comm", "select_one", BARRIERS),
        ("covid_remote_work", "select_one", BARRIERS),
        ("covid_digital_importance", "select_one", YES_NO),
    ],
    "H": [
        (
            "biggest_obstacle",
            "select_one",
            ("provider_fees", "lack_funds", "no_urgency", "lack_skills", "no_gov_support", "other"),
        ),
        ("policy_support", "select_multiple", ("tax", "finance", "subsidy", "other", "none")),
        ("digital_helps", "select_one", YES_NO),
        ("self_maturity", "select_one", ("1", "2", "3", "4", "5")),
    ],
}
CODEBOOK_ITEMS = [(section, *item) for section, items in CODEBOOK.items() for item in items]

# question -> (the question it depends on, the answers of that question that make it asked)
SKIP_LOGIC = {
    "mfg_subsector": ("industry", {"manufacturing"}),
    "smart_mfg": ("industry", {"manufacturing"}),
    "data_services_spend": ("bought_data_services", {"yes"}),
    "ai_services_spend": ("bought_ai_services", {"yes"}),
    "new_marketing_models": ("online_marketing", {"yes"}),
    "online_marketing_spend_share": ("online_marketing", {"yes"}),
    "internet_finance_channels": ("internet_finance_share", {"1_25", "26_50", "51_75", "76_100"}),
}
NON_NEGATIVE = ("employees_2019", "revenue_2019", "assets_2019")
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_found_by_name_with_both_languages(questionnaire):
    assert questionnaire.name == "sme-digital-2020"
    assert set(questionnaire.languages) == {"zh", "en"}
    assert [section.id for section in questionnaire] == list("ABCDEFGH")


@pytest.mark.parametrize(
    ("section", "question_id", "kind", "codes"),
    CODEBOOK_ITEMS,
    ids=[item[1] for item in CODEBOOK_ITEMS],
)
def test_codebook_item(questionnaire, section, question_id, kind, codes):
    question = questionnaire.question(question_id)
    assert question.section == section
    assert question.type == kind
    assert question.choice_codes == codes


def test_codebook_items_are_answerable_and_the_interview_stays_short(questionnaire):
    answerable = [q.id for q in questionnaire.answerable]
    assert {item[1] for item in CODEBOOK_ITEMS} <= set(answerable)
    assert 40 <= len(answerable) <= 45


@pytest.mark.parametrize("question_id", sorted(SKIP_LOGIC))
def test_skip_logic(questionnaire, question_id):
    depends_on, asked_when = SKIP_LOGIC[question_id]
    relevant = parse_expression(questionnaire.question(question_id).relevant)
    for code in questionnaire.question(depends_on).choice_codes:
        assert relevant.holds({depends_on: code}) == (code in asked_when), code
    assert not relevant.holds({}), "asked although the question it depends on is unanswered"


def test_codebook_items_without_skip_logic_are_always_asked(questionnaire):
    always = [item[1] for item in CODEBOOK_ITEMS if item[1] not in SKIP_LOGIC]
    assert [q for q in always if questionnaire.question(q).relevant] == []
    assert all(section.relevant is None for section in questionnaire)


def test_founding_year_between_1900_and_the_survey_year(questionnaire):
    question = questionnaire.question("founded_year")
    constraint = parse_expression(question.constraint)
    assert [constraint.holds({}, current=year) for year in (1899, 1900, 2020, 2021)] == [
        False,
        True,
        True,
        False,
    ]
    assert question.constraint_message is not None


@pytest.mark.parametrize("question_id", NON_NEGATIVE + ("it_staff_2019",))
def test_amounts_cannot_be_negative(questionnaire, question_id):
    question = questionnaire.question(question_id)
    constraint = parse_expression(question.constraint)
    assert constraint.holds({}, current=0)
    assert constraint.holds({}, current=12.5)
    assert not constraint.holds({}, current=-1)
    assert question.constraint_message is not None


def test_units(questionnaire):
    for question_id in ("revenue_2019", "assets_2019"):
        unit = questionnaire.question(question_id).unit
        assert unit["zh"] == "万元" and "10,000" in unit["en"]
    assert questionnaire.question("employees_2019").unit["zh"] == "人"


def test_none_excludes_every_other_choice(questionnaire):
    for question in questionnaire.questions:
        if question.type == "select_multiple":
            expected = ("none",) if "none" in question.choice_codes else ()
            assert question.exclusive == expected, question.id


def test_identifying_fields_are_marked_pii(questionnaire):
    pii = {q.id for q in questionnaire.questions if q.pii}
    assert pii == {"firm_name", "credit_code", "respondent_name", "respondent_phone"}


def test_core_questions_are_required(questionnaire):
    optional = [item[1] for item in CODEBOOK_ITEMS if not questionnaire.question(item[1]).required]
    assert optional == []


def test_survey_is_introduced_with_confidentiality(questionnaire):
    notes = [q for q in questionnaire.questions if q.type == "note"]
    assert notes and "保密" in notes[0].label["zh"] and "confidential" in notes[0].label["en"]
    assert "保密" in questionnaire.instructions["zh"]
    assert "confidential" in questionnaire.instructions["en"]


def all_texts(questionnaire):
    """(where, Text) for every text a respondent or a report can show."""
    yield "title", questionnaire.title
    yield "description", questionnaire.description
    yield "instructions", questionnaire.instructions
    for section in questionnaire:
        yield f"section {section.id}", section.title
        for question in section:
            for field in ("label", "hint", "unit", "constraint_message", "required_message"):
                text = getattr(question, field)
                if text is not None:
                    yield f"{question.id}.{field}", text
            for choice in question.choices:
                yield f"{question.id}/{choice.code}", choice.label
    yield "scoring.description", questionnaire.scoring.description
    for dimension in questionnaire.scoring.dimensions:
        yield f"dimension {dimension.id}", dimension.label
    for level in questionnaire.scoring.levels:
        yield f"level {level.id}", level.label


def test_every_text_exists_in_chinese_and_english(questionnaire):
    missing = [
        where
        for where, text in all_texts(questionnaire)
        if not isinstance(text, Text)
        or any(not text.get(lang, "").strip() for lang in ("zh", "en"))
    ]
    assert missing == []


def test_chinese_wording_is_chinese_and_english_is_english(questionnaire):
    for where, text in all_texts(questionnaire):
        if where.endswith((".label", ".hint")) or where.startswith("section"):
            assert CJK.search(text["zh"]), where
            assert not CJK.search(text["en"]), where


# A Chinese character, full-width punctuation or a Chinese quotation mark, with a space
# beside it: what YAML's folded strings leave where a long line was broken.
SPACE_BESIDE_CHINESE = re.compile(
    r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’] |"
    r" [\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’]"
)


def test_chinese_texts_have_no_stray_spaces(questionnaire):
    stray = [
        (where, match.group())
        for where, text in all_texts(questionnaire)
        for match in SPACE_BESIDE_CHINESE.finditer(text["zh"])
    ]
    assert stray == []


def test_scoring_dimensions_and_levels(questionnaire):
    scoring = questionnaire.scoring
    dimensions = {d.id: d for d in scoring.dimensions}
    assert list(dimensions) == [
        "ai_bigdata",
        "online_trade",
        "smart_manufacturing",
        "internet_finance",
    ]
    applies = parse_expression(dimensions["smart_manufacturing"].applies_if)
    assert applies.holds({"industry": "manufacturing"})
    assert not applies.holds({"industry": "software_it"})
    assert [d.applies_if for d in scoring.dimensions if d.id != "smart_manufacturing"] == [None] * 3
    assert [(level.min, level.max) for level in scoring.levels] == [
        (0, 25),
        (25, 50),
        (50, 75),
        (75, 100),
    ]


def test_scoring_points_name_real_codes_and_share_bands_score_their_midpoint(questionnaire):
    midpoints = {"none": 0, "1_25": 13, "26_50": 38, "51_75": 63, "76_100": 88}
    for dimension in questionnaire.scoring.dimensions:
        for item in dimension.items:
            question = questionnaire.question(item.question)
            assert set(item.points) <= set(question.choice_codes), item.question
            assert all(0 <= points <= 100 for points in item.points.values())
            if question.choice_codes == SHARE_BANDS:
                assert {code: item.points.get(code, 0) for code in SHARE_BANDS} == midpoints
