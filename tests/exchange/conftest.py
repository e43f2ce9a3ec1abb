"""A small two-language questionnaire and typed response frames for the exchange tests."""

from __future__ import annotations

import pandas as pd
import pytest

from dmsurvey.questionnaire.loader import questionnaire_from_yaml
from dmsurvey.questionnaire.model import Questionnaire

SMALL_QUESTIONNAIRE_YAML = """\
name: small-survey
version: "1"
title: {zh: 小型调查, en: Small survey}
languages: [zh, en]
sections:
  - id: A
    title: {zh: 基本信息, en: Basics}
    questions:
      - id: firm_name
        type: text
        label: {zh: 企业名称, en: Firm name}
        pii: true
      - id: industry
        type: select_one
        label: {zh: 所属行业, en: Industry}
        choices:
          - {code: manufacturing, label: {zh: 制造业, en: Manufacturing}}
          - {code: software_it, label: {zh: 软件和信息技术服务业, en: Software and IT}}
          - {code: other, label: {zh: 其他, en: Other}}
      - id: mfg_subsector
        type: select_one
        label: {zh: 制造业细分行业, en: Manufacturing subsector}
        relevant: "${industry} = 'manufacturing'"
        choices:
          - {code: pharma, label: {zh: 医药制造, en: Pharmaceuticals}}
          - {code: other_mfg, label: {zh: 其他制造业, en: Other manufacturing}}
      - id: employees_2019
        type: integer
        label: {zh: 2019年末员工人数, en: Employees at the end of 2019}
        constraint: ". >= 0"
      - id: revenue_2019
        type: decimal
        label: {zh: 2019年营业收入（万元）, en: Operating revenue 2019 (RMB 10k)}
        constraint: ". >= 0 and . <= 1000000"
      - id: supply_chain_platform_services
        type: select_multiple
        label: {zh: 使用过的供应链平台服务, en: Supply-chain platform services used}
        choices:
          - {code: employee_sharing, label: {zh: 员工共享, en: Employee sharing}}
          - {code: production_line_config, label: {zh: 产线配置, en: Production line set-up}}
          - {code: none, label: {zh: 都没有, en: None}}
      - id: remarks
        type: text
        label: {zh: 备注, en: Remarks}
"""


def small_questionnaire() -> Questionnaire:
    return questionnaire_from_yaml(SMALL_QUESTIONNAIRE_YAML)


def typed_frame(questionnaire: Questionnaire, rows: list[dict]) -> pd.DataFrame:
    """A frame shaped like `Study.responses()`: metadata, then typed question columns."""
    metadata = {
        "response_id": pd.array([f"r{n}" for n in range(len(rows))], dtype="str"),
        "source": pd.array(["paper"] * len(rows), dtype="str"),
        "enumerator": pd.array(["王芳"] * len(rows), dtype="str"),
        "submitted_at": pd.array(["2020-07-15T10:00:00"] * len(rows), dtype="str"),
        "status": pd.array(["complete"] * len(rows), dtype="str"),
    }
    columns = dict(metadata)
    for question in questionnaire.answerable:
        values = [row.get(question.id) for row in rows]
        if question.type == "integer":
            columns[question.id] = pd.array(values, dtype="Int64")
        elif question.type == "decimal":
            columns[question.id] = pd.array(values, dtype="Float64")
        elif question.type == "select_one":
            columns[question.id] = pd.Categorical(values, categories=question.choice_codes)
        else:
            columns[question.id] = pd.array(values, dtype="str")
    return pd.DataFrame(columns)


@pytest.fixture
def questionnaire() -> Questionnaire:
    return small_questionnaire()


@pytest.fixture
def responses(questionnaire) -> pd.DataFrame:
    return typed_frame(
        questionnaire,
        [
            {
                "firm_name": "上海甲科技有限公司", "industry": "manufacturing",
                "mfg_subsector": "pharma", "employees_2019": 120, "revenue_2019": 5300.5,
                "supply_chain_platform_services": "employee_sharing production_line_config",
                "remarks": "=HYPERLINK(\"http://x\")",
            },
            {
                "firm_name": "乙软件", "industry": "software_it", "employees_2019": 15,
                "supply_chain_platform_services": "none", "remarks": "-5 人离职",
            },
            {"firm_name": "@丙", "industry": "other", "remarks": "+86 21 5555"},
        ],
    )


@pytest.fixture
def questionnaire_file(tmp_path):
    """The small questionnaire as a YAML file."""
    source = tmp_path / "small.yaml"
    source.write_text(SMALL_QUESTIONNAIRE_YAML, encoding="utf-8")
    return source


@pytest.fixture
def small_study(tmp_path, questionnaire_file):
    """An empty study folder of the small questionnaire."""
    from dmsurvey.store.study import init_study

    return init_study(tmp_path / "study", questionnaire=questionnaire_file)


def _key_form(study, form_number: str, entry: int, clerk: str, answers: dict) -> str:
    response_id = study.start_response(
        source="paper", enumerator=clerk, entry=entry, form_number=form_number
    )
    for question, value in answers.items():
        study.save_answer(response_id, question, value, who=clerk)
    return response_id


@pytest.fixture
def key_form():
    """`key_form(study, form_number, entry, clerk, answers)`: key one paper form as a clerk
    would (one committed answer at a time) and return the response id."""
    return _key_form
