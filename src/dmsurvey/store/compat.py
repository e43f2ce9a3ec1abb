"""Whether two questionnaires store answers that mean the same.

Two questionnaires are compatible when they have the same name, the same metadata fields and
the same answerable questions, each with the same type and the same set of choice codes, and
the same repeat sections (each inside the same one) with questions alike.
Everything else (labels, hints, messages, descriptions, units, scoring, choice order,
relevance and constraints) is wording or checking: it changes how a question is asked or
scored, not what a stored answer means, so studies that differ only there can be merged.
"""

from __future__ import annotations

from dmsurvey.questionnaire.model import Questionnaire


def structure_differences(
    ours: Questionnaire,
    theirs: Questionnaire,
    *,
    ours_name: str = "this study",
    theirs_name: str = "the other study",
) -> list[str]:
    """What makes the answers of `theirs` mean something else than those of `ours`.

    Each entry reads "ours vs theirs"; codes and fields are "added" when only `theirs` has
    them and "removed" when only `ours` has them. An empty list means compatible.
    """
    differences = []
    if ours.name != theirs.name:
        differences.append(f"questionnaire name {ours.name!r} vs {theirs.name!r}")
    fields = _added_removed(ours.metadata_fields, theirs.metadata_fields)
    if fields:
        differences.append(f"metadata fields {fields}")
    differences += _question_differences(ours.answerable, theirs.answerable, ours_name,
                                          theirs_name)
    their_repeats = {section.id: section for section in theirs.repeats}
    for section in ours.repeats:
        other = their_repeats.pop(section.id, None)
        if other is None:
            differences.append(f"repeat section {section.id} only in {ours_name}")
            continue
        if section.repeat.within != other.repeat.within:
            differences.append(f"repeat section {section.id}: inside "
                               f"{section.repeat.within or 'the response'} vs "
                               f"{other.repeat.within or 'the response'}")
        differences += _question_differences(
            [q for q in section.questions if q.asks_for_answer],
            [q for q in other.questions if q.asks_for_answer], ours_name, theirs_name)
    differences += [f"repeat section {section_id} only in {theirs_name}"
                    for section_id in their_repeats]
    return differences


def _question_differences(ours, theirs, ours_name: str, theirs_name: str) -> list[str]:
    differences = []
    our_questions = {question.id: question for question in ours}
    their_questions = {question.id: question for question in theirs}
    for question_id, question in our_questions.items():
        other = their_questions.get(question_id)
        if other is None:
            differences.append(f"question {question_id} only in {ours_name}")
            continue
        if question.type != other.type:
            differences.append(f"question {question_id}: type {question.type} vs {other.type}")
        codes = _added_removed(question.choice_codes, other.choice_codes)
        if codes:
            differences.append(f"question {question_id}: codes {codes}")
    differences += [
        f"question {question_id} only in {theirs_name}"
        for question_id in their_questions
        if question_id not in our_questions
    ]
    return differences


def _added_removed(ours: tuple[str, ...], theirs: tuple[str, ...]) -> str:
    added = [item for item in theirs if item not in ours]
    removed = [item for item in ours if item not in theirs]
    parts = []
    if added:
        parts.append("added: " + ", ".join(added))
    if removed:
        parts.append("removed: " + ", ".join(removed))
    return "; ".join(parts)
