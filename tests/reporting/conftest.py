"""Fixtures for the reporting tests.

`chart_questionnaire` is a small bilingual questionnaire with the codebook questions the
charts read, built straight from the model; `chart_responses` is a seeded random typed
frame over it (what `Study.responses()` returns). Chart tests use them so that every
number can be recomputed by hand. The report, summary and feedback tests use the bundled
instrument (`questionnaire`) and its 99-firm sample (`sample`) instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
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

BANDS = {"none": "无", "1_25": "1%–25%", "26_50": "26%–50%", "51_75": "51%–75%",
         "76_100": "76%–100%"}
YES_NO = {"yes": "是", "no": "否"}
# question id -> (type, {code: Chinese label}); English labels are the codes in words.
CHART_QUESTIONS: dict[str, tuple[str, dict[str, str]]] = {
    "industry": ("select_one", {"manufacturing": "制造业", "software_it": "软件和信息技术服务业",
                                "wholesale_retail": "批发和零售业", "other": "其他"}),
    "large_data_transfer": ("select_one", YES_NO),
    "cloud_status": ("select_one", {"migrated": "已上云", "planning": "计划上云",
                                    "no_plan": "暂无计划"}),
    "tech_used": ("select_multiple", {"industrial_internet": "工业互联网", "5g": "5G",
                                      "big_data": "大数据", "ai": "人工智能",
                                      "industrial_apps": "工业APP", "none": "以上均未使用"}),
    "online_procurement_share": ("select_one", BANDS),
    "online_sales_share": ("select_one", BANDS),
    "smart_mfg": ("select_multiple", {"equipment_networked": "传统设备联网",
                                      "smart_lines": "智能生产线", "smart_workshops": "智能车间",
                                      "smart_factories": "智能工厂", "none": "以上均无"}),
    "rd_digital": ("select_multiple", {"open_rd_platform": "开放式研发平台",
                                       "vr_3d_design": "三维及VR设计", "cax": "计算机辅助系统",
                                       "none": "以上均无"}),
    "internet_finance_share": ("select_one", BANDS),
    "biggest_obstacle": ("select_one", {"provider_fees": "服务商收费过高",
                                        "lack_funds": "缺乏资金", "no_urgency": "没有紧迫性",
                                        "lack_skills": "员工技能不足", "other": "其他"}),
    "policy_support": ("select_multiple", {"tax": "税收支持", "finance": "低息贷款等金融支持",
                                           "subsidy": "中小企业专项资金补贴", "other": "其他",
                                           "none": "均未获得"}),
    "digital_helps": ("select_one", YES_NO),
}


def _question(qid: str, kind: str, zh_labels: dict[str, str]) -> Question:
    choices = tuple(
        Choice(code, Text(en=code.replace("_", " ").capitalize(), zh=zh))
        for code, zh in zh_labels.items()
    )
    return Question(
        id=qid,
        type=kind,
        label=Text(en=qid.replace("_", " ").capitalize(), zh=f"问题 {qid}"),
        section="A",
        choices=choices,
        exclusive=("none",) if kind == "select_multiple" and "none" in zh_labels else (),
        relevant="${industry} = 'manufacturing'" if qid == "smart_mfg" else None,
    )


@pytest.fixture(scope="session")
def chart_questionnaire() -> Questionnaire:
    questions = [_question(qid, kind, labels) for qid, (kind, labels) in CHART_QUESTIONS.items()]
    questions.insert(1, Question(id="employees_2019", type="integer",
                                 label=Text(en="Employees", zh="员工人数"), section="A"))
    scoring = Scoring(
        dimensions=(
            Dimension(id="technology", label=Text(en="Technology", zh="技术"),
                      items=(ScoringItem("tech_used", {"big_data": 50, "ai": 50, "5g": 20}),
                             ScoringItem("cloud_status", {"migrated": 100, "planning": 40}))),
            Dimension(id="online_trade", label=Text(en="Online trade", zh="线上交易"),
                      items=(ScoringItem("online_procurement_share",
                                         {"1_25": 13, "26_50": 38, "51_75": 63, "76_100": 88}),)),
        ),
        levels=(Level("low", Text(en="Low", zh="低"), 0, 50),
                Level("high", Text(en="High", zh="高"), 50, 100)),
    )
    return Questionnaire(
        name="chart-test",
        version="1",
        title=Text(en="Chart test survey", zh="图表测试调查"),
        languages=("en", "zh"),
        sections=(Section("A", Text(en="All", zh="全部"), tuple(questions)),),
        scoring=scoring,
    )


def random_responses(questionnaire: Questionnaire, n: int, seed: int) -> pd.DataFrame:
    """A typed response frame with random answers, some unanswered, skip logic respected."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"response_id": [f"firm-{i:03d}" for i in range(n)]})
    for question in questionnaire.questions:
        codes = list(question.choice_codes)
        if question.type == "integer":
            frame[question.id] = pd.array(rng.integers(1, 400, n), dtype="Int64")
            continue
        if question.type == "select_one":
            values = rng.choice(codes, n).astype(object)
        else:
            chosen = rng.random((n, len(codes) - 1)) < 0.3
            values = np.array([" ".join(c for c, pick in zip(codes[:-1], row, strict=True) if pick)
                               or "none" for row in chosen], dtype=object)
        values[rng.random(n) < 0.05] = None
        if question.relevant:
            values[frame["industry"].astype("str").to_numpy() != "manufacturing"] = None
        if question.type == "select_one":
            frame[question.id] = pd.Categorical(values, categories=codes)
        else:
            frame[question.id] = pd.array(values, dtype="str")
    return frame


@pytest.fixture(scope="session")
def chart_responses(chart_questionnaire) -> pd.DataFrame:
    return random_responses(chart_questionnaire, 120, seed=20200701)


@pytest.fixture(scope="session")
def questionnaire() -> Questionnaire:
    """The bundled 2020 instrument."""
    from dmsurvey.questionnaire.loader import load_questionnaire

    return load_questionnaire("sme-digital-2020")


@pytest.fixture(scope="session")
def sample() -> pd.DataFrame:
    """The bundled 99-firm sample, typed as a study returns it."""
    from dmsurvey.store.sample import load_sample_responses

    return load_sample_responses()
