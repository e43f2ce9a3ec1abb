"""The questionnaire as an immutable model.

A `Questionnaire` is built once by the loader (from YAML or a converted XLSForm) and then
only read: by the interview, the importer, scoring, charts and exports. Nothing here reads
files or imports pandas at module level, so the command line stays quick to start.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

SELECT_TYPES = ("select_one", "select_multiple")
NUMERIC_TYPES = ("integer", "decimal")
# Asked and stored as ODK writes them: ISO 8601 dates and times, `lat lon alt acc` points
# (`;` between the points of a trace or shape), scanned codes, media file names.
DATE_TYPES = ("date", "time", "datetime")
GEO_TYPES = ("geopoint", "geotrace", "geoshape")
MEDIA_TYPES = ("image", "audio", "video", "file")
# Never shown: `calculate` is computed from other answers, `hidden` is kept as it comes.
UNASKED_TYPES = ("calculate", "hidden")
QUESTION_TYPES = (
    *SELECT_TYPES, "rank", *NUMERIC_TYPES, "text", "note", *DATE_TYPES, *GEO_TYPES,
    "barcode", *MEDIA_TYPES, "acknowledge", *UNASKED_TYPES,
)
# Types whose questions take their answers from a choice list (`rank` orders all of them).
CHOICE_TYPES = (*SELECT_TYPES, "rank")

# Columns every stored response carries besides its answers (codebook contract first).
RESPONSE_METADATA = (
    "response_id",
    "source",
    "enumerator",
    "submitted_at",
    "status",
    "entry",
    "form_number",
    "started_at",
    "updated_at",
)
# Columns every row of a repeat's table carries besides its answers: the response, the
# instance's key ("2", or "2/3" inside the second instance of an outer repeat), the key of the
# instance it is asked inside (empty for a repeat asked once per response), and its number there.
REPEAT_METADATA = ("response_id", "instance_key", "parent_key", "instance")
SOURCES = ("electronic", "paper")
STATUSES = ("in_progress", "complete", "void")


def column_key(name: str) -> str:
    """What the names of two columns of a study must differ in: SQLite ignores their case."""
    return name.lower()


class Text(Mapping[str, str]):
    """A text in several languages, such as a label: `text["zh"]`, `text.in_language("en")`."""

    __slots__ = ("_by_language",)

    def __init__(self, by_language: Mapping[str, str] | None = None, /, **more: str):
        merged = dict(by_language or {})
        merged.update(more)
        object.__setattr__(self, "_by_language", merged)

    def __setattr__(self, name, value):
        raise AttributeError("Text is immutable")

    def __reduce__(self):
        # Rebuild through __init__: the default slot-by-slot unpickling would hit __setattr__.
        return (Text, (dict(self._by_language),))

    def __getitem__(self, language: str) -> str:
        return self._by_language[language]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_language)

    def __len__(self) -> int:
        return len(self._by_language)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._by_language.items())))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self._by_language) == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Text({self._by_language!r})"

    def in_language(self, language: str | None, fallback: str | None = None) -> str:
        """The text in `language`, else in `fallback`, else in any language it has."""
        for candidate in (language, fallback):
            if candidate and self._by_language.get(candidate):
                return self._by_language[candidate]
        return next((text for text in self._by_language.values() if text), "")


@dataclass(frozen=True)
class Choice:
    code: str
    label: Text
    # The choice's other columns ((name, value) pairs), which a `choice_filter` may test.
    properties: tuple[tuple[str, str], ...] = ()
    line: int | None = field(default=None, compare=False, repr=False)
    # The other columns of further rows listing the same code (XLSForm allows a choice under
    # several parents of a cascading select: `king` county in Washington and in Texas).
    also_properties: tuple[tuple[tuple[str, str], ...], ...] = ()

    @property
    def property_sets(self) -> tuple[tuple[tuple[str, str], ...], ...]:
        """The columns of each row listing the choice: a filter offers it if one fits."""
        return (self.properties, *self.also_properties)


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    label: Text
    section: str
    hint: Text | None = None
    choices: tuple[Choice, ...] = ()
    choice_list: str | None = None
    required: bool = False
    required_message: Text | None = None
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: Text | None = None
    unit: Text | None = None
    pii: bool = False
    # Codes of a select_multiple that cannot be combined with any other code (`none`).
    exclusive: tuple[str, ...] = ()
    # What a `calculate` question computes (an XLSForm expression).
    calculation: str | None = None
    # Which choices a select offers, given earlier answers (XLSForm's cascading selects).
    choice_filter: str | None = None
    # A named answer format of a text question (a key of `formats.FORMATS`), such as
    # `credit_code`: answers without it are refused with the reason.
    format: str | None = None
    # The answer identifies the firm across waves of a survey (at most one question).
    firm_key: bool = False
    # How this question's codes map to an earlier wave's questionnaire: (code, earlier codes)
    # pairs; an empty tuple means the code has no earlier equivalent. Unlisted codes map to
    # the same code. See `questionnaire.waves`.
    previous: tuple[tuple[str, tuple[str, ...]], ...] = ()
    line: int | None = field(default=None, compare=False, repr=False)

    @property
    def is_select(self) -> bool:
        return self.type in SELECT_TYPES

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    @property
    def asks_for_answer(self) -> bool:
        """False for notes, which only show text."""
        return self.type != "note"

    @property
    def is_shown(self) -> bool:
        """False for calculations and hidden fields: stored, but never on screen."""
        return self.type not in UNASKED_TYPES

    @property
    def choice_codes(self) -> tuple[str, ...]:
        return tuple(choice.code for choice in self.choices)

    def choice(self, code: str) -> Choice:
        for choice in self.choices:
            if choice.code == code:
                return choice
        raise KeyError(f"{self.id} has no choice {code!r}")


@dataclass(frozen=True)
class Repeat:
    """How a section is asked over and over: once for each member, plot, branch, ...

    Each time (an *instance*) gets a row of its own in the study's table for the repeat,
    keyed by the response and the instance's place: `instance_key` "2" for the second
    instance, "2/3" for the third instance of a repeat inside the second instance of the
    repeat around it.
    """

    # How many instances: a whole number, or an expression on earlier answers (XLSForm's
    # `repeat_count`). None: the interviewer is asked after each one whether another follows.
    count: str | None = None
    # The id of the repeat section this one is asked inside (once per instance of it).
    within: str | None = None


@dataclass(frozen=True)
class Section:
    id: str
    title: Text
    questions: tuple[Question, ...]
    relevant: str | None = None
    # Set when the section is a repeat group; its questions are then not columns of the
    # responses table but of the repeat's own table (see `Repeat`).
    repeat: Repeat | None = None
    line: int | None = field(default=None, compare=False, repr=False)

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions)

    @property
    def is_repeat(self) -> bool:
        return self.repeat is not None


@dataclass(frozen=True)
class ScoringItem:
    """How one question's answer becomes 0-100 points for a dimension.

    select_one: `points[code]`. select_multiple: the sum of `points` over the chosen codes,
    capped at 100. Codes absent from `points` score 0.
    """

    question: str
    points: Mapping[str, float]
    weight: float = 1.0
    line: int | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Dimension:
    id: str
    label: Text
    items: tuple[ScoringItem, ...]
    weight: float = 1.0
    # XLSForm expression; where false for a firm, the dimension does not apply to it.
    applies_if: str | None = None
    # A firm answering fewer than this share of the items gets no score on the dimension.
    min_answered: float = 0.5
    line: int | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Level:
    id: str
    label: Text
    min: float
    max: float


@dataclass(frozen=True)
class Scoring:
    dimensions: tuple[Dimension, ...]
    levels: tuple[Level, ...]
    description: Text | None = None

    def dimension(self, dimension_id: str) -> Dimension:
        for dimension in self.dimensions:
            if dimension.id == dimension_id:
                return dimension
        raise KeyError(f"no maturity dimension {dimension_id!r}")


@dataclass(frozen=True)
class Questionnaire:
    name: str
    version: str
    title: Text
    languages: tuple[str, ...]
    sections: tuple[Section, ...]
    default_language: str | None = None
    description: Text | None = None
    # Shown to respondents who fill in the questionnaire alone (`collect --self`).
    instructions: Text | None = None
    scoring: Scoring | None = None
    # XLSForm metadata fields (start, end, deviceid, ...) kept beside the answers.
    metadata_fields: tuple[str, ...] = ()
    source: str | None = field(default=None, compare=False)
    sha256: str | None = field(default=None, compare=False)

    def __iter__(self) -> Iterator[Section]:
        return iter(self.sections)

    @property
    def questions(self) -> tuple[Question, ...]:
        """The questions asked once per response (the columns of the responses table): those
        of repeat sections are left out; see `repeats` and `all_questions`."""
        return tuple(q for section in self.sections if not section.is_repeat
                     for q in section.questions)

    @property
    def all_questions(self) -> tuple[Question, ...]:
        """Every question, those of repeat sections included, in the order they are asked."""
        return tuple(q for section in self.sections for q in section.questions)

    @property
    def repeats(self) -> tuple[Section, ...]:
        """The repeat sections, outer ones before the repeats inside them."""
        return tuple(section for section in self.sections if section.is_repeat)

    def repeat(self, section_id: str) -> Section:
        for section in self.repeats:
            if section.id == section_id:
                return section
        raise KeyError(f"questionnaire {self.name!r} has no repeat {section_id!r}")

    def repeat_of(self, question_id: str) -> Section | None:
        """The repeat section a question belongs to, or None if it is asked once."""
        return self._repeat_index().get(question_id)

    def find(self, question_id: str) -> Question:
        """Any question by id, one of a repeat section included."""
        if question_id in self:
            return self.question(question_id)
        section = self.repeat_of(question_id)
        if section is None:
            raise KeyError(f"questionnaire {self.name!r} has no question {question_id!r}")
        return next(q for q in section.questions if q.id == question_id)

    def repeats_within(self, section_id: str | None) -> tuple[Section, ...]:
        """The repeats asked directly inside the repeat `section_id` (None: inside the
        response itself)."""
        return tuple(s for s in self.repeats if s.repeat.within == section_id)

    def _repeat_index(self) -> dict[str, Section]:
        cached = self.__dict__.get("_repeat_question_index")
        if cached is None:
            cached = {q.id: section for section in self.repeats for q in section.questions}
            object.__setattr__(self, "_repeat_question_index", cached)
        return cached

    @property
    def answerable(self) -> tuple[Question, ...]:
        """Questions that take an answer (all but notes), in order."""
        return tuple(q for q in self.questions if q.asks_for_answer)

    @property
    def firm_key(self) -> Question | None:
        """The question whose answer identifies a firm across waves, if one is marked."""
        return next((q for q in self.questions if q.firm_key), None)

    def question(self, question_id: str) -> Question:
        index = self._index()
        if question_id not in index:
            raise KeyError(f"questionnaire {self.name!r} has no question {question_id!r}")
        return index[question_id]

    def __getitem__(self, question_id: str) -> Question:
        return self.question(question_id)

    def __contains__(self, question_id: object) -> bool:
        return question_id in self._index()

    def _index(self) -> dict[str, Question]:
        cached = self.__dict__.get("_question_index")
        if cached is None:
            cached = {q.id: q for q in self.questions}
            object.__setattr__(self, "_question_index", cached)
        return cached

    def label_language(self, language: str | None) -> str:
        """The language to show: `language` if the questionnaire has it, else its default."""
        if language in self.languages:
            return language
        return self.default_language or self.languages[0]

    def codebook(self, language: str | None = None) -> pd.DataFrame:
        """One row per question and choice: what a codebook appendix shows."""
        import pandas as pd

        language = self.label_language(language)
        rows = []
        for section in self.sections:
            for q in section.questions:
                base = {
                    "section": section.id,
                    "question": q.id,
                    "type": q.type,
                    "label": q.label.in_language(language),
                    "relevant": q.relevant or "",
                    "constraint": q.constraint or "",
                    "required": q.required,
                    "unit": q.unit.in_language(language) if q.unit else "",
                }
                if q.choices:
                    for choice in q.choices:
                        label = choice.label.in_language(language)
                        rows.append(base | {"code": choice.code, "choice_label": label})
                else:
                    rows.append(base | {"code": "", "choice_label": ""})
        return pd.DataFrame(rows)
