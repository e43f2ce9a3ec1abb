"""Answers of the XLSForm types beyond numbers and choices: what people type, what is stored.

Dates, times and GPS points are stored as ODK writes them: ISO 8601 (`2020-07-31`,
`14:30:00`, `2020-07-31T14:30:00+08:00`), `lat lon alt acc` for a point and points joined by
`;` for a trace or shape. A rank is its codes in order, separated by spaces. Each `parse_*`
takes what was typed (in the interview) or read (from an export) and returns the stored
text, or raises `ValueError` saying what is wrong; `canonical_answer` picks the one a
question type needs. Nothing here imports pandas: the interview and the importer's checks of
distinct values both call these functions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, time

# Year first with -, / or . between the parts, Chinese 年月日, or day first with dots.
_YEAR_FIRST = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_DAY_FIRST = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_TIME = re.compile(
    r"(\d{1,2})\s*[:时點点]\s*(\d{2})\s*分?(?:\s*:?\s*(\d{2})(?:\.\d+)?\s*秒?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?"
)
_DATE_TIME_SEPARATOR = re.compile(r"\s*[T\s]\s*")
_GEO_SEPARATOR = re.compile(r"[\s,]+")

# Question types whose answers go through `canonical_answer`, with what each expects.
PARSED_EXPECTED = {
    "date": "a date such as 2020-07-31",
    "time": "a time such as 14:30:00",
    "datetime": "a date and time such as 2020-07-31T14:30:00",
    "geopoint": "latitude longitude [altitude accuracy]",
    "geotrace": "2 or more points (latitude longitude ...) separated by ;",
    "geoshape": "3 or more points (latitude longitude ...) separated by ;",
    "rank": "every choice code once, in order",
}
PARSED_TYPES = tuple(PARSED_EXPECTED)


def _normal(text: object) -> str:
    # Full-width digits and punctuation, typed by Chinese input methods, as plain ASCII.
    return unicodedata.normalize("NFKC", str(text)).strip()


def parse_date(text: object) -> str:
    """`2020-07-31`, `2020/7/31`, `31.7.2020`, `2020年7月31日` -> `2020-07-31`."""
    if isinstance(text, datetime):
        return text.date().isoformat()
    if isinstance(text, date):
        return text.isoformat()
    typed = _normal(text)
    # A datetime in a date column (ODK's, or an Excel date at midnight) keeps its date.
    typed = typed[:10] if re.match(r"\d{4}-\d\d-\d\d[T ]", typed) else typed
    match = _YEAR_FIRST.fullmatch(typed)
    if match:
        year, month, day = match.groups()
    else:
        match = _DAY_FIRST.fullmatch(typed)
        if not match:
            raise ValueError("not a date")
        day, month, year = match.groups()
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        raise ValueError("no such day") from None


def parse_time(text: object) -> str:
    """`9:05`, `09:05:30`, `14:30:00.000+08:00`, `14时30分` -> `09:05:00`, `14:30:00+08:00`."""
    if isinstance(text, time):
        return text.replace(microsecond=0).isoformat()
    match = _TIME.fullmatch(_normal(text))
    if not match:
        raise ValueError("not a time")
    hour, minute, second, offset = match.groups()
    if int(hour) > 23 or int(minute) > 59 or int(second or 0) > 59:
        raise ValueError("no such time")
    return f"{int(hour):02d}:{minute}:{second or '00'}{_offset(offset)}"


def _offset(offset: str | None) -> str:
    if not offset:
        return ""
    if offset == "Z":
        return "Z"
    digits = offset[1:].replace(":", "")
    return f"{offset[0]}{digits[:2]}:{digits[2:4] or '00'}"


def parse_datetime(text: object) -> str:
    """A date and a time (any of the forms above) -> `2020-07-31T14:30:00`."""
    if isinstance(text, datetime):
        return text.replace(microsecond=0).isoformat()
    typed = _normal(text)
    # the date is everything up to the last separator before the time's first digits
    match = re.fullmatch(r"(.+?)(?:T|\s+)(\d{1,2}\s*[:时點点].*)", typed)
    if not match:
        raise ValueError("not a date and time")
    return f"{parse_date(match.group(1))}T{parse_time(match.group(2))}"


def parse_geopoint(text: object) -> str:
    """`30.1 120.2`, `30.1, 120.2, 12, 5` -> `30.1 120.2 12 5` (latitude, longitude,
    altitude in metres, accuracy in metres; the last two are 0 when not given)."""
    parts = [part for part in _GEO_SEPARATOR.split(_normal(text)) if part]
    if not 2 <= len(parts) <= 4:
        raise ValueError("not a GPS point (latitude longitude [altitude accuracy])")
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        raise ValueError("not a GPS point") from None
    latitude, longitude = numbers[:2]
    if not -90 <= latitude <= 90:
        raise ValueError(f"latitude {parts[0]} is not between -90 and 90")
    if not -180 <= longitude <= 180:
        raise ValueError(f"longitude {parts[1]} is not between -180 and 180")
    if len(numbers) == 4 and numbers[3] < 0:
        raise ValueError(f"accuracy {parts[3]} is negative")
    return " ".join(parts + ["0"] * (4 - len(parts)))


def parse_geotrace(text: object, *, shape: bool = False) -> str:
    """Points separated by `;` (at least 2; a shape at least 3, closed on its first point)."""
    points = [parse_geopoint(point) for point in _normal(text).split(";") if point.strip()]
    if shape:
        if len({_position(point) for point in points}) < 3:
            raise ValueError("a shape needs at least 3 different points")
        if _position(points[0]) != _position(points[-1]):
            points.append(points[0])
    elif len(points) < 2:
        raise ValueError("a trace needs at least 2 points")
    return ";".join(points)


def _position(point: str) -> tuple[float, float]:
    latitude, longitude = point.split()[:2]
    return float(latitude), float(longitude)


def parse_rank(text: object, codes: Sequence[str]) -> str:
    """Every code once, in the order ranked: `b a c` (spaces or commas between them)."""
    ranked = [code for code in re.split(r"[\s,，、]+", _normal(text)) if code]
    unknown = [code for code in ranked if code not in codes]
    if unknown:
        raise ValueError(f"{unknown[0]!r} is not one of the codes {', '.join(codes)}")
    if len(set(ranked)) != len(ranked) or set(ranked) != set(codes):
        raise ValueError(f"rank every code once: {', '.join(codes)}")
    return " ".join(ranked)


def canonical_answer(question_type: str, value: object, codes: Sequence[str] = ()) -> str:
    """The stored text of an answer to a question of one of `PARSED_TYPES`."""
    if question_type == "date":
        return parse_date(value)
    if question_type == "time":
        return parse_time(value)
    if question_type == "datetime":
        return parse_datetime(value)
    if question_type == "geopoint":
        return parse_geopoint(value)
    if question_type in ("geotrace", "geoshape"):
        return parse_geotrace(value, shape=question_type == "geoshape")
    if question_type == "rank":
        return parse_rank(value, codes)
    raise ValueError(f"{question_type} answers are kept as typed")
