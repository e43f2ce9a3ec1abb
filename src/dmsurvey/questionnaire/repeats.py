"""What an expression sees inside and outside repeat sections.

XLSForm expressions name questions by id alone, wherever they are asked. Inside an instance
of a repeat, `${age}` is that instance's age, and the questions of the instances around it
(the outer repeat's instance it is asked in) are read the same way. Seen from outside,
a repeat's question is the list of its answers over the instances, one per instance (None
where unanswered: `sum(${age})` and `max(${age})` leave those out, `count(${age})` counts
instances as ODK does), and the repeat's own id is the list of its instance keys
(`count(${members})`). An instance's number in its repeat is `position(..)`; the answers of
any instance are reached with `indexed-repeat(${age}, ${members}, 2)`.

    >>> answers = visible_answers(questionnaire, {"n_members": 2},
    ...                           {"members": {"1": {"age": 40}, "2": {"age": 12}}},
    ...                           "members", "2")
    >>> answers["age"], answers["n_members"], answers[POSITION]
    (12, 2, 2)
    >>> visible_answers(questionnaire, {"n_members": 2}, repeats)["age"]
    [40, 12]

Unanswered questions are left out of an instance's own answers, as they are of a
response's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dmsurvey.questionnaire.model import Questionnaire

# The name under which an instance's number is seen, for `position(..)`.
POSITION = "position(..)"
# ... the key of the instance being asked ("2/3"), for `indexed-repeat` inside a repeat
INSTANCE_KEY = "instance-key(..)"
# ... and, before a question's id, its answers in every instance by instance key (what
# `indexed-repeat(${age}, ${members}, 2)` looks up). Ids cannot hold these characters.
ALL_INSTANCES = "all-instances:"

# {repeat id: {instance key: {question id: value}}}, as `Study.get_repeat_answers` returns.
RepeatAnswers = Mapping[str, Mapping[str, Mapping[str, Any]]]


def instance_path(instance_key: str) -> list[str]:
    """The keys of an instance and of the instances around it, outermost first:
    "2/3" -> ["2", "2/3"]."""
    parts = str(instance_key).split("/")
    return ["/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]


def parent_key(instance_key: str) -> str | None:
    """The key of the instance an instance is asked inside ("2/3" -> "2"; "2" -> None)."""
    head, _, _ = str(instance_key).rpartition("/")
    return head or None


def enclosing_repeats(questionnaire: Questionnaire, section_id: str) -> list[str]:
    """The repeat `section_id` and the repeats around it, outermost first."""
    chain = []
    current: str | None = section_id
    while current is not None:
        chain.append(current)
        current = questionnaire.repeat(current).repeat.within
    return chain[::-1]


def visible_answers(
    questionnaire: Questionnaire,
    answers: Mapping[str, Any],
    repeat_answers: RepeatAnswers,
    section_id: str | None = None,
    instance_key: str | None = None,
) -> dict[str, Any]:
    """The answers an expression sees in instance `instance_key` of the repeat `section_id`
    (or, with neither given, outside every repeat): see the module's description."""
    visible = dict(answers)
    path: dict[str, str] = {}  # repeat id -> key of its instance we are in
    if section_id is not None:
        chain = enclosing_repeats(questionnaire, section_id)
        keys = instance_path(instance_key)
        path = dict(zip(chain, keys, strict=True))
    for section in questionnaire.repeats:
        instances = repeat_answers.get(section.id, {})
        for question in section.questions:
            visible[ALL_INSTANCES + question.id] = {
                key: values.get(question.id) for key, values in instances.items()}
        if section.id in path:
            visible.update(instances.get(path[section.id], {}))
            continue
        # Seen from outside: the instances inside the instance we are in, if the repeat is
        # asked there; otherwise all of them.
        outer = section.repeat.within
        if outer in path:
            inside = {key: values for key, values in instances.items()
                      if parent_key(key) == path[outer]}
        else:
            inside = dict(instances)
        visible[section.id] = list(inside)
        for question in section.questions:
            if question.asks_for_answer:
                visible[question.id] = [_answered(values.get(question.id))
                                        for values in inside.values()]
    if section_id is not None:
        visible[POSITION] = int(str(instance_key).rsplit("/", 1)[-1])
        visible[INSTANCE_KEY] = str(instance_key)
    return visible


def _answered(value: Any) -> Any:
    return None if value == "" else value
