"""A small questionnaire with every question type, skip logic, constraints and required answers."""

from __future__ import annotations

import pytest

from dmsurvey.store.study import init_study

MINI_YAML = """\
name: mini
version: "1"
title: {zh: 小问卷, en: Mini survey}
languages: [zh, en]
metadata: [start, end]
choice_lists:
  yes_no:
    - {code: "yes", label: {zh: 是, en: "Yes"}}
    - {code: "no", label: {zh: 否, en: "No"}}
sections:
  - id: A
    title: {zh: 基本, en: Basics}
    questions:
      - id: intro
        type: note
        label: {zh: 欢迎, en: Welcome}
      - id: firm_name
        type: text
        label: {zh: 企业名称, en: Firm name}
        pii: true
      - id: industry
        type: select_one
        required: true
        label: {zh: 行业, en: Industry}
        choices:
          - {code: manufacturing, label: {zh: 制造业, en: Manufacturing}}
          - {code: software_it, label: {zh: 软件和信息技术服务业, en: Software and IT}}
          - {code: other, label: {zh: 其他, en: Other}}
      - id: mfg_subsector
        type: select_one
        relevant: "${industry} = 'manufacturing'"
        required: true
        label: {zh: 细分行业, en: Subsector}
        choices:
          - {code: pharma, label: {zh: 医药制造业, en: Pharmaceuticals}}
          - {code: other_mfg, label: {zh: 其他制造业, en: Other manufacturing}}
      - id: employees_2019
        type: integer
        label: {zh: 员工人数, en: Employees}
        constraint: ". >= 0"
        constraint_message: {zh: 不能为负数, en: Cannot be negative}
      - id: revenue_2019
        type: decimal
        label: {zh: 营业收入, en: Revenue}
        constraint: ". >= 0"
  - id: B
    title: {zh: 技术, en: Technology}
    questions:
      - id: tech_used
        type: select_multiple
        label: {zh: 使用的技术, en: Technologies used}
        choices:
          - {code: big_data, label: {zh: 大数据, en: Big data}}
          - {code: ai, label: {zh: 人工智能, en: AI}}
          - {code: 5g, label: {zh: 5G, en: 5G}}
          - {code: none, label: {zh: 以上均未使用, en: None of these}}
      - id: cloud
        type: select_one
        choices: yes_no
        label: {zh: 上云, en: Cloud}
      - id: self_maturity
        type: select_one
        label: {zh: 自评, en: Self-rating}
        choices:
          - {code: "1", label: {zh: 起步, en: Starting}}
          - {code: "2", label: {zh: 发展, en: Developing}}
          - {code: "3", label: {zh: 领先, en: Leading}}
"""


@pytest.fixture
def mini_path(tmp_path):
    path = tmp_path / "mini.yaml"
    path.write_text(MINI_YAML, encoding="utf-8")
    return path


@pytest.fixture
def study(tmp_path, mini_path):
    return init_study(tmp_path / "study", questionnaire=mini_path)
