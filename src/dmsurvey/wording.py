"""Small helpers for messages people read."""

from __future__ import annotations


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`count` with the noun in the right number: 1 response, 2 responses, 0 forms."""
    noun = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {noun}"


# Said by every command that needs complete responses and finds none.
NO_RESPONSES = "the study has no complete responses yet; import or collect some first"
