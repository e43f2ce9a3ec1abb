"""A complete small questionnaire in the bundled instrument's shape, for the loader tests."""

from __future__ import annotations

import pytest

SURVEY_YAML = """\
name: firm-survey
version: "1.0"
title: {zh: 企业调查, en: Firm survey}
languages: [zh, en]
default_language: zh

choice_lists:
  yes_no:
    - {code: yes, label: {zh: 是, en: "Yes"}}
    - {code: no, label: {zh: 否, en: "No"}}
  spend:
    - {code: lt_100k, label: {zh: 10万元以下, en: Under 100k}}
    - {code: gt_100k, label: {zh: 10万元以上, en: Over 100k}}

sections:
  - id: A
    title: {zh: 基本信息, en: Basic information}
    questions:
      - id: firm_name
        type: text
        label: {zh: 企业名称, en: Company name}
        pii: true
      - id: ownership
        type: select_one
        label: {zh: 所有制, en: Ownership}
        choices:
          - {code: private, label: {zh: 民营, en: Private}}
          - {code: state, label: {zh: 国有, en: State-owned}}
      - id: industry
        type: select_one
        label: {zh: 行业, en: Industry}
        required: true
        choices:
          - {code: manufacturing, label: {zh: 制造业, en: Manufacturing}}
          - {code: other, label: {zh: 其他, en: Other}}
      - id: mfg_subsector
        type: select_one
        label: {zh: 制造业细分行业, en: Manufacturing sub-sector}
        relevant: "${industry} = 'manufacturing'"
        choices:
          - {code: pharma, label: {zh: 医药, en: Pharmaceuticals}}
          - {code: other_mfg, label: {zh: 其他制造业, en: Other manufacturing}}
      - id: employees_2019
        type: integer
        label:
          zh: 2019年末员工人数
          en: Employees at the end of 2019
        unit: {zh: 人, en: persons}
        constraint: ". >= 0"
        constraint_message: {zh: 不能为负数, en: Cannot be negative}
      - id: revenue_2019
        type: decimal
        label: {zh: 2019年营业收入, en: Revenue 2019}
        unit: {zh: 万元, en: RMB 10k}
        constraint: ". >= 0"

  - id: B
    title: {zh: 信息化, en: IT}
    questions:
      - id: large_data_transfer
        type: select_one
        label: {zh: 是否大量传输数据, en: Large data transfers}
        choices: yes_no
      - id: cloud_status
        type: select_one
        label: {zh: 上云情况, en: Cloud}
        choices:
          - {code: migrated, label: {zh: 已上云, en: Migrated}}
          - {code: no_plan, label: {zh: 无计划, en: No plan}}
      - id: tech_used
        type: select_multiple
        label: {zh: 使用的技术, en: Technologies used}
        choices:
          - {code: big_data, label: {zh: 大数据, en: Big data}}
          - {code: ai, label: {zh: 人工智能, en: AI}}
          - {code: none, label: {zh: 都没有, en: None}}
      - id: bought_data_services
        type: select_one
        label: {zh: 是否购买数据服务, en: Bought data services}
        choices: yes_no
      - id: data_services_spend
        type: select_one
        label: {zh: 数据服务支出, en: Spending on data services}
        relevant: "${bought_data_services} = 'yes'"
        choices: spend

  - id: H
    title: {zh: 自我评价, en: Self-assessment}
    questions:
      - id: self_maturity
        type: select_one
        label: {zh: 数字化程度自评, en: Self-rated maturity}
        choices:
          - {code: 1, label: {zh: 刚起步, en: Just starting}}
          - {code: 2, label: {zh: 领先, en: Leading}}

scoring:
  dimensions:
    - id: technology
      label: {zh: 技术, en: Technology}
      items:
        - question: tech_used
          weight: 2
          points: {big_data: 50, ai: 50}
        - question: cloud_status
          points: {migrated: 100}
        - question: large_data_transfer
          points: {yes: 100}
  levels:
    - {id: basic, label: {zh: 起步, en: Basic}, min: 0, max: 50}
    - {id: advanced, label: {zh: 先进, en: Advanced}, min: 50, max: 100}
"""


@pytest.fixture
def survey_yaml() -> str:
    return SURVEY_YAML


@pytest.fixture
def survey_file(tmp_path):
    path = tmp_path / "firm-survey.yaml"
    path.write_text(SURVEY_YAML, encoding="utf-8")
    return path
