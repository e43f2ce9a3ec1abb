"""Questionnaires of two waves: questions matched by id, codes by `previous:`, the rest listed."""

from __future__ import annotations

import pytest

from dmsurvey.errors import QuestionnaireError
from dmsurvey.questionnaire.loader import load_questionnaire, questionnaire_from_yaml
from dmsurvey.questionnaire.waves import align_waves

HEAD = """\
name: {name}
version: "1"
title: {{en: Zone survey}}
languages: [en]
sections:
  - id: A
    title: {{en: A}}
    questions:
"""

EARLIER = HEAD.format(name="zone-2020") + """\
      - id: cloud_status
        type: select_one
        label: {en: Cloud}
        choices:
          - {code: migrated, label: {en: In the cloud}}
          - {code: planning, label: {en: Planning}}
          - {code: no_plan, label: {en: No plan}}
      - id: ownership
        type: select_one
        label: {en: Ownership}
        choices:
          - {code: private, label: {en: Private}}
          - {code: state, label: {en: State}}
          - {code: collective, label: {en: Collective}}
      - id: tech_used
        type: select_multiple
        label: {en: Technologies}
        choices:
          - {code: big_data, label: {en: Big data}}
          - {code: ai, label: {en: AI}}
          - {code: none, label: {en: None}}
      - {id: self_maturity, type: integer, label: {en: Maturity}}
      - {id: covid_remote_work, type: text, label: {en: Remote work}}
"""

LATER = HEAD.format(name="zone-2022") + """\
      - id: cloud_status
        type: select_one
        label: {en: Cloud}
        choices:
          - {code: migrated_full, label: {en: All in the cloud}}
          - {code: migrated_part, label: {en: Partly in the cloud}}
          - {code: planning, label: {en: Planning}}
          - {code: no_plan, label: {en: No plan}}
        previous: {migrated_full: migrated, migrated_part: migrated}
      - id: ownership
        type: select_one
        label: {en: Ownership}
        choices:
          - {code: private, label: {en: Private}}
          - {code: public, label: {en: Public}}
        previous: {public: [state, collective]}
      - id: tech_used
        type: select_multiple
        label: {en: Technologies}
        choices:
          - {code: big_data, label: {en: Big data}}
          - {code: ai, label: {en: AI}}
          - {code: cloud_native, label: {en: Cloud-native}}
          - {code: none, label: {en: None}}
      - id: self_maturity
        type: select_one
        label: {en: Maturity}
        choices:
          - {code: low, label: {en: Low}}
          - {code: high, label: {en: High}}
      - {id: remote_work_kept, type: text, label: {en: Remote work kept}}
"""


@pytest.fixture(scope="module")
def alignment():
    return align_waves(questionnaire_from_yaml(EARLIER), questionnaire_from_yaml(LATER))


def test_a_split_code_compares_as_one_category(alignment):
    cloud = alignment.question("cloud_status")
    assert cloud.earlier == {"migrated": "migrated_full+migrated_part", "planning": "planning",
                             "no_plan": "no_plan"}
    assert cloud.later["migrated_part"] == cloud.later["migrated_full"] == cloud.earlier["migrated"]
    assert cloud.categories == ("migrated_full+migrated_part", "planning", "no_plan")


def test_merged_codes_compare_as_the_later_code(alignment):
    ownership = alignment.question("ownership")
    assert ownership.earlier == {"private": "private", "state": "public", "collective": "public"}


def test_what_cannot_be_compared_is_listed_with_the_reason(alignment):
    listed = set(alignment.not_comparable)
    assert ("tech_used", "cloud_native", "code of the later wave without an earlier equivalent"
            ) in listed
    assert ("covid_remote_work", "", "asked only in the earlier wave") in listed
    assert ("remote_work_kept", "", "asked only in the later wave") in listed
    assert ("self_maturity", "", "integer in the earlier wave, select_one in the later one"
            ) in listed
    assert "self_maturity" not in alignment.questions
    assert "cloud_native" not in alignment.question("tech_used").later
    assert alignment.question("tech_used").later["ai"] == "ai"


def test_a_mapping_to_an_unknown_earlier_code_is_listed_not_guessed():
    later = questionnaire_from_yaml(LATER.replace("migrated_part: migrated}",
                                                  "migrated_part: hybrid}"))
    alignment = align_waves(questionnaire_from_yaml(EARLIER), later)
    listed = set(alignment.not_comparable)
    assert ("cloud_status", "migrated_part", "previous names hybrid, which the earlier "
            "questionnaire does not have") in listed
    assert ("cloud_status", "migrated_part",
            "code of the later wave without an earlier equivalent") in listed
    assert "migrated_part" not in alignment.question("cloud_status").later


def test_the_same_questionnaire_twice_compares_everything():
    bundled = load_questionnaire("sme-digital-2020")
    alignment = align_waves(bundled, bundled)
    assert alignment.not_comparable == ()
    assert alignment.composite_comparable and alignment.levels_comparable
    assert len(alignment.dimensions) == 4


def test_a_dimension_scored_otherwise_is_not_compared():
    bundled = load_questionnaire("sme-digital-2020")
    text = bundled.source and open(bundled.source, encoding="utf-8").read()
    changed = questionnaire_from_yaml(text.replace("points: {migrated: 100, planning: 40}",
                                                   "points: {migrated: 100, planning: 50}"))
    alignment = align_waves(bundled, changed)
    assert "ai_bigdata" not in alignment.dimensions
    assert ("dimension ai_bigdata", "", "scored by other rules in the two waves"
            ) in alignment.not_comparable
    assert not alignment.composite_comparable


@pytest.mark.parametrize(
    ("change", "expected"),
    [("previous: {public: [state, collective]}", None),
     ("previous: {publik: state}", "previous maps a code it does not have"),
     ("previous: [state]", "previous must map codes to earlier codes"),
     ("previous: {public: [state, true]}", "must map to an earlier code")],
)
def test_mistakes_in_previous_are_named(change, expected):
    text = LATER.replace("previous: {public: [state, collective]}", change)
    if expected is None:
        assert questionnaire_from_yaml(text)["ownership"].previous == (
            ("public", ("state", "collective")),)
        return
    with pytest.raises(QuestionnaireError) as caught:
        questionnaire_from_yaml(text)
    assert any(expected in problem.message for problem in caught.value.problems)


def test_previous_on_a_number_question_is_refused():
    text = EARLIER.replace("{id: self_maturity, type: integer, label: {en: Maturity}}",
                           "{id: self_maturity, type: integer, label: {en: M}, previous: {a: b}}")
    with pytest.raises(QuestionnaireError, match="1 problem"):
        questionnaire_from_yaml(text)


def test_show_lists_the_mappings_and_the_firm_key():
    from rich.console import Console

    from dmsurvey.cli.questionnaire import codebook_renderables

    def shown(questionnaire, language):
        console = Console(width=160, record=True, color_system=None)
        console.print(*codebook_renderables(questionnaire, language))
        return console.export_text()

    later = shown(questionnaire_from_yaml(LATER), "en")
    assert "earlier codes migrated_full → migrated, migrated_part → migrated" in later
    assert "public → state collective" in later
    bundled = shown(load_questionnaire("sme-digital-2020"), "zh")
    assert "企业标识" in bundled and "格式 credit_code" in bundled
