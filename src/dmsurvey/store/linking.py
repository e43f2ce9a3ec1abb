"""Link the firms of two survey waves: the same firm answering an earlier and a later study.

Firms are linked by the questionnaire's firm key (a question marked `firm_key`, such as the
unified social credit code) where both waves have it. For every later firm left over, the
earlier firms it might be are proposed with a score from its name, respondent and size, for
a person to confirm in the links file (`confirm` = yes). Only key matches and confirmed
proposals count as links (`confirmed_links`); nothing is linked on a score alone.

Names are compared after normalisation: Unicode NFKC (full-width brackets and letters become
ordinary ones), no spaces or punctuation, no bracketed parts, and no legal-form words
(有限公司, 股份有限公司, Co., Ltd. ...), so "上海瑞丰信息科技股份有限公司" and
"瑞丰信息科技（上海）有限公司" come out nearly the same.
"""

from __future__ import annotations

import math
import re
import unicodedata
from difflib import SequenceMatcher
from pathlib import Path
from typing import TYPE_CHECKING

from dmsurvey.errors import DataError, Problem
from dmsurvey.questionnaire.formats import NORMALISERS

if TYPE_CHECKING:
    import pandas as pd

    from dmsurvey.questionnaire.model import Questionnaire
    from dmsurvey.store.study import Study

LINK_COLUMNS = (
    "earlier_id", "later_id", "match", "score", "rank", "confirm",
    "earlier_firm", "later_firm", "earlier_respondent", "later_respondent",
    "earlier_size", "later_size",
)
# How much each clue weighs in a proposal's score (0-1).
SCORE_WEIGHTS = {"name": 0.6, "size": 0.25, "respondent": 0.15}
# A clue that one of the two firms did not give counts as half agreeing.
UNKNOWN_CLUE = 0.5
PROPOSALS_PER_FIRM = 3
MIN_SCORE = 0.4
CONFIRMED = {"yes", "y", "true", "1", "是", "x"}
DECLINED = {"", "no", "n", "false", "0", "否"}

_LEGAL_FORMS = re.compile(
    r"(股份有限公司|有限责任公司|有限公司|集团|股份|"
    r"\bco\b|\bcompany\b|\bltd\b|\blimited\b|\binc\b|\bcorp(oration)?\b|\bllc\b|\bgmbh\b)"
)
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】")


def normalised_firm_name(name: object) -> str:
    """The firm name reduced to what identifies the firm (see the module notes)."""
    if name is None or (isinstance(name, float) and math.isnan(name)):
        return ""
    text = unicodedata.normalize("NFKC", str(name)).lower()
    text = _BRACKETED.sub("", text)
    text = _LEGAL_FORMS.sub("", text)
    return "".join(character for character in text if character.isalnum())


def _normalised_person(name: object) -> str:
    if name is None or (isinstance(name, float) and math.isnan(name)):
        return ""
    return "".join(unicodedata.normalize("NFKC", str(name)).split()).lower()


def _size_agreement(earlier: float, later: float) -> float:
    """1 for the same size, falling with the ratio: half at a factor of 2."""
    if not (math.isfinite(earlier) and math.isfinite(later)) or earlier < 0 or later < 0:
        return UNKNOWN_CLUE
    return 0.5 ** abs(math.log2((later + 1) / (earlier + 1)))


def _firm_keys(frame: pd.DataFrame, questionnaire: Questionnaire) -> pd.Series:
    """Each response's firm key, normalised; missing where it has none."""
    import pandas as pd

    question = questionnaire.firm_key
    if question is None or question.id not in frame:
        return pd.Series(pd.NA, index=frame.index, dtype="object")
    normalise = NORMALISERS.get(question.format or "", lambda text: str(text).strip())
    return frame[question.id].map(lambda value: normalise(value) if pd.notna(value) and
                                  str(value).strip() else pd.NA).astype("object")


def link_firms(
    earlier: pd.DataFrame,
    later: pd.DataFrame,
    *,
    earlier_questionnaire: Questionnaire,
    later_questionnaire: Questionnaire | None = None,
    name: str = "firm_name",
    respondent: str = "respondent_name",
    size: str = "employees_2019",
) -> pd.DataFrame:
    """Key matches and scored proposals between two waves' responses (LINK_COLUMNS).

    `earlier` and `later` hold one response per firm with `response_id`; `name`,
    `respondent` and `size` are the columns compared for firms without a matching key
    (any of them may be absent). Key matches are confirmed; proposals have an empty
    `confirm`, ranked per later firm by score.
    """
    import pandas as pd

    later_questionnaire = later_questionnaire or earlier_questionnaire
    before = _clues(earlier, earlier_questionnaire, name, respondent, size)
    after = _clues(later, later_questionnaire, name, respondent, size)
    keyed = before.dropna(subset=["key"]).drop_duplicates("key").merge(
        after.dropna(subset=["key"]).drop_duplicates("key"), on="key",
        suffixes=("_earlier", "_later"))
    rows = [_row(pair, "key", 1.0, 1, "yes") for pair in keyed.to_dict("records")]
    open_before = before[~before["response_id"].isin(keyed["response_id_earlier"])]
    open_after = after[~after["response_id"].isin(keyed["response_id_later"])]
    for firm in open_after.to_dict("records"):
        candidates = []
        for other in open_before.to_dict("records"):
            # Two different keys are two different firms, whatever their names.
            if pd.notna(firm["key"]) and pd.notna(other["key"]):
                continue
            candidates.append((_score(other, firm), other))
        candidates.sort(key=lambda scored: -scored[0])
        for rank, (score, other) in enumerate(candidates[:PROPOSALS_PER_FIRM], start=1):
            if score < MIN_SCORE:
                break
            pair = {f"{column}_earlier": value for column, value in other.items()}
            pair |= {f"{column}_later": value for column, value in firm.items()}
            rows.append(_row(pair, "proposed", score, rank, ""))
    return pd.DataFrame(rows, columns=list(LINK_COLUMNS))


def _clues(frame: pd.DataFrame, questionnaire: Questionnaire, name: str, respondent: str,
           size: str) -> pd.DataFrame:
    import pandas as pd

    def column(column_name: str) -> pd.Series:
        if column_name in frame:
            return frame[column_name].astype("object")
        return pd.Series(None, index=frame.index, dtype="object")

    return pd.DataFrame({
        "response_id": frame["response_id"].astype("object"),
        "key": _firm_keys(frame, questionnaire),
        "firm": column(name),
        "firm_normalised": column(name).map(normalised_firm_name),
        "respondent": column(respondent),
        "respondent_normalised": column(respondent).map(_normalised_person),
        "size": pd.to_numeric(column(size), errors="coerce").astype(float),
    }).reset_index(drop=True)


def _score(earlier: dict, later: dict) -> float:
    if earlier["firm_normalised"] and later["firm_normalised"]:
        name = SequenceMatcher(None, earlier["firm_normalised"], later["firm_normalised"]).ratio()
    else:
        name = UNKNOWN_CLUE
    if earlier["respondent_normalised"] and later["respondent_normalised"]:
        respondent = float(earlier["respondent_normalised"] == later["respondent_normalised"])
    else:
        respondent = UNKNOWN_CLUE
    size = _size_agreement(earlier["size"], later["size"])
    clues = {"name": name, "size": size, "respondent": respondent}
    return round(sum(SCORE_WEIGHTS[clue] * value for clue, value in clues.items()), 3)


def _row(pair: dict, match: str, score: float, rank: int, confirm: str) -> dict:
    def size(value) -> object:
        if value is None or not math.isfinite(value):
            return None
        return int(value) if float(value).is_integer() else value

    return {
        "earlier_id": pair["response_id_earlier"], "later_id": pair["response_id_later"],
        "match": match, "score": score, "rank": rank, "confirm": confirm,
        "earlier_firm": pair["firm_earlier"], "later_firm": pair["firm_later"],
        "earlier_respondent": pair["respondent_earlier"],
        "later_respondent": pair["respondent_later"],
        "earlier_size": size(pair["size_earlier"]), "later_size": size(pair["size_later"]),
    }


def link_studies(earlier: Study, later: Study) -> pd.DataFrame:
    """`link_firms` on the complete responses of two studies."""
    return link_firms(earlier.responses(), later.responses(),
                      earlier_questionnaire=earlier.questionnaire,
                      later_questionnaire=later.questionnaire)


def write_links(links: pd.DataFrame, path: str | Path) -> Path:
    """Write the links file for a person to confirm (UTF-8 with BOM, so Excel reads it)."""
    from dmsurvey.store.exporting import write_atomically

    path = Path(path)
    write_atomically(path, lambda tmp: links.to_csv(tmp, index=False, encoding="utf-8-sig"))
    return path


def confirmed_links(path: str | Path) -> pd.DataFrame:
    """The links that count in a links file: key matches and confirmed proposals.

    Returns `earlier_id, later_id, match`. A `confirm` cell other than yes/no/blank, or a
    firm confirmed twice on the same side, is refused naming the rows.
    """
    import pandas as pd

    path = Path(path)
    links = pd.read_csv(path, dtype="str", keep_default_na=False, encoding="utf-8-sig")
    missing = [column for column in ("earlier_id", "later_id", "match", "confirm")
               if column not in links]
    if missing:
        raise DataError(f"{path} is not a links file", [Problem(
            "missing columns", file=str(path), value=", ".join(missing),
            expected="the file written by `dmsurvey link`")])
    confirm = links["confirm"].str.strip().str.lower()
    problems = [
        Problem("not a confirmation", file=str(path), row=index + 2, column="confirm",
                value=value, expected="yes to link the two firms, or no / empty")
        for index, value in confirm.items() if value not in CONFIRMED | DECLINED
    ]
    if problems:
        raise DataError(f"{path}: links that are neither confirmed nor declined", problems)
    counted = links[(links["match"] == "key") | confirm.isin(CONFIRMED)]
    for side in ("earlier_id", "later_id"):
        twice = counted[counted.duplicated(side, keep=False)]
        if len(twice):
            raise DataError(f"{path}: a firm is linked more than once", [
                Problem("linked more than once", file=str(path), row=index + 2, column=side,
                        value=value, expected="one confirmed link per firm")
                for index, value in twice[side].items()])
    return counted[["earlier_id", "later_id", "match"]].reset_index(drop=True)
