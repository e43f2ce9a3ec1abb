"""What an interview's expressions read besides the answers: `jr:choice-name` in the
interview's language and `pulldata` from the study's media folder, read once per interview;
answers and calculations put into labels with `${name}`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dmsurvey.interview.engine import Interview
from dmsurvey.questionnaire.model import Text
from dmsurvey.store.study import init_study, open_study

from ..interview.terminal import BACKSPACE, DOWN, ENTER
from ..interview.test_session import START, SUBMIT, run, screen

SHOP = """\
name: shop
version: "1"
title: {en: Shop, zh: 商店}
languages: [en, zh]
sections:
  - id: purchase
    title: {en: Purchase, zh: 购买}
    questions:
      - id: item
        type: select_one
        label: {en: What was bought?, zh: 买了什么？}
        choices:
          - {code: rice, label: {en: Rice, zh: 大米}}
          - {code: tea, label: {en: Tea, zh: 茶叶}}
      - {id: item_name, type: calculate, calculation: "jr:choice-name(${item}, '${item}')"}
      - {id: price, type: calculate, calculation: "pulldata('prices', 'price', 'item', ${item})"}
      - id: confirm
        type: note
        label: {en: "${item_name} costs ${price} a unit", zh: "${item_name}单价${price}元"}
      - id: quantity
        type: integer
        label: {en: "How many units of ${item_name}?", zh: "买了几份${item_name}？"}
        constraint: ". * ${price} <= 100"
        constraint_message: {en: "Over 100 at ${price} a unit", zh: "单价${price}元，总额超过100元"}
      - {id: total, type: calculate, calculation: "${quantity} * ${price}"}
"""
PRICES = "item,price\nrice,4\ntea,25\n"


@pytest.fixture
def study(tmp_path):
    form = tmp_path / "shop.yaml"
    form.write_text(SHOP, encoding="utf-8")
    study = init_study(tmp_path / "study", form)
    media = study.path / "media"  # where init keeps the CSV files a form reads
    media.mkdir()
    (media / "prices.csv").write_text(PRICES, encoding="utf-8")
    return study


def answer(interview: Interview, question_id: str, raw) -> None:
    question = interview.questionnaire.find(question_id)
    interview.record(interview.parse(raw, question), question)
    interview.recalculate()


def test_choice_names_are_in_the_interview_language_and_prices_come_from_the_study(study):
    chinese = Interview(study.questionnaire, language="zh")
    answer(chinese, "item", "tea")
    assert chinese.answers["item_name"] == "茶叶"
    assert chinese.answers["price"] == "25"
    confirm = study.questionnaire.find("confirm")
    assert chinese.filled_in(confirm.label) == "茶叶单价25元"
    english = Interview(study.questionnaire, language="en")
    answer(english, "item", "rice")
    assert english.filled_in(confirm.label) == "Rice costs 4 a unit"
    # the constraint reads the price too: 5 units of tea at 25 are over 100
    with pytest.raises(ValueError, match="^单价25元，总额超过100元$"):
        chinese.parse("5", study.questionnaire.find("quantity"))


def test_the_price_list_is_read_once_per_interview(study):
    interview = Interview(study.questionnaire, language="en")
    answer(interview, "item", "tea")
    (table,) = interview.context.tables.values()
    # the list changes on disk while the interview goes on: this interview keeps what it read
    (study.path / "media" / "prices.csv").write_text("item,price\nrice,5\ntea,20\n")
    answer(interview, "quantity", "2")
    answer(interview, "item", "rice")
    assert interview.context.tables == {("prices.csv", "item"): table}
    assert next(iter(interview.context.tables.values())) is table
    assert (interview.answers["price"], interview.answers["total"]) == ("4", "8")
    # ... and the next interview reads the new prices
    later = Interview(study.questionnaire, language="en")
    answer(later, "item", "rice")
    assert later.answers["price"] == "5"


def test_a_chinese_interview_shows_and_stores_the_choice_name_and_price(study):
    output, printed = screen()
    keys = [START, DOWN + ENTER,  # tea
            ENTER,  # the note
            "5" + ENTER,  # refused: 125 in all (stored 4 shows it was)
            BACKSPACE + "4" + ENTER,
            SUBMIT]
    result = run(study, "".join(keys), language="zh", output=output)
    assert result.outcome == "submitted"
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", printed.getvalue())
    assert "茶叶单价25元" in shown
    assert "买了几份茶叶？" in shown
    answers = open_study(study.path).get_answers(result.response_id)
    assert answers == {"item": "tea", "item_name": "茶叶", "price": "25", "quantity": 4,
                       "total": "100"}


def test_the_interview_reads_the_csv_beside_a_form_used_where_it_was_designed(tmp_path):
    from dmsurvey.questionnaire.loader import load_questionnaire

    form = tmp_path / "shop.yaml"
    form.write_text(SHOP, encoding="utf-8")
    (tmp_path / "prices.csv").write_text(PRICES, encoding="utf-8")
    interview = Interview(load_questionnaire(form), language="en")
    answer(interview, "item", "tea")
    assert interview.answers["price"] == "25"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "prices.csv").write_text("item,price\ntea,30\n", encoding="utf-8")
    moved = Interview(load_questionnaire(form), language="en", media=elsewhere)
    answer(moved, "item", "tea")
    assert moved.answers["price"] == "30"


def test_a_question_id_not_in_the_form_is_kept_as_written_in_a_label(study):
    interview = Interview(study.questionnaire, language="en")
    assert interview.filled_in(Text({"en": "Pay in ${currency}"})) == "Pay in ${currency}"
    assert Path(study.path / "media" / "prices.csv").is_file()
