"""Every error a user can cause, in one place.

Library code raises these with the context a user needs to fix the input (file, row,
column, value, what was expected). The command line turns them into one readable
message and exit code 1; it never shows a traceback for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# A value longer than this is cut in messages (a 1 MiB cell would flood the terminal).
SHOWN_VALUE_CHARS = 120


def shortened(text: str, limit: int = SHOWN_VALUE_CHARS) -> str:
    """`text` itself if short, else its start and end around a note of its full length."""
    if len(text) <= limit:
        return text
    keep = max(limit - 40, 10)
    return f"{text[: keep * 2 // 3]}…[{len(text):,} characters]…{text[-(keep // 3):]}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    message: str
    file: str | None = None
    line: int | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: object = None
    expected: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.row is not None:
            sheet = f"{self.sheet} sheet " if self.sheet else ""
            where.append(f"{sheet}row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        text = self.message
        if self.value is not None and self.value != "":
            shown = repr(self.value)
            if len(shown) > SHOWN_VALUE_CHARS:
                shown = repr(shortened(str(self.value)))
            text += f": {shown}"
        if self.expected:
            text += f" (expected: {self.expected})"
        return f"{', '.join(where)}: {text}" if where else text


class DmsurveyError(Exception):
    """Base class of errors caused by input: the CLI reports them and exits with 1."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()):
        super().__init__(message)
        self.message = message
        self.problems: tuple[Problem, ...] = tuple(problems)

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        lines = [self.message] + [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)


class QuestionnaireError(DmsurveyError):
    """A questionnaire file is malformed; `problems` lists every mistake found."""


class ExpressionError(DmsurveyError):
    """A `relevant` or `constraint` expression cannot be parsed or evaluated."""


class StudyError(DmsurveyError):
    """A study folder is missing, damaged, or used in a way it does not allow."""


class DataError(DmsurveyError):
    """Response data (an import file, a merge, an export) is not acceptable."""


class AnalysisError(DmsurveyError):
    """An analysis cannot be run on the data given (no such question, empty base, ...)."""
