"""A small two-language questionnaire with skip logic, a constraint, units and a `none` code."""

from __future__ import annotations

import pytest

from dmsurvey.questionnaire.loader import load_questionnaire
from dmsurvey.questionnaire.model import Questionnaire
from dmsurvey.store.study import Study, init_study

SMALL_QUESTIONNAIRE = """\
name: small
version: "1"
title: {zh: 小问卷, en: Small questionnaire}
languages: [zh, en]
default_language: zh
description: {zh: 一份小问卷。, en: A small questionnaire.}
instructions: {zh: 请如实填写。, en: Please answer for your firm.}
sections:
  - id: A
    title: {zh: 基本信息, en: Basics}
    questions:
      - id: industry
        type: select_one
        label: {zh: 行业, en: Industry}
        required: true
        choices:
          - {code: manufacturing, label: {zh: 制造业, en: Manufacturing}}
          - {code: services, label: {zh: 服务业, en: Services}}
      - id: mfg_subsector
        type: select_one
        label: {zh: 制造业细分, en: Manufacturing subsector}
        relevant: "${industry} = 'manufacturing'"
        choices:
          - {code: pharma, label: {zh: 医药, en: Pharma}}
          - {code: other_mfg, label: {zh: 其他, en: Other}}
      - id: employees
        type: integer
        label: {zh: 员工人数, en: Employees}
        required: true
        unit: {zh: 人, en: persons}
        hint: {zh: 2019年末, en: At the end of 2019}
        constraint: ". >= 0 and . < 100000"
        constraint_message: {zh: 人数须在0到99999之间, en: "Between 0 and 99,999 persons"}
      - id: revenue
        type: decimal
        label: {zh: 营业收入, en: Revenue}
        unit: {zh: 万元, en: "RMB 10,000"}
        constraint: ". >= 0"
  - id: B
    title: {zh: 技术, en: Technology}
    questions:
      - id: tech_used
        type: select_multiple
        label: {zh: 使用的技术, en: Technologies used}
        required: true
        required_message: {zh: 请至少选择一项, en: Tick at least one}
        choices:
          - {code: big_data, label: {zh: 大数据, en: Big data}}
          - {code: ai, label: {zh: 人工智能, en: AI}}
          - {code: none, label: {zh: 都没有, en: None}}
      - id: thanks
        type: note
        label: {zh: 谢谢, en: Thank you}
      - id: comment
        type: text
        label: {zh: 意见, en: Comments}
  - id: C
    title: {zh: 制造, en: Manufacturing}
    relevant: "${industry} = 'manufacturing'"
    questions:
      - id: smart_mfg
        type: select_multiple
        label: {zh: 智能制造, en: Smart manufacturing}
        choices:
          - {code: lines, label: {zh: 智能产线, en: Smart lines}}
          - {code: none, label: {zh: 都没有, en: None}}
"""


@pytest.fixture
def questionnaire_file(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_QUESTIONNAIRE, encoding="utf-8")
    return path


@pytest.fixture
def questionnaire(questionnaire_file) -> Questionnaire:
    return load_questionnaire(questionnaire_file)


@pytest.fixture
def study(tmp_path, questionnaire_file) -> Study:
    return init_study(tmp_path / "study", questionnaire=questionnaire_file)


@pytest.fixture
def metadata_study(tmp_path) -> Study:
    """The small questionnaire declaring the XLSForm metadata an interview fills in itself."""
    path = tmp_path / "with-metadata.yaml"
    path.write_text(
        SMALL_QUESTIONNAIRE.replace(
            "default_language: zh\n",
            "default_language: zh\nmetadata: [start, end, today, deviceid, username, email]\n",
        ),
        encoding="utf-8",
    )
    return init_study(tmp_path / "metadata-study", questionnaire=path)
