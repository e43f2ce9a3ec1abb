"""ODK/KoboToolbox XLSForms as dmsurvey questionnaires.

pyxform reads the workbook (sheets, column aliases, translations, old and new select syntax,
groups) exactly as ODK and KoboToolbox do; this module maps its result onto the questionnaire
format. A form pyxform accepts is never refused whole: what dmsurvey cannot do as ODK does
(a rule using a function it cannot evaluate, a field no terminal can record) is
adapted and listed by sheet row, and display-only columns (appearance, media, ...) are
dropped with a note. With `strict`, every adaptation is a problem instead, and nothing is
written.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dmsurvey.errors import ExpressionError, Problem, QuestionnaireError
from dmsurvey.questionnaire.model import CHOICE_TYPES, UNASKED_TYPES
from dmsurvey.wording import plural

if TYPE_CHECKING:
    from dmsurvey.questionnaire.model import Questionnaire

Locate = Callable[[tuple], "dict[str, int] | None"]

# XLSForm metadata fields, as pyxform names their preload (`uri:` variants are the same field).
_METADATA_FIELDS = frozenset(
    {"start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber",
     "username", "email"}
)

# pyxform's (control, data type) of a question -> the dmsurvey type that asks it.
_TYPES_BY_CONTROL = {
    ("input", "int"): "integer",
    ("input", "decimal"): "decimal",
    ("input", "string"): "text",
    ("input", "date"): "date",
    ("input", "time"): "time",
    ("input", "dateTime"): "datetime",
    ("input", "geopoint"): "geopoint",
    ("input", "geotrace"): "geotrace",
    ("input", "geoshape"): "geoshape",
    ("input", "barcode"): "barcode",
    ("trigger", "string"): "acknowledge",
    ("odk:rank", "odk:rank"): "rank",
}
# Media uploads by the first part of their MIME type; the answer is the file's name.
_MEDIA_BY_MIME = {"image": "image", "audio": "audio", "video": "video", "application": "file",
                  "osm": "file"}

_TYPOGRAPHIC_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"'})
_REFERENCE = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}")
# The file a `pulldata('prices', ...)` reads (`prices.csv` beside the form).
_PULLDATA_FILE = re.compile(r"""pulldata\s*\(\s*['"‘’“”]([^'"‘’“”]+)['"‘’“”]""")

# Common language names in XLSForm headers (`label::English`) -> ISO 639-1 code.
_LANGUAGE_CODES = {
    "amharic": "am", "arabic": "ar", "bengali": "bn", "burmese": "my", "chichewa": "ny",
    "chinese": "zh", "simplified chinese": "zh", "traditional chinese": "zh-Hant",
    "dutch": "nl", "english": "en", "french": "fr", "german": "de", "hausa": "ha",
    "hindi": "hi", "indonesian": "id", "italian": "it", "japanese": "ja", "khmer": "km",
    "kinyarwanda": "rw", "korean": "ko", "lao": "lo", "luganda": "lg", "malay": "ms",
    "nepali": "ne", "pashto": "ps", "persian": "fa", "portuguese": "pt", "russian": "ru",
    "somali": "so", "spanish": "es", "swahili": "sw", "tagalog": "tl", "thai": "th",
    "turkish": "tr", "ukrainian": "uk", "urdu": "ur", "vietnamese": "vi", "yoruba": "yo",
    "zulu": "zu", "中文": "zh", "简体中文": "zh", "汉语": "zh", "英文": "en", "english (uk)": "en",
}
_CODE_IN_NAME = re.compile(r".*\(\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*)\s*\)\s*\Z")
_CJK = re.compile(r"[\u3400-\u9fff]")

# Title of the section holding questions outside any group (the form's title would repeat
# the questionnaire's, and without a settings sheet it is only the file name).
_GENERAL_TITLES = {"en": "General questions", "zh": "一般问题"}

# Elements pyxform adds on its own for display (table-list headers and labels) or bookkeeping.
_GENERATED_PREFIXES = ("reserved_name_for_field_list_labels_", "generated_table_list_label_")

# Questions answered by typing; only these are proposed as personal data (a choice list
# names no one).
_TYPED_IN = ("text", "integer", "decimal")
_NAME_WORDS = re.compile(r"[_\W\d]+|(?<=[a-z])(?=[A-Z])")
_PERSONAL_WORDS = frozenset({
    "name", "names", "surname", "phone", "telephone", "tel", "mobile", "cellphone", "email",
    "address", "addr", "passport", "ssn", "idcard", "wechat", "contact",
})
_PERSONAL_WORD_PAIRS = {("id", "number"), ("id", "no"), ("id", "card"), ("national", "id"),
                        ("e", "mail")}
_PERSONAL_LABEL = re.compile(
    r"(?i)\b(?:names?|phone|telephone|mobile|e-?mail|address|passport|contact person"
    r"|id (?:number|card)|identity (?:card|number))\b"
    r"|姓名|名称|名字|电话|手机|地址|邮箱|身份证|联系人|微信")

# What is lost when a rule dmsurvey cannot evaluate is left out.
_DROPPED = {
    "relevant": "is dropped (the question is always asked)",
    "constraint": "is dropped (answers are not checked by it)",
    "calculation": "is dropped (the field stays empty)",
    "choice_filter": "is dropped (every choice is offered)",
    "repeat_count": "is dropped (the interviewer is asked whether another follows)",
}

_YES = {"yes", "true", "true()"}
_NO = {"no", "false", "false()"}

# Key order of the written YAML: what a reader looks for first comes first.
_TOP_LEVEL_ORDER = (
    "name", "version", "title", "languages", "default_language", "description",
    "instructions", "metadata", "choice_lists", "sections", "scoring",
)


@dataclass
class _Located:
    """Where a piece of the converted questionnaire came from in the workbook."""

    sheet: str
    row: int | None = None

    def __str__(self) -> str:
        return f"{self.sheet} sheet row {self.row}" if self.row else f"{self.sheet} sheet"


@dataclass
class _Conversion:
    """State of one conversion: notes and problems found, locations of what was written."""

    problems: list[Problem] = field(default_factory=list)
    # note -> rows it applies to (kept together so a long form gets one line per kind)
    notes: dict[str, list[_Located]] = field(default_factory=lambda: defaultdict(list))
    locations: dict[tuple, _Located] = field(default_factory=dict)
    # adaptations: what ODK would do differently with the form (refused under `strict`)
    adapted: list[str] = field(default_factory=list)

    def problem(self, where: _Located, message: str) -> None:
        self.problems.append(Problem(f"{where}: {message}"))

    def note(self, message: str, where: _Located) -> None:
        self.notes[message].append(where)

    def adapt(self, message: str, where: _Located) -> None:
        """Note a change to what the form does, such as a rule dmsurvey cannot evaluate."""
        self.note(message, where)
        self.adapted.append(f"{where}: {message}")

    def summary_notes(self) -> list[str]:
        lines = []
        for message, places in self.notes.items():
            rows = sorted({p.row for p in places if p.row})
            sheets = sorted({p.sheet for p in places})
            if rows:
                listed = ", ".join(str(row) for row in rows[:12])
                more = f" and {len(rows) - 12} more" if len(rows) > 12 else ""
                rows_word = "rows" if len(rows) > 1 else "row"
                where = f"{'/'.join(sheets)} sheet {rows_word} {listed}{more}"
            else:
                where = f"{'/'.join(sheets)} sheet"
            lines.append(f"{where}: {message}")
        return lines

    def locate(self, path: tuple) -> dict[str, object] | None:
        """Where a path into the converted dict came from, as `Problem` fields:
        {"sheet": "survey", "row": 12}.

        Rows are sheet rows as Excel numbers them (the header is row 1).
        """
        path = tuple(path)
        while path:
            where = self.locations.get(path)
            if where is not None:
                return {"sheet": where.sheet, "row": where.row} if where.row else None
            path = path[:-1]
        return None


def xlsform_to_dict(
    path: str | Path, warnings: list[str] | None = None, *, strict: bool = False,
    rename_colliding_ids: bool = False, media: list[Path] | None = None,
) -> tuple[dict, Locate]:
    """Read an XLSForm with pyxform and return it in dmsurvey's questionnaire format.

    Returns the questionnaire as a plain dict (as if read from YAML) and a `locate`
    function mapping a path in that dict, such as `("sections", 0, "questions", 2,
    "relevant")`, to the sheet row it came from (`{"row": 5}`). Notes about what was
    dropped or adapted (display-only columns, filled-in translations, rules dmsurvey cannot
    evaluate) are appended to `warnings`, each with its sheet rows. With
    `rename_colliding_ids`, a question id that a study could not tell from an earlier one or
    from a metadata column (`Size` after `size`, `Status`) gets a number (`Size_2`),
    references to it follow, and a note says so; otherwise the loader refuses it, naming its
    row. The CSV files beside the form that it reads (`pulldata`, `select_one_from_file`)
    are appended to `media`. Raises `QuestionnaireError` when pyxform rejects the form, or,
    with `strict`, listing every adaptation.
    """
    from pyxform.errors import PyXFormError
    from pyxform.xls2json import workbook_to_json

    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise QuestionnaireError(f"No XLSForm file at {source}")
    workbook = _read_workbook(path, source)
    try:
        form = workbook_to_json(
            workbook,
            fallback_form_name=workbook.fallback_form_name,
            # pyxform's advice is about rendering in ODK Collect; the notes that matter
            # here (translations, dropped columns) are made below, row by row
            warnings=[],
        )
    except PyXFormError as error:
        raise QuestionnaireError(
            f"{source} is not a valid XLSForm:", [Problem(_pyxform_message(error))]
        ) from None
    except Exception as error:  # pyxform fails in many ways on sheets it does not expect
        raise QuestionnaireError(
            f"{source} could not be read as an XLSForm ({type(error).__name__}: {error}); "
            f"{_XLSFORM_IS}"
        ) from None

    conversion = _Conversion()
    converter = _FormConverter(conversion, workbook, form, path.parent)
    converter.extras = _extra_sheet(path)
    data = converter.convert()
    if rename_colliding_ids:
        converter.rename_colliding_ids()
    if strict:
        conversion.problems.extend(Problem(text) for text in conversion.adapted)
    if conversion.problems:
        raise QuestionnaireError(
            f"{source} cannot be converted ({plural(len(conversion.problems), 'problem')}); "
            "change these rows and convert again"
            + (" (without --strict, they are adapted)" if strict and conversion.adapted else "")
            + ":",
            conversion.problems,
        )
    if warnings is not None:
        warnings.extend(conversion.summary_notes())
    if media is not None:
        media.extend(converter.media_files())
    return data, conversion.locate


def convert_xlsform(
    path: str | Path,
    output: str | Path | None = None,
    *,
    warnings: list[str] | None = None,
    strict: bool = False,
    media: list[Path] | None = None,
) -> Questionnaire:
    """Convert an XLSForm into a validated questionnaire; with `output`, also write its YAML.

        >>> questionnaire = convert_xlsform("household.xlsx", "household.yaml")

    The written file loads back into an equal questionnaire. Notes about what was dropped
    or adapted are appended to `warnings`; with `strict`, an adaptation is refused instead.
    The CSV files the form reads from beside it are appended to `media`.
    """
    from dmsurvey.questionnaire.loader import questionnaire_from_dict

    data, locate = xlsform_to_dict(path, warnings=warnings, strict=strict,
                                   rename_colliding_ids=True, media=media)
    questionnaire = questionnaire_from_dict(data, source=str(path), locate=locate)
    if output is not None:
        Path(output).write_text(questionnaire_yaml(data), encoding="utf-8")
    return questionnaire


def questionnaire_yaml(data: Mapping[str, Any]) -> str:
    """The questionnaire dict as readable YAML (top-level keys in reading order)."""
    import yaml

    ordered = {key: data[key] for key in _TOP_LEVEL_ORDER if key in data}
    ordered.update({key: value for key, value in data.items() if key not in ordered})
    return yaml.safe_dump(
        ordered, allow_unicode=True, sort_keys=False, default_flow_style=None, width=100
    )


_XLSFORM_IS = "an XLSForm is an Excel workbook with survey and choices sheets"
# First bytes of the two Excel formats: .xlsx/.xlsm are zip archives, .xls an OLE2 file.
_ZIP_SIGNATURE, _OLE2_SIGNATURE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"
_EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")


def _excel_format(path: Path) -> str | None:
    """".xlsx" or ".xls" when the file's content is an Excel workbook, whatever its name
    (a workbook saved as, or renamed to, .csv is still read as the workbook it is)."""
    with path.open("rb") as file:
        head = file.read(len(_ZIP_SIGNATURE))
    if head == _ZIP_SIGNATURE:
        return ".xlsx"
    if head == _OLE2_SIGNATURE:
        return ".xls"
    return None


def _read_workbook(path: Path, source: str):
    """The workbook's sheets as pyxform reads them, or a QuestionnaireError saying plainly why
    the file is not an XLSForm (a response CSV, a binary file, an empty or renamed file)."""
    from pyxform.xls2json_backends import get_xlsform

    try:
        workbook = get_xlsform(path, file_type=_excel_format(path))
    except Exception as error:  # pyxform raises TypeError, UnicodeDecodeError... on such files
        reason = _why_unreadable(path, error)
    else:
        if workbook.survey:
            return workbook
        sheets = ", ".join(workbook.sheet_names or ())
        reason = "it has no 'survey' sheet" + (f"; its sheets are {sheets}" if sheets else "")
    raise QuestionnaireError(f"{source} is not an XLSForm: {reason} ({_XLSFORM_IS})")


def _extra_sheet(path: Path) -> dict[str, str]:
    """The `dmsurvey` sheet of a workbook (key and value columns), or {} without one."""
    from dmsurvey.questionnaire.xlsform_export import EXTRA_SHEET

    if _excel_format(path) != ".xlsx":
        return {}
    from openpyxl import load_workbook

    with path.open("rb") as file:
        workbook = load_workbook(file, read_only=True)
        if EXTRA_SHEET not in workbook.sheetnames:
            return {}
        rows = list(workbook[EXTRA_SHEET].iter_rows(min_row=2, max_col=2, values_only=True))
    return {str(key): str(value) for key, value in rows if key and value is not None}


def _why_unreadable(path: Path, error: Exception) -> str:
    content = path.read_bytes()
    if not content.strip():
        return "the file is empty"
    suffix = path.suffix.lower()
    excel_format = _excel_format(path)
    if excel_format is None and suffix in _EXCEL_SUFFIXES:
        return f"its content is not an Excel workbook, although its name ends in {suffix}"
    if excel_format is not None:
        sheets = _sheet_names(path, excel_format)
        if sheets is not None and "survey" not in {sheet.lower() for sheet in sheets}:
            return f"it has no 'survey' sheet; its sheets are {', '.join(sheets)}"
        return f"the workbook cannot be read ({error})"
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return "it is neither an Excel workbook nor a text file"
    return "it has no 'survey' sheet"


def _sheet_names(path: Path, excel_format: str) -> list[str] | None:
    try:
        if excel_format == ".xls":
            import xlrd

            return xlrd.open_workbook(path, on_demand=True).sheet_names()
        from openpyxl import load_workbook

        # From an open file: openpyxl refuses a path whose name does not end in .xlsx.
        with path.open("rb") as file:
            return load_workbook(file, read_only=True).sheetnames
    except Exception:  # a damaged workbook: the caller says it cannot be read
        return None


def _pyxform_message(error: Exception) -> str:
    # pyxform writes rows as "[row : 7]"; say which sheet like the rest of our messages.
    text = str(error)
    sheet = "choices" if "'choices' sheet" in text else "survey"
    return re.sub(r"\[row : (\d+)\]", rf"{sheet} sheet row \1:", text).strip()


def language_code(name: str) -> str:
    """A language code for an XLSForm language name: "English (en)" -> "en", "chinese" -> "zh"."""
    match = _CODE_IN_NAME.match(name)
    if match:
        return match.group(1)
    key = name.strip().lower()
    if key in _LANGUAGE_CODES:
        return _LANGUAGE_CODES[key]
    return re.sub(r"[^a-z0-9]+", "_", key).strip("_") or "default"


class _FormConverter:
    """Walks pyxform's parsed form once, building the questionnaire dict."""

    def __init__(self, conversion: _Conversion, workbook, form: dict, folder: Path):
        self.conversion = conversion
        self.form = form
        # where choice lists read from files (select_one_from_file) are looked for
        self.folder = folder
        # choice lists read from files: list name -> choices as pyxform would give them
        self.file_choices: dict[str, list[dict]] = {}
        self.file_names: list[str] = []  # the files they were read from
        self.external_choices = workbook.external_choices or []
        self.raw_rows = {"survey": workbook.survey or [], "choices": workbook.choices or []}
        # metadata question name -> the field it is kept as (`uri_deviceid` -> `deviceid`)
        self.metadata_names: dict[str, str] = {}
        # key -> value of the sheet where dmsurvey keeps what XLSForm has no place for
        self.extras: dict[str, str] = {}
        # choice lists a choice_filter tests: their choices keep their other columns
        self.filtered_lists: set[str] = set()
        self.survey_rows = _survey_rows(workbook)
        self.choice_rows = _choice_rows(workbook)
        # pyxform's name for untranslated columns ("default" unless the settings say)
        self.plain_language = form.get("default_language") or "default"
        self.languages, self.language_names = self._languages()
        self.default_language = self._default_language()
        # choice list name -> the first question using it
        self.used_lists: dict[str, _Located] = {}
        self.metadata: list[str] = []
        self.sections: list[dict] = []
        # ids of repeat sections begun but not yet added (their questions are still read)
        self.reserved_section_ids: set[str] = set()
        # calculates pyxform adds for a repeat_count that is no reference: name -> formula
        self.generated_calculations: dict[str, str] = {}

    # -- the form as a whole -------------------------------------------------------------

    def media_files(self) -> list[Path]:
        """The CSV files beside the form that it reads: choice lists of
        `select_one_from_file` questions and the files `pulldata()` looks values up in."""
        names = dict.fromkeys(self.file_names)
        for row in self.raw_rows["survey"]:
            for value in row.values():
                for match in _PULLDATA_FILE.finditer(str(value)):
                    name = match[1].strip()
                    names[name if name.lower().endswith(".csv") else f"{name}.csv"] = None
        return [self.folder / name for name in names if (self.folder / name).is_file()]

    def convert(self) -> dict:
        # questions outside any group, waiting to become a section: (question, where)
        loose: list[tuple[dict, _Located]] = []
        for child in self.form.get("children", []):
            self._element(child, loose, ancestors=())
        self._flush_loose(loose)

        title = self.form.get("title") or self.form.get("id_string") or "form"
        data: dict[str, Any] = {
            "name": _form_name(self.form.get("id_string") or title),
            "version": str(self.form.get("version") or "1"),
            "title": {language: str(title) for language in self.languages},
            "languages": list(self.languages),
        }
        if self.default_language != self.languages[0]:
            data["default_language"] = self.default_language
        self._extras_into(data)
        self._rename_metadata_references()
        if self.metadata:
            data["metadata"] = self.metadata
        choice_lists = self._choice_lists()
        _ReferenceCheck(self.conversion, choice_lists).adapt(self.sections)
        self._inline_own_lists(choice_lists)
        if choice_lists:
            data["choice_lists"] = choice_lists
        data["sections"] = self.sections
        settings = _Located("settings")
        for key in ("name", "version", "title", "default_language"):
            self.conversion.locations[(key,)] = settings
        return data

    def _rename_metadata_references(self) -> None:
        """Texts showing a metadata question (`${uri_deviceid}`) show the field it is kept as."""
        if not self.metadata_names:
            return
        pattern = re.compile(r"\$\{\s*(" + "|".join(map(re.escape, self.metadata_names)) +
                             r")\s*\}")

        def renamed(text: str) -> str:
            return pattern.sub(lambda match: f"${{{self.metadata_names[match[1]]}}}", text)

        for section in self.sections:
            for question in section["questions"]:
                for key, value in question.items():
                    if isinstance(value, dict):
                        question[key] = {code: renamed(text) for code, text in value.items()}

    def _extras_into(self, data: dict) -> None:
        """Titles in every language, description, instructions and scoring rules, from the
        sheet `dmsurvey questionnaire export` writes beside the XLSForm's own."""
        import yaml

        for key in ("title", "description", "instructions"):
            texts = {
                self.language_names[name]: text
                for header, text in self.extras.items()
                if header.startswith(f"{key}::")
                and (name := header.split("::", 1)[1]) in self.language_names
            }
            if texts:
                data[key] = {language: texts.get(language) for language in self.languages}
        if "scoring" in self.extras:
            data["scoring"] = yaml.safe_load(self.extras["scoring"])

    def rename_colliding_ids(self) -> None:
        """Number the ids a study cannot tell apart from an earlier one or from a metadata
        column when case is ignored; rewrite the references to them."""
        from dmsurvey.questionnaire.model import REPEAT_METADATA, RESPONSE_METADATA, column_key

        places = [
            (question, ("sections", section_index, "questions", question_index))
            for section_index, section in enumerate(self.sections)
            for question_index, question in enumerate(section["questions"])
        ]
        repeated = {id(question) for section in self.sections if section.get("repeat")
                    for question in section["questions"]}
        reserved = {column_key(name): name for name in (*RESPONSE_METADATA, *self.metadata)}
        # the columns keying a repeat's instances, in its own table
        in_repeats = {column_key(name): name for name in REPEAT_METADATA}
        taken = set(reserved) | {column_key(question["id"]) for question, _ in places}
        first_with_key: dict[str, str] = dict(reserved)
        renamed: dict[str, str] = {}
        for question, path in places:
            name = question["id"]
            key = column_key(name)
            if id(question) in repeated and key in in_repeats:
                first_with_key[key] = in_repeats[key]
            elif first_with_key.setdefault(key, name) == name and key not in reserved:
                continue
            number = 2
            while column_key(f"{name}_{number}") in taken:
                number += 1
            question["id"] = renamed[name] = f"{name}_{number}"
            taken.add(column_key(question["id"]))
            self.conversion.note(
                f"question '{name}' is renamed '{question['id']}': a study cannot tell it from "
                f"'{first_with_key[key]}' (names are compared without case)",
                self.conversion.locations.get(path, _Located("survey")),
            )
        if not renamed:
            return

        def follow(match: re.Match) -> str:
            return "${" + renamed.get(match.group(1), match.group(1)) + "}"

        for rule_holder in (*self.sections, *(question for question, _ in places)):
            for key in ("relevant", "constraint", "calculation", "choice_filter"):
                if isinstance(rule_holder.get(key), str):
                    rule_holder[key] = _REFERENCE.sub(follow, rule_holder[key])

    def _languages(self) -> tuple[list[str], dict[str, str]]:
        """Languages the survey sheet labels are written in, in order of appearance."""
        names: dict[str, None] = {}
        for element in _walk(self.form.get("children", [])):
            if str(element.get("name")) not in self.survey_rows.by_name:
                continue  # added by pyxform (or_other), in its own English
            label = element.get("label")
            if isinstance(label, dict):
                names.update(dict.fromkeys(label))
            elif label:
                names[self.plain_language] = None
        if not names:
            names[self.plain_language] = None
        codes = {}
        for name in names:
            if name == "default" and len(names) == 1:
                codes[name] = self._guess_untranslated_language()
            else:
                codes[name] = language_code(name)
        by_code = defaultdict(list)
        for name, code in codes.items():
            by_code[code].append(name)
        for code, clashing in by_code.items():
            if len(clashing) > 1:
                listed = " and ".join(f"'{name}'" for name in clashing)
                self.conversion.problem(
                    _Located("survey"),
                    f"label columns for {listed} both mean language '{code}'; "
                    "keep one of them",
                )
        return list(dict.fromkeys(codes.values())), codes

    def _guess_untranslated_language(self) -> str:
        labels = [
            text
            for element in _walk(self.form.get("children", []))
            if isinstance(text := element.get("label"), str)
            and str(element.get("name")) in self.survey_rows.by_name
        ]
        cjk = sum(1 for text in labels if _CJK.search(text))
        code = "zh" if labels and cjk * 2 >= len(labels) else "en"
        self.conversion.note(
            f"labels name no language; taken as '{code}' (use label::Language (code) "
            "columns to say which)",
            _Located("survey"),
        )
        return code

    def _default_language(self) -> str:
        declared = self.form.get("default_language")
        if declared and declared != "default" and declared in self.language_names:
            return self.language_names[declared]
        return self.languages[0]

    # -- elements ------------------------------------------------------------------------

    def _element(self, element: dict, loose: list, ancestors: tuple[dict, ...]) -> None:
        name = str(element.get("name", ""))
        kind = element.get("type")
        if kind == "group" and name == "meta" and element.get("control", {}).get("bodyless"):
            for child in element.get("children", []):
                self._meta_element(child)
            return
        where = (
            _Located("survey", element["_loop_row"]) if "_loop_row" in element
            else self._row_of(name)
        )
        if where.row is None and (name.startswith(_GENERATED_PREFIXES) or kind == "calculate"):
            # made by pyxform for display, or to hold a repeat_count that is not a reference
            if kind == "calculate":
                self.generated_calculations[name] = element.get("bind", {}).get("calculate")
            return
        if kind in ("group", "repeat", "loop"):
            self._container(element, where, loose, ancestors)
            return
        question = self._question(element, where)
        if question is None:
            return
        repeat = _innermost_repeat(ancestors)
        if repeat is not None:
            self._into_repeat(repeat, question, where, ancestors)
        elif ancestors:
            ancestors[-1].setdefault("_questions", []).append((question, where))
        else:
            loose.append((question, where))

    def _into_repeat(self, repeat: dict, question: dict, where: _Located,
                     ancestors: tuple[dict, ...]) -> None:
        """A question of a repeat, or of a group inside one, joins the repeat's section: the
        conditions of the groups between them become part of its own."""
        inside = ancestors[ancestors.index(repeat) + 1:]
        relevants = [group["relevant"] for group in inside if group["relevant"]]
        if relevants:
            if question.get("relevant"):
                relevants.append(question["relevant"])
            question["relevant"] = _combine_with_and(relevants)
        if repeat["_nested_before"]:
            self.conversion.adapt(
                f"'{question['id']}' comes after repeat '{repeat['_nested_before']}' inside "
                f"repeat '{repeat['element'].get('name')}': it is asked before it",
                where,
            )
        repeat["_questions"].append((question, where))

    def _container(
        self, element: dict, where: _Located, loose: list, ancestors: tuple[dict, ...]
    ) -> None:
        kind = element["type"]
        name = str(element.get("name", ""))
        if kind == "loop":
            element = _unrolled_loop(element, lambda child: self._row_of(child).row)
            self.conversion.note(
                f"loop '{name}' becomes one question per column, named question_column",
                where,
            )
        self._ignore_display_columns(element, where)
        self._flush_loose(loose)
        relevant = self._expression(element.get("bind", {}).get("relevant"), where, "relevant")
        group = {"element": element, "where": where, "relevant": relevant, "_questions": []}
        outer_repeat = _innermost_repeat(ancestors)
        if kind == "repeat":
            group.update(self._repeat_of(element, where, outer_repeat))
        for child in element.get("children", []):
            if child.get("type") in ("group", "repeat", "loop"):
                if outer_repeat is None and kind != "repeat":
                    # sections keep the form's order: this group's questions so far come
                    # first, and those after the nested group form a section of their own
                    self._flush_group(group, ancestors)
            self._element(child, loose, (*ancestors, group))
        if kind == "repeat":
            self._flush_repeat(group, ancestors)
        elif outer_repeat is None:
            self._flush_group(group, ancestors)

    def _repeat_of(self, element: dict, where: _Located, outer: dict | None) -> dict:
        """What a repeat section needs besides a group's: its id (taken now, so the repeats
        inside it can name it), how many times it is asked, and the repeat it is inside."""
        section_id = self._section_id(str(element.get("name", "repeat")))
        self.reserved_section_ids.add(section_id)
        repeat: dict[str, Any] = {}
        count = element.get("control", {}).get("jr:count")
        if count not in (None, ""):
            count = str(count).strip()
            generated = _REFERENCE.fullmatch(count)
            if generated and generated[1] in self.generated_calculations:
                count = str(self.generated_calculations[generated[1]]).strip()
            checked = self._expression(count, where, "repeat_count")
            if checked is not None:
                repeat["count"] = int(checked) if checked.isdigit() else checked
        if outer is not None:
            repeat["within"] = outer["_section_id"]
        return {"_section_id": section_id, "_repeat": repeat, "_nested_before": None,
                "_sections_inside": []}

    def _flush_repeat(self, group: dict, ancestors: tuple[dict, ...]) -> None:
        """The repeat's section, then those of the repeats inside it (asked within each of
        its instances, after its own questions)."""
        element = group["element"]
        outer = _innermost_repeat(ancestors)
        inside = ancestors[ancestors.index(outer) + 1:] if outer is not None else ancestors
        relevants = [a["relevant"] for a in inside if a["relevant"]]
        if group["relevant"]:
            relevants.append(group["relevant"])
        section: dict[str, Any] = {
            "id": group["_section_id"],
            "title": self._text(element.get("label"), group["where"], "repeat label")
            or {language: str(element.get("name")) for language in self.languages},
        }
        if relevants:
            section["relevant"] = _combine_with_and(relevants)
        section["repeat"] = group["_repeat"] or True
        pending = [(section, group["where"], group["_questions"]), *group["_sections_inside"]]
        if outer is not None:
            outer["_sections_inside"].extend(pending)
            outer["_nested_before"] = outer["_nested_before"] or str(element.get("name"))
            return
        for pending_section, pending_where, questions in pending:
            self.reserved_section_ids.discard(pending_section["id"])
            self._add_section(pending_section, pending_where, questions)

    def _flush_group(self, group: dict, ancestors: tuple[dict, ...]) -> None:
        questions, group["_questions"] = group["_questions"], []
        if not questions:
            return
        element = group["element"]
        relevants = [a["relevant"] for a in ancestors if a["relevant"]]
        if group["relevant"]:
            relevants.append(group["relevant"])
        section: dict[str, Any] = {
            "id": self._section_id(str(element.get("name", "section"))),
            "title": self._text(element.get("label"), group["where"], "group label")
            or {language: str(element.get("name")) for language in self.languages},
        }
        if relevants:
            section["relevant"] = _combine_with_and(relevants)
        self._add_section(section, group["where"], questions)

    def _flush_loose(self, loose: list) -> None:
        if not loose:
            return
        section = {
            "id": self._section_id("general"),
            "title": {
                language: _GENERAL_TITLES.get(language.split("-")[0], _GENERAL_TITLES["en"])
                for language in self.languages
            },
        }
        self._add_section(section, loose[0][1], list(loose))
        loose.clear()

    def _add_section(self, section: dict, where: _Located, questions: list) -> None:
        index = len(self.sections)
        section["questions"] = [question for question, _ in questions]
        self.sections.append(section)
        self.conversion.locations[("sections", index)] = where
        for position, (question, question_where) in enumerate(questions):
            self.conversion.locations[("sections", index, "questions", position)] = (
                question_where
            )
            list_name = question.get("choices")
            if isinstance(list_name, str) and list_name in self.used_lists:
                self.conversion.locations[
                    ("sections", index, "questions", position, "choices")
                ] = question_where

    def _section_id(self, name: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_]", "_", name) or "section"
        if not re.match(r"[A-Za-z_]", base):
            base = f"s_{base}"
        taken = {section["id"] for section in self.sections} | self.reserved_section_ids
        candidate, number = base, 2
        while candidate in taken:
            candidate, number = f"{base}_{number}", number + 1
        return candidate

    def _meta_element(self, element: dict) -> None:
        name = element.get("name")
        if element.get("type") == "audit":
            self._add_metadata("audit", name, self._row_of("audit"))
        # instanceID and instanceName are ODK's own bookkeeping, not answers.

    def _add_metadata(self, field_name: str, name: str, where: _Located) -> None:
        if name and name != field_name:
            self.metadata_names[name] = field_name
        if field_name in self.metadata:
            self.conversion.note(f"metadata field '{field_name}' appears twice", where)
            return
        if name and name != field_name:
            self.conversion.note(
                f"metadata question '{name}' is kept as the '{field_name}' field", where
            )
        self.conversion.locations[("metadata", len(self.metadata))] = where
        self.metadata.append(field_name)

    # -- questions -----------------------------------------------------------------------

    def _question(self, element: dict, where: _Located) -> dict | None:
        from pyxform.question_type_dictionary import QUESTION_TYPE_DICT

        kind = str(element.get("type", ""))
        name = str(element.get("name", ""))
        definition = QUESTION_TYPE_DICT.get(kind, {})
        bind = definition.get("bind", {})
        preload = bind.get("jr:preloadParams", "").removeprefix("uri:")
        if preload in _METADATA_FIELDS:
            self._add_metadata(preload, name, where)
            return None

        if where.row is None and self._is_specify_other(name):
            return self._specify_other_question(element, where)

        our_type = self._question_type(element, kind, definition, where)
        question: dict[str, Any] = {"id": name, "type": our_type}
        self._texts_into(question, element, where)
        # a pii column (as `questionnaire export` writes) says it outright: nothing to propose
        if "pii" not in element and our_type in _TYPED_IN and looks_personal(
                name, _all_texts(question.get("label"))):
            question["pii"] = True
            self.conversion.note(f"{name} looks like personal data: marked pii, so anonymised "
                                 f"exports leave it out (delete `pii: true` if it is not)", where)
        if our_type in CHOICE_TYPES:
            question["choices"] = self._choices_of(element, where)
        if our_type in ("select_one", "select_multiple") and element.get("choice_filter"):
            self._choice_filter_into(question, element, where)
        self._binds_into(question, element, where)
        self._extra_columns_into(question, element, where)
        if our_type == "calculate":
            calculation = self._expression(
                element.get("bind", {}).get("calculate"), where, "calculation"
            )
            if calculation:
                question["calculation"] = calculation
            else:  # what it would compute is lost: kept as a field that imports can fill
                question["type"] = "hidden"
        if kind == "range":
            self._range_into(question, element, where)
        self._ignore_display_columns(element, where)
        return question

    def _range_into(self, question: dict, element: dict, where: _Located) -> None:
        """A range (slider) is asked as a number between its ends."""
        from decimal import Decimal

        parameters = element.get("parameters", {})
        start, end = Decimal(parameters["start"]), Decimal(parameters["end"])
        low, high = min(start, end), max(start, end)
        bounds = f". >= {low} and . <= {high}"
        existing = question.get("constraint")
        question["constraint"] = f"({existing}) and ({bounds})" if existing else bounds
        step = Decimal(parameters["step"])
        unchecked = f" (its step {step} is not checked)" if step != 1 else ""
        self.conversion.note(
            f"range is asked as a number from {low} to {high}{unchecked}, not on a slider", where
        )

    def _question_type(
        self, element: dict, kind: str, definition: dict, where: _Located
    ) -> str:
        name = element.get("name")
        raw_type = self.survey_rows.raw_types.get(where.row, kind)
        control = definition.get("control", {})
        data_type = definition.get("bind", {}).get("type")
        if kind == "calculate" or element.get("bind", {}).get("calculate"):
            if kind != "calculate":
                self.conversion.adapt(
                    f"'{name}' is a {raw_type} question with a calculation: it is kept as a "
                    "calculated field, not asked",
                    where,
                )
            return "calculate"
        if kind == "hidden":
            return "hidden"
        if kind in ("select one", "select all that apply", "select one external"):
            return self._select_type(element, kind, raw_type, where)
        if kind in ("note", "add note prompt", "q note"):
            return "note"
        if kind == "range":
            parameters = element.get("parameters", {})
            whole = all(
                float(parameters[key]).is_integer() for key in ("start", "end", "step")
            )
            return "integer" if whole else "decimal"
        our_type = _TYPES_BY_CONTROL.get((control.get("tag"), data_type))
        if control.get("tag") == "upload":
            our_type = _MEDIA_BY_MIME.get(str(control.get("mediatype", "")).split("/")[0], "file")
            self.conversion.note(
                "media questions keep the file's name as their answer (the file itself is "
                "not stored, nor shown in reports)",
                where,
            )
        if our_type is not None:
            return our_type
        self.conversion.adapt(
            f"'{name}' ({raw_type}) cannot be recorded in a terminal: it is kept as an empty "
            "text field that imports can fill",
            where,
        )
        return "hidden"

    def _select_type(self, element: dict, kind: str, raw_type: str, where: _Located) -> str:
        name = element.get("name")
        itemset = str(element.get("itemset", ""))
        if "${" in itemset:
            self.conversion.adapt(
                f"'{name}' offers the answers of another question as choices; it is asked "
                "as text",
                where,
            )
            return "text"
        if kind == "select one external":
            list_name = self._external_choices(itemset, where)
            element["list_name"] = list_name
        elif itemset not in self.form.get("choices", {}):
            list_name = self._read_file_choices(element, itemset, where)
            if list_name is None:
                return "text"
            element["list_name"] = list_name
        return "select_multiple" if kind == "select all that apply" else "select_one"

    def _read_file_choices(self, element: dict, file_name: str, where: _Located) -> str | None:
        """The choices of a select_one_from_file (a CSV beside the form) as a choice list.

        Returns the list's name, or None (the question is then asked as text)."""
        name = element.get("name")
        list_name = re.sub(r"[^A-Za-z0-9_]", "_", Path(file_name).stem) or "choices"
        if list_name in self.file_choices:
            return list_name
        path = self.folder / file_name
        if not file_name or Path(file_name).suffix.lower() != ".csv" or not path.is_file():
            self.conversion.adapt(
                f"the choices of '{name}' are in {file_name or 'an external file'}, which is "
                f"not a CSV file beside the form; the code is typed as text",
                where,
            )
            return None
        import csv

        with path.open(encoding="utf-8-sig", newline="") as file:
            rows = list(csv.DictReader(file))
        self.file_choices[list_name] = _choices_from_rows(rows)
        self.file_names.append(file_name)
        self.conversion.note(
            f"choices read from {file_name} are copied into the questionnaire "
            f"(choice list '{list_name}')",
            where,
        )
        return list_name

    def _external_choices(self, list_name: str, where: _Located) -> str:
        """The choices of a select_one_external, from the external_choices sheet."""
        if list_name not in self.file_choices:
            rows = [row for row in self.external_choices
                    if str(row.get("list_name", "")).strip() == list_name]
            self.file_choices[list_name] = _choices_from_rows(rows)
            self.conversion.note(
                f"choices of list '{list_name}' are copied in from the external_choices sheet",
                where,
            )
        return list_name

    def _choice_filter_into(self, question: dict, element: dict, where: _Located) -> None:
        """Cascading selects: the filter, with names that are no column of the choices taken
        as the text they spell (ODK would find nothing there and offer no choice)."""
        from dmsurvey.questionnaire.choice_filters import bare_names, filter_expression
        from dmsurvey.questionnaire.expressions import parse_expression

        list_name = question["choices"]
        listed = self.form.get("choices", {}).get(list_name) or self.file_choices.get(
            list_name, [])
        columns = {"name"} | {key for choice in listed for key in choice
                              if key not in ("label", "media")}
        text = str(element["choice_filter"]).translate(_TYPOGRAPHIC_QUOTES).strip()
        for name in dict.fromkeys(bare_names(text)):
            if name not in columns:
                self.conversion.adapt(
                    f"choice_filter of '{question['id']}' names '{name}', which is no column "
                    f"of list '{list_name}'; it is taken as the text '{name}'",
                    where,
                )
                text = re.sub(rf"(?<![\w.$'-]){re.escape(name)}(?![\w.(-])", f"'{name}'", text)
        try:
            parse_expression(filter_expression(text))
        except ExpressionError as error:
            self.conversion.adapt(
                f"choice_filter {text!r} is dropped (every choice is offered): {error}", where)
            return
        question["choice_filter"] = text
        self.filtered_lists.add(list_name)

    def _is_specify_other(self, name: str) -> bool:
        return name.endswith("_other") and name.removesuffix("_other") in self.survey_rows.or_other

    def _specify_other_question(self, element: dict, where: _Located) -> dict:
        """The text question pyxform adds after a `select_one list or_other` question."""
        select_name = str(element["name"]).removesuffix("_other")
        select_where = self.survey_rows.or_other[select_name]
        label = element.get("label") or "Specify other."
        self.conversion.note(
            "'or_other' becomes an 'other' choice and a text question "
            f"'{element['name']}' asked when it is chosen; their labels are ODK's English "
            "'Other' and 'Specify other.', translate them in the YAML",
            select_where,
        )
        return {
            "id": str(element["name"]),
            "type": "text",
            "label": self._text(label, select_where, "label", fill_quietly=True),
            "relevant": f"selected(${{{select_name}}}, 'other')",
        }

    def _extra_columns_into(self, question: dict, element: dict, where: _Located) -> None:
        """dmsurvey's own survey columns, which pyxform passes through: unit, pii, exclusive,
        format, firm_key and previous."""
        unit = self._text(element.get("unit"), where, "unit")
        if unit:
            question["unit"] = unit
        if str(element.get("pii", "")).strip().lower() in _YES:
            question["pii"] = True
        if element.get("exclusive"):
            question["exclusive"] = str(element["exclusive"]).split()
        if element.get("format"):
            question["format"] = str(element["format"]).strip()
        if str(element.get("firm_key", "")).strip().lower() in _YES:
            question["firm_key"] = True
        if element.get("previous"):
            import json

            try:
                question["previous"] = json.loads(str(element["previous"]))
            except ValueError:
                self.conversion.note("the previous column is not a JSON mapping of codes to "
                                     "earlier codes; it is left out", where)

    def _texts_into(self, question: dict, element: dict, where: _Located) -> None:
        label = self._text(element.get("label"), where, "label")
        if label:
            question["label"] = label
        elif question["type"] not in UNASKED_TYPES:
            self.conversion.note("a question without a label shows its name instead", where)
            question["label"] = dict.fromkeys(self.languages, question["id"])
        hint = self._text(element.get("hint"), where, "hint")
        if hint:
            question["hint"] = hint

    def _binds_into(self, question: dict, element: dict, where: _Located) -> None:
        bind = element.get("bind", {})
        required = bind.get("required")
        if required is not None:
            flag = str(required).strip()
            if flag.lower() in _YES:
                question["required"] = True
            elif flag.lower() not in _NO:
                self.conversion.adapt(
                    f"required only when {flag!r} is not enforced: the question may be left "
                    "blank",
                    where,
                )
        message = self._text(bind.get("jr:requiredMsg"), where, "required_message")
        if message and question.get("required"):
            question["required_message"] = message
        elif message:
            self.conversion.note("required_message without required is dropped", where)
        relevant = self._expression(bind.get("relevant"), where, "relevant")
        if relevant:
            question["relevant"] = relevant
        constraint = self._expression(bind.get("constraint"), where, "constraint")
        if constraint:
            question["constraint"] = constraint
        message = self._text(bind.get("jr:constraintMsg"), where, "constraint_message")
        if message and constraint:
            question["constraint_message"] = message
        elif message:
            self.conversion.note("constraint_message without constraint is dropped", where)
        if "readonly" in bind and str(bind["readonly"]).lower() in _YES:
            self.conversion.note("read_only is ignored (the question is asked)", where)

    def _ignore_display_columns(self, element: dict, where: _Located) -> None:
        control = element.get("control", {})
        if control.get("appearance"):
            self.conversion.note("appearance is ignored (display only)", where)
        if element.get("media"):
            self.conversion.note("images, audio and video are not shown", where)
        if element.get("guidance_hint"):
            self.conversion.note("guidance_hint is dropped", where)
        if element.get("default") not in (None, ""):
            self.conversion.note("default answers are not used", where)
        parameters = element.get("parameters")
        if isinstance(parameters, dict) and parameters.get("randomize") == "true":
            self.conversion.note("choices are shown in list order, not randomized", where)
        if element.get("type") == "group" and element.get("bind", {}).get("required"):
            self.conversion.note("required on a group is ignored", where)

    # -- choices ---------------------------------------------------------------------------

    def _choices_of(self, element: dict, where: _Located) -> str:
        list_name = str(element.get("list_name") or element.get("itemset"))
        self.used_lists.setdefault(list_name, where)
        return list_name

    def _inline_own_lists(self, choice_lists: dict[str, list[dict]]) -> None:
        """Lists `questionnaire export` made of a question's own choices (it names them on
        its sheet) go back into the question."""
        own = set(self.extras.get("own_choice_lists", "").split())
        users: dict[str, list[dict]] = defaultdict(list)
        for section in self.sections:
            for question in section["questions"]:
                if isinstance(question.get("choices"), str):
                    users[question["choices"]].append(question)
        for index, section in enumerate(self.sections):
            for number, question in enumerate(section["questions"]):
                name = question.get("choices")
                if name not in own or len(users[name]) > 1 or name not in choice_lists:
                    continue
                question["choices"] = choice_lists.pop(name)
                path = ("sections", index, "questions", number, "choices")
                for position in range(len(question["choices"])):
                    where = self.conversion.locations.get(("choice_lists", name, position))
                    if where is not None:
                        self.conversion.locations[(*path, position)] = where

    def _choice_lists(self) -> dict[str, list[dict]]:
        lists: dict[str, list[dict]] = {}
        all_choices = self.form.get("choices", {})
        for list_name in self.used_lists:
            rows = self.choice_rows.get(list_name, [])
            entries = []
            codes: set[str] = set()
            listed = all_choices.get(list_name) or self.file_choices.get(list_name, [])
            for index, choice in enumerate(listed):
                row = rows[index] if index < len(rows) else None
                where = _Located("choices", row)
                code = str(choice.get("name", ""))
                # pyxform's own 'other' (from or_other) has a plain English label
                added_by_pyxform = row is None
                label = self._text(
                    choice.get("label"), where, "choice label", fill_quietly=added_by_pyxform
                )
                if not label:
                    self.conversion.note("choice without a label is labelled with its code", where)
                    label = {language: code for language in self.languages}
                if choice.get("media"):
                    self.conversion.note("images, audio and video are not shown", where)
                properties = {key: str(value) for key, value in choice.items()
                              if key not in ("name", "label", "media")}
                if code in codes:
                    first = next(entry for entry in entries if entry["code"] == code)
                    if list_name in self.filtered_lists and properties != first.get(
                            "properties", {}):
                        # a cascading select offering the choice under several parents
                        first.setdefault("also_properties", []).append(properties)
                        continue
                    self.conversion.adapt(
                        f"code '{code}' is listed again in choice list '{list_name}'; "
                        "only its first entry is kept",
                        where,
                    )
                    continue
                codes.add(code)
                self.conversion.locations[("choice_lists", list_name, len(entries))] = where
                entry = {"code": code, "label": label}
                if properties and list_name in self.filtered_lists:
                    entry["properties"] = properties
                entries.append(entry)
            lists[list_name] = entries
            self.conversion.locations[("choice_lists", list_name)] = (
                _Located("choices", rows[0]) if rows else self.used_lists[list_name]
            )
        return lists

    # -- texts and expressions -------------------------------------------------------------

    def _text(
        self, value: Any, where: _Located, what: str, fill_quietly: bool = False
    ) -> dict[str, str] | None:
        """A text in every questionnaire language, as ODK Collect would show it.

        Translations missing for a language fall back to the default language's text (what
        ODK does), with a note; texts in languages without survey labels are dropped.
        """
        value = self._as_written(value, where, what)
        by_name = value if isinstance(value, dict) else {self.plain_language: value}
        by_name = {name: str(text) for name, text in by_name.items() if text not in (None, "")}
        if not by_name:
            return None
        by_code = {
            self.language_names[name]: text
            for name, text in by_name.items()
            if name in self.language_names
        }
        others = [name for name in by_name if name not in self.language_names]
        if not by_code:
            # only in a language without survey labels: that text serves better than none
            if not fill_quietly:
                self.conversion.note(self._untranslated_note(what, others[0]), where)
            return {language: by_name[others[0]] for language in self.languages}
        for name in others:
            self.conversion.note(
                f"{what} in '{name}' is dropped: the survey has no labels in that language",
                where,
            )
        fallback = (
            self.default_language if self.default_language in by_code else next(iter(by_code))
        )
        for language in self.languages:
            if language not in by_code and not fill_quietly:
                self.conversion.note(
                    f"{what} has no '{language}' translation; the '{fallback}' text is used, "
                    "as ODK Collect does",
                    where,
                )
        return {language: by_code.get(language, by_code[fallback]) for language in self.languages}

    def _as_written(self, value: Any, where: _Located, what: str) -> Any:
        """A text with the typographic quotes pyxform made plain put back as the cell has them
        (“0”, ‘A’): a text is shown as written; only expressions need plain quotes."""
        sheet = self.raw_rows.get(where.sheet, [])
        if not where.row or where.row - 2 >= len(sheet) or value in (None, ""):
            return value
        cells = sheet[where.row - 2]
        column = what.split()[-1]

        def written(text: Any, language: str | None) -> Any:
            headers = [column] if language is None else [f"{column}::{language}",
                                                         f"{column}:{language}"]
            for header in headers:
                cell = cells.get(header)
                if isinstance(cell, str) and cell.translate(_TYPOGRAPHIC_QUOTES) == text:
                    return cell
            return text

        if isinstance(value, dict):
            return {name: written(text, name) for name, text in value.items()}
        return written(value, None)

    def _untranslated_note(self, what: str, language_name: str) -> str:
        if language_name == self.plain_language:
            column = what.split()[-1]
            example = next(iter(self.language_names))
            return (
                f"the {what} column has no language in its header, so the same {what} is shown "
                f"in every language; to translate it, use columns such as {column}::{example}"
            )
        return (
            f"{what} is written only in '{language_name}', a language no question label "
            f"uses; it is shown as written in every language"
        )

    def _expression(self, value: Any, where: _Located, column: str) -> str | None:
        if value in (None, ""):
            return None
        from dmsurvey.questionnaire.expressions import parse_expression

        text = str(value).translate(_TYPOGRAPHIC_QUOTES).strip()
        try:
            parse_expression(text)
        except ExpressionError as error:
            self.conversion.adapt(f"{column} {_DROPPED[column]}: {error}", where)
            return None
        return text

    def _row_of(self, name: str) -> _Located:
        rows = self.survey_rows.by_name.get(name)
        return _Located("survey", rows.popleft() if rows else None)


@dataclass
class _SurveyRows:
    """Sheet row numbers of the survey sheet, found from the cells pyxform read."""

    by_name: dict[str, deque[int]]
    raw_types: dict[int, str]
    or_other: dict[str, _Located]


def _survey_rows(workbook) -> _SurveyRows:
    from pyxform.xls2json import RE_SELECT

    by_name: dict[str, deque[int]] = defaultdict(deque)
    raw_types: dict[int, str] = {}
    or_other: dict[str, _Located] = {}
    # pyxform numbers survey rows from 2 (after the header), empty rows included
    for row_number, row in enumerate(workbook.survey or [], start=2):
        cells = {str(key).strip().lower(): value for key, value in row.items()}
        kind = str(cells.get("type") or cells.get("command") or "").strip()
        if not kind or kind.startswith(("end ", "end_")):
            continue
        kind = re.sub(r"\s+", " ", kind)
        name = cells.get("name") or cells.get("value") or cells.get("tag")
        if name is None and kind == "note":
            name = f"generated_note_name_{row_number}"
        if name is None and kind == "audit":
            name = "audit"
        if name is None:
            continue
        name = str(name).strip()
        by_name[name].append(row_number)
        raw_types[row_number] = kind
        select = RE_SELECT.search(kind)
        if select and select.group("specify_other"):
            or_other[name] = _Located("survey", row_number)
    return _SurveyRows(by_name, raw_types, or_other)


def _choice_rows(workbook) -> dict[str, list[int]]:
    rows: dict[str, list[int]] = defaultdict(list)
    for row_number, row in enumerate(workbook.choices or [], start=2):
        cells = {re.sub(r"[\s_]+", "_", str(key).strip().lower()): v for key, v in row.items()}
        list_name = cells.get("list_name")
        if list_name and (cells.get("name") or cells.get("value")) is not None:
            rows[str(list_name).strip()].append(row_number)
    return rows


def looks_personal(name: str, labels: Iterable[str] = ()) -> bool:
    """Whether a field named `name` and labelled `labels` probably holds personal data:
    a name, phone, address, e-mail or identity number (the proposal made for `pii`)."""
    words = [word.lower() for word in _NAME_WORDS.split(name) if word]
    if _PERSONAL_WORDS.intersection(words) or any(
            pair in _PERSONAL_WORD_PAIRS for pair in zip(words, words[1:], strict=False)):
        return True
    return any(_PERSONAL_LABEL.search(label) for label in labels)


def _all_texts(text: str | Mapping[str, str] | None) -> list[str]:
    if text is None:
        return []
    return [text] if isinstance(text, str) else [str(value) for value in text.values()]


class _ReferenceCheck:
    """Drops, with a note, rules whose references dmsurvey's loader would refuse.

    ODK evaluates a rule naming a later question, a note or a code the list lacks without
    complaint (the rule is then simply true or false); dmsurvey holds a questionnaire to
    stricter rules, so such a rule is left out rather than the whole form refused.
    """

    def __init__(self, conversion: _Conversion, choice_lists: Mapping[str, list[dict]]):
        self.conversion = conversion
        self.choice_lists = choice_lists

    def adapt(self, sections: list[dict]) -> None:
        questions = [q for section in sections for q in section["questions"]]
        self.position = {q["id"]: index for index, q in enumerate(questions)}
        self.by_id = {q["id"]: q for q in questions}
        # a repeat's id stands for its instances (`count(${members})`)
        repeats = [section for section in sections if section.get("repeat")]
        self.repeat_ids = {section["id"] for section in repeats}
        self.within = {section["id"]: (section["repeat"].get("within")
                                       if isinstance(section["repeat"], dict) else None)
                       for section in repeats}
        self.repeat_of = {q["id"]: section["id"] for section in repeats
                          for q in section["questions"]}
        start = 0
        for index, section in enumerate(sections):
            self.inside = self._instances_around(section["id"])
            self._check(section, "relevant", ("sections", index), before=start)
            if isinstance(section.get("repeat"), dict):
                # worked out in the repeat around it, before its own instances
                self.inside = self._instances_around(section["repeat"].get("within"))
                self._check(section["repeat"], "count", ("sections", index), before=start,
                            rule="repeat_count")
                self.inside = self._instances_around(section["id"])
            for number, question in enumerate(section["questions"]):
                path = ("sections", index, "questions", number)
                own = self.position[question["id"]]
                self._check(question, "relevant", path, before=own)
                self._check(question, "constraint", path, before=own + 1)
                self._check(question, "calculation", path, before=None)
                self._check(question, "choice_filter", path, before=own)
            start += len(section["questions"])

    def _instances_around(self, section_id: str | None) -> set[str]:
        inside = set()
        while section_id in self.within:
            inside.add(section_id)
            section_id = self.within[section_id]
        return inside

    def _check(self, holder: dict, key: str, path: tuple, *, before: int | None,
               rule: str | None = None) -> None:
        from dmsurvey.questionnaire.choice_filters import CHOICE_PREFIX, filter_expression
        from dmsurvey.questionnaire.expressions import parse_expression

        text = holder.get(key)
        if not text or not isinstance(text, str):
            return
        rule = rule or key
        expression = parse_expression(filter_expression(text) if key == "choice_filter"
                                      else text)
        reason = self._reason(expression, key, before, ignored=CHOICE_PREFIX)
        if reason:
            del holder[key]
            where = self.conversion.locations.get(path) or _Located("survey")
            self.conversion.adapt(f"{rule} {text!r} {_DROPPED[rule]}: {reason}", where)

    def _reason(self, expression, key: str, before: int | None, ignored: str) -> str | None:
        """Why the loader would refuse the rule, or None; names starting with `ignored` are
        a choice filter's columns of the choices."""
        if key != "constraint" and expression.uses_current:
            return "'.' names the answer being checked, which only a constraint has"
        if expression.uses_position and not self.inside:
            return "position(..) is the number of a repeat's instance, and this is in none"
        for name in sorted(expression.labelled_questions):
            if not self.by_id.get(name, {}).get("choices"):
                return f"jr:choice-name names '${{{name}}}', which is not a question with choices"
        for name in sorted(expression.loose_references):
            repeat = name if name in self.repeat_ids else self.repeat_of.get(name)
            if repeat is not None and repeat not in self.inside:
                return (f"${{{name}}} has an answer per instance of repeat '{repeat}' here "
                        "(dmsurvey reads it only inside sum(), count(), max(), min() or "
                        "indexed-repeat())")
        for name in sorted(expression.references):
            if name.startswith(ignored) or name in self.repeat_ids:
                continue
            if name not in self.by_id:
                return f"${{{name}}} is not a question dmsurvey keeps"
            if self.by_id[name]["type"] == "note":
                return f"${{{name}}} is a note, which takes no answer"
            if before is not None and self.position[name] >= before:
                return f"${{{name}}} is not asked before it"
        for name, code in expression.compared_codes() if key != "choice_filter" else ():
            list_name = self.by_id.get(name, {}).get("choices")
            codes = [choice["code"] for choice in self.choice_lists.get(list_name, [])]
            if codes and code not in codes:
                return f"{code!r} is not one of the codes of ${{{name}}}"
        return None


def _choices_from_rows(rows: Iterable[Mapping]) -> list[dict]:
    """Choices as pyxform gives them (`label` per language name) from the rows of a CSV file
    or of the external_choices sheet."""
    choices = []
    for raw in rows:
        row = {str(key).strip(): str(value or "").strip() for key, value in raw.items() if key}
        labels = {key.split("::", 1)[1]: text for key, text in row.items()
                  if key.startswith("label::") and text}
        if row.get("name"):
            label = labels or row.get("label") or row["name"]
            choices.append({"name": row["name"], "label": label})
    return choices


def _unrolled_loop(element: dict, row_of: Callable[[str], int | None]) -> dict:
    """An XLSForm `loop` as a group of its questions asked once per column (`%(label)s` in
    a label stands for the column's label); `row_of` gives a question's sheet row."""
    children = []
    rows = {child["name"]: row_of(child["name"]) for child in element.get("children", [])}
    for column in element.get("columns", []):
        for child in element.get("children", []):
            copy = dict(child)
            copy["name"] = f"{child['name']}_{column['name']}"
            copy["_loop_row"] = rows[child["name"]]
            for key in ("label", "hint"):
                copy[key] = _with_column_label(child.get(key), column.get("label"))
            children.append(copy)
    return {**element, "type": "group", "children": children}


def _with_column_label(text: Any, column_label: Any) -> Any:
    if isinstance(text, dict):
        return {
            language: _with_column_label(
                value,
                column_label.get(language) if isinstance(column_label, dict) else column_label,
            )
            for language, value in text.items()
        }
    if isinstance(text, str) and column_label is not None:
        label = column_label if isinstance(column_label, str) else next(
            iter(column_label.values()), "")
        return text.replace("%(label)s", str(label))
    return text


def _innermost_repeat(ancestors: tuple[dict, ...]) -> dict | None:
    return next((group for group in reversed(ancestors) if "_repeat" in group), None)


def _walk(elements: list[dict]) -> Iterable[dict]:
    for element in elements:
        yield element
        yield from _walk(element.get("children", []))


def _combine_with_and(expressions: list[str]) -> str:
    if len(expressions) == 1:
        return expressions[0]
    return " and ".join(f"({expression})" for expression in expressions)


def _form_name(text: str) -> str:
    name = re.sub(r"[^a-z0-9_-]+", "-", str(text).strip().lower()).strip("-_")
    return name or "form"
