"""What can be compared between two waves of a survey whose questionnaires may differ.

Questions are matched by id. A select question's codes are matched by code, or by the later
questionnaire's `previous:` mapping (later code -> earlier code, a list of earlier codes, or
null for none). Codes joined by the mapping form one common category, named by its later
codes ("migrated_full+migrated_part" when a code was split); a category is compared only
where it has codes in both waves. Everything that cannot be compared (a question asked in
one wave only, a changed type, a code without counterpart, a maturity dimension scored
differently) is listed with the reason in `WaveAlignment.not_comparable`, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dmsurvey.questionnaire.model import Question, Questionnaire


@dataclass(frozen=True)
class QuestionAlignment:
    """How one question's answers of both waves map onto common categories."""

    question: str
    type: str
    # code -> common category, for the codes that can be compared (select questions only).
    earlier: dict[str, str] = field(default_factory=dict)
    later: dict[str, str] = field(default_factory=dict)

    @property
    def categories(self) -> tuple[str, ...]:
        """The common categories, in the later questionnaire's order."""
        return tuple(dict.fromkeys(self.later.values()))


@dataclass(frozen=True)
class WaveAlignment:
    questions: dict[str, QuestionAlignment]
    # Maturity dimensions scored alike in both waves, in the later questionnaire's order.
    dimensions: tuple[str, ...]
    # (item, code, reason) for everything that cannot be compared.
    not_comparable: tuple[tuple[str, str, str], ...]

    def question(self, question_id: str) -> QuestionAlignment | None:
        return self.questions.get(question_id)

    @property
    def composite_comparable(self) -> bool:
        return not any(item in ("composite", "scores") for item, _, _ in self.not_comparable)

    @property
    def levels_comparable(self) -> bool:
        return self.composite_comparable and not any(
            item == "levels" for item, _, _ in self.not_comparable)


def align_waves(earlier: Questionnaire, later: Questionnaire) -> WaveAlignment:
    """Match the questions, codes and maturity dimensions of two waves' questionnaires."""
    questions: dict[str, QuestionAlignment] = {}
    listed: list[tuple[str, str, str]] = []
    later_ids = {q.id for q in later.answerable}
    for question in earlier.answerable:
        if question.id not in later_ids:
            listed.append((question.id, "", "asked only in the earlier wave"))
    for question in later.answerable:
        if question.id not in earlier:
            listed.append((question.id, "", "asked only in the later wave"))
            continue
        before = earlier[question.id]
        if before.type != question.type:
            listed.append((question.id, "", f"{before.type} in the earlier wave, "
                                            f"{question.type} in the later one"))
            continue
        if question.is_select:
            aligned, notes = _align_codes(before, question)
            listed += notes
        else:
            aligned = QuestionAlignment(question.id, question.type)
        questions[question.id] = aligned
    dimensions, notes = _align_dimensions(earlier, later)
    return WaveAlignment(questions, dimensions, tuple(listed + notes))


def _align_codes(before: Question, after: Question):
    earlier_codes = list(before.choice_codes)
    mapping = dict(after.previous)
    notes = []
    # Union-find over ("earlier", code) and ("later", code) nodes joined by the mapping.
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def root(node):
        while parent.setdefault(node, node) != node:
            node = parent[node]
        return node

    for code in after.choice_codes:
        root(("later", code))
        targets = mapping.get(code, (code,) if code in earlier_codes else ())
        for target in targets:
            if target not in earlier_codes:
                notes.append((after.id, code, f"previous names {target}, which the earlier "
                                              "questionnaire does not have"))
                continue
            parent[root(("earlier", target))] = root(("later", code))
    for code in earlier_codes:
        root(("earlier", code))
    members: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for node in list(parent):
        members.setdefault(root(node), []).append(node)
    earlier_map, later_map = {}, {}
    for group in members.values():
        later_codes = [code for code in after.choice_codes if ("later", code) in group]
        earlier_in = [code for code in earlier_codes if ("earlier", code) in group]
        if not later_codes:
            notes += [(after.id, code, "code of the earlier wave without a later equivalent")
                      for code in earlier_in]
            continue
        if not earlier_in:
            notes += [(after.id, code, "code of the later wave without an earlier equivalent")
                      for code in later_codes]
            continue
        name = "+".join(later_codes)
        earlier_map |= {code: name for code in earlier_in}
        later_map |= {code: name for code in later_codes}
    return QuestionAlignment(after.id, after.type, earlier_map, later_map), notes


def _align_dimensions(earlier: Questionnaire, later: Questionnaire):
    if earlier.scoring is None or later.scoring is None:
        return (), [("scores", "", "a questionnaire has no scoring block")]
    before = {dimension.id: dimension for dimension in earlier.scoring.dimensions}
    same, notes = [], []
    for dimension in later.scoring.dimensions:
        if dimension.id not in before:
            notes.append((f"dimension {dimension.id}", "", "scored only in the later wave"))
        elif _rules(before[dimension.id]) != _rules(dimension):
            notes.append((f"dimension {dimension.id}", "",
                          "scored by other rules in the two waves"))
        else:
            same.append(dimension.id)
    for dimension_id in before:
        if dimension_id not in {d.id for d in later.scoring.dimensions}:
            notes.append((f"dimension {dimension_id}", "", "scored only in the earlier wave"))
    if len(same) < len(later.scoring.dimensions) or len(before) != len(same):
        notes.append(("composite", "", "the dimensions differ between the waves"))
    levels = [(level.id, level.min, level.max) for level in earlier.scoring.levels]
    if levels != [(level.id, level.min, level.max) for level in later.scoring.levels]:
        notes.append(("levels", "", "the maturity levels differ between the waves"))
    return tuple(same), notes


def _rules(dimension) -> tuple:
    """What a dimension's score means (its wording aside)."""
    return (dimension.items, dimension.weight, dimension.applies_if, dimension.min_answered)
