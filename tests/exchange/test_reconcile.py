"""Double entry: every difference listed, skip logic respected, resolutions logged, re-applied."""

from __future__ import annotations

import pandas as pd
import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from dmsurvey.store.reconcile import (
    Resolution,
    TerminalResolver,
    reconcile_study,
    resolutions_log,
)

DOWN, ENTER = "\x1b[B", "\r"


@pytest.fixture
def keyed(small_study, key_form):
    """Form 1 keyed alike (up to spacing and full-width brackets), form 2 differently, form 3
    keyed once. Clerk 张 keyed the first entry of both; 李 and 王 the second entries."""
    study = small_study
    ids = {
        ("1", 1): key_form(study, "1", 1, "张", {
            "firm_name": "上海甲科技（集团）  有限公司", "industry": "software_it",
            "employees_2019": 120, "revenue_2019": 300.0, "supply_chain_platform_services": "none",
        }),
        ("1", 2): key_form(study, "1", 2, "李", {
            "firm_name": "上海甲科技(集团) 有限公司", "industry": "software_it",
            "employees_2019": "120", "revenue_2019": 300, "supply_chain_platform_services": "none",
        }),
        ("2", 1): key_form(study, "2", 1, "张", {
            "firm_name": "乙", "industry": "manufacturing", "mfg_subsector": "pharma",
            "employees_2019": 15,
            "supply_chain_platform_services": "employee_sharing production_line_config",
        }),
        ("2", 2): key_form(study, "2", 2, "王", {
            "firm_name": "乙", "industry": "software_it", "employees_2019": 51,
            "supply_chain_platform_services": "production_line_config employee_sharing",
        }),
        ("3", 1): key_form(study, "3", 1, "张", {"firm_name": "丙", "industry": "other"}),
    }
    return study, ids


def _status(study, response_id):
    return study.get_response(response_id)["status"]


def test_lists_every_disagreement_respecting_skip_logic(keyed):
    study, ids = keyed
    result = reconcile_study(study)
    listed = result.disagreements()
    assert list(zip(listed["form_number"], listed["question"], strict=True)) == [
        ("2", "industry"), ("2", "mfg_subsector"), ("2", "employees_2019"),
    ]
    row = listed.iloc[2]
    assert (row["first_value"], row["second_value"]) == ("15", "51")
    assert (row["first_enumerator"], row["second_enumerator"]) == ("张", "王")
    assert result.keyed_once == ["3"]
    # Form 1 agrees: its first keying is complete, untouched; the second keying is not.
    assert result.completed == ["1"]
    assert _status(study, ids[("1", 1)]) == "complete"
    assert study.get_answers(ids[("1", 1)])["firm_name"] == "上海甲科技（集团）  有限公司"
    assert _status(study, ids[("1", 2)]) == "in_progress"
    assert _status(study, ids[("2", 1)]) == "in_progress"
    assert len(study.responses()) == 1


def test_agreement_rate_per_clerk(keyed):
    study, _ = keyed
    table = reconcile_study(study).agreement().set_index("enumerator")
    # Form 1 asks 6 questions (no subsector for software firms); form 2 asks 7 (the first
    # keying says manufacturing), of which 3 differ.
    assert table.loc["李", "fields_compared"] == 6
    assert table.loc["李", "agreement_rate"] == 1.0
    assert table.loc["王", "fields_compared"] == 7
    assert table.loc["王", "agreement_rate"] == pytest.approx(4 / 7)
    assert table.loc["张", "forms"] == 2
    assert table.loc["张", "agreement_rate"] == pytest.approx(10 / 13)


def test_resolutions_settle_the_form_and_are_reapplied(keyed):
    study, ids = keyed
    asked = []

    def clerk_at_the_paper(disagreement):
        asked.append(disagreement.question.id)
        if disagreement.question.id == "industry":
            return Resolution(disagreement.second, "second")
        return Resolution(15, "typed")

    result = reconcile_study(study, who="supervisor", resolve=clerk_at_the_paper)
    # Once industry is settled as software, the subsector is not asked: nothing to settle.
    assert asked == ["industry", "employees_2019"]
    assert result.pending == []
    assert sorted(result.completed) == ["1", "2"]
    first = study.get_answers(ids[("2", 1)])
    assert first["industry"] == "software_it" and first["employees_2019"] == 15
    assert _status(study, ids[("2", 1)]) == "complete"
    log = resolutions_log(study)
    assert list(log["question"]) == ["industry", "employees_2019"]
    assert list(log["choice"]) == ["second", "typed"]
    assert set(log["who"]) == {"supervisor"}
    assert log["resolved_at"].str.match(r"\d{4}-\d\d-\d\dT").all()

    audit_before = len(study.audit())
    again = reconcile_study(study)
    assert again.pending == [] and again.completed == []
    assert len(study.audit()) == audit_before
    assert list(again.disagreements()["resolution"]) == ["second", "typed"]


def test_changed_keying_is_compared_afresh(keyed):
    study, ids = keyed
    reconcile_study(
        study, resolve=lambda d: Resolution(d.second, "second")
    )
    assert _status(study, ids[("2", 1)]) == "complete"
    study.save_answer(ids[("2", 2)], "employees_2019", 16, who="王")
    result = reconcile_study(study)
    assert [(d.question.id, d.second) for d in result.pending] == [("employees_2019", 16)]
    assert _status(study, ids[("2", 1)]) == "in_progress"


def test_terminal_resolution_with_keys(keyed):
    study, ids = keyed
    with create_pipe_input() as keys:
        # industry: take the second keying; employees: type what the paper says.
        keys.send_text(DOWN + ENTER + DOWN + DOWN + ENTER + "1,500" + ENTER)
        resolver = TerminalResolver(
            study.questionnaire, language="en", input=keys, output=DummyOutput()
        )
        result = reconcile_study(study, who="Li", resolve=resolver)
    assert result.pending == []
    assert study.get_answers(ids[("2", 1)])["employees_2019"] == 1500
    assert list(resolutions_log(study)["choice"]) == ["second", "typed"]


def test_terminal_skip_leaves_it_for_later(keyed):
    study, ids = keyed
    with create_pipe_input() as keys:
        keys.send_text((DOWN * 3 + ENTER) * 3)
        resolver = TerminalResolver(study.questionnaire, input=keys, output=DummyOutput())
        result = reconcile_study(study, resolve=resolver)
    assert len(result.pending) == 3
    assert resolutions_log(study).empty


def test_terminal_typed_choice_uses_a_list(keyed):
    study, _ = keyed
    disagreement = reconcile_study(study).pending[0]
    with create_pipe_input() as keys:
        keys.send_text(DOWN * 2 + ENTER + DOWN * 2 + ENTER)  # typed, then the third choice
        resolver = TerminalResolver(study.questionnaire, input=keys, output=DummyOutput())
        assert resolver(disagreement) == Resolution("other", "typed")


def test_ctrl_c_stops_and_keeps_what_was_settled(keyed):
    study, _ = keyed
    with create_pipe_input() as keys:
        keys.send_text(ENTER + "\x03")
        resolver = TerminalResolver(study.questionnaire, input=keys, output=DummyOutput())
        with pytest.raises(KeyboardInterrupt):
            reconcile_study(study, resolve=resolver)
    assert list(resolutions_log(study)["choice"]) == ["first"]


def test_report_file(keyed, tmp_path):
    study, _ = keyed
    path = reconcile_study(study).write_report(tmp_path / "diffs.csv")
    back = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(back["question"]) == ["industry", "mfg_subsector", "employees_2019"]
    assert back.loc[1, "second_value"] == ""


@pytest.mark.slow
def test_reconcile_in_a_real_terminal(keyed):
    import sys

    import pexpect

    study, ids = keyed
    child = pexpect.spawn(
        sys.executable, ["-m", "dmsurvey", "reconcile", str(study.path), "--who", "Li",
                         "--lang", "en"],
        encoding="utf-8", timeout=20, dimensions=(40, 120), env={"TERM": "xterm", "PATH": ""},
    )
    child.expect("Form 2, industry")
    child.send(DOWN + ENTER)
    child.expect("Form 2, employees_2019")
    child.send(DOWN + DOWN + ENTER)
    child.expect("paper say")
    child.send("15" + ENTER)
    child.expect("2 forms reconciled")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert study.get_answers(ids[("2", 1)])["industry"] == "software_it"
    assert list(resolutions_log(study)["who"]) == ["Li", "Li"]


def test_form_keyed_twice_in_one_round_is_listed_not_compared(keyed, key_form):
    study, _ = keyed
    key_form(study, "1", 1, "赵", {"firm_name": "甲"})
    result = reconcile_study(study)
    assert result.keyed_too_often == ["1"]
    assert [c.form_number for c in result.comparisons] == ["2"]
    assert "1 form keyed more than once in the same entry round" in result.summary()


BACKSPACE, SPACE = "\x7f", " "


def test_a_typed_answer_the_questionnaire_refuses_is_asked_again(keyed):
    """-4 employees was accepted and the form marked complete; now the prompt refuses it."""
    study, ids = keyed
    with create_pipe_input() as keys:
        # industry: the second keying; employees: type -4 (refused), then correct it to 4.
        keys.send_text(DOWN + ENTER + DOWN + DOWN + ENTER + "-4" + ENTER
                       + BACKSPACE * 2 + "4" + ENTER)
        resolver = TerminalResolver(study.questionnaire, language="en", input=keys,
                                    output=DummyOutput())
        result = reconcile_study(study, who="Li", resolve=resolver)
    assert result.pending == []
    assert study.get_answers(ids[("2", 1)])["employees_2019"] == 4
    assert list(resolutions_log(study)["resolved_value"]) == ['"software_it"', "4"]


def test_none_ticked_with_another_choice_is_refused_at_the_prompt(keyed):
    study, _ = keyed
    question = study.questionnaire["supply_chain_platform_services"]
    with create_pipe_input() as keys:
        # tick "employee sharing" and "none": refused on Enter; untick "none", then Enter
        keys.send_text(SPACE + DOWN * 2 + SPACE + ENTER + SPACE + ENTER)
        resolver = TerminalResolver(study.questionnaire, input=keys, output=DummyOutput())
        assert resolver.ask_value(question) == "employee_sharing"


def test_a_study_holding_a_refused_resolution_opens_and_settles_it_again(keyed):
    """An older version logged what the questionnaire refuses (-4 employees typed from the
    paper; "5g none" locked every later run). Now the resolution is set aside and asked again."""
    study, ids = keyed
    reconcile_study(study, resolve=lambda d: Resolution(d.second, "second")
                    if d.question.id == "industry" else None)
    with study.connect() as connection:
        connection.execute(
            "INSERT INTO reconciliation_log (form_number, question, first_value, second_value, "
            "resolved_value, choice, who, resolved_at) VALUES ('2', 'employees_2019', '15', "
            "'51', '-4', 'typed', 'old', '2020-07-10T09:00:00+08:00')")
        connection.commit()
    result = reconcile_study(study)
    assert [(d.form_number, d.question.id) for d in result.pending] == [("2", "employees_2019")]
    assert "1 logged resolution the questionnaire refuses is to be settled again: 2 " \
           "employees_2019" in result.summary()
    assert reconcile_study(study, resolve=lambda d: Resolution(d.second, "second")).pending == []
    assert study.get_answers(ids[("2", 1)])["employees_2019"] == 51
    assert study.get_response(ids[("2", 1)])["status"] == "complete"
