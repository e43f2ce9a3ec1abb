"""Regular expressions written in questionnaires, matched in time linear in the text.

A questionnaire is data from outside: a pattern such as `^([A-Za-z]+ ?)+$` makes a
backtracking engine (Python's `re`) take seconds that double with every character typed.
Every `regex()` is therefore run by RE2 (through the `google-re2` binding), which never
backtracks, and by nothing else: the interview, the importer and `validate` give the same
verdict on the same text. As in ODK Collect, the pattern may match anywhere in the text
unless it is anchored with `^` and `$`; `\\d`, `\\w` and `\\s` mean ASCII characters only.
Patterns RE2 cannot run (back-references, look-arounds) are refused when the questionnaire
is loaded.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class PatternError(ValueError):
    """The pattern cannot be run by the linear-time engine; the message says why."""


@cache
def compiled(pattern: str):
    """The pattern compiled once; raises `PatternError` when RE2 refuses it."""
    # Imported here: the engine is needed only once a pattern is checked or matched.
    import re2

    options = re2.Options()
    options.log_errors = False  # the reason goes into our message, not onto stderr
    try:
        return re2.compile(pattern, options=options)
    except re2.error as error:
        reason = error.args[0] if error.args else "not understood"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(str(reason)) from None


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` cannot be used in regex(), or None when it can."""
    try:
        compiled(pattern)
    except PatternError as error:
        return (f"the pattern of regex() is not a valid regular expression ({error}); "
                f"back-references and look-arounds are not supported")
    return None


def matches(pattern: str, text: str) -> bool:
    """Whether `pattern` matches somewhere in `text`."""
    return compiled(pattern).search(text) is not None


def matches_series(pattern: str, texts: pd.Series) -> pd.Series:
    """`matches` for every text of a column, each distinct text matched once."""
    search = compiled(pattern).search
    verdicts = {text: isinstance(text, str) and search(text) is not None
                for text in texts.unique()}
    return texts.map(verdicts).fillna(False).astype(bool)
