"""Named answer formats a text question can require (`format:` in the questionnaire).

Each format is a pure function from the answer text to the reason it is refused (None when
the answer is well formed), so the interview and the importer refuse the same answers with
the same words. Reasons come in the tool's languages; question wording stays in the
questionnaire.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# GB 32100-2015, table 1: the 31 characters of a unified social credit code, in the order of
# their values 0-30 (the letters I, O, S, V and Z are left out).
CREDIT_CODE_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_LENGTH = 18
# Table 2: the weight of position i (1-based) is 3^(i-1) mod 31.
CREDIT_CODE_WEIGHTS = tuple(pow(3, position, 31) for position in range(CREDIT_CODE_LENGTH - 1))
_VALUES = {character: value for value, character in enumerate(CREDIT_CODE_CHARACTERS)}


@dataclass(frozen=True)
class FormatProblem:
    """Why an answer does not have its question's format, in each tool language."""

    en: str
    zh: str

    def in_language(self, language: str | None) -> str:
        return self.zh if language == "zh" else self.en


def credit_code_check_character(first_17: str) -> str:
    """The check character (position 18) of a credit code whose first 17 characters are given.

    C18 = 31 - (sum of value x weight over positions 1-17) mod 31, where 31 becomes 0.
    """
    total = sum(_VALUES[character] * weight
                for character, weight in zip(first_17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARACTERS[(31 - total % 31) % 31]


def normalise_credit_code(text: str) -> str:
    """The code as stored and compared: capitals, without surrounding or inner spaces."""
    return "".join(str(text).split()).upper()


def credit_code_problem(text: str) -> FormatProblem | None:
    """Why `text` is not a unified social credit code (GB 32100-2015), or None when it is.

    Checks the length, the character set, the six-digit administrative division code
    (positions 3-8) and the check character. Case and spaces do not matter.
    """
    code = normalise_credit_code(text)
    if len(code) != CREDIT_CODE_LENGTH:
        return FormatProblem(
            f"a unified social credit code has 18 characters; this one has {len(code)}",
            f"统一社会信用代码应为18位，此代码为{len(code)}位",
        )
    foreign = sorted({character for character in code if character not in _VALUES})
    if foreign:
        shown = " ".join(foreign)
        return FormatProblem(
            f"a unified social credit code has no character {shown} "
            "(only digits and capital letters other than I, O, S, V, Z)",
            f"统一社会信用代码不含字符 {shown}（只用数字和除I、O、S、V、Z以外的大写字母）",
        )
    if not code[2:8].isdigit():
        return FormatProblem(
            f"characters 3-8 are the administrative division code, six digits, not {code[2:8]}",
            f"第3–8位为登记管理机关行政区划码，应为6位数字，而不是{code[2:8]}",
        )
    expected = credit_code_check_character(code[:17])
    if code[17] != expected:
        return FormatProblem(
            f"the check character (the 18th) should be {expected}, not {code[17]}: "
            "a character was probably mistyped",
            f"校验码（第18位）应为{expected}，而不是{code[17]}，可能有字符填写错误",
        )
    return None


FORMATS: dict[str, Callable[[str], FormatProblem | None]] = {
    "credit_code": credit_code_problem,
}
# What an answer of each format looks like, as a problem report's "expected" says it.
FORMAT_EXPECTATIONS: dict[str, str] = {
    "credit_code": "an 18-character unified social credit code (GB 32100-2015)",
}
# How a format's answers are made comparable (for matching firms across waves).
NORMALISERS: dict[str, Callable[[str], str]] = {
    "credit_code": normalise_credit_code,
}


def format_problem(format_name: str, text: str) -> FormatProblem | None:
    """Why `text` does not have the format `format_name` (a key of FORMATS), or None."""
    return FORMATS[format_name](text)
