"""Small helpers for messages people read."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`count` with the noun in the right number: 1 response, 2 responses, 0 forms."""
    noun = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {noun}"


# Said by every command that needs complete responses and finds none.
NO_RESPONSES = "the study has no complete responses yet; import or collect some first"


def translated(
    table: Mapping[str, Mapping[str, str]], key: str, language: str | None, **fields: object
) -> str:
    """The text `key` of a bilingual `table` in `language` (English where it has none),
    with `fields` filled in."""
    entry = table[key]
    template = entry.get(language or "en") or entry["en"]
    return template.format(**fields) if fields else template


# A run of spaces, one wide (East Asian) character, or a run of other characters.
_WORDS = re.compile(r"\s+|[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f"
                    r"\uff00-\uff60\uffe0-\uffe6]|[^\s\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3"
                    r"\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]+")
SCREEN_WIDTH = 80


def columns(text: str) -> int:
    """Terminal columns `text` takes: two for each wide (Chinese) character."""
    return sum(2 if unicodedata.east_asian_width(character) in "WF" else 1
               for character in text)


def wrap(text: str, width: int = SCREEN_WIDTH - 1) -> str:
    """`text` in lines of at most `width` terminal columns: broken between words, and between
    characters in Chinese (which has no spaces); a word longer than a line is cut."""
    lines = []
    for paragraph in text.split("\n"):
        line, used = "", 0
        for token in _WORDS.findall(paragraph):
            size = columns(token)
            if token.isspace():
                if line:
                    line, used = line + token, used + size
                continue
            if used + size > width and line.strip():
                lines.append(line.rstrip())
                line, used = "", 0
            while size > width:  # a single word wider than a line
                head = _head(token, width)
                lines.append(head)
                token = token[len(head):]
                size = columns(token)
            line, used = line + token, used + size
        lines.append(line.rstrip())
    return "\n".join(lines)


def _head(text: str, width: int) -> str:
    kept, used = [], 0
    for character in text:
        used += columns(character)
        if used > width:
            break
        kept.append(character)
    return "".join(kept)
