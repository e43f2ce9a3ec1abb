"""The interview with the XLSForm types beyond numbers and choices: dates typed as people
write them, GPS points, ranks, acknowledgements, media file names, never-shown fields."""

from __future__ import annotations

import pytest

from dmsurvey.interview.engine import Interview, InvalidAnswer
from dmsurvey.questionnaire.loader import questionnaire_from_dict
from dmsurvey.store.study import init_study

from .terminal import ENTER, Terminal

FIELD_TYPES = {
    "name": "field-types",
    "version": "1",
    "title": {"zh": "类型", "en": "Types"},
    "languages": ["zh", "en"],
    "sections": [{
        "id": "visit",
        "title": {"zh": "走访", "en": "Visit"},
        "questions": [
            {"id": "visit_date", "type": "date", "label": {"zh": "走访日期", "en": "Visit date"},
             "required": True},
            {"id": "visit_year", "type": "calculate",
             "calculation": "format-date(${visit_date}, '%Y')"},
            {"id": "covid_measures", "type": "text",
             "label": {"zh": "防疫措施", "en": "COVID-19 measures"},
             "relevant": "${visit_year} >= 2020"},
            {"id": "arrived", "type": "time", "label": {"zh": "到达时间", "en": "Arrival"}},
            {"id": "gate", "type": "geopoint", "label": {"zh": "大门位置", "en": "Gate"}},
            {"id": "priorities", "type": "rank", "label": {"zh": "优先", "en": "Priorities"},
             "choices": [{"code": "cost", "label": {"zh": "成本", "en": "Cost"}},
                         {"code": "speed", "label": {"zh": "速度", "en": "Speed"}}]},
            {"id": "consent", "type": "acknowledge", "label": {"zh": "同意", "en": "Consent"}},
            {"id": "photo", "type": "image", "label": {"zh": "照片", "en": "Photo"}},
            {"id": "device_note", "type": "hidden"},
        ],
    }],
}


@pytest.fixture
def field_types():
    return questionnaire_from_dict(FIELD_TYPES, source="field-types")


def test_typed_answers_become_their_stored_form(field_types, tmp_path):
    interview = Interview(field_types, language="en")
    assert interview.parse("2020年7月31日", field_types["visit_date"]) == "2020-07-31"
    assert interview.parse("14:30", field_types["arrived"]) == "14:30:00"
    assert interview.parse("30.27, 120.15", field_types["gate"]) == "30.27 120.15 0 0"
    assert interview.parse("speed cost", field_types["priorities"]) == "speed cost"
    photo = tmp_path / "gate.jpg"
    photo.write_bytes(b"\xff\xd8")
    assert interview.parse(str(photo), field_types["photo"]) == "gate.jpg"
    assert interview.parse("IMG_0042.jpg", field_types["photo"]) == "IMG_0042.jpg"
    assert interview.parse("", field_types["photo"]) is None


def test_what_is_not_understood_is_refused_in_the_interview_language(field_types):
    chinese = Interview(field_types, language="zh")
    with pytest.raises(InvalidAnswer, match="请输入日期"):
        chinese.parse("31/7/2020", field_types["visit_date"])
    english = Interview(field_types, language="en")
    with pytest.raises(InvalidAnswer, match="latitude and longitude"):
        english.parse("95 120", field_types["gate"])
    with pytest.raises(InvalidAnswer, match="Type every code once"):
        english.parse("cost", field_types["priorities"])
    with pytest.raises(InvalidAnswer, match="No file at /no/such/photo.jpg"):
        english.parse("/no/such/photo.jpg", field_types["photo"])


def test_dates_are_shown_with_the_day_they_are_understood_as(field_types):
    question = field_types["visit_date"]
    assert Interview(field_types, language="en").understood(question, "31.7.2020") == (
        "2020-07-31 (Fri 31 Jul 2020)"
    )
    assert Interview(field_types, language="zh").understood(question, "2020/7/31") == (
        "2020-07-31 (2020年7月31日 周五)"
    )
    assert Interview(field_types, language="en").understood(question, "31.7.") == ""
    ranked = Interview(field_types, language="en", answers={"priorities": "speed cost"})
    assert ranked.shown_answer(field_types["priorities"]) == "Speed > Cost"


def test_calculated_and_hidden_fields_are_never_on_screen(field_types):
    interview = Interview(field_types, language="en")
    asked = []
    question = interview.current
    while question is not None:
        asked.append(question.id)
        question = interview.advance()
    assert asked == ["visit_date", "arrived", "gate", "priorities", "consent", "photo"]
    assert len(interview.applicable()) == 6


@pytest.mark.slow
def test_a_date_typed_chinese_style_is_shown_and_stored_as_iso(tmp_path, field_types):
    from dmsurvey.questionnaire.xlsform import questionnaire_yaml

    form = tmp_path / "types.yaml"
    form.write_text(questionnaire_yaml(FIELD_TYPES), encoding="utf-8")
    study = init_study(tmp_path / "study", form)
    terminal = Terminal("collect", str(study.path), "--lang", "en")
    terminal.expect("Start")
    terminal.send(ENTER)
    terminal.expect("Visit date")
    terminal.send("2020年7月31日")
    terminal.expect("→ 2020-07-31 (Fri 31 Jul 2020)")
    terminal.send(ENTER)
    # asked because the visit year, calculated from the date just typed, is 2020
    terminal.expect("COVID-19 measures")
    terminal.send("Masks" + ENTER)
    terminal.expect("Arrival")
    terminal.send("9:05" + ENTER)
    terminal.expect("Gate")
    terminal.send("95 120" + ENTER)
    terminal.expect("Type latitude and longitude")
    terminal.send("\x15" + "30.27 120.15" + ENTER)  # Ctrl-U clears the line
    terminal.expect("Codes: cost) Cost  speed) Speed")
    terminal.send("speed cost" + ENTER)
    terminal.expect("Consent")
    terminal.send(ENTER)
    terminal.expect("only its name is kept")
    terminal.send(ENTER)  # no photo
    terminal.expect("Submit the questionnaire")
    terminal.send(ENTER)
    terminal.expect("Submit the questionnaire now?")  # Enter alone would say no
    terminal.send("y")
    status, _ = terminal.finish()
    assert status == 0
    (response,) = study.responses().to_dict("records")
    assert {key: response[key] for key in ("visit_date", "arrived", "gate", "priorities",
                                           "consent")} == {
        "visit_date": "2020-07-31", "arrived": "09:05:00", "gate": "30.27 120.15 0 0",
        "priorities": "speed cost", "consent": "OK",
    }
    assert "photo" not in study.get_answers(response["response_id"])
    assert (response["visit_year"], response["covid_measures"]) == ("2020", "Masks")
