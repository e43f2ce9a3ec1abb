"""The XPath functions real XLSForms use beyond the core ones, added to `FUNCTIONS`.

Text (`concat`, `substr`, `contains`, `starts-with`, `ends-with`, `selected-at`), numbers
(`int`, `round`, `abs`, `pow`, `sqrt`, `exp`, `log`, `log10`, trigonometry, `pi`, `sum`,
`max`, `min` over their arguments and over the answers of a repeat's question), dates
(`today`, `now`, `date`, `decimal-date-time`, `format-date`), repeats (`count`,
`position(..)`, `indexed-repeat`), `jr:choice-name` and `pulldata` (which read the
expression's `Context`) and `once`. Each works on one interview's answers and, column-wise, on a
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
    ParentStep,
    _Answer,
    _answer_number,
    _answer_text,
    _Call,
    _column_number,
    _fixed,
    _Function,
    _Literal,
    _np,
    _pd,
    date_number,
    is_list_column,
)
from dmsurvey.questionnaire.repeats import ALL_INSTANCES, INSTANCE_KEY, POSITION

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


def _listed(argument, scope) -> list | None:
    """The answers of a repeat's question (or the keys of a repeat's instances) an argument
    names, or None when it names no list."""
    if isinstance(argument, _Answer):
        raw = argument._raw(scope)
        if isinstance(raw, list | tuple):
            return list(raw)
    return None


def _listed_column(argument, scope) -> pd.Series | None:
    """Over a frame: the column of lists an argument names, or None."""
    if isinstance(argument, _Answer) and argument.name is not None:
        column = scope.column(argument.name)
        if column is not None and is_list_column(column):
            return column
    return None


def _per_row(column: pd.Series, how: str) -> Any:
    """`how` (sum, max, min) over each row's list of answers, unanswered ones left out:
    the lists are exploded into one long column and grouped back by row."""
    np = _np()
    exploded = column.reset_index(drop=True).explode()
    rows = exploded.index.to_numpy()
    numbers = _column_number(_pd().Series(exploded.to_numpy(dtype=object), dtype=object))
    grouped = getattr(numbers.groupby(rows), how)()
    result = np.full(len(column), 0.0 if how == "sum" else np.nan)
    result[grouped.index.to_numpy(dtype=int)] = grouped.to_numpy(dtype="float64")
    return result


def _aggregate(on_values: Callable[[list[float]], float], on_arrays: Callable,
               how: str) -> _Function:
    """sum, max or min of its arguments; an argument naming a repeat's question counts
    each of its answers (unanswered ones left out)."""

    def one(call: _Call, scope) -> float:
        values = []
        for argument in call.arguments:
            listed = _listed(argument, scope)
            if listed is None:
                values.append(argument.convert(scope, NUMBER))
            else:
                values.extend(n for n in map(_answer_number, listed) if not math.isnan(n))
        return on_values(values) if values else (0.0 if how == "sum" else math.nan)

    def column(call: _Call, scope) -> pd.Series:
        np = _np()
        arrays = []
        for argument in call.arguments:
            listed = _listed_column(argument, scope)
            values = (argument.convert_array(scope, NUMBER) if listed is None
                      else _per_row(listed, how))
            arrays.append(np.broadcast_to(np.asarray(values, dtype="float64"),
                                          (len(scope.index),)))
        with np.errstate(all="ignore"):
            return _pd().Series(on_arrays(np.vstack(arrays)), index=scope.index)

    return _Function((1, MANY), _fixed(NUMBER), one, column)


def _count(call: _Call, scope) -> float:
    """The instances a repeat (or a repeat's question) has; 1 for a question asked once,
    0 for a name the answers do not hold (no such node, in XPath's terms)."""
    listed = _listed(call.arguments[0], scope)
    if listed is not None:
        return float(len(listed))
    return 1.0 if call.arguments[0].name in scope.answers else 0.0


def _count_series(call: _Call, scope) -> pd.Series:
    listed = _listed_column(call.arguments[0], scope)
    if listed is not None:
        return listed.str.len().fillna(0).astype("float64")
    present = scope.column(call.arguments[0].name) is not None
    return _pd().Series(1.0 if present else 0.0, index=scope.index)


def _names_answers(what: str) -> Callable[[tuple], str | None]:
    def check(arguments: tuple) -> str | None:
        if not (isinstance(arguments[0], _Answer) and arguments[0].name is not None):
            return f"{what} takes a ${{name}} as its first argument"
        return None

    return check


# -- repeats ----------------------------------------------------------------------------------

def _position_check(arguments: tuple) -> str | None:
    if not isinstance(arguments[0], ParentStep):
        return "write position(..): the number of the repeat's instance being asked"
    return None


def _position(call: _Call, scope) -> float:
    return _answer_number(scope.answers.get(POSITION))


def _position_series(call: _Call, scope) -> pd.Series:
    return scope.number(POSITION)


def _indexed_repeat_check(arguments: tuple) -> str | None:
    if len(arguments) % 2 == 0:
        return "indexed-repeat() takes a question, then pairs of a repeat and a number"
    if not all(isinstance(arguments[index], _Answer) and arguments[index].name
               for index in (0, *range(1, len(arguments), 2))):
        return ("indexed-repeat() takes ${question}, ${repeat}, number, ... (the question and "
                "each repeat as ${name})")
    return None


def _instance_value(instances: Any, positions: list[float], current_key: Any) -> Any:
    """The answer in the instance at `positions` (outermost first); positions not given
    for the outer repeats are those of the instance being asked."""
    if not isinstance(instances, dict) or not instances:
        return None
    if any(math.isnan(number) or number < 1 for number in positions):
        return None
    depth = str(next(iter(instances))).count("/") + 1
    parts = [str(int(number)) for number in positions][-depth:]
    if len(parts) < depth:
        outer = str(current_key or "").split("/")[: depth - len(parts)]
        if len(outer) < depth - len(parts) or "" in outer:
            return None
        parts = [*outer, *parts]
    return instances.get("/".join(parts))


def _indexed_repeat(call: _Call, scope) -> str:
    instances = scope.answers.get(ALL_INSTANCES + call.arguments[0].name)
    positions = [call.arguments[index].convert(scope, NUMBER)
                 for index in range(2, len(call.arguments), 2)]
    return _answer_text(_instance_value(instances, positions, scope.answers.get(INSTANCE_KEY)))


def _indexed_repeat_series(call: _Call, scope) -> pd.Series:
    # each row has its own instances (a mapping per row): one lookup per row
    index = scope.index
    instances = scope.column(ALL_INSTANCES + call.arguments[0].name)
    if instances is None:
        return _pd().Series("", index=index, dtype=object)
    keys = scope.column(INSTANCE_KEY)
    keys = [None] * len(index) if keys is None else keys.tolist()
    positions = [call.arguments[i].convert_array(scope, NUMBER)
                 for i in range(2, len(call.arguments), 2)]
    positions = [_np().broadcast_to(_np().asarray(p, dtype="float64"), (len(index),))
                 for p in positions]
    values = [_answer_text(_instance_value(mapping, [float(p[row]) for p in positions],
                                           keys[row]))
              for row, mapping in enumerate(instances.tolist())]
    return _pd().Series(values, index=index, dtype=object)


# -- what the context holds: choice labels and CSV files ---------------------------------------

def _choice_name_check(arguments: tuple) -> str | None:
    question = choice_name_question(arguments)
    if question is None:
        return "jr:choice-name() takes a code and a question in quotes: '${name}'"
    return None


def choice_name_question(arguments: tuple) -> str | None:
    """The question `jr:choice-name(code, '${q}')` names in quotes (`q`)."""
    import re

    literal = arguments[1]
    if isinstance(literal, _Literal) and literal.kind == STRING:
        match = re.fullmatch(r"\s*\$\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\s*", literal.literal)
        if match:
            return match[1]
    return None


def _choice_labels(call: _Call, scope) -> dict[str, str] | None:
    """code -> label of the question `jr:choice-name` names, in the context's language;
    None without a questionnaire in the context."""
    questionnaire = scope.context.questionnaire
    if questionnaire is None:
        return None
    try:
        question = questionnaire.find(choice_name_question(call.arguments))
    except KeyError:
        return {}
    language = questionnaire.label_language(scope.context.language)
    return {choice.code: choice.label.in_language(language) for choice in question.choices}


def _choice_name(call: _Call, scope) -> str:
    code = call.arguments[0].convert(scope, STRING).strip()
    labels = _choice_labels(call, scope)
    return code if labels is None else labels.get(code, "")


def _choice_name_series(call: _Call, scope) -> pd.Series:
    codes = call.arguments[0].convert_series(scope, STRING).str.strip()
    labels = _choice_labels(call, scope)
    return codes if labels is None else codes.map(labels).fillna("").astype(object)


def _pulldata_table(context, file_name: str, key_column: str) -> dict[str, dict[str, str]]:
    """The rows of the CSV file `file_name` (`.csv` may be left off) found in the context's
    media folders, by their value in `key_column` (the first row of a repeated key wins)."""
    import csv

    name = file_name if file_name.lower().endswith(".csv") else f"{file_name}.csv"
    cache_key = (name, key_column)
    if cache_key not in context.tables:
        rows: dict[str, dict[str, str]] = {}
        path = next((folder / name for folder in context.media
                     if (folder / name).is_file()), None)
        if path is not None:
            with path.open(encoding="utf-8-sig", newline="") as file:
                for row in csv.DictReader(file):
                    key = str(row.get(key_column) or "").strip()
                    rows.setdefault(key, {k: str(v or "") for k, v in row.items() if k})
        context.tables[cache_key] = rows
    return context.tables[cache_key]


def _pulldata(call: _Call, scope) -> str:
    file_name, column, key_column, key = _texts(call, scope)
    row = _pulldata_table(scope.context, file_name, key_column).get(key.strip(), {})
    return row.get(column, "")


def _pulldata_series(call: _Call, scope) -> pd.Series:
    file_name, column, key_column = (_literal_text(call, i) for i in range(3))
    if None in (file_name, column, key_column):
        columns = _text_columns(call, scope)
        return _by_distinct_rows(
            columns, lambda *texts: _pulldata_row(scope.context, *texts), object)
    table = _pulldata_table(scope.context, file_name, key_column)
    lookup = {key: row.get(column, "") for key, row in table.items()}
    keys = call.arguments[3].convert_series(scope, STRING).str.strip()
    return keys.map(lookup).fillna("").astype(object)


def _pulldata_row(context, file_name: str, column: str, key_column: str, key: str) -> str:
    return _pulldata_table(context, file_name, key_column).get(key.strip(), {}).get(column, "")


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
    "sum": _aggregate(_nan_if_any(sum), lambda rows: rows.sum(axis=0), "sum"),
    "max": _aggregate(_nan_if_any(max), lambda rows: rows.max(axis=0), "max"),
    "min": _aggregate(_nan_if_any(min), lambda rows: rows.min(axis=0), "min"),
    "count": _Function((1, 1), _fixed(NUMBER), _count, _count_series,
                       check=_names_answers("count()")),
    "position": _Function((1, 1), _fixed(NUMBER), _position, _position_series,
                          check=_position_check),
    "indexed-repeat": _Function((3, 7), _fixed(STRING), _indexed_repeat,
                                _indexed_repeat_series, check=_indexed_repeat_check),
    "jr:choice-name": _Function((2, 2), _fixed(STRING), _choice_name, _choice_name_series,
                                check=_choice_name_check),
    "pulldata": _Function((4, 4), _fixed(STRING), _pulldata, _pulldata_series),
    "today": _now_function(_today),
    "now": _now_function(_now),
    "date": _text_function(STRING, (1, 1), _as_date),
    "decimal-date-time": _Function((1, 1), _fixed(NUMBER), _decimal_date_time,
                                   _decimal_date_time_series),
    "format-date": _text_function(STRING, (2, 2), _format_date),
    "format-date-time": _text_function(STRING, (2, 2), _format_date),
    # once() is its argument's value; keeping the first value is the calculations' part
    # (`calculations.calculate_answers`), as they know the value already stored.
    "once": _Function((1, 1), lambda arguments: arguments[0].kind, _identity,
                      lambda call, scope: call.arguments[0].convert_series(scope, call.kind)),
})
