"""Small helpers for messages people read."""

from __future__ import annotations

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
