"""Data-quality checks of stored responses: what `dmsurvey validate` reports.

    >>> issues = quality_issues(study.responses(status=None), study.questionnaire)
    >>> issues.groupby("check").size()

One tidy row per issue (`check, severity, response_id, form_number, question, value,
message`). Checks: required answers missing from finished responses, answers the skip logic
says were never asked, implausible values (a ratio such as revenue per employee far from the
other firms', by a robust z-score on the log scale), likely duplicate firms (identical answers,
else the same name once case, spaces and punctuation are ignored: one issue per pair, on the
later response), and unfinished interviews.
Void responses are left out; duplicates are looked for among first entries only, since the
second entry of a paper form is meant to repeat the first.
"""

from __future__ import annotations

import os
import re
from itertools import islice

import numpy as np
import pandas as pd

from dmsurvey.questionnaire.model import Questionnaire
from dmsurvey.questionnaire.values import printable
from dmsurvey.wording import plural

ISSUE_COLUMNS = ["check", "severity", "response_id", "form_number", "question", "value", "message"]
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
SEVERITY_NOUNS = {"info": "note"}
# (numerator, denominator, what the ratio is called): used where both questions exist.
DEFAULT_RATIOS = (
    ("revenue_2019", "employees_2019", "revenue per employee"),
    ("assets_2019", "employees_2019", "assets per employee"),
)
# Modified z-score (Iglewicz and Hoaglin): 0.6745 (x - median) / MAD; beyond 3.5 is an outlier.
ROBUST_Z_LIMIT = 3.5
MIN_FOR_OUTLIERS = 8
NAME_QUESTION = "firm_name"
# Fewer answers than this and identical answers say little about being the same firm.
MIN_ANSWERS_FOR_DUPLICATE = 5
SHOWN_DUPLICATES = 5
UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def validate_study(study_or_path, **options) -> pd.DataFrame:
    """`quality_issues` of every response of a study (a `Study` or its folder)."""
    from dmsurvey.store.study import Study, open_study

    study = study_or_path if isinstance(study_or_path, Study) else open_study(
        os.fspath(study_or_path))
    return quality_issues(study.responses(status=None), study.questionnaire, **options)


def quality_issues(
    data: pd.DataFrame,
    questionnaire: Questionnaire,
    *,
    ratios=DEFAULT_RATIOS,
    z_limit: float = ROBUST_Z_LIMIT,
    language: str | None = "en",
) -> pd.DataFrame:
    """Every data-quality issue in typed responses (as `Study.responses()` gives them).

    `language`: of the questionnaire's own messages quoted in issues (required answers).
    """
    from dmsurvey.questionnaire.answer_columns import relevance

    language = questionnaire.label_language(language)
    data = data.reset_index(drop=True)
    if "status" in data:
        data = data[data["status"].astype("str") != "void"].reset_index(drop=True)
    status = data["status"].astype("str") if "status" in data else pd.Series("complete",
                                                                               index=data.index)
    parts = []
    for question in questionnaire.answerable:
        if question.id not in data:
            continue
        answered = data[question.id].notna().to_numpy()
        applies = relevance(data, questionnaire, question)
        if question.required:
            missing = applies & ~answered & (status == "complete").to_numpy()
            reason = (f": {question.required_message.in_language(language)}"
                      if question.required_message else "")
            parts.append(_issues(data, missing, "missing_required", "error", question.id,
                                 None, f"required answer missing in a complete response{reason}"))
        asked_not = answered & ~applies
        parts.append(_issues(
            data, asked_not, "not_relevant", "warning", question.id, data[question.id],
            "answered although the skip logic says it is not asked",
        ))
    parts += _implausible(data, questionnaire, ratios, z_limit)
    parts += _duplicates(data, questionnaire)
    in_progress = (status == "in_progress").to_numpy()
    keyed_twice, second_keying = _double_keyed(data)
    parts.append(_issues(
        data, in_progress & keyed_twice & ~second_keying, "unreconciled", "info", None, None,
        "paper form keyed twice: it counts once settled with `dmsurvey reconcile`"))
    unfinished = in_progress & ~keyed_twice
    answers = [q.id for q in questionnaire.answerable if q.id in data]
    counts = data[answers].notna().sum(axis=1).to_numpy() if answers else np.zeros(len(data))
    parts.append(_issues(
        data, unfinished, "unfinished", "info", None, None,
        [f"interview not finished: {count} of {plural(len(answers), 'question')} answered"
         for count in counts],
    ))
    issues = pd.concat([p for p in parts if not p.empty] or [pd.DataFrame(columns=ISSUE_COLUMNS)],
                       ignore_index=True)
    order = issues["severity"].map(SEVERITY_ORDER)
    issues = issues.assign(_order=order).sort_values(["_order", "check"], kind="stable")
    return issues.drop(columns="_order").reset_index(drop=True)[ISSUE_COLUMNS]


def _double_keyed(data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Rows of paper forms with a second keying, and which rows are second keyings."""
    if "entry" not in data or "form_number" not in data:
        none = np.zeros(len(data), dtype=bool)
        return none, none
    entry = pd.to_numeric(data["entry"], errors="coerce").fillna(1)
    second = (entry > 1).to_numpy()
    forms = data["form_number"].astype("object")
    rekeyed = set(forms[second & forms.notna().to_numpy()])
    return forms.isin(rekeyed).to_numpy() & forms.notna().to_numpy(), second


def _issues(data, mask, check, severity, question, values, message) -> pd.DataFrame:
    mask = np.asarray(mask, dtype=bool)
    rows = np.flatnonzero(mask)
    if not len(rows):
        return pd.DataFrame(columns=ISSUE_COLUMNS)

    def pick(value):
        if isinstance(value, pd.Series | np.ndarray | list):
            return np.asarray(value, dtype=object)[rows]
        return value

    return pd.DataFrame({
        "check": check,
        "severity": severity,
        "response_id": _column(data, "response_id")[rows],
        "form_number": _column(data, "form_number")[rows],
        "question": question,
        "value": pick(values) if values is not None else None,
        "message": pick(message),
    })


def _column(data, name) -> np.ndarray:
    if name in data:
        return data[name].astype(object).where(data[name].notna(), None).to_numpy()
    return np.full(len(data), None, dtype=object)


def robust_z(values: pd.Series) -> pd.Series:
    """Modified z-score: 0.6745 (x - median) / MAD (NaN where the MAD is 0)."""
    median = values.median()
    mad = (values - median).abs().median()
    if not mad or np.isnan(mad):
        return pd.Series(np.nan, index=values.index)
    return 0.6745 * (values - median) / mad


def _implausible(data, questionnaire, ratios, z_limit) -> list[pd.DataFrame]:
    parts = []
    for numerator, denominator, name in ratios:
        if numerator not in data or denominator not in data:
            continue
        top = pd.to_numeric(data[numerator], errors="coerce").astype("float64")
        bottom = pd.to_numeric(data[denominator], errors="coerce").astype("float64")
        usable = (top > 0) & (bottom > 0)
        if usable.sum() < MIN_FOR_OUTLIERS:
            continue
        ratio = (top / bottom).where(usable)
        z = robust_z(np.log(ratio[usable])).reindex(data.index)
        flagged = (z.abs() > z_limit).fillna(False).to_numpy()
        median = ratio[usable].median()
        parts.append(_issues(
            data, flagged, "implausible", "warning", f"{numerator}/{denominator}",
            ratio.round(3),
            [f"{name} far from the other firms (robust z {value:+.1f} on a log scale; median "
             f"{median:.3g})" if not np.isnan(value) else "" for value in z.to_numpy()],
        ))
    return parts


def _duplicates(data, questionnaire) -> list[pd.DataFrame]:
    """One warning per pair of likely duplicates, on the later response of the pair.

    The reason given is the strongest that holds: identical answers, else the same firm name.
    """
    if "entry" in data:
        first_entries = (data["entry"].fillna(1) == 1).to_numpy(dtype=bool)
    else:
        first_entries = np.ones(len(data), dtype=bool)
    ids = _column(data, "response_id")
    answer_keys = pd.Series(pd.NA, index=data.index, dtype="object")
    answers = [q.id for q in questionnaire.answerable if q.id in data and q.id != NAME_QUESTION]
    if answers:
        enough = (data[answers].notna().sum(axis=1) >= MIN_ANSWERS_FOR_DUPLICATE).to_numpy()
        keys = pd.util.hash_pandas_object(data[answers].astype("str"), index=False)
        answer_keys = keys.astype("UInt64").where(first_entries & enough)
    parts = [_same_as(data, answer_keys, ids, "duplicate_answers", None, None,
                      "identical answers to")]
    if NAME_QUESTION in data:
        names = data[NAME_QUESTION].astype("str").str.casefold().str.replace(
            r"[\W_]+", "", regex=True)
        names = names.where(first_entries & (names.fillna("") != "").to_numpy())
        parts.append(_same_as(data, names, ids, "duplicate_name", NAME_QUESTION,
                              data[NAME_QUESTION], "same firm name as", stronger=answer_keys))
    return parts


def _same_as(data, keys: pd.Series, ids, check, question, values, wording,
             stronger: pd.Series | None = None) -> pd.DataFrame:
    """An issue on each response sharing a key with earlier ones, naming those.

    Pairs that also share a `stronger` key are left to the issue of that stronger reason.
    """
    shared = keys.notna() & keys.duplicated(keep=False)
    messages = np.full(len(data), "", dtype=object)
    flagged = np.zeros(len(data), dtype=bool)
    for _, members in keys[shared].groupby(keys[shared]):
        positions = members.index.tolist()
        for later, position in enumerate(positions[1:], start=1):
            # Large groups (a common firm name) name only the first few, so stop looking there.
            earlier = list(islice((
                other for other in positions[:later]
                if stronger is None or not _same_key(stronger, other, position)
            ), SHOWN_DUPLICATES))
            if earlier:
                flagged[position] = True
                messages[position] = f"{wording} " + ", ".join(
                    short_id(ids[other]) for other in earlier)
    return _issues(data, flagged, check, "warning", question, values, messages)


def _same_key(keys: pd.Series, first: int, second: int) -> bool:
    one, other = keys.iloc[first], keys.iloc[second]
    return not (pd.isna(one) or pd.isna(other)) and bool(one == other)


def short_id(response_id) -> str:
    """A response id as the terminal shows it: the first block of a UUID, other ids whole."""
    text = str(response_id)
    return text[:8] if UUID_PATTERN.fullmatch(text) else text


def issue_lines(issues: pd.DataFrame, width: int = 80) -> list[str]:
    """The issues as lines for a terminal `width` columns wide, grouped by severity.

    Each issue is one entry: the response (`short_id`) and form number, the
    question and value, then the message; long entries wrap under their own indent.
    """
    import textwrap

    lines: list[str] = []
    indent = "    "
    for severity, group in issues.groupby("severity", sort=False):
        lines.append(f"{plural(len(group), SEVERITY_NOUNS.get(severity, str(severity)))}:")
        for row in group.astype(object).where(group.notna(), None).itertuples(index=False):
            where = short_id(row.response_id)
            if row.form_number is not None:
                where += f" (form {row.form_number})"
            subject = str(row.question) if row.question is not None else ""
            if row.value is not None and row.value != "":
                subject += f" = {row.value}" if subject else str(row.value)
            text = f"{where} {subject}: {row.message}" if subject else f"{where}: {row.message}"
            lines += textwrap.wrap(printable(text), width=max(width, 40) - 1, initial_indent="  ",
                                   subsequent_indent=indent, break_on_hyphens=False)
    return lines
