"""Expressions over repeats, choice labels, CSV look-ups and once(), on one interview's answers
and column-wise over a frame; and XLSForms using them convert without dropping them."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pandas as pd
import pytest
from pyxform.xls2xform import convert as pyxform_convert

from dmsurvey.errors import QuestionnaireError
from dmsurvey.questionnaire.calculations import calculate_answers, calculate_frame
from dmsurvey.questionnaire.expressions import Context, parse_expression
from dmsurvey.questionnaire.loader import load_questionnaire, questionnaire_from_yaml
from dmsurvey.questionnaire.repeats import visible_answers
from dmsurvey.questionnaire.xlsform import convert_xlsform
from dmsurvey.questionnaire.xlsform_export import write_xlsform as write_xlsform_of
from dmsurvey.store.study import init_study

from ..xlsform.conftest import write_xlsform

HOUSEHOLD = Path(__file__).with_name("household.yaml")
REPEATS = {
    "members": {"1": {"member_name": "Li", "age": 40}, "2": {"member_name": "Wu", "age": 12},
                "3": {"member_name": "Ma"}},
    "jobs": {"1/1": {"job": "teacher"}, "1/2": {"job": "farmer"}, "2/1": {"job": "pupil"}},
}


@pytest.fixture(scope="module")
def household():
    return load_questionnaire(HOUSEHOLD)


def value(text: str, answers) -> object:
    return parse_expression(text).evaluate(answers)


def test_outside_the_repeats_its_answers_are_summed_counted_and_compared(household):
    outside = visible_answers(household, {"n_members": 3}, REPEATS)
    assert value("sum(${age})", outside) == 52  # the unanswered third age is left out
    assert value("max(${age})", outside) == 40
    assert value("min(${age})", outside) == 12
    assert value("count(${members})", outside) == 3
    assert value("count(${age})", outside) == 3  # one per instance, as ODK counts nodes
    assert value("count(${job})", outside) == 3
    assert value("sum(${age}) div count(${members})", outside) == pytest.approx(52 / 3)
    assert value("count(${members}) = ${n_members}", outside) is True
    # a list where one value is wanted is its first value, as in XPath
    assert value("${member_name}", outside) == "Li"
    assert value("indexed-repeat(${member_name}, ${members}, 3)", outside) == "Ma"
    assert value("indexed-repeat(${job}, ${members}, 1, ${jobs}, 2)", outside) == "farmer"
    assert value("indexed-repeat(${job}, ${members}, 4, ${jobs}, 1)", outside) == ""


def test_nothing_to_go_over_is_zero_instances(household):
    nobody = visible_answers(household, {"n_members": 0}, {})
    assert value("count(${members})", nobody) == 0
    assert value("sum(${age})", nobody) == 0
    assert math.isnan(value("max(${age})", nobody))
    assert value("${age}", nobody) == ""
    # answers that do not hold the repeat at all: no instances either, row by row or column-wise
    assert value("count(${members})", {"n_members": 2}) == 0
    assert parse_expression("count(${members}) + count(${n_members})").evaluate_frame(
        pd.DataFrame({"n_members": [2, 3]})).tolist() == [1.0, 1.0]


def test_inside_an_instance_it_sees_its_own_answers_and_its_number(household):
    second = visible_answers(household, {"n_members": 3}, REPEATS, "members", "2")
    assert value("${age} + position(..)", second) == 14
    assert value("count(${job})", second) == 1  # the jobs of this member only
    # the answer in the instance before this one
    assert value("indexed-repeat(${member_name}, ${members}, position(..) - 1)", second) == "Li"
    job = visible_answers(household, {"n_members": 3}, REPEATS, "jobs", "1/2")
    assert (value("position(..)", job), value("${age}", job)) == (2, "40")
    # inside a member, the inner repeat's number alone stays in that member
    assert value("indexed-repeat(${job}, ${jobs}, 1)", job) == "teacher"


def frame_of(household, rows: list[tuple[dict, dict]]) -> pd.DataFrame:
    """Responses as a frame: a repeat's question and a repeat's id are columns holding a list
    per row, as `visible_answers` gives them outside the repeats."""
    records = [visible_answers(household, answers, repeats) for answers, repeats in rows]
    columns = ["n_members", "members", "age", "member_name", "jobs", "job"]
    return pd.DataFrame({column: [record.get(column) for record in records]
                         for column in columns})


@pytest.mark.parametrize("text", [
    "sum(${age})", "max(${age})", "min(${age})", "count(${members})", "count(${job})",
    "${age}", "${member_name}", "sum(${age}) + ${n_members}", "count(${members}) = ${n_members}",
    "if(max(${age}) > 17, 'adult', 'young')",
])
def test_a_frame_gives_what_each_response_gives_on_its_own(household, text):
    generator = random.Random(12)
    rows = []
    for _ in range(40):
        count = generator.randint(0, 4)
        members = {str(number): {"member_name": generator.choice(["Li", "Wu", ""]),
                                 **({"age": generator.randint(1, 90)}
                                    if generator.random() < 0.8 else {})}
                   for number in range(1, count + 1)}
        jobs = {f"{member}/{job}": {"job": "work"} for member in members
                for job in range(1, generator.randint(0, 2) + 1)}
        rows.append(({"n_members": generator.choice([count, count + 1])},
                     {"members": members, "jobs": jobs}))
    expression = parse_expression(text)
    one_by_one = [expression.evaluate(visible_answers(household, answers, repeats))
                  for answers, repeats in rows]
    frame = expression.evaluate_frame(frame_of(household, rows)).tolist()
    assert len(frame) == len(one_by_one)
    for got, expected in zip(frame, one_by_one, strict=True):
        if isinstance(expected, float) and math.isnan(expected):
            assert math.isnan(got)
        else:
            assert got == expected


CHOICES = """\
name: crops
version: "1"
title: {en: Crops, zh: 作物}
languages: [en, zh]
sections:
  - id: farm
    title: {en: Farm, zh: 农场}
    questions:
      - id: crop
        type: select_one
        label: {en: Main crop, zh: 主要作物}
        choices:
          - {code: rice, label: {en: Rice, zh: 水稻}}
          - {code: tea, label: {en: Tea, zh: 茶叶}}
      - id: crop_name
        type: calculate
        label: {en: Crop name, zh: 作物名称}
        calculation: "jr:choice-name(${crop}, '${crop}')"
      - id: price
        type: calculate
        label: {en: Price, zh: 价格}
        calculation: "pulldata('prices', 'price', 'item', ${crop})"
      - id: first_seen
        type: calculate
        label: {en: First seen, zh: 首次}
        calculation: "once(${price})"
"""


@pytest.fixture
def crops(tmp_path):
    path = tmp_path / "crops.yaml"
    path.write_text(CHOICES, encoding="utf-8")
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "prices.csv").write_text(
        "item,price\nrice,3.5\ntea,12\nrice,99\n", encoding="utf-8")
    return load_questionnaire(path)


def test_choice_names_in_the_interviews_language_and_prices_from_the_studys_csv(crops):
    english = calculate_answers(crops, {"crop": "tea"})
    assert (english["crop_name"], english["price"]) == ("Tea", "12")
    chinese = calculate_answers(crops, {"crop": "rice"},
                                context=Context.of(crops, language="zh"))
    assert (chinese["crop_name"], chinese["price"]) == ("水稻", "3.5")  # the first rice row
    assert calculate_answers(crops, {})["crop_name"] is None


def test_once_keeps_its_first_value_in_the_interview_and_on_import(crops):
    first = calculate_answers(crops, {"crop": "rice"})
    assert first["first_seen"] == "3.5"
    # the answer changes; the price follows, once() does not
    later = calculate_answers(crops, {"crop": "tea", "first_seen": first["first_seen"]})
    assert (later["price"], later["first_seen"]) == ("12", "3.5")
    imported = pd.DataFrame({"crop": ["rice", "tea", "tea", None],
                             "first_seen": ["3", None, "", None]})
    columns = calculate_frame(crops, imported, context=Context.of(crops, language="zh"))
    assert columns["crop_name"].tolist() == ["水稻", "茶叶", "茶叶", None]
    assert columns["price"].tolist() == ["3.5", "12", "12", None]
    assert columns["first_seen"].tolist() == ["3", "12", "12", None]


def household_with_closing_rule(relevant: str) -> str:
    """The household roster with a `relevant` on its closing question (line 33)."""
    return HOUSEHOLD.read_text(encoding="utf-8").replace(
        "      - {id: comment, type: text, label: {en: Anything else?, zh: 其他？}}",
        "      - {id: comment, type: text, label: {en: Anything else?, zh: 其他？},\n"
        f"         relevant: \"{relevant}\"}}")


def the_problem(text: str):
    with pytest.raises(QuestionnaireError) as caught:
        questionnaire_from_yaml(text, source="household.yaml")
    (problem,) = caught.value.problems
    return problem


def test_a_top_level_rule_naming_a_repeat_question_on_its_own_is_refused_with_its_line():
    text = household_with_closing_rule("${age} > 60 or count(${members}) > 2")
    problem = the_problem(text)
    assert problem.line == 33
    assert ("refers to ${age}, a question of repeat members, which has an answer per "
            "instance") in problem.message
    fixed = text.replace("${age} > 60", "max(${age}) > 60")
    assert questionnaire_from_yaml(fixed, source="household.yaml")["comment"].relevant


ROSTER = [
    ["type", "name", "label", "relevant", "calculation", "repeat_count"],
    ["integer", "n_members", "Members"],
    ["begin_repeat", "members", "Member", None, None, "${n_members}"],
    ["calculate", "number", None, None, "position(..)"],
    ["select_one crop", "crop", "Crop"],
    ["calculate", "crop_label", None, None, "jr:choice-name(${crop}, '${crop}')"],
    ["calculate", "price", None, None, "pulldata('prices', 'price', 'item', ${crop})"],
    ["calculate", "previous", None, None,
     "indexed-repeat(${crop}, ${members}, position(..) - 1)"],
    ["end_repeat"],
    ["calculate", "total", None, None, "sum(${price})"],
    ["calculate", "members_listed", None, None, "count(${members})"],
    ["calculate", "started", None, None, "once(today())"],
    ["text", "note_old", "Why?", "${crop} = 'tea'"],
]


def test_an_xlsform_using_them_converts_without_dropping_them(tmp_path):
    (tmp_path / "form").mkdir()
    form = write_xlsform(
        tmp_path / "form" / "roster.xlsx", ROSTER,
        [["list_name", "name", "label"], ["crop", "rice", "Rice"], ["crop", "tea", "Tea"]])
    (tmp_path / "form" / "prices.csv").write_text("item,price\nrice,3\ntea,12\n",
                                                  encoding="utf-8")
    notes: list[str] = []
    questionnaire = convert_xlsform(form, warnings=notes)
    calculations = {q.id: q.calculation for q in questionnaire.all_questions
                    if q.type == "calculate"}
    assert calculations == {
        "number": "position(..)", "crop_label": "jr:choice-name(${crop}, '${crop}')",
        "price": "pulldata('prices', 'price', 'item', ${crop})",
        "previous": "indexed-repeat(${crop}, ${members}, position(..) - 1)",
        "total": "sum(${price})", "members_listed": "count(${members})",
        "started": "once(today())",
    }
    # outside the repeat, ${crop} alone would be the first member's crop: left out, by row
    assert questionnaire["note_old"].relevant is None
    assert [note.split(":")[0] for note in notes if "per instance" in note] == [
        "survey sheet row 13"]
    # back out as an XLSForm: pyxform makes an XForm of it, and it converts back the same
    exported = write_xlsform_of(questionnaire, tmp_path / "again.xlsx")
    advice: list[str] = []
    xform = pyxform_convert(xlsform=str(exported), warnings=advice, validate=False).xform
    assert advice == []
    assert 'src="jr://file-csv/prices.csv"' in xform  # ODK fetches pulldata's file too
    assert convert_xlsform(exported) == questionnaire

    study = init_study(tmp_path / "study", form)
    assert (study.path / "media" / "prices.csv").read_text(encoding="utf-8").startswith(
        "item,price")
    pinned = load_questionnaire(study.path / "questionnaire.yaml")
    repeats = {"members": {"1": {"crop": "rice"}, "2": {"crop": "tea"}}}
    second = visible_answers(pinned, {"n_members": 2}, repeats, "members", "2")
    inside = calculate_answers(pinned, second, section="members")
    assert inside == {"number": "2", "crop_label": "Tea", "price": "12", "previous": "rice"}
    prices = {"1": {"crop": "rice", "price": "3"}, "2": {"crop": "tea", "price": "12"}}
    outside = calculate_answers(pinned, visible_answers(pinned, {"n_members": 2},
                                                        {"members": prices}))
    assert (outside["total"], outside["members_listed"]) == ("15", "2")


def test_choice_labels_of_a_question_without_choices_are_refused_with_the_line(crops):
    text = CHOICES.replace("jr:choice-name(${crop}, '${crop}')",
                           "jr:choice-name(${crop}, '${price}')")
    with pytest.raises(QuestionnaireError) as caught:
        questionnaire_from_yaml(text, source="crops.yaml")
    (problem,) = caught.value.problems
    assert problem.line == 18  # the calculation
    assert "shows the choice labels of '${price}', which is not a question with choices" in (
        problem.message)


def random_household(seed: int, responses: int) -> tuple[pd.DataFrame, dict]:
    """Responses and their instances, shaped as `Study.repeat_rows` gives them."""
    generator = random.Random(seed)
    answers, members, jobs = [], [], []
    for number in range(responses):
        response_id = f"r{number}"
        count = generator.randint(0, 12)  # past 9, "10" must come after "9"
        answers.append({"response_id": response_id, "n_members": count,
                        "comment": generator.choice(["", "ok"])})
        for member in range(1, count + 1):
            members.append({"response_id": response_id, "instance_key": str(member),
                            "parent_key": None, "instance": member,
                            "member_name": generator.choice(["Li", "Wu", None]),
                            "age": generator.choice([None, *range(1, 90)])})
            for job in range(1, generator.randint(0, 3) + 1):
                jobs.append({"response_id": response_id, "instance_key": f"{member}/{job}",
                             "parent_key": str(member), "instance": job,
                             "job": generator.choice(["farmer", "teacher", None])})
    generator.shuffle(members)  # stored order is not asking order
    return pd.DataFrame(answers), {"members": pd.DataFrame(members),
                                   "jobs": pd.DataFrame(jobs)}


def answers_of(responses: pd.DataFrame, rows: dict) -> dict[str, tuple[dict, dict]]:
    """Per response: (its answers, its instances), to give `visible_answers` one by one."""
    by_response = {}
    for record in responses.to_dict("records"):
        instances = {}
        for repeat, frame in rows.items():
            mine = frame[frame["response_id"] == record["response_id"]]
            instances[repeat] = {
                row["instance_key"]: {k: v for k, v in row.items()
                                      if k not in ("response_id", "instance_key", "parent_key",
                                                   "instance") and v is not None}
                for row in mine.to_dict("records")}
        by_response[record["response_id"]] = (record, instances)
    return by_response


@pytest.mark.parametrize("section_id,texts", [
    (None, ["sum(${age})", "count(${members})", "count(${job})", "max(${age})", "${age}",
            "indexed-repeat(${member_name}, ${members}, 10)",
            "indexed-repeat(${job}, ${members}, 2, ${jobs}, 1)"]),
    ("members", ["${age} + position(..)", "count(${job})", "${n_members} - position(..)",
                 "indexed-repeat(${member_name}, ${members}, position(..) - 1)",
                 "concat(${member_name}, ':', ${job})"]),
    ("jobs", ["concat(${member_name}, '/', ${job}, '/', position(..))",
              "indexed-repeat(${job}, ${jobs}, 1)", "sum(${age})", "${comment}"]),
])
def test_visible_columns_give_what_visible_answers_give_instance_by_instance(
        household, section_id, texts):
    from dmsurvey.questionnaire.repeats import visible_columns

    responses, rows = random_household(7, 30)
    frame = visible_columns(household, responses, rows, section_id)
    by_response = answers_of(responses, rows)
    if section_id is None:
        places = [(response_id, None) for response_id in responses["response_id"]]
    else:
        places = list(zip(frame["response_id"], frame["instance_key"], strict=True))
        assert len(places) == len(rows[section_id])
    for text in texts:
        expression = parse_expression(text)
        columns = expression.evaluate_frame(frame).tolist()
        for (response_id, key), got in zip(places, columns, strict=True):
            answers, instances = by_response[response_id]
            expected = expression.evaluate(visible_answers(
                household, answers, instances, section_id, key))
            if isinstance(expected, float) and math.isnan(expected):
                assert math.isnan(got), (text, response_id, key)
            else:
                assert got == expected, (text, response_id, key)


def test_position_outside_every_repeat_is_refused_with_the_line():
    problem = the_problem(household_with_closing_rule("position(..) > 1"))
    assert (problem.line, problem.message) == (
        33, "question comment relevant uses position(..), which only a question of a repeat "
            "section has")


def test_an_xlsform_reading_position_outside_a_repeat_keeps_the_question_without_it(tmp_path):
    form = write_xlsform(tmp_path / "where.xlsx", [
        ["type", "name", "label", "calculation"],
        ["integer", "n", "How many?"],
        ["calculate", "place", None, "position(..) + ${n}"],
    ])
    notes: list[str] = []
    questionnaire = convert_xlsform(form, warnings=notes)
    assert questionnaire["place"].type == "calculate"
    assert questionnaire["place"].calculation is None
    assert ("survey sheet row 3: calculation 'position(..) + ${n}' is dropped (the field stays "
            "empty): position(..) is the number of a repeat's instance, and this is in none"
            ) in notes
