"""A feedback sheet for one firm: its maturity scores beside its peers', and what its
peers use that it does not.

    >>> write_firm_feedback(responses, questionnaire, "3f2c...", "out", language="zh")

Peers are the other firms of the same industry, of the same size class, and all other
firms. To protect the firms who took part, a peer figure is shown only where at least
`min_peers` (10) peers answered; otherwise the sheet says there are too few.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dmsurvey.errors import AnalysisError, Problem
from dmsurvey.reporting.texts import text
from dmsurvey.wording import translated

if TYPE_CHECKING:
    import pandas as pd

    from dmsurvey.questionnaire.model import Questionnaire
    from dmsurvey.reporting.change import PreviousWave

MIN_PEERS = 10

FEEDBACK_TEXTS: dict[str, dict[str, str]] = {
    "title": {"en": "Digital maturity feedback", "zh": "企业数字化成熟度反馈"},
    "intro": {
        "en": "Thank you for taking part in the survey. This page compares your answers with "
              "those of the other enterprises surveyed. Peer figures appear only where at least "
              "{min_peers} peers answered, so no other enterprise can be recognised.",
        "zh": "感谢贵企业参与本次调查。本页将贵企业的回答与其他受访企业进行比较。"
              "为保护受访企业信息，只有在至少{min_peers}家同类企业作答时才显示同类企业数据。",
    },
    "scores": {"en": "Your scores and your peers'", "zh": "贵企业与同类企业的得分"},
    "your_score": {"en": "Your score", "zh": "贵企业得分"},
    "your_level": {"en": "Your level: {level} (composite index {score})",
                   "zh": "贵企业的等级：{level}（综合指数{score}分）"},
    "meter_legend": {"en": "Blue bar: your score (0–100); orange mark: the peer mean.",
                     "zh": "蓝色条：贵企业得分（0–100）；橙色标记：同类企业均值。"},
    "peer_mean": {"en": "Peer mean", "zh": "同类企业均值"},
    "peers": {"en": "Peers", "zh": "同类企业"},
    "group:industry": {"en": "Same industry: {group}", "zh": "同行业：{group}"},
    "group:size_class": {"en": "Same size class: {group}", "zh": "同规模：{group}"},
    "group:all": {"en": "All other enterprises", "zh": "全部其他受访企业"},
    "too_few": {"en": "fewer than {min_peers} peers answered; not shown",
                "zh": "作答的同类企业少于{min_peers}家，不予显示"},
    # Which dimensions apply is the questionnaire's rule (applies_if), not ours to name.
    "not_applicable": {"en": "does not apply to your enterprise",
                       "zh": "不适用于贵企业"},
    "not_scored": {"en": "not scored (too few answers)", "zh": "未计分（作答题目不足）"},
    "practices": {"en": "What your peers use that you do not",
                  "zh": "同类企业在用而贵企业尚未采用的做法"},
    "practices_note": {"en": "Compared with: {group} ({n} answered).",
                       "zh": "比较对象：{group}（{n}家作答）。"},
    "practice": {"en": "Practice", "zh": "做法"},
    "question": {"en": "Question", "zh": "题目"},
    "peers_using": {"en": "Peers using it", "zh": "同类企业采用比例"},
    "no_practices": {"en": "Your enterprise already uses every practice that at least "
                           "{min_peers} of its peers use.",
                     "zh": "至少{min_peers}家同类企业采用的做法，贵企业均已采用。"},
    "no_peers": {"en": "Too few peers answered to compare practices.",
                 "zh": "作答的同类企业过少，无法比较。"},
}


def feedback_text(key: str, language: str, **values: object) -> str:
    return translated(FEEDBACK_TEXTS, key, language, **values)


@dataclass(frozen=True)
class PeerComparison:
    group: str
    dimension: str
    peers_answered: int
    peer_mean: float | None


@dataclass
class FirmFeedback:
    response_id: str
    firm_name: str
    language: str
    scores: Mapping[str, float]
    level: str | None
    # Dimensions whose `applies_if` is false for this firm (scored NaN by design).
    not_applicable: frozenset[str] = frozenset()
    comparisons: list[PeerComparison] = field(default_factory=list)
    practices: pd.DataFrame | None = None
    practices_group: str = ""
    practices_n: int = 0


# Characters Windows, macOS or Linux refuse in a file name, or that change its meaning.
_UNSAFE_IN_FILE_NAMES = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\s]')


def find_firm(responses: pd.DataFrame, firm_id: str) -> int:
    """Row position of the firm whose response_id is `firm_id` (or starts with it)."""
    ids = responses["response_id"].astype("str")
    exact = ids == firm_id
    matches = exact if exact.any() else ids.str.startswith(firm_id)
    if matches.sum() == 1:
        return int(matches.to_numpy().nonzero()[0][0])
    if matches.sum() > 1:
        raise AnalysisError(
            f"{firm_id!r} matches {int(matches.sum())} firms; give more of the response id",
            [Problem("matching response", value=value) for value in ids[matches].head(10)],
        )
    raise AnalysisError(
        f"no firm with response id {firm_id!r}; `dmsurvey export STUDY -o firms.csv` lists "
        "the response ids"
    )


def firm_feedback(
    responses: pd.DataFrame,
    questionnaire: Questionnaire,
    firm_id: str,
    *,
    language: str = "en",
    min_peers: int = MIN_PEERS,
) -> FirmFeedback:
    """The comparisons of one firm's feedback sheet (see the module docstring)."""
    from dmsurvey.analysis.scoring import score
    from dmsurvey.analysis.sizes import size_class

    if questionnaire.scoring is None:
        raise AnalysisError(f"questionnaire {questionnaire.name!r} has no scoring rules, so a "
                            "firm's scores cannot be compared with its peers'")
    position = find_firm(responses, firm_id)
    scores = score(responses, questionnaire).reset_index(drop=True)
    data = responses.reset_index(drop=True)
    lang = questionnaire.label_language(language)
    dimensions = [d.id for d in questionnaire.scoring.dimensions] + ["composite"]
    firm = data.iloc[position]
    groups = _peer_groups(data, questionnaire, position, lang, language,
                          size_class(data) if "employees_2019" in data.columns else None)
    comparisons = []
    for name, members in groups:
        for dimension in dimensions:
            answered = scores.loc[members, dimension].dropna()
            mean = float(answered.mean()) if len(answered) >= min_peers else None
            comparisons.append(PeerComparison(name, dimension, len(answered), mean))
    practice_group, practice_members = next(
        ((name, members) for name, members in groups if int(members.sum()) >= min_peers),
        (None, None),
    )
    practices, practices_n = (None, 0)
    if practice_group is not None:
        practices, practices_n = _practices(data, questionnaire, position, practice_members,
                                            lang, min_peers)
    level = scores.at[position, "level"]
    not_applicable = frozenset(
        d.id for d in questionnaire.scoring.dimensions
        if d.applies_if is not None and not _applies(d.applies_if, data.iloc[[position]])
    )
    level_label = next((lv.label.in_language(lang) for lv in questionnaire.scoring.levels
                        if lv.id == level), None)
    name_column = "firm_name" if "firm_name" in data.columns else "response_id"
    return FirmFeedback(
        response_id=str(firm["response_id"]),
        firm_name=str(firm[name_column]) if firm[name_column] == firm[name_column] else "",
        language=language,
        scores={d: float(scores.at[position, d]) for d in dimensions},
        level=level_label,
        not_applicable=not_applicable,
        comparisons=comparisons,
        practices=practices,
        practices_group=practice_group or "",
        practices_n=practices_n,
    )


def _applies(condition: str, firm: pd.DataFrame) -> bool:
    from dmsurvey.questionnaire.expressions import parse_expression

    return bool(parse_expression(condition).holds_frame(firm).iloc[0])


def _peer_groups(data, questionnaire, position, lang, language, size_classes):
    """(caption, boolean mask of peers) for industry, size class and everyone, firm excluded."""
    import numpy as np

    others = np.ones(len(data), dtype=bool)
    others[position] = False
    groups = []
    if "industry" in data.columns and "industry" in questionnaire:
        code = data["industry"].astype("str").iloc[position]
        if code and code != "nan":
            question = questionnaire.question("industry")
            label = question.choice(code).label.in_language(lang) \
                if code in question.choice_codes else code
            same = (data["industry"].astype("str") == code).to_numpy()
            groups.append((feedback_text("group:industry", language, group=label),
                           same & others))
    if size_classes is not None and size_classes.iloc[position] == size_classes.iloc[position]:
        from dmsurvey.reporting.figures import size_class_label

        group = str(size_classes.iloc[position])
        same = (size_classes.astype("str") == group).to_numpy()
        groups.append((feedback_text("group:size_class", language,
                                     group=size_class_label(group, language)), same & others))
    groups.append((feedback_text("group:all", language), others))
    return groups


def _is_adoption(question, code: str) -> bool:
    """A practice a firm adopts: an option of a multi-select other than its exclusive ones
    (`none`), or `yes` to a yes/no question; never a band of a share question."""
    if question.type == "select_multiple":
        return code not in question.exclusive
    return set(question.choice_codes) == {"yes", "no"} and code == "yes"


def _practices(data, questionnaire, position, peers, lang, min_peers):
    """Scored adoption items the firm did not choose, with the share of peers who chose
    them; only where at least `min_peers` peers chose it (so no peer stands out)."""
    import pandas as pd

    from dmsurvey.analysis.shares import shares

    rows = []
    answered_peers = 0
    firm = data.iloc[[position]]
    for dimension in questionnaire.scoring.dimensions:
        for item in dimension.items:
            if item.question not in data.columns or item.question not in questionnaire:
                continue
            question = questionnaire.question(item.question)
            if not question.is_select:
                continue
            mine = shares(firm, item.question, questionnaire=questionnaire)
            if mine.empty:
                continue
            chosen = set(mine.loc[mine["count"] > 0, "item"])
            theirs = shares(data[peers], item.question, questionnaire=questionnaire,
                            language=lang)
            if theirs.empty or int(theirs["n"].iloc[0]) < min_peers:
                continue
            answered_peers = max(answered_peers, int(theirs["n"].iloc[0]))
            best = max(item.points.values(), default=0)
            for row in theirs.itertuples():
                points = item.points.get(row.item, 0)
                # For a single choice only its best option is a practice to aim for.
                wanted = (points > 0 and _is_adoption(question, row.item)
                          and (question.type == "select_multiple" or points == best))
                if wanted and row.item not in chosen and row.count >= min_peers:
                    rows.append({"question": question.label.in_language(lang),
                                 "practice": row.label, "share": row.share, "n": row.n})
    table = pd.DataFrame(rows, columns=["question", "practice", "share", "n"])
    table = table.drop_duplicates(["question", "practice"]).sort_values(
        "share", ascending=False, kind="stable").reset_index(drop=True)
    return table, answered_peers


def write_firm_feedback(
    responses: pd.DataFrame,
    questionnaire: Questionnaire,
    firm_id: str,
    out_dir: str | Path,
    *,
    language: str = "en",
    min_peers: int = MIN_PEERS,
    previous: PreviousWave | None = None,
) -> Path:
    """Write `firm-<response id>.html` (one self-contained page) and return its path.

    With `previous` (an earlier wave) the page also shows the firm's scores in both waves
    beside its peers' mean change, under the same `min_peers` rule."""
    from dmsurvey.reporting.pages import render_template

    feedback = firm_feedback(responses, questionnaire, firm_id, language=language,
                             min_peers=min_peers)
    lang = questionnaire.label_language(language)
    labels = {d.id: d.label.in_language(lang) for d in questionnaire.scoring.dimensions}
    labels["composite"] = text("composite", language)
    rows = []
    for dimension, label in labels.items():
        peers = [c for c in feedback.comparisons if c.dimension == dimension]
        rows.append({"dimension": dimension, "label": label, "score": feedback.scores[dimension],
                     "peers": peers})
    change = None if previous is None else firm_change(
        responses, questionnaire, feedback.response_id, previous, labels, language=language,
        min_peers=min_peers)
    html = render_template("firm.html.j2", {
        "change": change,
        "lang": language,
        "f": lambda key, **values: feedback_text(key, language, **values),
        "t": lambda key, **values: text(key, language, **values),
        "feedback": feedback,
        "rows": rows,
        "min_peers": min_peers,
        "survey": questionnaire.title.in_language(lang),
        "practices": feedback.practices.to_dict("records")
        if feedback.practices is not None else None,
    })
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"firm-{file_name_part(str(feedback.response_id))}.html"
    path.write_text(html, encoding="utf-8")
    return path


def file_name_part(text: str, limit: int = 100) -> str:
    """`text` as part of a file name on any system: unchanged when it is already safe; else
    with unsafe characters (`/`, `:`, controls, ...) replaced, cut to `limit` bytes, and a
    short hash of the whole text added, so two ids never share a file."""
    import hashlib

    safe = _UNSAFE_IN_FILE_NAMES.sub("_", text).strip(". ")
    if safe == text and len(text.encode("utf-8")) <= limit:
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    while len(safe.encode("utf-8")) > limit - len(digest) - 1:
        safe = safe[:-1]
    return f"{safe}-{digest}" if safe else digest


def firm_change(responses: pd.DataFrame, questionnaire: Questionnaire, response_id: str,
                previous: PreviousWave, labels: Mapping[str, str], *, language: str,
                min_peers: int = MIN_PEERS) -> dict:
    """The firm page's change section: the firm's scores in both waves and its peers' mean
    change (other firms of both waves in its industry, its size class, and all)."""
    from dmsurvey.reporting.change import change_text, compare_with_previous, firm_change_rows
    from dmsurvey.reporting.figures import size_class_label

    tables, waves = compare_with_previous(responses, questionnaire, previous, language)
    changes = tables["firm_changes"]
    mine = changes[changes["later_id"] == response_id]
    texts = {"title": change_text("firm_section", language, earlier=waves[0]),
             "your_change": change_text("your_change", language),
             "peer_change": change_text("peer_change", language), "waves": waves}
    if mine.empty:
        return texts | {"rows": None,
                        "intro": change_text("firm_not_in_panel", language, earlier=waves[0])}
    industry, size = mine["industry"].iloc[0], mine["size_class"].iloc[0]
    lang = questionnaire.label_language(language)
    groups = []
    if isinstance(industry, str) and "industry" in questionnaire:
        question = questionnaire.question("industry")
        label = (question.choice(industry).label.in_language(lang)
                 if industry in question.choice_codes else industry)
        groups.append((feedback_text("group:industry", language, group=label), "industry",
                       industry))
    if isinstance(size, str):
        groups.append((feedback_text("group:size_class", language,
                                     group=size_class_label(size, language)), "size_class", size))
    groups.append((feedback_text("group:all", language), None, None))
    rows = firm_change_rows(tables, response_id, dict(labels), groups, min_peers=min_peers)
    return texts | {"rows": rows, "intro": change_text(
        "firm_intro", language, earlier=waves[0], later=waves[1], min_peers=min_peers)}
