"""Data-quality checks of stored responses: what `dmsurvey validate` reports.

    >>> issues = quality_issues(study.responses(status=None), study.questionnaire)
    >>> issues.groupby("check").size()

One tidy row per issue (`check, severity, response_id, form_number, question, value,
message`), the message in the language asked for (English or Chinese). Checks: stored answers
the questionnaire's answer checker refuses (a wrong type, an unknown choice, a broken
constraint such as a negative number of employees: whatever got in before a rule existed),
required answers left blank in finished responses (item non-response: a warning, listed per
question), answers the skip logic says were never asked, implausible values (a ratio such as
revenue per employee far from the other firms', by a robust z-score on the log scale), likely
duplicate firms (identical answers, else the same name once case, spaces and punctuation are
ignored: one issue per pair, on the later response), and unfinished interviews. In a study,
the instances of repeat sections are checked too: their stored answers (named
`repeat[instance].question`, as in the audit trail), and how many a response has where the
repeat's count is a number or a question asked once.
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
from dmsurvey.wording import plural, translated

ISSUE_COLUMNS = ["check", "severity", "response_id", "form_number", "question", "value", "message"]
# What a check without findings gives: one frame shared by the checks of thousands of
# questions (only ever concatenated, never changed).
NO_ISSUES = pd.DataFrame(columns=ISSUE_COLUMNS)
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
SEVERITY_NOUNS = {"info": "note"}
# (numerator, denominator, what the ratio is called): used where both questions exist.
DEFAULT_RATIOS = (
    ("revenue_2019", "employees_2019", {"en": "revenue per employee", "zh": "人均营业收入"}),
    ("assets_2019", "employees_2019", {"en": "assets per employee", "zh": "人均资产"}),
)
# The messages of the checks, written in each language the reports speak.
MESSAGES = {
    "invalid_answer": {"en": "{message}; expected {expected}",
                       "zh": "{message}；应为：{expected}"},
    "missing_required": {"en": "required answer left blank in a complete response{reason}",
                         "zh": "已完成问卷中必答题未作答{reason}"},
    "not_relevant": {"en": "answered although the skip logic says it is not asked",
                     "zh": "按跳转逻辑无需作答却有答案"},
    "implausible": {"en": "{ratio} far from the other firms (robust z {z:+.1f} on a log "
                          "scale; median {median:.3g})",
                    "zh": "{ratio}与其他企业差异过大"
                          "（对数尺度稳健z值{z:+.1f}；中位数{median:.3g}）"},
    "duplicate_answers": {"en": "identical answers to {ids}",
                          "zh": "答案与以下问卷完全相同：{ids}"},
    "duplicate_name": {"en": "same firm name as {ids}", "zh": "企业名称与以下问卷相同：{ids}"},
    "unreconciled": {"en": "paper form keyed twice: it counts once settled with "
                           "`dmsurvey reconcile`",
                     "zh": "纸质问卷录入两次：用 dmsurvey reconcile 核对后计为一份"},
    "unfinished": {"en": "interview not finished: {count} of {total} answered",
                   "zh": "访问未完成：{total}题中已答{count}题"},
    # What the answer checker says is wrong with a stored answer.
    "not allowed": {"en": "not allowed", "zh": "不符合规则"},
    "not a number": {"en": "not a number", "zh": "不是数字"},
    "not a whole number": {"en": "not a whole number", "zh": "不是整数"},
    "not a finite number": {"en": "not a finite number", "zh": "不是有限数值"},
    "unknown choice": {"en": "unknown choice", "zh": "未知选项"},
    "blank_by_question": {"en": "{question}: {firms} left it blank: {ids}",
                          "zh": "{question}：{firms}家企业未作答：{ids}"},
    "repeat_count": {"en": "{count} asks for {expected} of {repeat} but {stored} stored",
                     "zh": "按{count}应有{expected}个{repeat}，实际保存{stored}个"},
}
# Modified z-score (Iglewicz and Hoaglin): 0.6745 (x - median) / MAD; beyond 3.5 is an outlier.
ROBUST_Z_LIMIT = 3.5
MIN_FOR_OUTLIERS = 8
NAME_QUESTION = "firm_name"
# Fewer answers than this and identical answers say little about being the same firm.
MIN_ANSWERS_FOR_DUPLICATE = 5
SHOWN_DUPLICATES = 5
UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def validate_study(study_or_path, **options) -> pd.DataFrame:
    """`quality_issues` of every response of a study (a `Study` or its folder).

    Stored answers are judged as the store holds them, before they are typed, so that one
    the questionnaire refuses is reported rather than stopping the check."""
    from dmsurvey.questionnaire.answer_columns import stored_problems
    from dmsurvey.store.frames import stored_responses
    from dmsurvey.store.importing import not_asked
    from dmsurvey.store.study import Study, open_study

    study = study_or_path if isinstance(study_or_path, Study) else open_study(
        os.fspath(study_or_path))
    raw = study.stored_rows()
    raw = raw[raw["status"].astype("str") != "void"].reset_index(drop=True)
    language = study.questionnaire.label_language(options.get("language", "en"))
    invalid = stored_problems(raw, study.questionnaire, language)
    cleaned = raw.copy()
    for column, positions in invalid.groupby("column")["position"]:
        cleaned.loc[positions.to_numpy(dtype=int), column] = None
    data = stored_responses(cleaned.to_dict("series"), study.questionnaire)
    invalid["value"] = invalid["value"].astype(object)
    words = "zh" if str(options.get("language", "en")).startswith("zh") else "en"
    return quality_issues(data, study.questionnaire, invalid=invalid,
                          not_asked=not_asked(study),
                          repeat_issues=_repeat_issues(study, raw, language, words), **options)


def _repeat_issues(study, raw: pd.DataFrame, language: str, words: str) -> list[pd.DataFrame]:
    """Issues of the instances of repeat sections of the responses in `raw` (not void)."""
    from dmsurvey.questionnaire.answer_columns import stored_problems
    from dmsurvey.store.instances import repeat_questionnaire

    questionnaire = study.questionnaire
    parts = []
    for section in questionnaire.repeats:
        rows = study.repeat_rows(section.id)
        rows = rows[rows["response_id"].isin(raw["response_id"])].reset_index(drop=True)
        invalid = stored_problems(rows.astype(object), repeat_questionnaire(questionnaire,
                                                                            section), language)
        if not invalid.empty:
            positions = invalid["position"].to_numpy(dtype=int)
            keys = rows["instance_key"].to_numpy(dtype=object)[positions]
            named = invalid.assign(
                position=positions, column=[f"{section.id}[{key}].{column}" for key, column in
                                            zip(keys, invalid["column"], strict=True)])
            named["value"] = named["value"].astype(object)
            forms = raw.set_index("response_id")["form_number"]
            parts.append(_invalid_issues(rows.assign(form_number=rows["response_id"].map(forms)),
                                         named, words))
        parts.append(_instance_counts(section, rows, raw, questionnaire, words))
    return parts


def _instance_counts(section, rows: pd.DataFrame, raw: pd.DataFrame, questionnaire,
                     words: str) -> pd.DataFrame:
    """Complete responses with another number of instances than the repeat's count asks
    for, where the count is a whole number or a question asked once (`${n_members}`)."""
    count = (section.repeat.count or "").strip()
    named = re.fullmatch(r"\$\{(\w[\w.-]*)\}", count)
    if section.repeat.within is not None or not (count.isdigit() or (
            named and named.group(1) in questionnaire)):
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    complete = raw[raw["status"].astype("str") == "complete"].reset_index(drop=True)
    if named:
        expected = pd.to_numeric(complete[named.group(1)], errors="coerce")
    else:
        expected = pd.Series(float(count), index=complete.index)
    stored = complete["response_id"].map(rows["response_id"].value_counts()).fillna(0)
    differs = (expected.notna() & (expected != stored)).to_numpy()
    what = named.group(1) if named else count
    return _issues(complete, differs, "repeat_count", "warning", section.id, stored.astype(int),
                   [translated(MESSAGES, "repeat_count", words, count=what, expected=int(e),
                               repeat=section.id, stored=int(n))
                    if e == e else "" for e, n in zip(expected, stored, strict=True)])


def quality_issues(
    data: pd.DataFrame,
    questionnaire: Questionnaire,
    *,
    ratios=DEFAULT_RATIOS,
    z_limit: float = ROBUST_Z_LIMIT,
    language: str | None = "en",
    invalid: pd.DataFrame | None = None,
    not_asked: set[tuple[str, str]] = frozenset(),
    repeat_issues: list[pd.DataFrame] = (),
) -> pd.DataFrame:
    """Every data-quality issue in typed responses (as `Study.responses()` gives them).

    `language`: of the messages, and of the questionnaire's own messages quoted in them.
    `invalid`: the stored answers the answer checker refuses, as `stored_problems` lists
    them for these rows without void responses (found here when not given). `not_asked`:
    (response id, question) pairs the instrument of a response did not ask (its file had no
    column for the question): not counted as required answers left blank. `repeat_issues`:
    issues of the instances of repeat sections (`validate_study` finds them), listed too.
    """
    from dmsurvey.questionnaire.answer_columns import relevance, stored_problems

    words = "zh" if str(language).startswith("zh") else "en"
    language = questionnaire.label_language(language)
    data = data.reset_index(drop=True)
    if "status" in data:
        data = data[data["status"].astype("str") != "void"].reset_index(drop=True)
    status = data["status"].astype("str") if "status" in data else pd.Series("complete",
                                                                               index=data.index)
    if invalid is None:
        invalid = stored_problems(data, questionnaire, language=language)
    parts = [_invalid_issues(data, invalid, words)]
    known: dict[str, np.ndarray] = {}
    for question in questionnaire.answerable:
        if question.id not in data:
            continue
        answered = data[question.id].notna().to_numpy()
        applies = relevance(data, questionnaire, question, known)
        if question.required:
            missing = applies & ~answered & (status == "complete").to_numpy()
            if not_asked:
                missing &= ~np.array([(rid, question.id) in not_asked
                                      for rid in _column(data, "response_id")], dtype=bool)
            reason = ((": " if words == "en" else "：")
                      + question.required_message.in_language(language)
                      if question.required_message else "")
            parts.append(_issues(data, missing, "missing_required", "warning", question.id,
                                 None, translated(MESSAGES, "missing_required", words,
                                                  reason=reason)))
        asked_not = answered & ~applies
        parts.append(_issues(
            data, asked_not, "not_relevant", "warning", question.id, data[question.id],
            translated(MESSAGES, "not_relevant", words),
        ))
    parts += list(repeat_issues)
    parts += _implausible(data, questionnaire, ratios, z_limit, words)
    parts += _duplicates(data, questionnaire, words)
    in_progress = (status == "in_progress").to_numpy()
    keyed_twice, second_keying = _double_keyed(data)
    parts.append(_issues(
        data, in_progress & keyed_twice & ~second_keying, "unreconciled", "info", None, None,
        translated(MESSAGES, "unreconciled", words)))
    unfinished = in_progress & ~keyed_twice
    answers = [q.id for q in questionnaire.answerable if q.id in data]
    counts = data[answers].notna().sum(axis=1).to_numpy() if answers else np.zeros(len(data))
    total = plural(len(answers), "question") if words == "en" else f"{len(answers):,}"
    parts.append(_issues(
        data, unfinished, "unfinished", "info", None, None,
        [translated(MESSAGES, "unfinished", words, count=count, total=total)
         for count in counts],
    ))
    issues = pd.concat([p for p in parts if not p.empty] or [pd.DataFrame(columns=ISSUE_COLUMNS)],
                       ignore_index=True)
    order = issues["severity"].map(SEVERITY_ORDER)
    issues = issues.assign(_order=order).sort_values(["_order", "check"], kind="stable")
    return issues.drop(columns="_order").reset_index(drop=True)[ISSUE_COLUMNS]


def _invalid_issues(data: pd.DataFrame, invalid: pd.DataFrame, words: str) -> pd.DataFrame:
    """One error per stored answer the questionnaire's answer checker refuses."""
    if invalid.empty:
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    rows = invalid["position"].to_numpy(dtype=int)
    return pd.DataFrame({
        "check": "invalid_answer",
        "severity": "error",
        "response_id": _column(data, "response_id")[rows],
        "form_number": _column(data, "form_number")[rows],
        "question": invalid["column"].to_numpy(dtype=object),
        "value": invalid["value"].to_numpy(dtype=object),
        "message": [translated(MESSAGES, "invalid_answer", words,
                               message=translated(MESSAGES, message, words)
                               if message in MESSAGES else message, expected=expected)
                    for message, expected in zip(invalid["message"], invalid["expected"],
                                                 strict=True)],
    })


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
        return NO_ISSUES

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


def _implausible(data, questionnaire, ratios, z_limit, words="en") -> list[pd.DataFrame]:
    parts = []
    for numerator, denominator, name in ratios:
        if not isinstance(name, str):
            name = name.get(words) or name["en"]
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
            [translated(MESSAGES, "implausible", words, ratio=name, z=value, median=median)
             if not np.isnan(value) else "" for value in z.to_numpy()],
        ))
    return parts


def _duplicates(data, questionnaire, words="en") -> list[pd.DataFrame]:
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
    parts = [_same_as(data, answer_keys, ids, "duplicate_answers", None, None, words)]
    if NAME_QUESTION in data:
        names = data[NAME_QUESTION].astype("str").str.casefold().str.replace(
            r"[\W_]+", "", regex=True)
        names = names.where(first_entries & (names.fillna("") != "").to_numpy())
        parts.append(_same_as(data, names, ids, "duplicate_name", NAME_QUESTION,
                              data[NAME_QUESTION], words, stronger=answer_keys))
    return parts


def _same_as(data, keys: pd.Series, ids, check, question, values, words,
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
                messages[position] = translated(MESSAGES, check, words, ids=", ".join(
                    short_id(ids[other]) for other in earlier))
    return _issues(data, flagged, check, "warning", question, values, messages)


def _same_key(keys: pd.Series, first: int, second: int) -> bool:
    one, other = keys.iloc[first], keys.iloc[second]
    return not (pd.isna(one) or pd.isna(other)) and bool(one == other)


def short_id(response_id) -> str:
    """A response id as the terminal shows it: the first block of a UUID, other ids whole."""
    text = str(response_id)
    return text[:8] if UUID_PATTERN.fullmatch(text) else text


def issue_lines(issues: pd.DataFrame, width: int = 80, language: str | None = "en") -> list[str]:
    """The issues as lines for a terminal `width` columns wide, grouped by severity.

    Each issue is one entry: the response (`short_id`) and form number, the question and
    value, then the message; long entries wrap under their own indent. Required questions
    left blank make one entry per question, naming the firms (item non-response is read
    per question: its base shrinks by that many).
    """
    import textwrap

    words = "zh" if str(language).startswith("zh") else "en"
    lines: list[str] = []
    for severity, group in issues.groupby("severity", sort=False):
        lines.append(f"{plural(len(group), SEVERITY_NOUNS.get(severity, str(severity)))}:")
        entries = []
        blank = group[group["check"] == "missing_required"]
        for question, rows in blank.groupby("question", sort=False):
            entries.append(translated(MESSAGES, "blank_by_question", words, question=question,
                                      firms=_firms(len(rows), words), ids=", ".join(
                                          short_id(rid) for rid in rows["response_id"])))
        rest = group[group["check"] != "missing_required"]
        for row in rest.astype(object).where(rest.notna(), None).itertuples(index=False):
            where = short_id(row.response_id)
            if row.form_number is not None:
                where += f" (form {row.form_number})"
            subject = str(row.question) if row.question is not None else ""
            if row.value is not None and row.value != "":
                subject += f" = {row.value}" if subject else str(row.value)
            entries.append(f"{where} {subject}: {row.message}" if subject
                           else f"{where}: {row.message}")
        for entry in entries:
            lines += textwrap.wrap(printable(entry), width=max(width, 40) - 1, initial_indent="  ",
                                   subsequent_indent="    ", break_on_hyphens=False)
    return lines


def _firms(count: int, words: str) -> str:
    return plural(count, "firm") if words == "en" else f"{count:,}"
