"""The XLSForm metadata an interview records by itself, as ODK Collect does.

A questionnaire declaring `start`, `end`, `today`, `deviceid` or `username` gets them filled
in: `start` when the interview opens, `end` when it is submitted (local time, ISO 8601 with
its UTC offset, to the millisecond as ODK writes them), `today` the date it opened, `deviceid`
this computer (`dmsurvey:` and its host name, the same in every session), `username` the
enumerator. Fields a terminal cannot know (phone number, SIM serial, e-mail) stay empty.
Every submitted interview also gets `submitted_at` (UTC, as the store stamps its times).
"""

from __future__ import annotations

import platform
from collections.abc import Collection
from datetime import UTC, datetime

DEVICE_PREFIX = "dmsurvey:"


def local_now() -> datetime:
    """The current time in the computer's time zone (aware, so it prints its offset)."""
    return datetime.now().astimezone()


def device_id() -> str | None:
    """A stable id of this computer, from its host name (None if it has none)."""
    host = platform.node().strip()
    return f"{DEVICE_PREFIX}{host}" if host else None


def opening_metadata(
    fields: Collection[str], *, opened: datetime, enumerator: str
) -> dict[str, str | None]:
    """Values of the declared metadata fields known when the interview opens."""
    known = {
        "start": lambda: _stamp(opened),
        "today": lambda: opened.date().isoformat(),
        "deviceid": device_id,
        "username": lambda: enumerator or None,
    }
    return {name: known[name]() for name in fields if name in known}


def closing_metadata(fields: Collection[str], *, closed: datetime) -> dict[str, str]:
    """`submitted_at`, and `end` if the questionnaire declares it, for a submission at `closed`."""
    values = {"submitted_at": closed.astimezone(UTC).isoformat(timespec="seconds")}
    if "end" in fields:
        values["end"] = _stamp(closed)
    return values


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")
