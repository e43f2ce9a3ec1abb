"""Reading and checking questionnaire files.

    >>> from dmsurvey.questionnaire.loader import load_questionnaire
    >>> questionnaire = load_questionnaire("sme-digital-2020")     # a bundled name
    >>> questionnaire = load_questionnaire("my-survey.yaml")       # or a file: YAML or XLSForm

Loading checks the whole file and reports every problem at once, each with its file and
line, in one `QuestionnaireError`. The YAML is read safely (no tags that build objects) and
only `true`/`false` and `null` are given a meaning: every other scalar stays text, so the
codes `yes`, `no`, `on`, `01` and `1` survive exactly as written. Numbers are read from that
text where the format asks for a number.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dmsurvey.errors import ExpressionError, Problem, QuestionnaireError
from dmsurvey.questionnaire.expressions import Expression, parse_expression
from dmsurvey.questionnaire.formats import FORMATS
from dmsurvey.questionnaire.model import (
    CHOICE_TYPES,
    QUESTION_TYPES,
    REPEAT_METADATA,
    RESPONSE_METADATA,
    SELECT_TYPES,
    UNASKED_TYPES,
    Choice,
    Dimension,
    Level,
    Question,
    Questionnaire,
    Repeat,
    Scoring,
    ScoringItem,
    Section,
    Text,
    column_key,
)
from dmsurvey.wording import plural

# A path into the questionnaire data, such as ("sections", 0, "questions", 3, "relevant").
DataPath = tuple[str | int, ...]
# Where a path is in the source: a line number, or Problem fields such as {"row": 12}.
Locator = Callable[[DataPath], "int | Mapping[str, Any] | None"]

# pyxform also reads XLSForms saved as CSV; a response table named here is then told apart
# plainly ("it has no 'survey' sheet") rather than read as broken YAML.
XLSFORM_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
YAML_SUFFIXES = (".yaml", ".yml")
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")
ID_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Question ids are XLSForm names: `-` and `.` may follow the first letter.
QUESTION_ID_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
LANGUAGE_PATTERN = re.compile(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*")
NUMBER_PATTERN = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
# XLSForm metadata question types that dmsurvey keeps with each response.
METADATA_FIELDS = (
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
)

TOP_KEYS = (
    "name",
    "version",
    "title",
    "languages",
    "default_language",
    "description",
    "instructions",
    "metadata",
    "choice_lists",
    "sections",
    "scoring",
)
SECTION_KEYS = ("id", "title", "relevant", "repeat", "questions")
REPEAT_KEYS = ("count", "within")
QUESTION_KEYS = (
    "id",
    "type",
    "label",
    "hint",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
    "unit",
    "pii",
    "choices",
    "exclusive",
    "calculation",
    "choice_filter",
    "format",
    "firm_key",
    "previous",
)
CHOICE_KEYS = ("code", "label", "properties", "also_properties")
SCORING_KEYS = ("description", "dimensions", "levels")
DIMENSION_KEYS = ("id", "label", "weight", "applies_if", "min_answered", "items")
ITEM_KEYS = ("question", "weight", "points")
LEVEL_KEYS = ("id", "label", "min", "max")


# ---------------------------------------------------------------------------- YAML


class _YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe loading where only true/false and null are anything but text."""

    yaml_implicit_resolvers: dict = {}


_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
}


def read_yaml(text: str | bytes, source: str) -> tuple[Any, dict[DataPath, int]]:
    """Plain data from YAML text, and the line of every key and list item in it."""
    try:
        root = yaml.compose(text, Loader=_YamlLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        reason = " ".join(part for part in (error.context, error.problem) if part)
        raise QuestionnaireError(
            f"{source} is not valid YAML",
            [Problem(f"YAML syntax: {reason}", file=source, line=line)],
        ) from None
    except yaml.YAMLError as error:
        raise QuestionnaireError(
            f"{source} is not valid YAML", [Problem(str(error), file=source)]
        ) from None
    reader = _NodeReader(source)
    data = reader.data(root, ()) if root is not None else None
    if reader.problems:
        raise QuestionnaireError(f"{source} cannot be read", reader.problems)
    return data, reader.lines


class _NodeReader:
    """Plain data from composed YAML nodes, noting the line of every key and list item."""

    # Aliases can repeat a part many times over; a questionnaire never needs this many
    # (3,000 bilingual questions with their own choices take some 300,000).
    MAXIMUM_NODES = 3_000_000

    def __init__(self, source: str):
        self.source = source
        self.lines: dict[DataPath, int] = {}
        self.problems: list[Problem] = []
        self.nodes_read = 0
        self.open_nodes: set[int] = set()

    def problem(self, node, message: str, value: Any = None) -> None:
        self.problems.append(
            Problem(message, file=self.source, line=node.start_mark.line + 1, value=value)
        )

    def data(self, node, path: DataPath) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        self.nodes_read += 1
        if self.nodes_read > self.MAXIMUM_NODES or id(node) in self.open_nodes:
            if self.nodes_read == self.MAXIMUM_NODES + 1 or id(node) in self.open_nodes:
                self.problem(node, "the YAML aliases here repeat without end")
            return None
        self.open_nodes.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                self.check_tag(node, "tag:yaml.org,2002:seq")
                return [self.data(item, (*path, index)) for index, item in enumerate(node.value)]
        finally:
            self.open_nodes.discard(id(node))
        if node.tag == "tag:yaml.org,2002:bool":
            return node.value.lower() == "true"
        if node.tag == "tag:yaml.org,2002:null":
            return None
        if node.tag not in _PLAIN_TAGS:
            self.check_tag(node, "tag:yaml.org,2002:str")
        return node.value

    def mapping(self, node, path: DataPath) -> dict[str, Any]:
        self.check_tag(node, "tag:yaml.org,2002:map")
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node, "a key must be plain text")
                continue
            key = key_node.value
            if key in result:
                self.problem(
                    key_node,
                    f"key {key!r} appears twice in this mapping"
                    f"{_first_on(self.lines[(*path, key)])}",
                )
                continue
            self.lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = self.data(value_node, (*path, key))
        return result

    def check_tag(self, node, expected: str) -> None:
        if node.tag != expected:
            self.problem(node, "YAML tags are not allowed in a questionnaire", value=node.tag)


def _locator_from_lines(lines: Mapping[DataPath, int]) -> Locator:
    def locate(path: DataPath) -> int | None:
        for end in range(len(path), -1, -1):
            line = lines.get(path[:end])
            if line is not None:
                return line
        return None

    return locate


# ---------------------------------------------------------------------------- loading


def load_questionnaire(name_or_path: str | Path) -> Questionnaire:
    """Load and check a questionnaire: a bundled name, a YAML file or an XLSForm."""
    path = resolve_questionnaire(name_or_path)
    source = str(path)
    content = path.read_bytes()
    if path.suffix.lower() in XLSFORM_SUFFIXES:
        from dmsurvey.questionnaire.xlsform import xlsform_to_dict

        data, locate = xlsform_to_dict(path)
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise QuestionnaireError(
                f"{source} is not UTF-8 text",
                [Problem("save the file as UTF-8", file=source, value=str(error))],
            ) from None
        data, lines = read_yaml(text, source)
        locate = _locator_from_lines(lines)
    return _Builder(source, locate).build(data, sha256=hashlib.sha256(content).hexdigest())


def resolve_questionnaire(name_or_path: str | Path) -> Path:
    """The file a questionnaire name or path stands for.

    An existing file wins; otherwise a bare name (no folder, no suffix) is looked up among
    the bundled questionnaires, so a study folder called `sme-digital-2020` does not hide
    the bundled questionnaire of that name.
    """
    path = Path(name_or_path)
    if path.is_file():
        return path
    # Commands may hand over a Path even for a name: judge by the text, not the type.
    bare_name = len(path.parts) == 1 and path.suffix.lower() not in YAML_SUFFIXES + XLSFORM_SUFFIXES
    if bare_name:
        from dmsurvey.questionnaire.bundled import bundled_path, list_bundled

        found = bundled_path(path.name)
        if found is not None:
            return found
        if not path.exists():
            names = ", ".join(info.name for info in list_bundled()) or "none"
            raise QuestionnaireError(
                f"no questionnaire named {path.name!r}: give a YAML or XLSForm file, "
                f"or one of the bundled questionnaires ({names})"
            )
    if path.is_dir():
        raise QuestionnaireError(f"{path} is a folder, not a questionnaire file")
    raise QuestionnaireError(f"questionnaire file not found: {path}")


def questionnaire_from_dict(
    data: Any, *, source: str, locate: Locator | None = None
) -> Questionnaire:
    """Build and check a questionnaire from plain data (parsed YAML, a converted XLSForm).

    `locate(path)` says where a part of the data came from, for messages: a line number, a
    mapping of `Problem` fields (`{"row": 12}`), or None. Raises `QuestionnaireError`
    listing every problem found.
    """
    return _Builder(source, locate or (lambda path: None)).build(data, sha256=None)


def questionnaire_from_yaml(text: str, *, source: str = "<text>") -> Questionnaire:
    """Build and check a questionnaire from YAML text (handy in notebooks and tests)."""
    data, lines = read_yaml(text, source)
    return _Builder(source, _locator_from_lines(lines)).build(
        data, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest()
    )


# ---------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class _QuestionsNamed:
    """The questions an expression names, for `check_references`, without its codes (a
    choice filter compares questions with the choices' columns, not with codes)."""

    references: frozenset[str]

    def compared_codes(self) -> tuple:
        return ()


def _pairs(properties: Mapping) -> tuple[tuple[str, str], ...]:
    return tuple((str(key), "" if value is None else str(value))
                 for key, value in properties.items())


class _Invalid(Exception):
    """A value could not be used; the problem is already recorded."""


def _describe(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "nothing"
    return repr(value)


class _Builder:
    """Turns plain data into the model, recording every problem on the way."""

    def __init__(self, source: str, locate: Locator):
        self.source = source
        self.locate = locate
        self.problems: list[Problem] = []
        self.languages: tuple[str, ...] = ()
        # Every question id met, in order, with its line (even questions with problems, so
        # references to them are not reported a second time).
        self.declared: dict[str, int | None] = {}
        # Where each valid question is in the data, for messages about its expressions.
        self.question_paths: dict[str, DataPath] = {}
        self.repeated: set[str] = set()  # ids of the questions of repeat sections
        # repeat section id -> (the repeat it is inside, questions declared before it)
        self.repeat_sections: dict[str, tuple[str | None, int]] = {}
        self.section_of: dict[str, str] = {}  # question id -> its section's id
        # (section id, relevant, path, number of questions before the section)
        self.section_conditions: list[tuple[str, str | None, DataPath, int]] = []
        self.valid: dict[str, Question] = {}
        self.position: dict[str, int] = {}
        self.firm_key_question: str | None = None

    # -- reporting

    def where(self, path: DataPath) -> dict[str, Any]:
        located = self.locate(path)
        if located is None:
            return {}
        if isinstance(located, Mapping):
            return dict(located)
        return {"line": located}

    def line_of(self, path: DataPath) -> int | None:
        where = self.where(path)
        return where.get("line", where.get("row"))

    def problem(self, path: DataPath, message: str, *, value: Any = None, expected=None) -> None:
        self.problems.append(
            Problem(message, file=self.source, value=value, expected=expected, **self.where(path))
        )

    # -- plain values

    def mapping(self, value: Any, path: DataPath, what: str, keys: Sequence[str]) -> dict:
        if not isinstance(value, Mapping):
            self.problem(path, f"{what} must be a mapping of keys, not {_describe(value)}")
            raise _Invalid
        for key in value:
            if key not in keys:
                self.problem(
                    (*path, key),
                    f"{what} has an unknown key {str(key)!r}",
                    expected="one of " + ", ".join(keys),
                )
        return dict(value)

    def sequence(self, value: Any, path: DataPath, what: str, *, required: bool = True) -> list:
        if value is None and not required:
            return []
        if value is None:
            self.problem(path, f"{what} is missing")
            raise _Invalid
        if not isinstance(value, list | tuple) or (required and not value):
            self.problem(path, f"{what} must be a non-empty list, not {_describe(value)}")
            raise _Invalid
        return list(value)

    def text_value(self, value: Any, path: DataPath, what: str) -> str:
        if value is None or value == "":
            self.problem(path, f"{what} is missing")
            raise _Invalid
        if isinstance(value, bool) or value is None or isinstance(value, Mapping | list | tuple):
            self.problem(path, f"{what} must be text, not {_describe(value)}")
            raise _Invalid
        return value if isinstance(value, str) else _number_text(value)

    def identifier(self, value: Any, path: DataPath, what: str, pattern=ID_PATTERN) -> str:
        text = self.text_value(value, path, what)
        if not pattern.fullmatch(text):
            expected = {
                NAME_PATTERN: "lowercase letters, digits, - and _",
                QUESTION_ID_PATTERN: "a letter or _ followed by letters, digits, _, - or .",
            }.get(pattern, "a letter or _ followed by letters, digits or _")
            self.problem(path, f"{what} is not a valid name", value=text, expected=expected)
            raise _Invalid
        return text

    def number(
        self, value: Any, path: DataPath, what: str, *, low=None, high=None, positive=False
    ) -> float:
        number = _as_number(value)
        if number is None:
            self.problem(path, f"{what} must be a number", value=value)
            raise _Invalid
        if not math.isfinite(number):
            self.problem(path, f"{what} is too large", value=value,
                         expected="a finite number, such as 1 or 2.5")
            raise _Invalid
        if (
            (low is not None and number < low)
            or (high is not None and number > high)
            or (positive and number <= 0)
        ):
            if positive:
                expected = "a number above 0"
            else:
                expected = f"a number from {format(low, 'g')} to {format(high, 'g')}"
            self.problem(path, f"{what} is out of range", value=value, expected=expected)
            raise _Invalid
        return number

    def flag(self, value: Any, path: DataPath, what: str) -> bool:
        if value is None:
            return False
        if not isinstance(value, bool):
            self.problem(path, f"{what} must be true or false", value=value)
            raise _Invalid
        return value

    def text(self, value: Any, path: DataPath, what: str, *, required: bool = True) -> Text | None:
        """A text in every declared language: a {language: text} mapping."""
        if value is None or value == "":
            if required:
                self.problem(path, f"{what} is missing")
                raise _Invalid
            return None
        if not isinstance(value, Mapping):
            if len(self.languages) == 1 and not isinstance(value, list | tuple | bool):
                return Text({self.languages[0]: self.text_value(value, path, what)})
            self.problem(
                path,
                f"{what} must give the text in each language",
                expected="a mapping like {"
                + ", ".join(f"{lang}: ..." for lang in self.languages)
                + "}",
            )
            raise _Invalid
        texts: dict[str, str] = {}
        for language, text in value.items():
            if self.languages and language not in self.languages:
                self.problem(
                    (*path, language),
                    f"{what} is in language {language!r}, which `languages` does not declare",
                    expected=", ".join(self.languages),
                )
                continue
            if text is None or (isinstance(text, str) and not text.strip()):
                continue
            try:
                texts[language] = self.text_value(text, (*path, language), what)
            except _Invalid:
                continue
        for language in self.languages:
            if language not in texts:
                self.problem(path, f"{what} has no text in language {language!r}")
        return Text(texts)

    def attempt(self, function: Callable, *args, default=None, **kwargs):
        """Run one check; a recorded problem leaves `default` in place of the value."""
        try:
            return function(*args, **kwargs)
        except _Invalid:
            return default

    # -- the questionnaire

    def build(self, data: Any, *, sha256: str | None) -> Questionnaire:
        try:
            questionnaire = self.questionnaire(data, sha256)
        except _Invalid:
            questionnaire = None
        if self.problems or questionnaire is None:
            self.problems.sort(key=lambda p: (p.line is None, p.line or 0, p.row or 0))
            raise QuestionnaireError(
                f"{self.source}: {plural(len(self.problems), 'problem')} in the questionnaire",
                self.problems,
            )
        return questionnaire

    def questionnaire(self, data: Any, sha256: str | None) -> Questionnaire:
        top = self.mapping(data, (), "the questionnaire", TOP_KEYS)
        name = self.attempt(self.identifier, top.get("name"), ("name",), "name", NAME_PATTERN)
        version = self.attempt(self.text_value, top.get("version"), ("version",), "version")
        self.languages = self.attempt(self.language_list, top.get("languages"), default=())
        default_language = top.get("default_language")
        if default_language is not None and default_language not in self.languages:
            self.problem(
                ("default_language",),
                "default_language is not one of the languages",
                value=default_language,
                expected=", ".join(self.languages),
            )
            default_language = None
        title = self.attempt(self.text, top.get("title"), ("title",), "title")
        description = self.attempt(
            self.text, top.get("description"), ("description",), "description", required=False
        )
        instructions = self.attempt(
            self.text, top.get("instructions"), ("instructions",), "instructions", required=False
        )
        metadata = self.attempt(self.metadata, top.get("metadata"), default=())
        choice_lists = self.attempt(self.choice_lists, top.get("choice_lists"), default={})
        sections = self.attempt(self.sections, top.get("sections"), choice_lists, default=())
        questions = [question for section in sections for question in section.questions]
        self.check_column_names(metadata or ())
        self.valid = {question.id: question for question in questions}
        self.check_expressions(questions)
        scoring = None
        if top.get("scoring") is not None:
            scoring = self.attempt(self.scoring, top["scoring"], questions)
        if self.problems:
            raise _Invalid
        return Questionnaire(
            name=name,
            version=version,
            title=title,
            languages=self.languages,
            sections=sections,
            default_language=default_language or self.languages[0],
            description=description,
            instructions=instructions,
            scoring=scoring,
            metadata_fields=metadata,
            source=self.source,
            sha256=sha256,
        )

    def language_list(self, value: Any) -> tuple[str, ...]:
        languages = self.sequence(value, ("languages",), "languages")
        valid = []
        for index, language in enumerate(languages):
            path = ("languages", index)
            code = self.attempt(self.text_value, language, path, "a language")
            if code is None:
                continue
            if not LANGUAGE_PATTERN.fullmatch(code):
                self.problem(path, "a language must be a code like zh or en", value=code)
            elif code in valid:
                self.problem(path, "language listed twice", value=code)
            else:
                valid.append(code)
        return tuple(valid)

    def metadata(self, value: Any) -> tuple[str, ...]:
        fields = []
        for index, item in enumerate(
            self.sequence(value, ("metadata",), "metadata", required=False)
        ):
            if item not in METADATA_FIELDS:
                self.problem(
                    ("metadata", index),
                    "unknown metadata field",
                    value=item,
                    expected=", ".join(METADATA_FIELDS),
                )
            elif item not in fields:
                fields.append(item)
        return tuple(fields)

    def choice_lists(self, value: Any) -> dict[str, tuple[Choice, ...] | None]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.problem(("choice_lists",), "choice_lists must map list names to choices")
            raise _Invalid
        lists = {}
        for list_name, choices in value.items():
            path = ("choice_lists", list_name)
            # A list with problems is still known by name, so questions using it don't also fail.
            lists[str(list_name)] = self.attempt(
                self.choices, choices, path, f"choice list {list_name!r}"
            )
        return lists

    def choices(self, value: Any, path: DataPath, what: str) -> tuple[Choice, ...]:
        items = self.sequence(value, path, what)
        choices = []
        first_line: dict[str, int | None] = {}
        for index, item in enumerate(items):
            item_path = (*path, index)
            try:
                entry = self.mapping(item, item_path, f"a choice of {what}", CHOICE_KEYS)
                if entry.get("code") in (None, ""):
                    self.problem(item_path, f"a choice of {what} has no code")
                    raise _Invalid
                code = self.text_value(entry["code"], (*item_path, "code"), "a choice code")
                label = self.attempt(
                    self.text, entry.get("label"), (*item_path, "label"), f"choice {code!r}"
                )
            except _Invalid:
                continue
            line = self.line_of(item_path)
            if code in first_line:
                self.problem(
                    (*item_path, "code"),
                    f"code {code!r} appears twice in {what}{_first_on(first_line[code])}",
                )
                continue
            if re.search(r"\s", code):
                self.problem(
                    (*item_path, "code"),
                    "a choice code cannot contain spaces (multiple answers are stored "
                    "space-separated)",
                    value=code,
                )
                continue
            first_line[code] = line
            properties = entry.get("properties") or {}
            if not isinstance(properties, Mapping):
                self.problem((*item_path, "properties"),
                             "properties must be a mapping of column: value")
                properties = {}
            also = entry.get("also_properties") or []
            if not (isinstance(also, list) and all(isinstance(a, Mapping) for a in also)):
                self.problem((*item_path, "also_properties"),
                             "also_properties must be a list of mappings of column: value")
                also = []
            if label is not None:
                choices.append(Choice(
                    code=code, label=label, line=line,
                    properties=_pairs(properties),
                    also_properties=tuple(_pairs(more) for more in also),
                ))
        return tuple(choices)

    def sections(self, value: Any, choice_lists: Mapping) -> tuple[Section, ...]:
        sections = []
        first_line: dict[str, int | None] = {}
        for index, item in enumerate(self.sequence(value, ("sections",), "sections")):
            path = ("sections", index)
            try:
                entry = self.mapping(item, path, _named("section", item), SECTION_KEYS)
            except _Invalid:
                continue
            # A section without a usable id is still checked, under its number.
            section_id = self.attempt(
                self.identifier, entry.get("id"), (*path, "id"), "a section id"
            ) or str(index + 1)
            if section_id in first_line:
                self.problem(
                    (*path, "id"),
                    f"section id {section_id!r} is used twice{_first_on(first_line[section_id])}",
                )
            first_line[section_id] = self.line_of(path)
            title = self.attempt(
                self.text, entry.get("title"), (*path, "title"), f"section {section_id} title"
            )
            # a repeat may hold only the repeats inside it (checked once all are read)
            only_repeats = entry.get("repeat") not in (None, False) and entry.get(
                "questions") in (None, [])
            questions = self.attempt(
                self.sequence,
                entry.get("questions"),
                (*path, "questions"),
                f"section {section_id} questions",
                required=not only_repeats,
                default=[],
            )
            relevant = self.expression_text(entry.get("relevant"), (*path, "relevant"))
            self.section_conditions.append(
                (section_id, relevant, (*path, "relevant"), len(self.declared))
            )
            repeat = None
            if entry.get("repeat") is not None:
                repeat = self.attempt(self.repeat, entry["repeat"], (*path, "repeat"),
                                      section_id, sections)
            built = []
            for number, question in enumerate(questions):
                question_path = (*path, "questions", number)
                result = self.attempt(
                    self.question,
                    question,
                    question_path,
                    section_id,
                    choice_lists,
                )
                if result is not None:
                    built.append(result)
            if repeat is not None:
                self.repeated.update(question.id for question in built)
                self.repeat_sections[section_id] = (repeat.within,
                                                    len(self.declared) - len(built))
            self.section_of.update((question.id, section_id) for question in built)
            sections.append(
                Section(
                    id=section_id,
                    title=title,
                    questions=tuple(built),
                    relevant=relevant,
                    repeat=repeat,
                    line=self.line_of(path),
                )
            )
        within = {section.repeat.within for section in sections if section.is_repeat}
        for index, section in enumerate(sections):
            if section.is_repeat and not section.questions and section.id not in within:
                self.problem(("sections", index, "questions"),
                             f"section {section.id} has no questions and no repeat inside it")
        return tuple(sections)

    def repeat(self, value: Any, path: DataPath, section_id: str,
               earlier: Sequence[Section]) -> Repeat:
        """`repeat: true`, or `repeat: {count: 3 | expression, within: an earlier repeat}`."""
        if value is True:
            return Repeat()
        entry = self.mapping(value, path, f"section {section_id} repeat", REPEAT_KEYS)
        count = entry.get("count")
        if count is not None and not isinstance(count, str):
            count = str(count)
        count = self.expression_text(count, (*path, "count"))
        if count is not None:
            self.section_conditions.append(
                (section_id, count, (*path, "count"), len(self.declared))
            )
        within = entry.get("within")
        if within is not None:
            repeats = [section.id for section in earlier if section.is_repeat]
            if within not in repeats:
                self.problem((*path, "within"), f"section {section_id} repeats within "
                             f"{within!r}, which is not an earlier repeat section",
                             value=within, expected=", ".join(repeats) or "an earlier repeat")
                raise _Invalid
        return Repeat(count=count, within=within)

    def question(
        self,
        value: Any,
        path: DataPath,
        section_id: str,
        choice_lists: Mapping,
    ) -> Question:
        entry = self.mapping(value, path, _named("question", value), QUESTION_KEYS)
        question_id = self.attempt(
            self.identifier, entry.get("id"), (*path, "id"), "a question id", QUESTION_ID_PATTERN
        )
        line = self.line_of(path)
        # A question without a usable id is still checked, then left out.
        usable = question_id is not None
        if question_id in self.declared:
            first = self.declared[question_id]
            self.problem(
                (*path, "id"), f"question id {question_id!r} is used twice{_first_on(first)}"
            )
            usable = False
        elif usable:
            self.declared[question_id] = line
            self.question_paths[question_id] = path
        what = f"question {question_id or f'{path[-1] + 1} of section {section_id}'}"
        question_type = entry.get("type")
        if question_type not in QUESTION_TYPES:
            self.problem(
                (*path, "type"),
                f"{what} has an unknown type",
                value=question_type,
                expected=", ".join(QUESTION_TYPES),
            )
            question_type = None
        unasked = question_type in UNASKED_TYPES
        label = self.attempt(
            self.text, entry.get("label"), (*path, "label"), f"{what} label", required=not unasked
        )
        if label is None and unasked and question_id:
            label = Text(dict.fromkeys(self.languages or ("default",), question_id))
        calculation = self.expression_text(entry.get("calculation"), (*path, "calculation"))
        choice_filter = self.expression_text(entry.get("choice_filter"), (*path, "choice_filter"))
        if choice_filter is not None and question_type not in CHOICE_TYPES:
            self.problem((*path, "choice_filter"), f"{what}: only selects filter choices")
        if calculation is not None and question_type != "calculate":
            self.problem((*path, "calculation"), f"{what}: only calculate questions calculate")
        optional_texts = {
            key: self.attempt(
                self.text, entry.get(key), (*path, key), f"{what} {key}", required=False
            )
            for key in ("hint", "required_message", "constraint_message", "unit")
        }
        required = self.attempt(self.flag, entry.get("required"), (*path, "required"), "required")
        pii = self.attempt(self.flag, entry.get("pii"), (*path, "pii"), "pii")
        choices, choice_list = self.question_choices(entry, path, what, question_type, choice_lists)
        exclusive = self.exclusive(entry, path, what, question_type, choices)
        answer_format = self.answer_format(entry, path, what, question_type)
        previous = self.previous_codes(entry, path, what, question_type, choices)
        firm_key = self.attempt(self.flag, entry.get("firm_key"), (*path, "firm_key"), "firm_key")
        if firm_key:
            firm_key = self.firm_key(path, what, question_type, usable and question_id)
        if (question_type == "note" or unasked) and (required or entry.get("constraint")):
            self.problem(
                path,
                f"{what} is a {question_type}: it takes no answer, so it cannot be "
                "required or have a constraint",
            )
        if not usable or question_type is None or label is None:
            raise _Invalid
        return Question(
            id=question_id,
            type=question_type,
            label=label,
            section=section_id,
            hint=optional_texts["hint"],
            choices=choices,
            choice_list=choice_list,
            required=bool(required),
            required_message=optional_texts["required_message"],
            relevant=self.expression_text(entry.get("relevant"), (*path, "relevant")),
            constraint=self.expression_text(entry.get("constraint"), (*path, "constraint")),
            constraint_message=optional_texts["constraint_message"],
            unit=optional_texts["unit"],
            pii=bool(pii),
            exclusive=exclusive,
            calculation=calculation,
            choice_filter=choice_filter,
            format=answer_format,
            firm_key=bool(firm_key),
            previous=previous,
            line=line,
        )

    def answer_format(self, entry: Mapping, path: DataPath, what: str, question_type):
        given = entry.get("format")
        if given is None:
            return None
        if given not in FORMATS:
            self.problem((*path, "format"), f"{what} has an unknown format", value=given,
                         expected=", ".join(FORMATS))
            return None
        if question_type not in (None, "text"):
            self.problem((*path, "format"), f"{what} is {question_type}: only a text question "
                         "can have a format")
            return None
        return given

    def previous_codes(self, entry: Mapping, path: DataPath, what: str, question_type, choices):
        """`previous: {code: earlier code | [earlier codes] | null}` of a select question."""
        given = entry.get("previous")
        if given is None:
            return ()
        previous_path = (*path, "previous")
        if question_type not in (None, *SELECT_TYPES):
            self.problem(previous_path, f"{what} is {question_type}: only select questions "
                         "map their codes to an earlier questionnaire's")
            return ()
        if not isinstance(given, Mapping):
            self.problem(previous_path, f"{what}: previous must map codes to earlier codes",
                         value=given, expected="a mapping like {new_code: old_code}")
            return ()
        codes = [choice.code for choice in choices]
        pairs = []
        for code, earlier in given.items():
            if codes and code not in codes:
                self.problem((*previous_path, code), f"{what}: previous maps a code it does "
                             "not have", value=code, expected=", ".join(codes))
                continue
            earlier = [] if earlier is None else [earlier] if isinstance(earlier, str) else earlier
            if not isinstance(earlier, list | tuple) or not all(
                    isinstance(item, str) and item for item in earlier):
                self.problem((*previous_path, code), f"{what}: previous code {code!r} must map "
                             "to an earlier code, a list of them, or null (no equivalent)",
                             value=earlier)
                continue
            pairs.append((str(code), tuple(earlier)))
        return tuple(pairs)

    def firm_key(self, path: DataPath, what: str, question_type, question_id) -> bool:
        if question_type not in (None, "text"):
            self.problem((*path, "firm_key"), f"{what} is {question_type}: a firm key is a "
                         "text question")
            return False
        if self.firm_key_question and question_id:
            self.problem((*path, "firm_key"), f"{what} is a second firm key; "
                         f"{self.firm_key_question} is already the firm key")
            return False
        self.firm_key_question = question_id or self.firm_key_question
        return True

    def question_choices(
        self, entry: Mapping, path: DataPath, what: str, question_type, choice_lists: Mapping
    ) -> tuple[tuple[Choice, ...], str | None]:
        given = entry.get("choices")
        choices_path = (*path, "choices")
        if question_type not in CHOICE_TYPES:
            if given is not None and question_type is not None:
                self.problem(choices_path, f"{what} is {question_type}: it takes no choices")
            return (), None
        if given is None:
            self.problem(path, f"{what} is {question_type} but has no choices")
            return (), None
        if isinstance(given, str):
            if given not in choice_lists:
                self.problem(
                    choices_path,
                    f"{what} uses a choice list that does not exist",
                    value=given,
                    expected=", ".join(choice_lists) or "a list under choice_lists",
                )
                return (), given
            return choice_lists[given] or (), given
        return self.attempt(self.choices, given, choices_path, f"{what} choices", default=()), None

    def exclusive(
        self, entry: Mapping, path: DataPath, what: str, question_type, choices
    ) -> tuple[str, ...]:
        codes = [choice.code for choice in choices]
        given = entry.get("exclusive")
        if given is None:
            return ("none",) if question_type == "select_multiple" and "none" in codes else ()
        exclusive_path = (*path, "exclusive")
        if question_type != "select_multiple":
            self.problem(
                exclusive_path, f"{what}: only select_multiple questions have exclusive codes"
            )
            return ()
        given = [given] if isinstance(given, str) else given
        if not isinstance(given, list | tuple):
            self.problem(exclusive_path, f"{what}: exclusive must be a list of codes")
            return ()
        unknown = [str(code) for code in given if str(code) not in codes]
        if unknown and codes:
            self.problem(
                exclusive_path,
                f"{what}: exclusive names codes it does not have",
                value=", ".join(unknown),
                expected=", ".join(codes),
            )
        return tuple(str(code) for code in given if str(code) in codes)

    def check_column_names(self, metadata: Sequence[str]) -> None:
        """Question ids must differ, ignoring case, from each other and from the metadata
        columns: a study's database (like Stata and SPSS) does not tell `Size` from `size`."""
        taken: dict[str, str] = {
            column_key(name): f"the response metadata column {name!r}"
            for name in (*RESPONSE_METADATA, *metadata)
        }
        in_repeats = {column_key(name) for name in REPEAT_METADATA}
        for question_id, line in self.declared.items():
            key = column_key(question_id)
            if key in in_repeats and question_id in self.repeated:
                self.problem(
                    (*self.question_paths[question_id], "id"),
                    f"question id {question_id!r} of a repeat section is the same as the "
                    "column that keys its instances when case is ignored",
                    expected="an id other than " + ", ".join(REPEAT_METADATA),
                )
            elif key in taken:
                self.problem(
                    (*self.question_paths[question_id], "id"),
                    f"question id {question_id!r} is the same as {taken[key]} when case is "
                    "ignored, as a study's database ignores it",
                    expected="an id that differs in more than case",
                )
            else:
                taken[key] = f"question id {question_id!r}{_first_on(line)}"

    # -- expressions

    def expression_text(self, value: Any, path: DataPath) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str):
            self.problem(path, "an expression must be text in quotes", value=value)
            return None
        return value.strip()

    def parsed(self, text: str | None, path: DataPath, what: str) -> Expression | None:
        if text is None:
            return None
        try:
            return parse_expression(text)
        except ExpressionError as error:
            reason = getattr(error, "reason", error.message)
            position = getattr(error, "position", None)
            at = f" at position {position + 1}" if position is not None else ""
            self.problem(path, f"{what} cannot be read: {reason}{at}", value=text)
            return None

    def check_expressions(self, questions: Sequence[Question]) -> None:
        """Every reference must name an earlier question; compared codes must exist."""
        self.position = {question_id: index for index, question_id in enumerate(self.declared)}
        for section_id, relevant, path, start in self.section_conditions:
            what = f"section {section_id} {path[-1]}"
            # a repeat's count is worked out before its instances, in the repeat around it
            inside = (self.repeat_sections[section_id][0] if path[-1] == "count"
                      else section_id)
            self.check_references(self.parsed(relevant, path, what), path, what, before=start,
                                  inside=self.instances_around(inside))
        for question in questions:
            for key in ("relevant", "constraint", "calculation"):
                path = (*self.question_paths[question.id], key)
                what = f"question {question.id} {key}"
                expression = self.parsed(getattr(question, key), path, what)
                if expression is None:
                    continue
                if key != "constraint" and expression.uses_current:
                    self.problem(path, f"{what} uses '.', which only a constraint can use")
                # A constraint may name its own question (the same as '.'); a calculation is
                # worked out again after every answer, so it may name any question.
                before = self.position[question.id] + (key == "constraint")
                self.check_references(
                    expression, path, what, before=None if key == "calculation" else before,
                    inside=self.instances_around(self.section_of.get(question.id)),
                )
            if question.choice_filter:
                self.check_choice_filter(question)

    def check_choice_filter(self, question: Question) -> None:
        """A choice filter names earlier questions and columns its choices have."""
        from dmsurvey.questionnaire.choice_filters import bare_names, filter_expression

        path = (*self.question_paths[question.id], "choice_filter")
        what = f"question {question.id} choice_filter"
        columns = {"name"} | {key for choice in question.choices
                              for properties in choice.property_sets for key, _ in properties}
        for name in bare_names(question.choice_filter):
            if name not in columns:
                self.problem(path, f"{what} names {name!r}, which is not a column of its "
                             "choices", expected=", ".join(sorted(columns)))
                return
        expression = self.parsed(filter_expression(question.choice_filter), path, what)
        if expression is not None:
            asked = expression.references - {f"_choice.{name}" for name in columns}
            self.check_references(_QuestionsNamed(frozenset(asked)), path, what,
                                  before=self.position[question.id])

    def instances_around(self, section_id: str | None) -> frozenset[str]:
        """The repeats whose instance an expression of section `section_id` is evaluated in:
        the section itself if it repeats, and the repeats around it."""
        inside = set()
        while section_id in self.repeat_sections:
            inside.add(section_id)
            section_id = self.repeat_sections[section_id][0]
        return frozenset(inside)

    def check_references(
        self, expression: Expression | None, path: DataPath, what: str, *, before: int | None,
        inside: frozenset[str] = frozenset(),
    ) -> None:
        """Check the questions an expression names; `before`: how many come before it;
        `inside`: the repeats whose instance it is evaluated in (their questions are one
        answer there; those of other repeats a list, to go over with sum(), count(), ...)."""
        if expression is None:
            return
        loose = getattr(expression, "loose_references", frozenset())
        if getattr(expression, "uses_position", False) and not inside:
            self.problem(path, f"{what} uses position(..), which only a question of a repeat "
                         "section has")
        for name in sorted(getattr(expression, "labelled_questions", ())):
            labelled = self.valid.get(name)
            if labelled is None or not labelled.choices:
                self.problem(path, f"{what} shows the choice labels of '${{{name}}}', which "
                             "is not a question with choices")
        for name in sorted(expression.references):
            question = self.valid.get(name)
            repeat = name if name in self.repeat_sections else (
                self.section_of.get(name) if name in self.repeated else None)
            if repeat is not None and repeat not in inside and name in loose:
                self.problem(
                    path,
                    f"{what} refers to ${{{name}}}"
                    + (", a question" if name != repeat else "") + f" of repeat {repeat}, "
                    "which has an answer per instance: go over them with sum(), count(), "
                    "max(), min() or indexed-repeat()",
                )
            elif name in self.repeat_sections:
                if before is not None and self.repeat_sections[name][1] >= before:
                    self.problem(path, f"{what} refers to repeat ${{{name}}}, which is not "
                                 "asked before it")
            elif name not in self.declared:
                self.problem(path, f"{what} refers to ${{{name}}}, which is not a question")
            elif question is not None and question.type == "note":
                self.problem(path, f"{what} refers to ${{{name}}}, a note that takes no answer")
            elif before is not None and self.position[name] >= before:
                later = self.declared[name]
                self.problem(
                    path,
                    f"{what} refers to ${{{name}}}, which is not asked before it"
                    + (f" (line {later})" if later else ""),
                )
        for name, code in expression.compared_codes():
            question = self.valid.get(name)
            if question is not None and question.is_select and question.choices:
                if code not in question.choice_codes:
                    self.problem(
                        path,
                        f"{what} compares ${{{name}}} with {code!r}, which is not one of its codes",
                        expected=", ".join(question.choice_codes),
                    )

    # -- scoring

    def scoring(self, value: Any, questions: Sequence[Question]) -> Scoring:
        entry = self.mapping(value, ("scoring",), "scoring", SCORING_KEYS)
        description = self.attempt(
            self.text,
            entry.get("description"),
            ("scoring", "description"),
            "scoring description",
            required=False,
        )
        by_id = {question.id: question for question in questions}
        dimensions = []
        seen: set[str] = set()
        for index, item in enumerate(
            self.sequence(entry.get("dimensions"), ("scoring", "dimensions"), "scoring dimensions")
        ):
            dimension = self.attempt(
                self.dimension, item, ("scoring", "dimensions", index), by_id, seen
            )
            if dimension is not None:
                dimensions.append(dimension)
        levels = self.attempt(self.levels, entry.get("levels"), default=())
        if self.problems:
            raise _Invalid
        return Scoring(dimensions=tuple(dimensions), levels=levels, description=description)

    def dimension(
        self, value: Any, path: DataPath, by_id: Mapping[str, Question], seen: set[str]
    ) -> Dimension:
        entry = self.mapping(value, path, _named("dimension", value), DIMENSION_KEYS)
        dimension_id = self.identifier(entry.get("id"), (*path, "id"), "a dimension id")
        if dimension_id in seen:
            self.problem((*path, "id"), f"dimension id {dimension_id!r} is used twice")
        seen.add(dimension_id)
        what = f"dimension {dimension_id}"
        label = self.attempt(self.text, entry.get("label"), (*path, "label"), f"{what} label")
        weight = self.attempt(
            self.number,
            entry.get("weight", 1),
            (*path, "weight"),
            f"{what} weight",
            positive=True,
            default=1.0,
        )
        min_answered = self.attempt(
            self.number,
            entry.get("min_answered", 0.5),
            (*path, "min_answered"),
            f"{what} min_answered",
            low=0,
            high=1,
            default=0.5,
        )
        applies_if = self.expression_text(entry.get("applies_if"), (*path, "applies_if"))
        self.check_references(
            self.parsed(applies_if, (*path, "applies_if"), f"{what} applies_if"),
            (*path, "applies_if"),
            f"{what} applies_if",
            before=None,
        )
        items = []
        for index, item in enumerate(
            self.attempt(
                self.sequence, entry.get("items"), (*path, "items"), f"{what} items", default=[]
            )
        ):
            built = self.attempt(self.scoring_item, item, (*path, "items", index), what, by_id)
            if built is not None:
                items.append(built)
        if label is None:
            raise _Invalid
        return Dimension(
            id=dimension_id,
            label=label,
            items=tuple(items),
            weight=weight,
            applies_if=applies_if,
            min_answered=min_answered,
            line=self.line_of(path),
        )

    def scoring_item(
        self, value: Any, path: DataPath, dimension: str, by_id: Mapping[str, Question]
    ) -> ScoringItem:
        entry = self.mapping(value, path, f"an item of {dimension}", ITEM_KEYS)
        question_id = self.text_value(entry.get("question"), (*path, "question"), "question")
        question = by_id.get(question_id)
        if question is None:
            self.problem(
                (*path, "question"),
                f"{dimension} scores a question that does not exist",
                value=question_id,
            )
            raise _Invalid
        if not question.is_select:
            self.problem(
                (*path, "question"),
                f"{dimension} scores {question_id}, a {question.type} question: only "
                "select_one and select_multiple answers map to points",
            )
            raise _Invalid
        weight = self.attempt(
            self.number,
            entry.get("weight", 1),
            (*path, "weight"),
            "item weight",
            positive=True,
            default=1.0,
        )
        points_path = (*path, "points")
        given = entry.get("points")
        if not isinstance(given, Mapping) or not given:
            self.problem(
                points_path, f"{dimension}: points must map codes of {question_id} to numbers"
            )
            raise _Invalid
        points: dict[str, float] = {}
        for code, amount in given.items():
            code_text = _number_text(code) if isinstance(code, int | float) else str(code)
            if code_text not in question.choice_codes:
                self.problem(
                    (*points_path, code),
                    f"{dimension}: points for a code {question_id} does not have",
                    value=code_text,
                    expected=", ".join(question.choice_codes),
                )
                continue
            number = self.attempt(
                self.number,
                amount,
                (*points_path, code),
                f"points for {code_text}",
                low=0,
                high=100,
            )
            if number is not None:
                points[code_text] = number
        return ScoringItem(
            question=question_id, points=points, weight=weight, line=self.line_of(path)
        )

    def levels(self, value: Any) -> tuple[Level, ...]:
        path = ("scoring", "levels")
        levels = []
        for index, item in enumerate(self.sequence(value, path, "levels", required=False)):
            item_path = (*path, index)
            try:
                entry = self.mapping(item, item_path, _named("level", item), LEVEL_KEYS)
                level_id = self.identifier(entry.get("id"), (*item_path, "id"), "a level id")
                label = self.text(entry.get("label"), (*item_path, "label"), f"level {level_id}")
                low = self.number(entry.get("min"), (*item_path, "min"), f"level {level_id} min")
                high = self.number(entry.get("max"), (*item_path, "max"), f"level {level_id} max")
            except _Invalid:
                continue
            if low >= high:
                self.problem(item_path, f"level {level_id}: min must be below max")
                continue
            levels.append((item_path, Level(id=level_id, label=label, min=low, max=high)))
        self.check_bands(path, levels)
        return tuple(level for _, level in levels)

    def check_bands(self, path: DataPath, levels: list[tuple[DataPath, Level]]) -> None:
        """Levels must be distinct bands that together cover 0 to 100 without gaps."""
        if not levels:
            return
        ids = [level.id for _, level in levels]
        for (item_path, level), earlier in zip(levels, range(len(ids)), strict=True):
            if level.id in ids[:earlier]:
                self.problem((*item_path, "id"), f"level id {level.id!r} is used twice")
        ordered = sorted(levels, key=lambda pair: pair[1].min)
        if ordered[0][1].min > 0 or ordered[-1][1].max < 100:
            self.problem(
                path,
                "levels must cover every score from 0 to 100",
                value=f"{format(ordered[0][1].min, 'g')} to {format(ordered[-1][1].max, 'g')}",
            )
        for (_, before), (item_path, after) in zip(ordered, ordered[1:], strict=False):
            if after.min != before.max:
                gap = "overlaps" if after.min < before.max else "leaves a gap after"
                self.problem(
                    (*item_path, "min"),
                    f"level {after.id} {gap} level {before.id}: its min should be "
                    f"{format(before.max, 'g')}",
                    value=format(after.min, "g"),
                )


def _first_on(line: int | None) -> str:
    return f" (first on line {line})" if line else ""


def _named(kind: str, value: Any) -> str:
    """'question q4' when the data names itself, else 'a question'."""
    given = value.get("id") if isinstance(value, Mapping) else None
    return f"{kind} {given}" if isinstance(given, str) and given else f"a {kind}"


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return None if math.isnan(value) else float(value)
    if isinstance(value, str) and NUMBER_PATTERN.fullmatch(value.strip()):
        return float(value)
    return None


def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
