"""XLSForm expressions for skip logic (`relevant`) and checks (`constraint`).

    >>> expr = parse_expression("${industry} = 'manufacturing' and count-selected(${tech}) > 1")
    >>> expr.references
    frozenset({'industry', 'tech'})
    >>> expr.holds({"industry": "manufacturing", "tech": "big_data ai"})
    True

The subset of XPath that XLSForm uses: `${id}`, `.` (the answer being checked), `= != < <=
> >=`, `and`, `or`, `+ - * div mod`, unary minus, string and number literals, parentheses, and
the functions `not()`, `selected()`, `count-selected()`, `true()`, `false()`, `if()`,
`coalesce()`, `string-length()`, `regex()`, `number()`, `string()`, `boolean()`.

The text is tokenised and parsed by hand into a small tree; nothing is ever handed to
`eval`, so a questionnaire file cannot run code. Neither parsing nor evaluation recurses:
both work on explicit stacks, so an expression may be nested or chained as deep and long
as memory allows, in time linear in its length. Semantics follow XPath 1.0 as ODK applies
it: an answer is a string (an unanswered question is `''`), `=` compares as numbers when
either side is a number and as text otherwise, `<`-style comparisons always compare numbers
(text that is not a number is NaN, so the comparison is false). Every node has a fixed
result type, which lets the same tree be evaluated on one interview's answers or, column at
a time, on a whole DataFrame.
"""

from __future__ import annotations

import math
import numbers
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dmsurvey.errors import ExpressionError
from dmsurvey.questionnaire.patterns import matches, matches_series, pattern_problem

if TYPE_CHECKING:
    import pandas as pd

STRING, NUMBER, BOOLEAN = "string", "number", "boolean"

# XPath's number(): optional sign, digits with an optional point; no exponent, no "inf".
_NUMBER_TEXT = r"[ \t\n\r]*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\n\r]*"
_NUMBER_PATTERN = re.compile(_NUMBER_TEXT)
# A date, with or without a time: as a number, ODK takes it as days since 1970.
_DATE_PATTERN = re.compile(r"\s*\d{4}-\d\d-\d\d(?:[T ]|\s*$)")
# Integral floats below this print without a decimal point, exactly as an int would.
_EXACT_INTEGER_LIMIT = 2.0**53

# Real forms are typed in word processors: typographic quotes delimit strings too.
_SINGLE_QUOTES = "'\u2018\u2019"
_DOUBLE_QUOTES = '"\u201c\u201d'
_TOKEN = re.compile(
    rf"""
    (?P<space>\s+)
    |(?P<ref>\$\{{\s*(?P<ref_name>[A-Za-z_][A-Za-z0-9_.-]*)\s*\}})
    |(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)
    |(?P<parent>\.\.)
    |(?P<current>\.(?!\.))
    |(?P<string>[{_SINGLE_QUOTES}][^{_SINGLE_QUOTES}]*[{_SINGLE_QUOTES}]
               |[{_DOUBLE_QUOTES}][^{_DOUBLE_QUOTES}]*[{_DOUBLE_QUOTES}])
    |(?P<op>!=|<=|>=|=|<|>|\+|-|\*)
    |(?P<punct>[(),])
    |(?P<name>(?:jr:)?[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*)
    """,
    re.VERBOSE,
)
# Mistakes people carry over from other languages, with what XLSForm wants instead.
_FOREIGN_OPERATORS = {
    "==": "write = to compare",
    "&&": "write and",
    "||": "write or",
    "<>": "write != for 'not equal'",
    "!": "write not(...)",
}
_FOREIGN_OPERATOR = re.compile(
    "(?!!=)(?:" + "|".join(re.escape(foreign) for foreign in _FOREIGN_OPERATORS) + ")"
)
_BINARY_PRECEDENCE = {
    "or": 1,
    "and": 2,
    "=": 3,
    "!=": 3,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "div": 6,
    "mod": 6,
}


# ---------------------------------------------------------------------------- conversions


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    # pandas.NA and NaT, recognised without importing pandas.
    return type(value).__name__ in ("NAType", "NaTType")


def format_number(value: float, nan_text: str = "NaN") -> str:
    """XPath's string(number): integral values print without a decimal point."""
    if math.isnan(value):
        return nan_text
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == math.floor(value) and abs(value) < _EXACT_INTEGER_LIMIT:
        return str(int(value))
    return repr(float(value))


def parse_number(text: str) -> float:
    """XPath's number(string): NaN unless the text is a plain decimal number, or a date (as
    ODK does, the days since 1970-01-01, so that `. <= today()` compares dates)."""
    if _NUMBER_PATTERN.fullmatch(text):
        return float(text)
    return date_number(text) if _DATE_PATTERN.match(text) else math.nan


def date_number(text: str) -> float:
    """An ISO 8601 date or datetime as days since 1970-01-01 (UTC); NaN if it is none."""
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return math.nan
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() / 86400


def _first(value: Any) -> Any:
    """A list of answers (a repeat's question seen from outside it) in a scalar context is
    its first answer, as a node-set is in XPath."""
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


def _answer_text(value: Any) -> str:
    value = _first(value)
    if _is_missing(value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return format_number(float(value), nan_text="")
    return str(value)


def _answer_number(value: Any) -> float:
    value = _first(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and not _is_missing(value):
        return float(value)
    return parse_number(_answer_text(value))


def _convert(kind: str, value: Any, to: str) -> Any:
    if kind == to:
        return value
    if to == BOOLEAN:
        if kind == NUMBER:
            return value != 0 and not math.isnan(value)
        return value != ""
    if to == NUMBER:
        if kind == BOOLEAN:
            return 1.0 if value else 0.0
        return parse_number(value)
    if kind == BOOLEAN:
        return "true" if value else "false"
    return format_number(value)


def _divide(left: float, right: float) -> float:
    try:
        return left / right
    except ZeroDivisionError:
        if math.isnan(left) or left == 0:
            return math.nan
        return math.copysign(math.inf, left) * math.copysign(1.0, right)


def _modulo(left: float, right: float) -> float:
    # XPath mod keeps the sign of the dividend, like C's fmod.
    try:
        return math.fmod(left, right)
    except ValueError:
        return math.nan


# -------------------------------------------------------------------- vectorised helpers


def _np():
    import numpy as np

    return np


def _pd():
    import pandas as pd

    return pd


def _text_series(values, index) -> pd.Series:
    return _pd().Series(values, index=index, dtype="str")


def _format_numbers(values, index, nan_text: str) -> pd.Series:
    """`format_number` over a float array, without a Python loop."""
    np = _np()
    values = np.asarray(values, dtype="float64")
    text = np.full(values.shape, nan_text, dtype=object)
    finite = np.isfinite(values)
    with np.errstate(invalid="ignore"):
        integral = finite & (np.floor(values) == values) & (np.abs(values) < _EXACT_INTEGER_LIMIT)
    text[integral] = values[integral].astype(np.int64).astype(str)
    fractional = finite & ~integral
    text[fractional] = values[fractional].astype(str)
    text[values == np.inf] = "Infinity"
    text[values == -np.inf] = "-Infinity"
    return _text_series(text, index)


def _parse_numbers(text: pd.Series) -> pd.Series:
    pd = _pd()
    plain = text.str.fullmatch(_NUMBER_TEXT)
    numbers = pd.to_numeric(text.where(plain).str.strip(), errors="coerce").astype("float64")
    dates = text.str.match(_DATE_PATTERN) & ~plain
    if dates.any():  # each distinct date read once: a column holds few of them
        distinct = text[dates].unique()
        days = dict(zip(distinct, map(date_number, distinct), strict=True))
        numbers[dates] = text[dates].map(days)
    return numbers


def _convert_series(kind: str, series: pd.Series, to: str) -> pd.Series:
    if kind == to:
        return series
    if to == BOOLEAN:
        if kind == NUMBER:
            return (series != 0) & series.notna()
        return series != ""
    if to == NUMBER:
        if kind == BOOLEAN:
            return series.astype("float64")
        return _parse_numbers(series)
    if kind == BOOLEAN:
        return _text_series(_np().where(series.to_numpy(), "true", "false"), series.index)
    return _format_numbers(series.to_numpy(), series.index, nan_text="NaN")


def _convert_array(kind: str, values: Any, to: str) -> Any:
    """Numbers and booleans converted on bare numpy arrays or scalars; None for text."""
    if kind == to:
        return values
    if kind == NUMBER and to == BOOLEAN:
        return (values != 0) & ~_np().isnan(values)
    if kind == BOOLEAN and to == NUMBER:
        return _np().asarray(values, dtype="float64")
    return None


def _is_numeric_column(column: pd.Series) -> bool:
    types = _pd().api.types
    return types.is_numeric_dtype(column.dtype) and not types.is_bool_dtype(column.dtype)


def _plain_column(column: pd.Series) -> pd.Series:
    """An object column of numbers becomes a float column; anything else stays as it is."""
    pd = _pd()
    if column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) in (
        "integer",
        "floating",
        "mixed-integer-float",
    ):
        return pd.to_numeric(column, errors="coerce").astype("float64")
    return column


def is_list_column(column: pd.Series) -> bool:
    """Whether a column holds a list of answers per row (a repeat's question)."""
    if column.dtype != object:
        return False
    first = column.first_valid_index()
    return first is not None and isinstance(column[first], list | tuple)


def _first_values(column: pd.Series) -> pd.Series:
    """A column of lists as the first value of each (in a scalar context)."""
    if not is_list_column(column):
        return column
    firsts = column.str[0]
    return firsts.astype(object).where(firsts.notna(), None)


def _column_text(column: pd.Series) -> pd.Series:
    """The string value of every answer in a column ('' where unanswered)."""
    pd = _pd()
    column = _plain_column(_first_values(column))
    if _is_numeric_column(column):
        values = column.to_numpy(dtype="float64", na_value=_np().nan)
        return _format_numbers(values, column.index, nan_text="")
    inferred = pd.api.types.infer_dtype(column, skipna=True)
    if isinstance(column.dtype, pd.CategoricalDtype) or inferred in ("string", "empty"):
        return column.astype("str").fillna("")
    # Columns that mix numbers, text and booleans are rare (hand-made frames): one pass each.
    return _text_series(column.map(_answer_text).to_numpy(dtype=object), column.index)


def _column_number(column: pd.Series) -> pd.Series:
    column = _plain_column(_first_values(column))
    if _is_numeric_column(column):
        return _pd().Series(
            column.to_numpy(dtype="float64", na_value=_np().nan), index=column.index
        )
    return _parse_numbers(_column_text(column))


# ---------------------------------------------------------------------------- evaluation


@dataclass(eq=False)
class Context:
    """What a few functions read besides the answers: the questionnaire's choice labels in
    `language` (`jr:choice-name`), and the folders holding the CSV files `pulldata` reads
    (`media`, searched in order). Build it with `Context.of(questionnaire)`."""

    questionnaire: Any = None
    language: str | None = None
    media: tuple[Path, ...] = ()
    # CSV files already read: path -> rows
    tables: dict = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, questionnaire: Any, language: str | None = None,
           media: Path | None = None) -> Context:
        """The context of `questionnaire`: its CSV files are in `media` if given, else in
        the `media` folder beside its file (a study's), else beside the file itself (a
        form used where it was designed)."""
        folders: tuple[Path, ...] = (Path(media),) if media is not None else ()
        if media is None and getattr(questionnaire, "source", None):
            beside = Path(questionnaire.source).parent
            folders = (beside / "media", beside)
        return cls(questionnaire, language, folders)


_NO_CONTEXT = Context()


@dataclass
class _Scope:
    answers: Mapping[str, Any]
    current: Any
    context: Context = _NO_CONTEXT
    # The value of every node already computed, by node: `_compute_inner_nodes` fills it
    # children first, so a node's value reads its children's here instead of recursing.
    results: dict = field(default_factory=dict)


@dataclass
class _FrameScope:
    frame: pd.DataFrame
    current: pd.Series | None
    context: Context = _NO_CONTEXT
    texts: dict = field(default_factory=dict)
    numbers: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)

    @property
    def index(self):
        return self.frame.index

    def column(self, name: str | None) -> pd.Series | None:
        if name is None:
            return self.current
        return self.frame[name] if name in self.frame.columns else None

    def text(self, name: str | None) -> pd.Series:
        if name not in self.texts:
            column = self.column(name)
            self.texts[name] = (
                _text_series("", self.index) if column is None else _column_text(column)
            )
        return self.texts[name]

    def number(self, name: str | None) -> pd.Series:
        if name not in self.numbers:
            column = self.column(name)
            self.numbers[name] = (
                _pd().Series(_np().nan, index=self.index, dtype="float64")
                if column is None
                else _column_number(column)
            )
        return self.numbers[name]


_NOT_COMPUTED = object()


class _Node:
    """A node of the parsed tree; `kind` is the XPath type of its result, fixed at parse.

    `value` and `series` compute this node from its children's results, which
    `_compute_inner_nodes` has put in the scope beforehand: `convert` and `convert_series`
    read them there, so no evaluation recurses, however deep the tree.
    """

    kind: str = STRING

    def children(self) -> tuple[_Node, ...]:
        return ()

    def value(self, scope: _Scope) -> Any:
        raise NotImplementedError

    def series(self, scope: _FrameScope) -> pd.Series:
        raise NotImplementedError

    def convert(self, scope: _Scope, to: str) -> Any:
        value = scope.results.get(self, _NOT_COMPUTED)
        if value is _NOT_COMPUTED:
            value = self.value(scope)
        return _convert(self.kind, value, to)

    def convert_series(self, scope: _FrameScope, to: str) -> pd.Series:
        if self not in scope.results:
            return _convert_series(self.kind, self.series(scope), to)
        result = scope.results[self]
        if not isinstance(result, _pd().Series):
            result = _pd().Series(result, index=scope.index)
        return _convert_series(self.kind, result, to)

    def frame_result(self, scope: _FrameScope) -> Any:
        """What `_compute_inner_nodes` keeps of this node over a frame."""
        return self.series(scope)

    def convert_array(self, scope: _FrameScope, to: str) -> Any:
        """This node's numbers or booleans over a frame as a numpy array (or a scalar).

        Operators work on these rather than on Series: a 100,000-term chain then costs
        100,000 numpy operations, without a pandas Series built for every term.
        """
        result = scope.results.get(self)
        if result is not None and not isinstance(result, _pd().Series):
            converted = _convert_array(self.kind, result, to)
            if converted is not None:
                return converted
        series = self.convert_series(scope, to)
        if to == NUMBER:
            return series.to_numpy(dtype="float64", na_value=_np().nan)
        return series.to_numpy(dtype=bool, na_value=False)

    def walk(self) -> Iterator[_Node]:
        """This node and all below it, parents before children, without recursion."""
        pending = [self]
        while pending:
            node = pending.pop()
            yield node
            pending.extend(reversed(node.children()))


def _inner_nodes_children_first(root: _Node) -> tuple[_Node, ...]:
    """The nodes that have children, in post-order: each right after its last child.

    Computed in this order, a left-to-right chain needs only the running total and the
    current term at any moment.
    """
    order = []
    pending: list[tuple[_Node, bool]] = [(root, False)]
    while pending:
        node, children_listed = pending.pop()
        if children_listed:
            order.append(node)
            continue
        children = node.children()
        if children:
            pending.append((node, True))
            pending.extend((child, False) for child in reversed(children))
    return tuple(order)


def _compute_inner_nodes(
    inner_nodes: tuple[_Node, ...], scope: _Scope | _FrameScope, compute: Callable
) -> None:
    """Compute the inner nodes, children first, into `scope.results`.

    A loop instead of recursion: expressions nested thousands of levels deep or chained
    100,000 terms long evaluate like short ones. A node's children's results are dropped
    once it is computed, so a long chain over a DataFrame holds a few columns at a time,
    not one per term.
    """
    results = scope.results
    for node in inner_nodes:
        results[node] = compute(node, scope)
        for child in node.children():
            results.pop(child, None)


class _Literal(_Node):
    def __init__(self, value: str | float):
        self.literal = value
        self.kind = STRING if isinstance(value, str) else NUMBER

    def value(self, scope):
        return self.literal

    def series(self, scope):
        if self.kind == STRING:
            return _text_series(self.literal, scope.index)
        return _pd().Series(self.literal, index=scope.index, dtype="float64")

    def convert_array(self, scope, to):
        return _convert(self.kind, self.literal, to)


class _Answer(_Node):
    """`${name}`, or `.` (the answer being checked) when `name` is None."""

    def __init__(self, name: str | None):
        self.name = name

    def _raw(self, scope: _Scope) -> Any:
        return scope.current if self.name is None else scope.answers.get(self.name)

    def value(self, scope):
        return _answer_text(self._raw(scope))

    def convert(self, scope, to):
        # A numeric answer is used as the number it is, not re-read from its text.
        if to == NUMBER:
            return _answer_number(self._raw(scope))
        return _convert(STRING, self.value(scope), to)

    def series(self, scope):
        return scope.text(self.name)

    def convert_series(self, scope, to):
        if to == NUMBER:
            return scope.number(self.name)
        return _convert_series(STRING, scope.text(self.name), to)

    def convert_array(self, scope, to):
        if to == NUMBER:
            return scope.number(self.name).to_numpy()
        return super().convert_array(scope, to)


class ParentStep(_Node):
    """`..`, the instance around a question: only `position(..)` reads it."""

    def value(self, scope):
        return ""

    def series(self, scope):
        return _text_series("", scope.index)


class _Operator(_Node):
    """An operator: over a frame it computes on numpy arrays (`frame_result`)."""

    def series(self, scope):
        return _pd().Series(self.frame_result(scope), index=scope.index)


def _comparison_mode(operator_: str, left: _Node, right: _Node) -> str:
    kinds = {left.kind, right.kind}
    if operator_ in ("=", "!=") and BOOLEAN in kinds:
        return BOOLEAN
    if operator_ in ("=", "!=") and kinds == {STRING}:
        return STRING
    return NUMBER


_COMPARISONS = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class _Comparison(_Operator):
    kind = BOOLEAN

    def __init__(self, operator_: str, left: _Node, right: _Node):
        self.operator = operator_
        self.left, self.right = left, right
        self.mode = _comparison_mode(operator_, left, right)
        self.compare = _COMPARISONS[operator_]

    def children(self):
        return (self.left, self.right)

    def value(self, scope):
        return bool(
            self.compare(self.left.convert(scope, self.mode), self.right.convert(scope, self.mode))
        )

    def frame_result(self, scope):
        if self.mode == STRING:
            left = self.left.convert_series(scope, self.mode)
            right = self.right.convert_series(scope, self.mode)
            return self.compare(left, right).astype(bool)
        np = _np()
        with np.errstate(invalid="ignore"):
            left = self.left.convert_array(scope, self.mode)
            return self.compare(left, self.right.convert_array(scope, self.mode))


def _arithmetic_series(function: Callable) -> Callable:
    def apply(left, right):
        np = _np()
        with np.errstate(all="ignore"):
            return function(left, right)

    return apply


# operator -> (on two floats, on two float arrays)
_ARITHMETIC = {
    "+": (operator.add, _arithmetic_series(operator.add)),
    "-": (operator.sub, _arithmetic_series(operator.sub)),
    "*": (operator.mul, _arithmetic_series(operator.mul)),
    "div": (_divide, _arithmetic_series(lambda a, b: _np().divide(a, b))),
    "mod": (_modulo, _arithmetic_series(lambda a, b: _np().fmod(a, b))),
}


class _Arithmetic(_Operator):
    kind = NUMBER

    def __init__(self, operator_: str, left: _Node, right: _Node):
        self.operator = operator_
        self.left, self.right = left, right
        self.on_values, self.on_series = _ARITHMETIC[operator_]

    def children(self):
        return (self.left, self.right)

    def value(self, scope):
        return self.on_values(self.left.convert(scope, NUMBER), self.right.convert(scope, NUMBER))

    def frame_result(self, scope):
        return self.on_series(
            self.left.convert_array(scope, NUMBER), self.right.convert_array(scope, NUMBER)
        )


class _Negation(_Operator):
    kind = NUMBER

    def __init__(self, operand: _Node):
        self.operand = operand

    def children(self):
        return (self.operand,)

    def value(self, scope):
        return -self.operand.convert(scope, NUMBER)

    def frame_result(self, scope):
        return -self.operand.convert_array(scope, NUMBER)


class _Logical(_Operator):
    kind = BOOLEAN

    def __init__(self, operator_: str, left: _Node, right: _Node):
        self.operator = operator_
        self.left, self.right = left, right

    def children(self):
        return (self.left, self.right)

    def value(self, scope):
        left = self.left.convert(scope, BOOLEAN)
        if self.operator == "and":
            return left and self.right.convert(scope, BOOLEAN)
        return left or self.right.convert(scope, BOOLEAN)

    def frame_result(self, scope):
        left = self.left.convert_array(scope, BOOLEAN)
        right = self.right.convert_array(scope, BOOLEAN)
        return (left & right) if self.operator == "and" else (left | right)


class _Call(_Node):
    """A function call; `FUNCTIONS` says what each name does."""

    def __init__(self, name: str, arguments: tuple[_Node, ...]):
        self.name = name
        self.arguments = arguments
        spec = FUNCTIONS[name]
        self.kind = spec.kind(arguments)
        self.spec = spec

    def children(self):
        return self.arguments

    def value(self, scope):
        return self.spec.on_values(self, scope)

    def series(self, scope):
        return self.spec.on_series(self, scope)


@dataclass(frozen=True)
class _Function:
    arity: tuple[int, int]
    kind: Callable[[tuple[_Node, ...]], str]
    on_values: Callable[[_Call, _Scope], Any]
    on_series: Callable[[_Call, _FrameScope], Any]
    # Checks the arguments at parse time; returns why they are wrong, or None.
    check: Callable[[tuple[_Node, ...]], str | None] = lambda arguments: None


def _fixed(kind: str) -> Callable[[tuple[_Node, ...]], str]:
    return lambda arguments: kind


def _if_kind(arguments: tuple[_Node, ...]) -> str:
    _, then, otherwise = arguments
    return then.kind if then.kind == otherwise.kind else STRING


def _selected_series(call: _Call, scope: _FrameScope) -> pd.Series:
    chosen, code = call.arguments
    answers = chosen.convert_series(scope, STRING)
    if isinstance(code, _Literal):
        wanted = re.escape(_convert(code.kind, code.literal, STRING).strip())
        return answers.str.contains(rf"(?:^|\s){wanted}(?:\s|$)", regex=True).astype(bool)
    # The code itself varies by row: compare every chosen code with its row's code, by
    # position (the frame's index may repeat labels).
    np = _np()
    codes = code.convert_series(scope, STRING).str.strip().to_numpy(dtype=object)
    exploded = answers.reset_index(drop=True).str.split().explode()
    rows = exploded.index.to_numpy()
    found = np.zeros(len(answers), dtype=bool)
    np.logical_or.at(found, rows, exploded.to_numpy(dtype=object) == codes[rows])
    return _pd().Series(found, index=answers.index)


def _constant(value: Any, kind: str) -> _Function:
    return _Function(
        (0, 0),
        _fixed(kind),
        lambda call, scope: value,
        lambda call, scope: _pd().Series(value, index=scope.index, dtype=bool),
    )


def _conversion(to: str) -> _Function:
    return _Function(
        (1, 1),
        _fixed(to),
        lambda call, scope: call.arguments[0].convert(scope, to),
        lambda call, scope: call.arguments[0].convert_series(scope, to),
    )


def _if_values(call: _Call, scope: _Scope) -> Any:
    condition, then, otherwise = call.arguments
    branch = then if condition.convert(scope, BOOLEAN) else otherwise
    return branch.convert(scope, call.kind)


def _if_series(call: _Call, scope: _FrameScope) -> pd.Series:
    condition, then, otherwise = call.arguments
    chosen = then.convert_series(scope, call.kind)
    return chosen.where(
        condition.convert_series(scope, BOOLEAN), otherwise.convert_series(scope, call.kind)
    )


def _coalesce_values(call: _Call, scope: _Scope) -> str:
    first, second = (argument.convert(scope, STRING) for argument in call.arguments)
    return first if first != "" else second


def _coalesce_series(call: _Call, scope: _FrameScope) -> pd.Series:
    first, second = (argument.convert_series(scope, STRING) for argument in call.arguments)
    return first.where(first != "", second)


def _regex_check(arguments: tuple[_Node, ...]) -> str | None:
    pattern = arguments[1]
    if not (isinstance(pattern, _Literal) and pattern.kind == STRING):
        return "the pattern of regex() must be written in quotes"
    return pattern_problem(pattern.literal)


def _regex_values(call: _Call, scope: _Scope) -> bool:
    text, pattern = call.arguments
    return matches(pattern.literal, text.convert(scope, STRING))


def _regex_series(call: _Call, scope: _FrameScope) -> pd.Series:
    text, pattern = call.arguments
    return matches_series(pattern.literal, text.convert_series(scope, STRING))


FUNCTIONS: dict[str, _Function] = {
    "not": _Function(
        (1, 1),
        _fixed(BOOLEAN),
        lambda call, scope: not call.arguments[0].convert(scope, BOOLEAN),
        lambda call, scope: ~call.arguments[0].convert_series(scope, BOOLEAN),
    ),
    "selected": _Function(
        (2, 2),
        _fixed(BOOLEAN),
        lambda call, scope: (
            call.arguments[1].convert(scope, STRING).strip()
            in call.arguments[0].convert(scope, STRING).split()
        ),
        _selected_series,
    ),
    "count-selected": _Function(
        (1, 1),
        _fixed(NUMBER),
        lambda call, scope: float(len(call.arguments[0].convert(scope, STRING).split())),
        lambda call, scope: (
            call.arguments[0].convert_series(scope, STRING).str.count(r"\S+").astype("float64")
        ),
    ),
    "string-length": _Function(
        (1, 1),
        _fixed(NUMBER),
        lambda call, scope: float(len(call.arguments[0].convert(scope, STRING))),
        lambda call, scope: (
            call.arguments[0].convert_series(scope, STRING).str.len().astype("float64")
        ),
    ),
    "true": _constant(True, BOOLEAN),
    "false": _constant(False, BOOLEAN),
    "regex": _Function(
        (2, 2), _fixed(BOOLEAN), _regex_values, _regex_series, check=_regex_check
    ),
    "if": _Function((3, 3), _if_kind, _if_values, _if_series),
    "coalesce": _Function((2, 2), _fixed(STRING), _coalesce_values, _coalesce_series),
    "number": _conversion(NUMBER),
    "string": _conversion(STRING),
    "boolean": _conversion(BOOLEAN),
}


# ---------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class _Token:
    kind: str  # ref, current, number, string, op, punct, name, end
    text: str
    position: int


def _syntax_error(text: str, position: int, reason: str) -> ExpressionError:
    message = f"{reason} at position {position + 1} of {text!r}"
    error = ExpressionError(message)
    error.reason = reason
    error.position = position
    return error


def _tokenize(text: str) -> list[_Token]:
    tokens = []
    position = 0
    while position < len(text):
        foreign = _FOREIGN_OPERATOR.match(text, position)
        if foreign is not None:
            advice = _FOREIGN_OPERATORS[foreign.group()]
            raise _syntax_error(text, position, f"{foreign.group()!r} is not XLSForm: {advice}")
        match = _TOKEN.match(text, position)
        if match is None:
            character = text[position]
            if character == "$":
                reason = "expected a question reference like ${name}"
            elif character in _SINGLE_QUOTES + _DOUBLE_QUOTES:
                reason = "this text is not closed with a quote"
            else:
                reason = f"unexpected character {character!r}"
            raise _syntax_error(text, position, reason)
        kind = match.lastgroup if match.lastgroup != "ref_name" else "ref"
        if kind == "ref":
            tokens.append(_Token("ref", match.group("ref_name"), position))
        elif kind != "space":
            tokens.append(_Token(kind, match.group(), position))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


# Pending unary minus on the operator stack: it binds tighter than every binary operator.
_NEGATION = ("-", max(_BINARY_PRECEDENCE.values()) + 1)


@dataclass
class _Group:
    """An open `(` or function call, waiting for its `)`."""

    token: _Token  # the `(`, or the function's name
    function: _Function | None  # None for plain parentheses
    operators_below: int  # operators pending outside the group
    operands_below: int  # values outside the group; the arguments follow them


class _Parser:
    """Operator precedence over the tokens (XPath's priorities), on explicit stacks.

    Nothing recurses: every token is pushed and popped a bounded number of times, so the
    time grows linearly with the text and nesting is limited only by memory.
    """

    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.operands: list[_Node] = []
        self.operators: list[tuple[str, int]] = []
        self.groups: list[_Group] = []

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def error(self, reason: str, token: _Token | None = None) -> ExpressionError:
        return _syntax_error(self.text, (token or self.token).position, reason)

    def describe(self, token: _Token) -> str:
        return "the end of the expression" if token.kind == "end" else repr(token.text)

    def expect(self, text: str) -> None:
        if self.token.text != text or self.token.kind not in ("punct", "op"):
            raise self.error(f"expected {text!r} but found {self.describe(self.token)}")
        self.index += 1

    def parse(self) -> _Node:
        if self.token.kind == "end":
            raise self.error("the expression is empty")
        expecting_value = True
        while expecting_value is not None:
            if expecting_value:
                self.read_value()
                expecting_value = False
            else:
                expecting_value = self.read_after_value()
        (node,) = self.operands
        return node

    def read_value(self) -> None:
        """Prefix minuses and openings, up to one value pushed on the operand stack."""
        while True:
            token = self.token
            self.index += 1
            if token.kind == "op" and token.text == "-":
                self.operators.append(_NEGATION)
            elif token.kind == "punct" and token.text == "(":
                self.groups.append(_Group(token, None, len(self.operators), len(self.operands)))
            elif token.kind == "name":
                function = self.function(token)
                self.index += 1
                if self.token.text == ")":
                    self.index += 1
                    self.operands.append(self.call(token, function, []))
                    return
                self.groups.append(
                    _Group(token, function, len(self.operators), len(self.operands))
                )
            else:
                self.operands.append(self.primary(token))
                return

    def read_after_value(self) -> bool | None:
        """A binary operator, `,` or `)`: True when a value must follow, None at the end."""
        operator_ = self.binary_operator()
        if operator_ is not None:
            self.reduce(_BINARY_PRECEDENCE[operator_])
            self.operators.append((operator_, _BINARY_PRECEDENCE[operator_]))
            self.index += 1
            return True
        self.reduce(0)
        if not self.groups:
            if self.token.kind != "end":
                raise self.error(f"unexpected {self.describe(self.token)}")
            return None
        group = self.groups[-1]
        if group.function is not None and self.token.kind == "punct" and self.token.text == ",":
            self.index += 1
            return True
        self.expect(")")
        self.groups.pop()
        if group.function is not None:
            arguments = self.operands[group.operands_below :]
            del self.operands[group.operands_below :]
            self.operands.append(self.call(group.token, group.function, arguments))
        return False

    def binary_operator(self) -> str | None:
        token = self.token
        if token.kind == "op" or (token.kind == "name" and token.text in _BINARY_PRECEDENCE):
            return token.text if token.text in _BINARY_PRECEDENCE else None
        return None

    def reduce(self, minimum_precedence: int) -> None:
        """Apply the pending operators that bind at least this tightly (left to right)."""
        floor = self.groups[-1].operators_below if self.groups else 0
        operators, operands = self.operators, self.operands
        while len(operators) > floor and operators[-1][1] >= minimum_precedence:
            operator_ = operators.pop()
            if operator_ is _NEGATION:
                operands.append(_Negation(operands.pop()))
                continue
            text = operator_[0]
            right = operands.pop()
            left = operands.pop()
            if text in ("and", "or"):
                operands.append(_Logical(text, left, right))
            elif text in _COMPARISONS:
                operands.append(_Comparison(text, left, right))
            else:
                operands.append(_Arithmetic(text, left, right))

    def primary(self, token: _Token) -> _Node:
        if token.kind == "ref":
            return _Answer(token.text)
        if token.kind == "current":
            return _Answer(None)
        if token.kind == "parent":
            return ParentStep()
        if token.kind == "number":
            return _Literal(float(token.text))
        if token.kind == "string":
            return _Literal(token.text[1:-1])
        self.index -= 1
        raise self.error(f"expected a value but found {self.describe(token)}")

    def function(self, token: _Token) -> _Function:
        """The function a name followed by `(` calls; the `(` is the current token."""
        if self.token.text != "(":
            if token.text in FUNCTIONS:
                raise self.error(f"{token.text} is a function: write {token.text}(...)", token)
            raise self.error(
                f"unknown name {token.text!r}; to use a question's answer write "
                f"${{{token.text}}}, and put text in quotes",
                token,
            )
        function = FUNCTIONS.get(token.text)
        if function is None:
            known = ", ".join(f"{name}()" for name in FUNCTIONS)
            raise self.error(f"unknown function {token.text}() (known: {known})", token)
        return function

    def call(self, token: _Token, function: _Function, arguments: list[_Node]) -> _Node:
        low, high = function.arity
        if not low <= len(arguments) <= high:
            wanted = str(low) if low == high else f"{low} to {high}"
            raise self.error(
                f"{token.text}() takes {wanted} argument{'s' if high != 1 else ''}, "
                f"not {len(arguments)}",
                token,
            )
        problem = function.check(tuple(arguments))
        if problem:
            raise self.error(problem, token)
        return _Call(token.text, tuple(arguments))


# ---------------------------------------------------------------------------- public API


@dataclass(frozen=True, eq=False)
class Expression:
    """A parsed expression; build it with `parse_expression`."""

    text: str
    references: frozenset[str]
    uses_current: bool
    _root: _Node = field(repr=False)
    _inner_nodes: tuple[_Node, ...] = field(default=(), repr=False)

    def evaluate(self, answers: Mapping[str, Any], current: Any = None,
                 context: Context | None = None) -> str | float | bool:
        """The value for one set of answers; `current` is the answer `.` stands for.

        A repeat's question seen from outside it is the list of its answers (see
        `repeats.visible_answers`); `context` serves `jr:choice-name` and `pulldata`."""
        return self._root.convert(self._scope(answers, current, context), self._root.kind)

    def holds(self, answers: Mapping[str, Any], current: Any = None,
              context: Context | None = None) -> bool:
        """True when the expression is true for these answers (XPath's boolean())."""
        return bool(self._root.convert(self._scope(answers, current, context), BOOLEAN))

    def evaluate_frame(self, frame: pd.DataFrame, current: str | pd.Series | None = None,
                       context: Context | None = None):
        """The value for every row of `frame` (columns named by question id; a repeat's
        question is a column holding the list of its answers in each row)."""
        return self._root.convert_series(self._frame_scope(frame, current, context),
                                         self._root.kind)

    def holds_frame(self, frame: pd.DataFrame, current: str | pd.Series | None = None,
                    context: Context | None = None) -> pd.Series:
        """A boolean Series, one entry per row: `holds` computed column-wise."""
        result = self._root.convert_series(self._frame_scope(frame, current, context), BOOLEAN)
        return result.astype(bool).rename(None)

    @property
    def loose_references(self) -> frozenset[str]:
        """The names referred to other than as what `sum`, `count`, `max`, `min` or
        `indexed-repeat` go over: where a repeat's question (a list of answers outside its
        instance) would be read as one value."""
        loose = set()
        pending = [self._root]
        while pending:
            node = pending.pop()
            if isinstance(node, _Answer) and node.name is not None:
                loose.add(node.name)
            elif isinstance(node, _Call) and node.name in _OVER_INSTANCES:
                pending.extend(argument for position, argument in enumerate(node.arguments)
                               if not (isinstance(argument, _Answer)
                                       and _OVER_INSTANCES[node.name](position)))
            else:
                pending.extend(node.children())
        return frozenset(loose)

    @property
    def labelled_questions(self) -> frozenset[str]:
        """The questions whose choice labels `jr:choice-name(code, '${q}')` shows."""
        from dmsurvey.questionnaire.xpath_functions import choice_name_question

        return frozenset(choice_name_question(node.arguments) for node in self._root.walk()
                         if isinstance(node, _Call) and node.name == "jr:choice-name")

    @property
    def uses_position(self) -> bool:
        """Whether it reads `position(..)`, which only an instance of a repeat has."""
        return any(isinstance(node, ParentStep) for node in self._root.walk())

    @property
    def is_once(self) -> bool:
        """Whether the whole expression is `once(...)`: worked out until it has a value."""
        return isinstance(self._root, _Call) and self._root.name == "once"

    def _scope(self, answers: Mapping[str, Any], current: Any,
               context: Context | None) -> _Scope:
        scope = _Scope(answers, current, context or _NO_CONTEXT)
        _compute_inner_nodes(self._inner_nodes, scope, lambda node, scope: node.value(scope))
        return scope

    def _frame_scope(self, frame: pd.DataFrame, current: str | pd.Series | None,
                     context: Context | None) -> _FrameScope:
        if isinstance(current, str):
            current = frame[current] if current in frame.columns else None
        scope = _FrameScope(frame, current, context or _NO_CONTEXT)
        _compute_inner_nodes(self._inner_nodes, scope, lambda node, scope: node.frame_result(scope))
        return scope

    def compared_codes(self) -> tuple[tuple[str, str], ...]:
        """(question id, text) pairs the expression compares an answer with.

        `${industry} = 'manufacturing'` and `selected(${tech}, 'ai')` give
        ("industry", "manufacturing") and ("tech", "ai"): a loader can check that such
        codes exist, catching misspelt codes that would otherwise silently never match.
        """
        pairs = []
        for node in self._root.walk():
            operands: tuple[_Node, ...] = ()
            if isinstance(node, _Comparison) and node.operator in ("=", "!="):
                operands = (node.left, node.right)
            elif isinstance(node, _Call) and node.name == "selected":
                operands = node.arguments
            answers = [n for n in operands if isinstance(n, _Answer) and n.name is not None]
            texts = [n for n in operands if isinstance(n, _Literal) and n.kind == STRING]
            if answers and texts and texts[0].literal != "":
                pairs.append((answers[0].name, texts[0].literal.strip()))
        return tuple(pairs)

    def __str__(self) -> str:
        return self.text


# Functions that go over the instances of a repeat: which of their arguments (by position)
# may name a repeat's question or the repeat itself.
_OVER_INSTANCES: dict[str, Callable[[int], bool]] = {
    "sum": lambda position: True,
    "max": lambda position: True,
    "min": lambda position: True,
    "count": lambda position: True,
    "indexed-repeat": lambda position: position == 0 or position % 2 == 1,
}


def parse_expression(text: str) -> Expression:
    """Parse an XLSForm expression once; raises ExpressionError saying where it fails."""
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, not {text!r}")
    return _parse_cached(text)


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Expression:
    root = _Parser(text).parse()
    answers = [node for node in root.walk() if isinstance(node, _Answer)]
    return Expression(
        text=text,
        references=frozenset(node.name for node in answers if node.name is not None),
        uses_current=any(node.name is None for node in answers),
        _root=root,
        _inner_nodes=_inner_nodes_children_first(root),
    )


# The functions beyond the core ones (text, numbers, dates) add themselves to FUNCTIONS.
from dmsurvey.questionnaire import xpath_functions  # noqa: E402, F401
