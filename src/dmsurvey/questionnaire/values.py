"""Rules every answer value obeys, whichever way it arrives (interview, import, merge).

Integers: a study stores whole numbers in SQLite (64-bit) and exports them to Stata and SPSS,
which hold them as doubles. Beyond 2**53 a double silently rounds (9007199254740993 becomes
...992), so that is the largest magnitude accepted; the questionnaire's own constraints may
narrow it further.

Text: control characters (ESC, BEL, NUL, vertical tab, ...) cannot be typed on purpose, break
Excel files and can rewrite the terminal that prints them. They are refused in answers (tab
and line breaks are text), and `printable` escapes them wherever a stored value is shown.
"""

from __future__ import annotations

import re

LARGEST_INTEGER = 2**53
INTEGER_RANGE = f"a whole number from {-LARGEST_INTEGER:,} to {LARGEST_INTEGER:,}"
TEXT_EXPECTED = "text without control characters (tabs and line breaks are allowed)"

# C0 and C1 controls and DEL, except tab, line feed and the carriage return of a CRLF.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")
_SHOWN_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def integer_problem(value: int) -> str | None:
    """Why `value` cannot be stored as an integer answer, or None."""
    if -LARGEST_INTEGER <= value <= LARGEST_INTEGER:
        return None
    return "too large to store exactly"


def control_character_at(text: str) -> int | None:
    """The place (from 1) of the first control character of `text`, or None."""
    found = _CONTROL.search(text)
    return None if found is None else found.start() + 1


def control_character_problem(text: str) -> str | None:
    """Where the first control character of `text` is, or None when there is none."""
    found = _CONTROL.search(text)
    if found is None:
        return None
    character = found.group(0)
    name = _CONTROL_NAMES.get(ord(character), "control")
    return f"control character U+{ord(character):04X} ({name}) at character {found.start() + 1}"


_CONTROL_NAMES = {0: "NUL", 7: "BEL", 8: "backspace", 0x0B: "vertical tab", 0x0C: "form feed",
                  0x0D: "carriage return", 0x1B: "ESC", 0x7F: "DEL"}


def printable(text: str, keep: str = "") -> str:
    """`text` with every control character but those in `keep` written as an escape (ESC as
    \\x1b), so that printing or saving it cannot move the cursor, clear the screen or break
    a file."""
    return _SHOWN_CONTROL.sub(
        lambda found: found.group(0) if found.group(0) in keep else repr(found.group(0))[1:-1],
        text)
