"""Cascading selects: the choices a `choice_filter` offers, in the interview and on import."""

from __future__ import annotations

import pytest

from dmsurvey.errors import DataError, QuestionnaireError
from dmsurvey.questionnaire.choice_filters import filter_expression, offered_choices
from dmsurvey.questionnaire.loader import questionnaire_from_dict
from dmsurvey.questionnaire.xlsform import questionnaire_yaml
from dmsurvey.store.importing import import_files
from dmsurvey.store.study import init_study

PLACES = {
    "name": "places",
    "version": "1",
    "title": {"en": "Places"},
    "languages": ["en"],
    "choice_lists": {
        "states": [{"code": "tx", "label": {"en": "Texas"}},
                   {"code": "wa", "label": {"en": "Washington"}}],
        "cities": [
            {"code": "austin", "label": {"en": "Austin"}, "properties": {"state": "tx"}},
            {"code": "dallas", "label": {"en": "Dallas"}, "properties": {"state": "tx"}},
            {"code": "seattle", "label": {"en": "Seattle"}, "properties": {"state": "wa"}},
        ],
    },
    "sections": [{"id": "where", "title": {"en": "Where"}, "questions": [
        {"id": "state", "type": "select_one", "label": {"en": "State"}, "choices": "states"},
        {"id": "city", "type": "select_one", "label": {"en": "City"}, "choices": "cities",
         "choice_filter": "state = ${state}"},
    ]}],
}


@pytest.fixture
def places():
    return questionnaire_from_dict(PLACES, source="places")


def test_bare_names_are_the_choices_columns():
    assert filter_expression("state = ${state} and name != 'x-y'") == (
        "${_choice.state} = ${state} and ${_choice.name} != 'x-y'")
    assert filter_expression("starts-with(name, ${prefix})") == (
        "starts-with(${_choice.name}, ${prefix})")


def test_the_interview_offers_only_the_choices_that_fit(places):
    city = places["city"]
    assert [c.code for c in offered_choices(city, {"state": "tx"})] == ["austin", "dallas"]
    assert [c.code for c in offered_choices(city, {"state": "wa"})] == ["seattle"]
    assert offered_choices(city, {}) == ()


def test_a_filter_naming_what_the_choices_lack_is_refused():
    broken = {**PLACES, "sections": [{**PLACES["sections"][0], "questions": [
        PLACES["sections"][0]["questions"][0],
        {**PLACES["sections"][0]["questions"][1], "choice_filter": "country = ${state}"},
    ]}]}
    with pytest.raises(QuestionnaireError) as caught:
        questionnaire_from_dict(broken, source="broken")
    (problem,) = caught.value.problems
    assert "choice_filter names 'country', which is not a column of its choices" in (
        problem.message)


def test_an_import_refuses_a_choice_its_filter_does_not_offer(tmp_path):
    form = tmp_path / "places.yaml"
    form.write_text(questionnaire_yaml(PLACES), encoding="utf-8")
    study = init_study(tmp_path / "study", form)
    rows = tmp_path / "rows.csv"
    rows.write_text("state,city\ntx,austin\nwa,dallas\nwa,seattle\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        import_files(study, [rows])
    (problem,) = caught.value.problems
    assert (problem.row, problem.column, problem.value) == (3, "city", "dallas")
    assert problem.message.startswith("a choice its choice_filter does not offer")
    assert study.responses().empty


@pytest.mark.slow
def test_an_import_refuses_a_multiple_choice_with_any_code_its_filter_does_not_offer(
        tmp_path):
    visited = {"id": "visited", "type": "select_multiple", "label": {"en": "Cities visited"},
               "choices": "cities", "choice_filter": "state = ${state}"}
    form = tmp_path / "places.yaml"
    form.write_text(questionnaire_yaml({**PLACES, "sections": [{
        **PLACES["sections"][0],
        "questions": [PLACES["sections"][0]["questions"][0], visited]}]}), encoding="utf-8")
    study = init_study(tmp_path / "study", form)
    rows = tmp_path / "rows.csv"
    rows.write_text("state,visited\ntx,austin dallas\nwa,seattle dallas\nwa,seattle\n"
                    "tx,dallas seattle austin\ntx,\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        import_files(study, [rows])
    assert [(p.row, p.column, p.value) for p in caught.value.problems] == [
        (3, "visited", "seattle dallas"), (5, "visited", "dallas seattle austin")]
    assert all(p.message.startswith("a choice its choice_filter does not offer")
               for p in caught.value.problems)
    assert study.responses().empty
    result = import_files(study, [rows], skip_invalid=True)
    assert (result.added, result.rejected) == (3, 2)


def test_collect_lists_only_the_cities_of_the_state_chosen(tmp_path):
    from ..interview.terminal import DOWN, ENTER, Terminal

    form = tmp_path / "places.yaml"
    form.write_text(questionnaire_yaml(PLACES), encoding="utf-8")
    study = init_study(tmp_path / "study", form)
    terminal = Terminal("collect", str(study.path), "--lang", "en")
    terminal.expect("Start")
    terminal.send(ENTER)
    terminal.expect("Washington")
    terminal.send(DOWN + ENTER)
    terminal.expect("Seattle")
    shown = "\n".join(terminal.rows())
    assert "Austin" not in shown and "Dallas" not in shown
    terminal.send(ENTER)
    terminal.expect("Submit the questionnaire")
    terminal.send(ENTER)
    terminal.expect("Submit the questionnaire now?")  # Enter alone would say no
    terminal.send("y")
    status, _ = terminal.finish()
    assert status == 0
    (response,) = study.responses().to_dict("records")
    assert (response["state"], response["city"]) == ("wa", "seattle")
