"""The XPath functions real XLSForms use beyond the core ones, added to `FUNCTIONS`.

Text (`concat`, `substr`, `contains`, `starts-with`, `ends-with`, `selected-at`), numbers
(`int`, `round`, `abs`, `pow`, `sqrt`, `exp`, `log`, `log10`, trigonometry, `pi`, `sum`,
`max`, `min` over their arguments), dates (`today`, `now`, `date`, `decimal-date-time`,
`format-date`) and `once`. Each works on one interview's answers and, column-wise, on a
whole DataFrame: a text function whose arguments vary by row goes over distinct pairs, never
over rows one by one in Python where numpy or pandas can do it.

Semantics follow ODK (JavaRosa): `substr` counts from 0 and stops before `end`; `round`
rounds halves away from zero; `int` cuts towards zero; a date is its ISO 8601 text, and as a
number the days since 1970-01-01.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from dmsurvey.questionnaire.expressions import (
    BOOLEAN,
    FUNCTIONS,
    NUMBER,
    STRING,
    _Call,
    _fixed,
    _Function,
    _Literal,
    _np,
    _pd,
    date_number,
)

if TYPE_CHECKING:
    import pandas as pd

MANY = 1_000  # "any number of arguments"


def _texts(call: _Call, scope) -> list[str]:
    return [argument.convert(scope, STRING) for argument in call.arguments]


def _text_columns(call: _Call, scope) -> list[pd.Series]:
    return [argument.convert_series(scope, STRING) for argument in call.arguments]


def _numbers(call: _Call, scope) -> list[float]:
    return [argument.convert(scope, NUMBER) for argument in call.arguments]


def _number_arrays(call: _Call, scope) -> list:
    return [argument.convert_array(scope, NUMBER) for argument in call.arguments]


def _by_distinct_rows(columns: list[pd.Series], function: Callable[..., Any], dtype) -> pd.Series:
    """`function` over the rows of `columns`, computed once per distinct combination."""
    pd = _pd()
    frame = pd.concat(columns, axis=1, ignore_index=True)
    codes, uniques = pd.MultiIndex.from_frame(frame).factorize() if len(columns) > 1 else \
        pd.factorize(frame[0])
    values = [function(*(key if isinstance(key, tuple) else (key,))) for key in uniques]
    return pd.Series(_np().asarray(values, dtype=dtype)[codes], index=columns[0].index)


def _text_function(kind: str, arity: tuple[int, int], on_texts: Callable[..., Any],
                   on_columns: Callable[[list[pd.Series]], pd.Series] | None = None) -> _Function:
    """A function of its arguments' text: `on_columns` does whole columns where it can;
    otherwise `on_texts` goes over the distinct combinations of arguments."""
    dtype = {STRING: object, NUMBER: "float64", BOOLEAN: bool}[kind]

    def on_series(call: _Call, scope) -> pd.Series:
        columns = _text_columns(call, scope)
        if on_columns is not None:
            done = on_columns(columns, call)
            if done is not None:
                return done
        return _by_distinct_rows(columns, on_texts, dtype)

    return _Function(arity, _fixed(kind), lambda call, scope: on_texts(*_texts(call, scope)),
                     on_series)


def _literal_text(call: _Call, position: int) -> str | None:
    argument = call.arguments[position] if position < len(call.arguments) else None
    if isinstance(argument, _Literal):
        return argument.literal if argument.kind == STRING else str(argument.literal)
    return None


def _literal_number(call: _Call, position: int) -> float | None:
    argument = call.arguments[position] if position < len(call.arguments) else None
    if isinstance(argument, _Literal) and argument.kind == NUMBER:
        return float(argument.literal)
    return None


# -- text -------------------------------------------------------------------------------------

def _substr(text: str, start: str, end: str | None = None) -> str:
    first = _whole(start)
    if first is None:
        return ""
    last = _whole(end) if end is not None else len(text)
    return text[max(first, 0):last] if last is not None else ""


def _whole(text: str) -> int | None:
    from dmsurvey.questionnaire.expressions import parse_number

    number = parse_number(text)
    return None if math.isnan(number) else int(number)


def _substr_columns(columns: list[pd.Series], call: _Call) -> pd.Series | None:
    start, end = _literal_number(call, 1), _literal_number(call, 2)
    if start is None or (len(columns) == 3 and end is None):
        return None
    return columns[0].str.slice(max(int(start), 0), None if end is None else int(end))


def _literal_second(method: str) -> Callable[[list[pd.Series], _Call], pd.Series | None]:
    """Whole-column `str.contains`/`startswith`/`endswith` when the second argument is
    written in quotes."""

    def on_columns(columns: list[pd.Series], call: _Call) -> pd.Series | None:
        wanted = _literal_text(call, 1)
        if wanted is None:
            return None
        found = getattr(columns[0].str, method)(wanted, **(
            {"regex": False} if method == "contains" else {}))
        return found.astype(bool)

    return on_columns


def _selected_at(answer: str, position: str) -> str:
    codes = answer.split()
    index = _whole(position)
    return codes[index] if index is not None and 0 <= index < len(codes) else ""


# -- numbers ----------------------------------------------------------------------------------

def _math(arity: int, on_value: Callable[..., float], on_array: Callable[..., Any]) -> _Function:
    def one(call: _Call, scope) -> float:
        try:
            return float(on_value(*_numbers(call, scope)))
        except (ValueError, OverflowError, ZeroDivisionError):
            return math.nan

    def column(call: _Call, scope) -> pd.Series:
        np = _np()
        with np.errstate(all="ignore"):
            values = on_array(*_number_arrays(call, scope))
        return _pd().Series(np.broadcast_to(np.asarray(values, dtype="float64"),
                                            (len(scope.index),)), index=scope.index)

    return _Function((arity, arity), _fixed(NUMBER), one, column)


def _round_value(number: float, digits: float = 0.0) -> float:
    if math.isnan(number) or math.isnan(digits):
        return math.nan
    scale = 10.0 ** int(digits)
    return math.copysign(math.floor(abs(number) * scale + 0.5) / scale, number)


def _round_array(numbers, digits=0.0):
    np = _np()
    scale = 10.0 ** np.trunc(digits)
    return np.copysign(np.floor(np.abs(numbers) * scale + 0.5) / scale, numbers)


def _aggregate(on_values: Callable[[list[float]], float], on_arrays: Callable) -> _Function:
    def one(call: _Call, scope) -> float:
        return on_values(_numbers(call, scope))

    def column(call: _Call, scope) -> pd.Series:
        np = _np()
        arrays = [np.broadcast_to(np.asarray(values, dtype="float64"), (len(scope.index),))
                  for values in _number_arrays(call, scope)]
        with np.errstate(all="ignore"):
            return _pd().Series(on_arrays(np.vstack(arrays)), index=scope.index)

    return _Function((1, MANY), _fixed(NUMBER), one, column)


def _nan_if_any(function: Callable[[list[float]], float]) -> Callable[[list[float]], float]:
    return lambda values: math.nan if any(math.isnan(v) for v in values) else function(values)


# -- dates ------------------------------------------------------------------------------------

def _today() -> str:
    return date.today().isoformat()


def _now() -> str:
    return datetime.now().astimezone().replace(microsecond=0).isoformat()


def _as_date(text: str) -> str:
    """date(): a number of days since 1970, or a date's text, as the ISO date."""
    from dmsurvey.questionnaire.expressions import parse_number

    number = parse_number(text)
    if math.isnan(number):
        return ""
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=number)).date().isoformat()


# ODK's format-date codes -> strftime (%e: day without zero, %n: month without zero)
_DATE_FORMATS = {"%Y": "%Y", "%y": "%y", "%m": "%m", "%d": "%d", "%H": "%H", "%M": "%M",
                 "%S": "%S", "%a": "%a", "%b": "%b", "%3": "%f"}


def _format_date(text: str, pattern: str) -> str:
    number = date_number(text) if text else math.nan
    if math.isnan(number):
        return ""
    moment = datetime.fromisoformat(text.strip())
    result, index = [], 0
    while index < len(pattern):
        code = pattern[index:index + 2]
        if code == "%e":
            result.append(str(moment.day))
        elif code == "%n":
            result.append(str(moment.month))
        elif code == "%3":
            result.append(f"{moment.microsecond // 1000:03d}")
        elif code in _DATE_FORMATS:
            result.append(moment.strftime(_DATE_FORMATS[code]))
        else:
            result.append(pattern[index])
            index += 1
            continue
        index += 2
    return "".join(result)


def _decimal_date_time(call: _Call, scope) -> float:
    return date_number(call.arguments[0].convert(scope, STRING))


def _decimal_date_time_series(call: _Call, scope) -> pd.Series:
    return call.arguments[0].convert_series(scope, NUMBER)  # a date's number is its days


def _now_function(make: Callable[[], str]) -> _Function:
    return _Function((0, 0), _fixed(STRING), lambda call, scope: make(),
                     lambda call, scope: _pd().Series(make(), index=scope.index, dtype=object))


def _identity(call: _Call, scope) -> Any:
    return call.arguments[0].convert(scope, call.kind)


FUNCTIONS.update({
    "concat": _text_function(STRING, (1, MANY), lambda *texts: "".join(texts),
                             lambda columns, call: columns[0].str.cat(columns[1:])),
    "substr": _text_function(STRING, (2, 3), _substr, _substr_columns),
    "contains": _text_function(BOOLEAN, (2, 2), lambda text, part: part in text,
                               _literal_second("contains")),
    "starts-with": _text_function(BOOLEAN, (2, 2), str.startswith, _literal_second("startswith")),
    "ends-with": _text_function(BOOLEAN, (2, 2), str.endswith, _literal_second("endswith")),
    "selected-at": _text_function(STRING, (2, 2), _selected_at),
    "int": _math(1, lambda x: math.trunc(x), lambda x: _np().trunc(x)),
    "round": _Function(
        (1, 2), _fixed(NUMBER),
        lambda call, scope: _round_value(*_numbers(call, scope)),
        lambda call, scope: _pd().Series(
            _np().broadcast_to(_round_array(*_number_arrays(call, scope)), (len(scope.index),)),
            index=scope.index),
    ),
    "abs": _math(1, abs, lambda x: _np().abs(x)),
    "pow": _math(2, math.pow, lambda x, y: _np().power(x, y)),
    "sqrt": _math(1, math.sqrt, lambda x: _np().sqrt(x)),
    "exp": _math(1, math.exp, lambda x: _np().exp(x)),
    "log": _math(1, math.log, lambda x: _np().log(x)),
    "log10": _math(1, math.log10, lambda x: _np().log10(x)),
    "sin": _math(1, math.sin, lambda x: _np().sin(x)),
    "cos": _math(1, math.cos, lambda x: _np().cos(x)),
    "tan": _math(1, math.tan, lambda x: _np().tan(x)),
    "asin": _math(1, math.asin, lambda x: _np().arcsin(x)),
    "acos": _math(1, math.acos, lambda x: _np().arccos(x)),
    "atan": _math(1, math.atan, lambda x: _np().arctan(x)),
    "atan2": _math(2, math.atan2, lambda y, x: _np().arctan2(y, x)),
    "pi": _math(0, lambda: math.pi, lambda: math.pi),
    "sum": _aggregate(_nan_if_any(sum), lambda rows: rows.sum(axis=0)),
    "max": _aggregate(_nan_if_any(max), lambda rows: rows.max(axis=0)),
    "min": _aggregate(_nan_if_any(min), lambda rows: rows.min(axis=0)),
    "today": _now_function(_today),
    "now": _now_function(_now),
    "date": _text_function(STRING, (1, 1), _as_date),
    "decimal-date-time": _Function((1, 1), _fixed(NUMBER), _decimal_date_time,
                                   _decimal_date_time_series),
    "format-date": _text_function(STRING, (2, 2), _format_date),
    "format-date-time": _text_function(STRING, (2, 2), _format_date),
    # The interview works a calculation out again after each answer; once() keeps no
    # earlier value of its own, so it is the value itself.
    "once": _Function((1, 1), lambda arguments: arguments[0].kind, _identity,
                      lambda call, scope: call.arguments[0].convert_series(scope, call.kind)),
})
