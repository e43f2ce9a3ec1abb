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
from typing import TYPE_CHECKING, Any

from dmsurvey.questionnaire.model import Questionnaire

if TYPE_CHECKING:
    import pandas as pd

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


def instance_number(instance_key: str) -> int:
    """An instance's number in its repeat: "2/3" -> 3."""
    return int(str(instance_key).rsplit("/", 1)[-1])


def instance_order(instance_key: str) -> tuple[int, ...]:
    """Instance keys in asking order: "2/10" after "2/9"."""
    return tuple(int(part) if part.isdigit() else 0 for part in str(instance_key).split("/"))


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
        instances = dict(sorted(repeat_answers.get(section.id, {}).items(),
                                key=lambda item: instance_order(item[0])))
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
        visible[POSITION] = instance_number(instance_key)
        visible[INSTANCE_KEY] = str(instance_key)
    return visible


def _answered(value: Any) -> Any:
    return None if value == "" else value


# -- the same, column-wise over many responses ------------------------------------------------

def _in_instance_order(rows: pd.DataFrame) -> pd.DataFrame:
    """Instances sorted by response and by the numbers of their keys ("2/10" after "2/9")."""
    parts = rows["instance_key"].astype(str).str.split("/", expand=True)
    order = parts.apply(lambda column: _pd().to_numeric(column, errors="coerce"))
    order.columns = [f"_part_{number}" for number in range(order.shape[1])]
    keyed = _pd().concat([rows.reset_index(drop=True), order], axis=1)
    return keyed.sort_values(["response_id", *order.columns], kind="stable")[rows.columns]


def _lists_by(keys: pd.Series, values: pd.Series, wanted: pd.Series) -> list:
    """For each entry of `wanted`, the list of `values` whose key equals it, in their order
    ([] for none): the values are sorted by key once and cut where the key changes (a
    groupby building each list would call back into Python once per key)."""
    import numpy as np

    codes, uniques = _pd().factorize(keys.to_numpy(dtype=object))
    ordered = values.to_numpy(dtype=object)[np.argsort(codes, kind="stable")].tolist()
    ends = np.cumsum(np.bincount(codes, minlength=len(uniques))).tolist()
    groups = [ordered[start:end] for start, end in zip([0, *ends[:-1]], ends, strict=True)]
    found = _pd().Index(uniques, dtype=object).get_indexer(wanted.to_numpy(dtype=object))
    return [groups[position] if position >= 0 else [] for position in found.tolist()]


def visible_columns(questionnaire: Questionnaire, responses: pd.DataFrame,
                    repeat_rows: Mapping[str, pd.DataFrame],
                    section_id: str | None = None, *, indexed: bool = True) -> pd.DataFrame:
    """What `visible_answers` gives, for many at once: a frame with a row per response (or,
    with `section_id`, per instance of that repeat) for `Expression.evaluate_frame`.

    `responses` has a `response_id` column and the answers asked once; `repeat_rows` holds,
    per repeat, its instances as `Study.repeat_rows` gives them. A row of an instance sees
    its own answers, those of the instances around it and the response's; a repeat's
    question seen from outside is a column holding the list of its answers in each row, and
    `position(..)` and `indexed-repeat` find what they read (`indexed=False` leaves out the
    latter's, a mapping per row, for expressions that do not use it).
    """
    pd = _pd()
    responses = responses.reset_index(drop=True)
    if section_id is None:
        frame = responses.copy()
        path: list[str] = []
    else:
        path = enclosing_repeats(questionnaire, section_id)
        rows = _in_instance_order(repeat_rows[section_id]).reset_index(drop=True)
        frame = rows.merge(responses, on="response_id", how="left", suffixes=("", "_response"))
        for outer in path[:-1]:
            depth = path.index(outer) + 1
            outer_rows = repeat_rows[outer].drop(columns=["parent_key", "instance"])
            outer_rows = outer_rows.rename(columns={"instance_key": f"_key_{outer}"})
            frame[f"_key_{outer}"] = _outer_keys(frame["instance_key"], depth)
            frame = frame.merge(outer_rows, on=["response_id", f"_key_{outer}"], how="left")
        frame[POSITION] = pd.to_numeric(frame["instance"], errors="coerce")
        frame[INSTANCE_KEY] = frame["instance_key"].astype(str)
    columns: dict[str, list] = {}
    for section in questionnaire.repeats:
        rows = _in_instance_order(repeat_rows.get(section.id, _empty_instances(section)))
        every = rows["response_id"].astype(str)
        keyed = _lists_by(every, rows["instance_key"].astype(str),
                          frame["response_id"].astype(str)) if indexed else []
        for question in section.questions:
            if indexed and question.id in rows.columns:
                values = _lists_by(every, rows[question.id].astype(object),
                                   frame["response_id"].astype(str))
                columns[ALL_INSTANCES + question.id] = [
                    {key: (None if _missing(value) else value)
                     for key, value in zip(k, v, strict=True)}
                    for k, v in zip(keyed, values, strict=True)]
        if section.id in path:
            continue
        # seen from outside: the instances inside the instance we are in, if the repeat is
        # asked there, otherwise all of the response's
        within = section.repeat.within
        if within in path:
            depth = path.index(within) + 1
            owner = rows["response_id"].astype(str) + "|" + rows["parent_key"].astype(str)
            ours = (frame["response_id"].astype(str) + "|"
                    + _outer_keys(frame["instance_key"], depth))
        else:
            owner, ours = rows["response_id"].astype(str), frame["response_id"].astype(str)
        columns[section.id] = _lists_by(owner, rows["instance_key"].astype(str), ours)
        for question in section.questions:
            if question.id in rows.columns and question.asks_for_answer:
                answers = rows[question.id].astype(object)
                answers = answers.where(answers.notna() & (answers != ""), None)
                columns[question.id] = _lists_by(owner, answers, ours)
    return pd.concat([frame.drop(columns=[c for c in columns if c in frame.columns]),
                      pd.DataFrame(columns, index=frame.index)], axis=1)


def _missing(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and value != value)


def _empty_instances(section) -> pd.DataFrame:
    from dmsurvey.questionnaire.model import REPEAT_METADATA

    return _pd().DataFrame(columns=[*REPEAT_METADATA, *(q.id for q in section.questions)])


def _pd():
    import pandas as pd

    return pd


def _outer_keys(keys: pd.Series, depth: int) -> pd.Series:
    """The key of each instance's enclosing instance `depth` levels from the outermost:
    "2/3/1" at depth 2 -> "2/3"."""
    return keys.astype(str).str.split("/").str[:depth].str.join("/")
