"""A dmsurvey questionnaire as an XLSForm, to deploy on KoboToolbox or ODK.

Sections become groups and repeat sections repeats (with their `repeat_count`; a repeat asked
inside another is nested in its block), every language a `label::Chinese (zh)`-style column,
skip logic, constraints, calculations and choice lists their XLSForm columns. What XLSForm
has no column for travels where ODK and KoboToolbox pass it by: units, `pii`, `exclusive`, `format`,
`firm_key` and `previous` as extra survey columns (pyxform keeps unknown columns), and the
translated title, description, instructions and scoring rules on a sheet named `dmsurvey`,
which they ignore. Converting the written file again (`convert_xlsform`) gives back an equal
questionnaire.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dmsurvey.questionnaire.model import Question, Questionnaire, Scoring, Section, Text

# The sheet holding what XLSForm has no place for (read back by the converter).
EXTRA_SHEET = "dmsurvey"
# dmsurvey type -> XLSForm type, where the names differ
_XLSFORM_TYPES = {"datetime": "dateTime"}
# Languages by the English name KoboToolbox shows; other codes are written as "xx (xx)".
_LANGUAGE_NAMES = {
    "zh": "Chinese", "zh-Hant": "Traditional Chinese", "en": "English", "fr": "French",
    "de": "German", "es": "Spanish", "pt": "Portuguese", "ru": "Russian", "ar": "Arabic",
    "ja": "Japanese", "ko": "Korean", "sw": "Swahili", "hi": "Hindi", "vi": "Vietnamese",
}


def language_header(code: str) -> str:
    """The name of a language in XLSForm column headers: "zh" -> "Chinese (zh)"."""
    return f"{_LANGUAGE_NAMES.get(code, code)} ({code})"


def xlsform_sheets(questionnaire: Questionnaire) -> dict[str, list[list[Any]]]:
    """The questionnaire as XLSForm sheets: sheet name -> rows, the header row first."""
    return _Sheets(questionnaire).build()


def write_xlsform(questionnaire: Questionnaire, path: str | Path) -> Path:
    """Write `questionnaire` as an XLSForm workbook at `path`.

        >>> write_xlsform(load_questionnaire("sme-digital-2020"), "survey.xlsx")
    """
    from openpyxl import Workbook

    path = Path(path)
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in xlsform_sheets(questionnaire).items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    partial = path.with_name(f".{path.name}.partial")
    workbook.save(partial)
    partial.replace(path)
    return path


class _Sheets:
    def __init__(self, questionnaire: Questionnaire):
        self.questionnaire = questionnaire
        self.languages = questionnaire.languages
        self.list_names: dict[str, str] = {}  # choice list (or question) -> list name
        self.choice_rows: list[list[Any]] = []

    def build(self) -> dict[str, list[list[Any]]]:
        survey = [self._survey_header()]
        for field_name in self.questionnaire.metadata_fields:
            survey.append(self._row(type=field_name, name=field_name))
        for section in self.questionnaire.sections:
            if section.repeat is None or section.repeat.within is None:
                survey.extend(self._section_rows(section))
        properties = list(dict.fromkeys(
            key for question in self.questionnaire.all_questions for choice in question.choices
            for properties in choice.property_sets for key, _ in properties))
        choices_header = ["list_name", "name", *self._headers("label"), *properties]
        sheets = {
            "survey": survey,
            "choices": [choices_header, *(
                [*row, *(dict(properties_of).get(key) for key in properties)]
                for *row, properties_of in self.choice_rows
            )],
            "settings": self._settings(),
            EXTRA_SHEET: self._extras(),
        }
        return sheets

    # -- survey ------------------------------------------------------------------------------

    def _section_rows(self, section: Section) -> list[list[Any]]:
        """A section as a group, or a repeat section as a repeat holding the repeats asked
        inside each of its instances."""
        repeat = section.repeat
        kind = "group" if repeat is None else "repeat"
        count = repeat.count if repeat is not None else None
        rows = [self._row(type=f"begin {kind}", name=section.id, label=section.title,
                          relevant=section.relevant,
                          repeat_count=int(count) if count and count.isdigit() else count)]
        rows.extend(self._question_row(question) for question in section.questions)
        if repeat is not None:
            for inside in self.questionnaire.repeats_within(section.id):
                rows.extend(self._section_rows(inside))
        rows.append(self._row(type=f"end {kind}"))
        return rows

    def _survey_header(self) -> list[str]:
        self.columns = [
            "type", "name", *self._headers("label"), *self._headers("hint"), "required",
            *self._headers("required_message"), "relevant", "constraint",
            *self._headers("constraint_message"), "calculation", "choice_filter",
            "repeat_count", *self._headers("unit"),
            "pii", "exclusive", "format", "firm_key", "previous",
        ]
        return list(self.columns)

    def _headers(self, column: str) -> list[str]:
        return [f"{column}::{language_header(code)}" for code in self.languages]

    def _row(self, **cells: Any) -> list[Any]:
        values: dict[str, Any] = {}
        for column, value in cells.items():
            if value is None or value == "" or value is False:
                continue
            if isinstance(value, Mapping):  # a Text: one cell per language
                for code, header in zip(self.languages, self._headers(column), strict=True):
                    values[header] = value.get(code)
            else:
                values[column] = value
        return [values.get(column) for column in self.columns]

    def _question_row(self, question: Question) -> list[Any]:
        kind = _XLSFORM_TYPES.get(question.type, question.type)
        if question.choices:
            kind = f"{kind} {self._choice_list(question)}"
        label = None if question.type in ("calculate", "hidden") and _is_default_label(
            question) else question.label
        return self._row(
            type=kind, name=question.id, label=label, hint=question.hint,
            required="yes" if question.required else None,
            required_message=question.required_message, relevant=question.relevant,
            constraint=question.constraint, constraint_message=question.constraint_message,
            calculation=question.calculation, choice_filter=question.choice_filter,
            unit=question.unit,
            pii=_pii_cell(question),
            exclusive=" ".join(question.exclusive) if question.exclusive != _default_exclusive(
                question) else None,
            format=question.format,
            firm_key="yes" if question.firm_key else None,
            previous=_previous_cell(question),
        )

    # -- choices -----------------------------------------------------------------------------

    def _choice_list(self, question: Question) -> str:
        key = question.choice_list or f"${{{question.id}}}"
        if key not in self.list_names:
            taken = set(self.list_names.values())
            name = question.choice_list or question.id
            candidate, number = name, 2
            while candidate in taken:
                candidate, number = f"{name}_{number}", number + 1
            self.list_names[key] = candidate
            for choice in question.choices:
                # a choice under several parents of a cascading select: a row for each
                for properties in choice.property_sets:
                    self.choice_rows.append([candidate, choice.code,
                                             *(choice.label.get(code) for code in self.languages),
                                             properties])
        return self.list_names[key]

    # -- settings and what XLSForm has no place for -----------------------------------------------

    def _settings(self) -> list[list[Any]]:
        questionnaire = self.questionnaire
        language = questionnaire.default_language or self.languages[0]
        # clean_text_values: no keeps texts exactly as written (“quotes”, line breaks)
        settings = [
            ["form_title", "form_id", "version", "default_language", "clean_text_values"],
            [questionnaire.title.in_language(language), questionnaire.name,
             questionnaire.version, language_header(language), "no"],
        ]
        if any(choice.also_properties for question in questionnaire.all_questions
               for choice in question.choices):
            settings[0].append("allow_choice_duplicates")
            settings[1].append("yes")
        return settings

    def _extras(self) -> list[list[Any]]:
        import yaml

        rows: list[list[Any]] = [["key", "value"]]
        questionnaire = self.questionnaire
        for key in ("title", "description", "instructions"):
            text = getattr(questionnaire, key)
            for code, header in zip(self.languages, self._headers(key), strict=True):
                if text is not None and text.get(code):
                    rows.append([header, text[code]])
        own_lists = [name for key, name in self.list_names.items() if key.startswith("$")]
        if own_lists:
            rows.append(["own_choice_lists", " ".join(own_lists)])
        if questionnaire.scoring is not None:
            scoring = yaml.safe_dump(_scoring_data(questionnaire.scoring), allow_unicode=True,
                                     sort_keys=False, width=100)
            rows.append(["scoring", scoring])
        return rows


def _previous_cell(question: Question) -> str | None:
    """The `previous:` code mapping as inline JSON (`{"public": ["state", "collective"]}`)."""
    import json

    if not question.previous:
        return None
    mapping = {code: list(earlier) or None for code, earlier in question.previous}
    return json.dumps(mapping, ensure_ascii=False)


def _pii_cell(question: Question) -> str | None:
    """"yes" for personal data; "no" where converting would otherwise propose it."""
    from dmsurvey.questionnaire.xlsform import looks_personal

    if question.pii:
        return "yes"
    if question.type in ("text", "integer", "decimal") and looks_personal(
            question.id, question.label.values()):
        return "no"
    return None


def _is_default_label(question: Question) -> bool:
    return all(text == question.id for text in question.label.values())


def _default_exclusive(question: Question) -> tuple[str, ...]:
    # what the loader assumes when a select_multiple does not say
    codes = question.choice_codes
    return ("none",) if question.type == "select_multiple" and "none" in codes else ()


def _text_data(text: Text | None) -> dict[str, str] | None:
    return None if text is None else dict(text)


def _scoring_data(scoring: Scoring) -> dict[str, Any]:
    """The scoring rules as the questionnaire file writes them."""

    def without_none(entries: Iterable[tuple[str, Any]]) -> dict[str, Any]:
        return {key: value for key, value in entries if value is not None}

    return without_none([
        ("description", _text_data(scoring.description)),
        ("dimensions", [
            without_none([
                ("id", dimension.id), ("label", _text_data(dimension.label)),
                ("weight", dimension.weight), ("applies_if", dimension.applies_if),
                ("min_answered", dimension.min_answered),
                ("items", [
                    {"question": item.question, "weight": item.weight,
                     "points": dict(item.points)}
                    for item in dimension.items
                ]),
            ])
            for dimension in scoring.dimensions
        ]),
        ("levels", [
            {"id": level.id, "label": _text_data(level.label), "min": level.min,
             "max": level.max}
            for level in scoring.levels
        ]),
    ])
