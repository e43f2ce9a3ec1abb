"""`dmsurvey collect` in a real 80x24 pseudo-terminal on the bundled 2020 questionnaire.

Each scripted step waits for the question's progress heading ("C · 20/"), then types. The
stored answers are read back from the study and checked one by one.
"""

from __future__ import annotations

import pytest

from dmsurvey.store.study import init_study, open_study

from .terminal import BACKSPACE, CTRL_B, CTRL_C, DOWN, ENTER, SPACE, UP, Terminal

pytestmark = pytest.mark.slow

INSTRUMENT = "sme-digital-2020"


@pytest.fixture
def study_path(tmp_path, request):
    from pathlib import Path

    bundled = Path(request.config.rootpath) / "questionnaires" / f"{INSTRUMENT}.yaml"
    return init_study(tmp_path / "study", questionnaire=bundled).path


def answer_all(terminal: Terminal, steps) -> None:
    for progress, keys in steps:
        terminal.at(progress)
        terminal.send(keys)


# A manufacturer, in English. (progress heading, keys) for each screen, and what is stored.
MANUFACTURER_STEPS = [
    ("A · 1/", ENTER),  # the introductory note
    ("A · 1/", "上海精密工具有限公司" + ENTER),
    ("A · 2/", "91310112MA1G4L1W3B" + ENTER),
    ("A · 3/", ENTER),  # registered in Shanghai: yes
    ("A · 4/", ENTER),
    ("A · 5/", ENTER),  # private
    ("A · 6/", ENTER),  # manufacturing: the sub-sector is asked next
    ("A · 7/", DOWN + DOWN + ENTER),
    ("A · 8/", "2008" + ENTER),
    ("A · 9/", "1,250" + ENTER),  # thousands separator
    ("A · 10/", "３５６００.５" + ENTER),  # full-width digits
    ("A · 11/", "82,000" + ENTER),
    ("A · 12/", DOWN + ENTER),
    ("A · 13/", "Li Ming" + ENTER),
    ("A · 14/", ENTER),  # phone left blank (optional)
    ("B · 15/", ENTER),
    ("B · 16/", DOWN + ENTER),
    ("B · 17/", DOWN + ENTER),
    ("B · 18/", "12" + ENTER),
    ("C · 19/", SPACE + DOWN + DOWN + SPACE + ENTER),
    ("C · 20/", ENTER),  # bought data services: yes, so the spend is asked
    ("C · 21/", DOWN + ENTER),
    ("C · 22/", DOWN + ENTER),  # no AI services: their spend is skipped
    ("D · 23/", DOWN + DOWN + DOWN + ENTER),
    ("D · 24/", DOWN + ENTER),
    ("D · 25/", ENTER),
    ("D · 26/", DOWN + ENTER),
    ("D · 27/", DOWN + DOWN + ENTER),
    ("D · 28/", DOWN + ENTER),
    ("D · 29/", ENTER),
    ("D · 30/", DOWN + DOWN + DOWN + SPACE + ENTER),
    ("E · 31/", SPACE + DOWN + SPACE + ENTER),  # smart manufacturing: manufacturers only
    ("E · 32/", DOWN + DOWN + DOWN + SPACE + ENTER),
    ("F · 33/", DOWN + ENTER),
    ("F · 34/", DOWN + SPACE + ENTER),
    ("F · 35/", DOWN + ENTER),
    ("G · 36/", DOWN + ENTER),
    ("G · 37/", ENTER),
    ("G · 38/", SPACE + DOWN + SPACE + ENTER),
    ("G · 39/", ENTER),
    ("H · 40/", DOWN + ENTER),
    ("H · 41/", SPACE + DOWN + DOWN + SPACE + ENTER),
    ("H · 42/", ENTER),
    ("H · 43/", DOWN + DOWN + ENTER),
    ("H · 44/44", "More training, please" + ENTER),
]
MANUFACTURER_ANSWERS = {
    "firm_name": "上海精密工具有限公司",
    "credit_code": "91310112MA1G4L1W3B",
    "registered_shanghai": "yes",
    "main_business_shanghai": "yes",
    "ownership": "private",
    "industry": "manufacturing",
    "mfg_subsector": "special_equipment",
    "founded_year": 2008,
    "employees_2019": 1250,
    "revenue_2019": 35600.5,
    "assets_2019": 82000.0,
    "respondent_role": "middle_manager",
    "respondent_name": "Li Ming",
    "large_data_transfer": "yes",
    "bandwidth_satisfied": "neutral",
    "cloud_status": "planning",
    "it_staff_2019": 12,
    "tech_used": "industrial_internet big_data",
    "bought_data_services": "yes",
    "data_services_spend": "100k_500k",
    "bought_ai_services": "no",
    "online_procurement_share": "51_75",
    "online_sales_share": "1_25",
    "online_marketing": "yes",
    "new_marketing_models": "no",
    "online_marketing_spend_share": "26_50",
    "digital_marketing_services": "no",
    "payment_merchant_services": "yes",
    "supply_chain_platform_services": "supplier_matching",
    "smart_mfg": "equipment_networked smart_lines",
    "rd_digital": "cax",
    "internet_finance_share": "1_25",
    "internet_finance_channels": "supply_chain_finance",
    "fin_platform_interest": "average",
    "covid_customer_comm": "overcome",
    "covid_remote_work": "no_barrier",
    "covid_digital_tools": "remote_office video_conferencing",
    "covid_digital_importance": "yes",
    "biggest_obstacle": "lack_funds",
    "policy_support": "tax subsidy",
    "digital_helps": "yes",
    "self_maturity": "3",
    "comments": "More training, please",
}


def stored(study_path, response_id=None):
    study = open_study(study_path)
    if response_id is None:
        [response_id] = study.response_ids()
    return study.get_response(response_id), study.get_answers(response_id)


def test_interview_a_manufacturer_completely(study_path):
    terminal = Terminal("collect", str(study_path), "--enumerator", "Li", "--lang", "en")
    terminal.expect("SME Digital Transformation Survey (2020)")
    terminal.expect("Start")
    terminal.send(ENTER)
    answer_all(terminal, MANUFACTURER_STEPS)
    terminal.expect("Submit the questionnaire")
    terminal.send(ENTER)
    terminal.expect("Submit the questionnaire now?")  # Enter alone would say no
    terminal.send("y")
    status, printed = terminal.finish()
    assert status == 0
    assert "is complete" in printed
    assert f"dmsurvey collect {study_path} --edit " in printed
    response, answers = stored(study_path)
    assert answers == MANUFACTURER_ANSWERS
    assert (response["status"], response["source"], response["enumerator"]) == (
        "complete",
        "electronic",
        "Li",
    )


# A software firm, in Chinese: no sub-sector, no smart manufacturing, and other skips.
SOFTWARE_FIRM_STEPS = [
    ("A · 1/", ENTER),
    ("A · 1/", "Cloudy Software" + ENTER),
    ("A · 2/", ENTER),  # no credit code: it is optional
    ("A · 3/", DOWN + ENTER),
    ("A · 4/", ENTER),
    ("A · 5/", DOWN + DOWN + DOWN + ENTER),
    ("A · 6/", DOWN + ENTER),  # software and IT: no sub-sector
    ("A · 7/", "2015" + ENTER),
    ("A · 8/", "４５" + ENTER),
    ("A · 9/", "1200" + ENTER),
    ("A · 10/", "650.25" + ENTER),
    ("A · 11/", ENTER),
    ("A · 12/", ENTER),
    ("A · 13/", "13800000000" + ENTER),
    ("B · 14/", DOWN + ENTER),
    ("B · 15/", ENTER),
    ("B · 16/", ENTER),
    ("B · 17/", ENTER),
    # AI and "none" ticked together: refused with a message, then "none" unticked.
    ("C · 18/", DOWN + DOWN + DOWN + SPACE + DOWN + DOWN + SPACE + ENTER),
]
SOFTWARE_FIRM_STEPS_AFTER_TECH = [
    ("C · 19/", DOWN + ENTER),  # no data services: spend skipped
    ("C · 20/", ENTER),  # AI services: yes
    ("C · 21/", DOWN + DOWN + DOWN + ENTER),
    ("D · 22/", ENTER),
    ("D · 23/", DOWN + DOWN + DOWN + DOWN + ENTER),
    ("D · 24/", DOWN + ENTER),  # no online marketing: two questions skipped
    ("D · 25/", ENTER),
    ("D · 26/", ENTER),
    ("D · 27/", UP + UP + SPACE + ENTER),  # none (the back choice is last)
    ("E · 28/", SPACE + ENTER),
    ("F · 29/", ENTER),  # no internet finance: channels skipped
    ("F · 30/", DOWN + DOWN + ENTER),
    ("G · 31/", ENTER),
    ("G · 32/", DOWN + DOWN + ENTER),
    ("G · 33/", DOWN + SPACE + ENTER),
    ("G · 34/", ENTER),
    ("H · 35/", DOWN + DOWN + DOWN + ENTER),
    ("H · 36/", UP + UP + SPACE + ENTER),
    ("H · 37/", ENTER),
    ("H · 38/", DOWN + DOWN + DOWN + ENTER),
    ("H · 39/39", ENTER),  # the heading counts only what applies to this firm
]
SOFTWARE_FIRM_ANSWERS = {
    "firm_name": "Cloudy Software",
    "registered_shanghai": "no",
    "main_business_shanghai": "yes",
    "ownership": "foreign",
    "industry": "software_it",
    "founded_year": 2015,
    "employees_2019": 45,
    "revenue_2019": 1200.0,
    "assets_2019": 650.25,
    "respondent_role": "senior_manager",
    "respondent_phone": "13800000000",
    "large_data_transfer": "no",
    "bandwidth_satisfied": "satisfied",
    "cloud_status": "migrated",
    "tech_used": "ai",
    "bought_data_services": "no",
    "bought_ai_services": "yes",
    "ai_services_spend": "gt_1m",
    "online_procurement_share": "none",
    "online_sales_share": "76_100",
    "online_marketing": "no",
    "digital_marketing_services": "yes",
    "payment_merchant_services": "yes",
    "supply_chain_platform_services": "none",
    "rd_digital": "open_rd_platform",
    "internet_finance_share": "none",
    "fin_platform_interest": "none",
    "covid_customer_comm": "no_barrier",
    "covid_remote_work": "not_overcome",
    "covid_digital_tools": "video_conferencing",
    "covid_digital_importance": "yes",
    "biggest_obstacle": "lack_skills",
    "policy_support": "none",
    "digital_helps": "yes",
    "self_maturity": "4",
}


def test_interview_a_software_firm_completely_in_chinese(study_path):
    terminal = Terminal("collect", str(study_path), "--lang", "zh")
    terminal.expect("中小企业数字化转型调查问卷（2020）")
    terminal.send(ENTER)
    answer_all(terminal, SOFTWARE_FIRM_STEPS)
    terminal.expect("“以上均未使用”不能与其他选项同时勾选。")
    terminal.send(SPACE + ENTER)
    answer_all(terminal, SOFTWARE_FIRM_STEPS_AFTER_TECH)
    terminal.expect("提交问卷")
    terminal.send(ENTER)
    terminal.expect("现在提交问卷吗")
    terminal.send("y")
    status, printed = terminal.finish()
    assert status == 0
    assert "已提交" in printed
    response, answers = stored(study_path)
    assert answers == SOFTWARE_FIRM_ANSWERS
    assert response["status"] == "complete"


def resume_id_from(printed: str) -> str:
    return printed.split("--resume", 1)[1].split()[0]


def test_back_constraint_error_pause_and_resume(study_path):
    terminal = Terminal("collect", str(study_path), "--enumerator", "Wang", "--lang", "en")
    terminal.expect("Start")
    terminal.send(ENTER)
    answer_all(
        terminal,
        [
            ("A · 1/", ENTER),
            ("A · 1/", "Alpha Trading" + ENTER),
            ("A · 2/", ENTER),  # no credit code: it is optional
            ("A · 3/", ENTER),  # registered in Shanghai: yes ...
            ("A · 4/", UP + ENTER),  # ... then the back choice, shown under the list
            ("A · 3/", DOWN + ENTER),  # ... and changed to no
            ("A · 4/", ENTER),
            ("A · 5/", ENTER),
            ("A · 6/", DOWN + DOWN + DOWN + ENTER),  # wholesale and retail
            ("A · 7/", "1850" + ENTER),
        ],
    )
    terminal.expect("The year founded must be between 1900 and 2020")  # the questionnaire's words
    terminal.send(BACKSPACE * 4 + "1999" + ENTER)
    answer_all(
        terminal,
        [
            ("A · 8/", "12" + ENTER),
            ("A · 9/", CTRL_B),  # back by key, from revenue to employees (shows 12)
            ("A · 8/", BACKSPACE * 2 + "20" + ENTER),
            ("A · 9/", "5" + ENTER),
            ("A · 10/", CTRL_C),
        ],
    )
    terminal.expect("Pause: keep the answers and resume later")
    terminal.send(ENTER)
    status, printed = terminal.finish()
    assert status == 0
    response_id = resume_id_from(printed)
    so_far = {
        "firm_name": "Alpha Trading",
        "registered_shanghai": "no",
        "main_business_shanghai": "yes",
        "ownership": "private",
        "industry": "wholesale_retail",
        "founded_year": 1999,
        "employees_2019": 20,
        "revenue_2019": 5.0,
    }
    response, answers = stored(study_path, response_id)
    assert answers == so_far
    assert response["status"] == "in_progress"

    # Run again: the unfinished interview is offered with its firm, enumerator and progress.
    terminal = Terminal("collect", str(study_path), "--lang", "en")
    terminal.expect("Alpha Trading · Wang · 8/45 answered")
    terminal.send(ENTER)
    answer_all(terminal, [("A · 10/", "7" + ENTER), ("A · 11/", ENTER), ("A · 12/", CTRL_C)])
    terminal.expect("Pause")
    terminal.send(ENTER)
    assert terminal.finish()[0] == 0
    assert stored(study_path, response_id)[1] == so_far | {
        "assets_2019": 7.0,
        "respondent_role": "senior_manager",
    }


def test_kill_9_loses_at_most_the_question_on_screen(study_path):
    terminal = Terminal("collect", str(study_path), "--lang", "en")
    terminal.expect("Start")
    terminal.send(ENTER)
    steps = [("A · 1/", ENTER), ("A · 1/", "Crash Co" + ENTER)]
    # no credit code, yes, yes, private, mfg, pharma
    steps += [(f"A · {n}/", ENTER) for n in range(2, 8)]
    answer_all(terminal, steps)
    terminal.at("A · 8/")
    terminal.send("20")  # typed, not yet confirmed
    terminal.kill()
    so_far = {
        "firm_name": "Crash Co",
        "registered_shanghai": "yes",
        "main_business_shanghai": "yes",
        "ownership": "private",
        "industry": "manufacturing",
        "mfg_subsector": "pharma",
    }
    [unfinished] = open_study(study_path).unfinished()
    assert stored(study_path, unfinished.response_id)[1] == so_far

    terminal = Terminal(
        "collect", str(study_path), "--lang", "en", "--resume", unfinished.response_id
    )
    answer_all(terminal, [("A · 8/", "2001" + ENTER), ("A · 9/", CTRL_C)])
    terminal.expect("Pause")
    terminal.send(ENTER)
    assert terminal.finish()[0] == 0
    assert stored(study_path, unfinished.response_id)[1] == so_far | {"founded_year": 2001}


def test_two_interviews_at_once_keep_every_answer(study_path):
    first = Terminal("collect", str(study_path), "--enumerator", "Li", "--lang", "en")
    second = Terminal("collect", str(study_path), "--enumerator", "Wang", "--lang", "zh")
    for terminal in (first, second):
        terminal.expect("Start" if terminal is first else "开始")
        terminal.send(ENTER)
        terminal.at("A · 1/")
        terminal.send(ENTER)
    for terminal, name in ((first, "First Co"), (second, "Second Co")):
        terminal.at("A · 1/")
        terminal.send(name + ENTER)
    for terminal in (first, second):
        terminal.at("A · 2/")  # no credit code
        terminal.send(ENTER)
    for position in range(3, 7):
        for terminal, keys in ((first, ENTER), (second, DOWN + ENTER)):
            terminal.at(f"A · {position}/")
            terminal.send(keys)
    for terminal in (first, second):
        terminal.at("A · 7/")
        terminal.send(CTRL_C)
        terminal.expect("Pause" if terminal is first else "暂停")
        terminal.send(ENTER)
        assert terminal.finish()[0] == 0
    study = open_study(study_path)
    by_enumerator = {
        study.get_response(rid)["enumerator"]: study.get_answers(rid)
        for rid in study.response_ids()
    }
    assert by_enumerator == {
        "Li": {
            "firm_name": "First Co",
            "registered_shanghai": "yes",
            "main_business_shanghai": "yes",
            "ownership": "private",
            "industry": "manufacturing",
        },
        "Wang": {
            "firm_name": "Second Co",
            "registered_shanghai": "no",
            "main_business_shanghai": "no",
            "ownership": "collective",
            "industry": "software_it",
        },
    }


def test_a_clerk_types_ahead_by_numbers(study_path):
    terminal = Terminal("collect", str(study_path), "--entry", "1", "--form", "42", "-e", "Zhao")
    terminal.at("A · 1/")  # no introduction, no note: straight to the first question
    # A trained clerk does not wait for the screen: every key reaches its question.
    terminal.send("Form Co\r" + "\r" + "2\r" + "1\r" + "3\r" + "1\r" + "2\r" + "2010\r" + "30\r")
    terminal.at("A · 10/")
    terminal.send(CTRL_C)
    terminal.expect("暂停")
    terminal.send(ENTER)
    assert terminal.finish()[0] == 0
    response, answers = stored(study_path)
    assert answers == {
        "firm_name": "Form Co",
        "registered_shanghai": "no",
        "main_business_shanghai": "yes",
        "ownership": "state",
        "industry": "manufacturing",
        "mfg_subsector": "general_equipment",
        "founded_year": 2010,
        "employees_2019": 30,
    }
    assert (response["source"], response["entry"], response["form_number"]) == ("paper", 1, "42")


def test_resume_in_chinese_where_it_stopped_not_at_the_blank_contact_details(study_path):
    terminal = Terminal("collect", str(study_path), "--lang", "zh")
    terminal.expect("开始")
    terminal.send(ENTER)
    steps = SOFTWARE_FIRM_STEPS[:-1] + [("C · 18/", DOWN + DOWN + DOWN + SPACE + ENTER)]
    steps[13] = ("A · 13/", ENTER)  # name (A · 12) and phone left blank: both optional
    answer_all(terminal, steps + SOFTWARE_FIRM_STEPS_AFTER_TECH[:1])
    terminal.at("C · 20/")
    terminal.send(CTRL_C)
    terminal.expect("暂停")
    terminal.send(ENTER)
    status, printed = terminal.finish()
    assert status == 0
    response_id = resume_id_from(printed)

    terminal = Terminal("collect", str(study_path), "--lang", "zh", "--resume", response_id[:8])
    terminal.at("C · 20/")  # the question on screen when paused
    assert "填表人" not in "".join(terminal.rows())
    terminal.send(ENTER)  # AI services: yes
    terminal.at("C · 21/")
    terminal.send(CTRL_C)
    terminal.expect("暂停")
    terminal.send(ENTER)
    assert terminal.finish()[0] == 0
    answers = stored(study_path, response_id)[1]
    assert "respondent_name" not in answers and "respondent_phone" not in answers
    assert (answers["bought_data_services"], answers["bought_ai_services"]) == ("no", "yes")
    assert len(answers) == 16
