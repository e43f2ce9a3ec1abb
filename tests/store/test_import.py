"""`dmsurvey import`: every format, every cell checked, all or nothing, nothing duplicated."""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from dmsurvey.cli import app
from dmsurvey.errors import DataError, DmsurveyError
from dmsurvey.store.importing import import_files
from dmsurvey.store.study import init_study

COLUMNS = ["response_id", "submitted_at", "firm_name", "industry", "mfg_subsector",
           "employees_2019", "revenue_2019", "tech_used", "cloud", "self_maturity"]
GOOD = [
    ["r1", "2020-07-10T09:00:00+08:00", "甲公司", "manufacturing", "pharma", "120", "5300.5",
     "big_data ai", "yes", "2"],
    ["r2", "2020-07-11T10:30:00+08:00", "乙科技", "software_it", "", "15", "800", "none",
     "no", "1"],
    ["r3", "2020-07-12T16:45:00+08:00", "", "other", "", "", "0", "", "", "3"],
    ["r4", "2020-07-13T08:15:00+08:00", "Acme, Ltd.", "manufacturing", "other_mfg", "40",
     "12.25", "5g ai big_data", "yes", ""],
]
MULTI_CODES = ["big_data", "ai", "5g", "none"]


def csv_text(columns, rows, newline="\n") -> str:
    frame = pd.DataFrame(rows, columns=columns, dtype="str")
    return frame.to_csv(index=False, lineterminator=newline)


def file_hash(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Outcome:
    """A command's exit code and what a user sees (errors as `dmsurvey` prints them)."""

    def __init__(self, result):
        self.exit_code = result.exit_code
        self.output = result.output
        self.exception = result.exception
        if isinstance(result.exception, DmsurveyError):
            self.output += f"Error: {result.exception}\n"


def run(*args) -> Outcome:
    return Outcome(CliRunner().invoke(app, [str(arg) for arg in args]))


def stored(study) -> pd.DataFrame:
    """Responses without the columns that record when they were stored."""
    frame = study.responses(status=None).drop(columns=["started_at", "updated_at"])
    return frame.sort_values("response_id", ignore_index=True)


@pytest.fixture
def good_csv(tmp_path):
    path = tmp_path / "good.csv"
    path.write_text(csv_text(COLUMNS, GOOD), encoding="utf-8")
    return path


def test_a_csv_file_is_stored_as_canonical_typed_answers(study, good_csv):
    result = import_files(study, [good_csv], source="paper", who="clerk")
    assert (result.added, result.rows, result.rejected) == (4, 4, 0)
    frame = stored(study)
    first = frame.iloc[0]
    assert first["industry"] == "manufacturing" and first["employees_2019"] == 120
    assert first["revenue_2019"] == 5300.5 and first["tech_used"] == "big_data ai"
    assert frame.loc[3, "tech_used"] == "big_data ai 5g"  # choice order, whatever the input
    assert frame["source"].tolist() == ["paper"] * 4
    assert frame["status"].tolist() == ["complete"] * 4
    assert frame["submitted_at"].tolist() == [row[1] for row in GOOD]
    assert pd.isna(frame.loc[2, "tech_used"]) and pd.isna(frame.loc[2, "firm_name"])
    audit = study.audit()
    assert len(audit) == 4 and set(audit["action"]) == {"import"}
    assert set(audit["who"]) == {"clerk"}


def test_importing_the_same_file_twice_adds_nothing(study, tmp_path):
    # no response_id column: ids come from the content, the same each time
    path = tmp_path / "no-ids.csv"
    path.write_text(csv_text(COLUMNS[1:], [row[1:] for row in GOOD]), encoding="utf-8")
    first = import_files(study, [path])
    again = import_files(study, [path])
    assert (first.added, again.added, again.unchanged) == (4, 0, 4)
    ids = stored(study)["response_id"]
    assert ids.str.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}").all()
    assert len(study.response_ids()) == 4


def test_same_id_other_content_is_a_conflict_naming_the_fields(study, good_csv, tmp_path):
    import_files(study, [good_csv])
    changed = [row.copy() for row in GOOD]
    changed[1][3] = "other"  # industry
    changed[1][5] = "16"  # employees
    path = tmp_path / "changed.csv"
    path.write_text(csv_text(COLUMNS, changed), encoding="utf-8")
    before = file_hash(study.database_path)
    with pytest.raises(DataError) as caught:
        import_files(study, [path])
    [problem] = caught.value.problems
    assert problem.row == 3 and problem.value == "r2"
    assert "industry (stored 'software_it', file 'other')" in problem.message
    assert "employees_2019 (stored 15, file 16)" in problem.message
    assert file_hash(study.database_path) == before

    result = import_files(study, [path], replace=True, who="supervisor")
    assert (result.replaced, result.unchanged, result.added) == (1, 3, 0)
    row = stored(study).set_index("response_id").loc["r2"]
    assert row["industry"] == "other" and row["employees_2019"] == 16
    audit = study.audit("r2")
    replaced = audit[audit["action"] == "replace"].set_index("field")
    assert replaced.loc["industry", "old"] == "software_it"
    assert replaced.loc["employees_2019", "old"] == "15"
    assert replaced.loc["employees_2019", "new"] == "16"
    assert set(replaced["who"]) == {"supervisor"}


def test_all_problems_are_reported_with_file_row_column_value_expected(study, tmp_path):
    rows = [row.copy() for row in GOOD]
    rows[0][5] = "many"  # row 2
    rows[2][7] = "ai,5g"  # row 4
    rows[3][6] = "-3"  # row 5
    rows[3][8] = "maybe"
    path = tmp_path / "bad.csv"
    path.write_text(csv_text(COLUMNS, rows), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        import_files(study, [path])
    found = [(p.row, p.column, p.value) for p in caught.value.problems]
    assert found == [(2, "employees_2019", "many"), (4, "tech_used", "ai,5g"),
                     (5, "revenue_2019", "-3"), (5, "cloud", "maybe")]
    problems = {p.column: p for p in caught.value.problems}
    assert problems["tech_used"].message == "choices separated by commas"
    assert "spaces" in problems["tech_used"].expected
    assert problems["cloud"].expected.startswith("one of yes, no")
    assert all(p.file == str(path) for p in caught.value.problems)
    assert study.response_ids() == []


def test_skip_invalid_stores_the_rest_and_writes_the_rejected_rows_with_reasons(study, tmp_path):
    rows = [row.copy() for row in GOOD]
    rows[1][3] = "farming"
    path = tmp_path / "mixed.csv"
    path.write_text(csv_text(COLUMNS, rows), encoding="utf-8")
    result = run("import", study.path, path, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "Added 3 responses" in result.output and "1 rejected" in result.output
    rejected = pd.read_csv(tmp_path / "mixed.rejected.csv", dtype=str, keep_default_na=False,
                           encoding="utf-8-sig")
    assert rejected["response_id"].tolist() == ["r2"]
    assert "industry: unknown choice 'farming'" in rejected.loc[0, "reason"]
    assert sorted(study.response_ids()) == ["r1", "r3", "r4"]
    # the corrected rejected file imports as it is
    rejected.loc[0, "industry"] = "software_it"
    rejected.to_csv(tmp_path / "mixed.rejected.csv", index=False)
    assert run("import", study.path, tmp_path / "mixed.rejected.csv").exit_code == 0
    assert len(study.response_ids()) == 4


def test_dry_run_checks_and_stores_nothing(study, good_csv):
    before = file_hash(study.database_path)
    result = run("import", study.path, good_csv, "--dry-run")
    assert result.exit_code == 0
    assert result.output == ("Would add 4 responses and replace 0; 0 already stored, "
                             "0 to reject (of 4 rows in 1 file).\n")
    assert file_hash(study.database_path) == before and study.response_ids() == []


def test_the_summary_counts_one_row_in_the_singular(study, tmp_path):
    paths = [tmp_path / "one.csv", tmp_path / "copy.csv"]
    for path in paths:
        path.write_text(csv_text(COLUMNS, GOOD[:1]), encoding="utf-8")
    result = run("import", study.path, *paths)
    assert result.exit_code == 0, result.output
    assert result.output == ("Added 1 response, replaced 0, 0 already stored, "
                             "1 duplicate row skipped, 0 rejected (of 2 rows in 2 files).\n")


def test_ignore_columns_leaves_out_unknown_columns_and_says_so(study, tmp_path):
    path = tmp_path / "extra.csv"
    path.write_text(csv_text(COLUMNS + ["clerk_note"], [r + ["x"] for r in GOOD]),
                    encoding="utf-8")
    result = run("import", study.path, path, "--ignore-columns")
    assert result.exit_code == 0, result.output
    assert "left out column 'clerk_note'" in result.output


def labelled(rows, questionnaire, language, keep_codes=()):
    """The rows with choice labels in `language` instead of codes."""
    out = []
    for row in rows:
        row = row.copy()
        for position, name in enumerate(COLUMNS):
            if name in keep_codes:
                continue
            if name in questionnaire and questionnaire[name].is_select and row[position]:
                question = questionnaire[name]
                labels = [question.choice(code).label[language] for code in row[position].split()]
                row[position] = "; ".join(labels) if question.type == "select_multiple" \
                    else labels[0]
        out.append(row)
    return out


def write_all_formats(folder, questionnaire) -> dict[str, object]:
    """The same four responses as UTF-8 CSV, Excel-style GB18030 CSV with labels and shuffled
    columns, .xlsx with numbers as numbers, a KoboToolbox export, ODK Central CSV, JSON and
    Parquet."""
    files = {}
    files["utf8"] = folder / "utf8.csv"
    files["utf8"].write_text(csv_text(COLUMNS, GOOD), encoding="utf-8")

    order = COLUMNS.copy()
    random.Random(3).shuffle(order)
    zh_rows = labelled(GOOD, questionnaire, "zh")
    shuffled = [[row[COLUMNS.index(name)] for name in order] for row in zh_rows]
    files["gb18030"] = folder / "excel-gb18030.csv"
    files["gb18030"].write_bytes(csv_text(order, shuffled, newline="\r\n").encode("gb18030"))

    files["xlsx"] = folder / "entry.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    for row in labelled(GOOD, questionnaire, "en", keep_codes=["self_maturity"]):
        cells = list(row)
        for name in ("employees_2019", "self_maturity"):
            position = COLUMNS.index(name)
            cells[position] = int(cells[position]) if cells[position] else None
        position = COLUMNS.index("revenue_2019")
        cells[position] = float(cells[position])
        sheet.append([None if cell == "" else cell for cell in cells])
    workbook.save(files["xlsx"])

    kobo_columns = ["start", "_id", "_uuid", "_submission_time", "A/firm_name", "A/industry",
                    "A/mfg_subsector", "A/employees_2019", "A/revenue_2019"]
    kobo_columns += [f"B/tech_used/{code}" for code in MULTI_CODES]
    kobo_columns += ["B/cloud", "B/self_maturity", "meta/instanceID", "__version__", "_index",
                     "_status"]
    kobo_rows = []
    for number, row in enumerate(GOOD, start=1):
        values = dict(zip(COLUMNS, row, strict=True))
        chosen = values["tech_used"].split()
        kobo_rows.append(
            ["", str(1000 + number), row[0], row[1]]
            + [values[name] for name in COLUMNS[2:7]]
            + [("1" if code in chosen else "0") if chosen else "" for code in MULTI_CODES]
            + [values["cloud"], values["self_maturity"], f"uuid:{row[0]}", "vX2", str(number),
               "submitted_via_web"]
        )
    files["kobo"] = folder / "kobo.csv"
    files["kobo"].write_text(csv_text(kobo_columns, kobo_rows).replace(",\n", ",\n"),
                             encoding="utf-8-sig")

    odk_columns = ["SubmissionDate", "A-firm_name", "A-industry", "A-mfg_subsector",
                   "A-employees_2019", "A-revenue_2019", "B-tech_used", "B-cloud",
                   "B-self_maturity", "meta-instanceID", "KEY", "SubmitterID", "ReviewState"]
    odk_rows = [[row[1], *row[2:], f"uuid:{row[0]}", f"uuid:{row[0]}", "5", ""] for row in GOOD]
    files["odk"] = folder / "odk-central.csv"
    files["odk"].write_text(csv_text(odk_columns, odk_rows), encoding="utf-8")

    records = []
    for row in GOOD:
        record = dict(zip(COLUMNS, row, strict=True))
        record["employees_2019"] = int(row[5]) if row[5] else None
        record["revenue_2019"] = float(row[6])
        record["tech_used"] = row[7].split() if row[7] else None
        records.append(record)
    files["json"] = folder / "responses.json"
    files["json"].write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")

    frame = pd.DataFrame(GOOD, columns=COLUMNS).replace("", None)
    frame["employees_2019"] = frame["employees_2019"].astype("Int64")
    frame["revenue_2019"] = frame["revenue_2019"].astype(float)
    frame["self_maturity"] = frame["self_maturity"].astype("Int64")
    files["parquet"] = folder / "responses.parquet"
    frame.to_parquet(files["parquet"])
    return files


def test_every_format_gives_identical_stored_responses(tmp_path, mini_path):
    reference = init_study(tmp_path / "reference", questionnaire=mini_path)
    files = write_all_formats(tmp_path, reference.questionnaire)
    import_files(reference, [files.pop("utf8")])
    expected = stored(reference)
    assert len(expected) == 4
    for kind, path in files.items():
        study = init_study(tmp_path / f"study-{kind}", questionnaire=mini_path)
        result = import_files(study, [path])
        assert result.added == 4, kind
        pd.testing.assert_frame_equal(stored(study), expected, obj=kind)


def test_kobo_system_columns_are_dropped_knowingly(tmp_path, mini_path):
    study = init_study(tmp_path / "s", questionnaire=mini_path)
    files = write_all_formats(tmp_path, study.questionnaire)
    result = import_files(study, [files["kobo"]])
    dropped = {column for _, column, _ in result.dropped_columns}
    assert dropped == {"_id", "__version__", "_index", "_status", "meta/instanceID"}


def test_odk_submitter_becomes_the_enumerator(study, tmp_path):
    path = tmp_path / "odk.csv"
    path.write_text(csv_text(["meta-instanceID", "SubmitterName", "A-industry"],
                             [["uuid:abc", "Wang Fang", "other"]]), encoding="utf-8")
    import_files(study, [path])
    record = study.get_response("abc")
    assert record["enumerator"] == "Wang Fang" and record["industry"] == "other"


def test_kobo_option_columns_that_disagree_with_the_joined_column_are_refused(study, tmp_path):
    path = tmp_path / "kobo.csv"
    columns = ["_uuid", "industry", "tech_used", "tech_used/ai", "tech_used/big_data"]
    path.write_text(csv_text(columns, [["a", "other", "ai", "0", "1"]]), encoding="utf-8")
    with pytest.raises(DataError, match="disagrees with the 0/1 columns"):
        import_files(study, [path])


def test_an_xlsx_label_row_under_the_header_is_skipped_and_rows_are_excel_rows(study, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["industry", "employees_2019"])
    sheet.append(["行业", "员工人数"])  # a second header row with the labels
    sheet.append(["other", 3])
    sheet.append([None, None])  # a blank row keeps its number
    sheet.append(["other", "lots"])
    path = tmp_path / "template.xlsx"
    workbook.save(path)
    with pytest.raises(DataError) as caught:
        import_files(study, [path])
    [problem] = caught.value.problems
    assert (problem.row, problem.column, problem.value) == (5, "employees_2019", "lots")


def test_a_blank_line_in_a_csv_keeps_the_row_numbers_of_excel(study, tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("industry,employees_2019\nother,1\n\nother,x\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        import_files(study, [path])
    assert [p.row for p in caught.value.problems] == [4]


def test_progress_is_reported(study, good_csv):
    seen = []
    import_files(study, [good_csv], progress=lambda what, done, total: seen.append(what))
    assert any(what.startswith("Checking") for what in seen)
    assert "Storing responses" in seen


def test_add_responses_takes_another_studys_frame(study, good_csv, tmp_path, mini_path):
    import_files(study, [good_csv])
    other = init_study(tmp_path / "laptop-2", questionnaire=mini_path)
    result = other.add_responses(study.responses(status=None), who="merge")
    assert result.added == 4
    pd.testing.assert_frame_equal(stored(other), stored(study))
    assert other.add_responses(study.responses(status=None)).unchanged == 4


# ------------------------------------------------------------ malformed input, via the CLI


def malformed_cases():
    header = ",".join(COLUMNS)
    good = csv_text(COLUMNS, GOOD[:1])
    row = good.splitlines()[1]

    def csv_with(**changes):
        values = dict(zip(COLUMNS, GOOD[1], strict=True)) | changes
        return csv_text(list(values), [list(values.values())])

    workbook_bytes = {}

    def truncated_xlsx(tmp_path):
        book = openpyxl.Workbook()
        book.active.append(COLUMNS)
        path = tmp_path / "whole.xlsx"
        book.save(path)
        return path.read_bytes()[:300]

    workbook_bytes["truncated"] = truncated_xlsx
    return [
        ("wrong-type.csv", csv_with(employees_2019="twelve"), "not a number"),
        ("unknown-code.csv", csv_with(industry="farming"), "unknown choice"),
        ("commas.csv", csv_with(tech_used="big_data,ai"), "choices separated by commas"),
        ("negative.csv", csv_with(employees_2019="-4"),
         "column employees_2019: not allowed: '-4' (expected: Cannot be negative)"),
        ("exclusive.csv", csv_with(tech_used="none ai"), "cannot be combined"),
        ("unknown-column.csv", csv_with(colour="blue"), "unknown column"),
        ("ragged.csv", f"{header}\n{row},extra\n", "this row has 11 cells"),
        ("one-cell.csv", f"{header}\nr9\n", "this row has 1 cell but the header has 10"),
        ("truncated.csv", f"{header}\n{row}\nr9,2020-07-10T09:00:00,甲", "is the file complete"),
        ("unclosed-quote.csv", f'{header}\n{row}\nr9,"2020-07-10', "is never closed"),
        ("empty.csv", "", "is empty"),
        ("header-only.csv", header + "\n", "header but no responses"),
        ("binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
        ("latin1.csv", "industry,firm_name\nother,Café Müller\n".encode("latin-1"),
         "cannot be read as utf-8 or gb18030"),
        ("duplicate-ids.csv", good + row + "\n", "response_id repeats row 2"),
        ("duplicate-columns.csv", "industry,industry\nother,other\n", "appears more than once"),
        ("not-a-zip.xlsx", good, "not an Excel .xlsx workbook"),
        ("truncated.xlsx", workbook_bytes["truncated"], "cannot be read as an Excel workbook"),
        ("damaged.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "cannot be read as an Excel .xls"),
        ("web-page.xls", "<html><table><tr><td>1</td></tr></table></html>", "a web page (HTML)"),
        ("responses.sav", b"$FL2", "cannot import .sav"),
        ("broken.json", '[{"industry": "other"', "is not valid JSON"),
        ("object.json", '{"industry": "other"}', "expected a list of responses"),
        ("truncated.parquet", b"PAR1\x00\x01", "cannot be read as Parquet"),
        ("bad-option.csv", "_uuid,industry,tech_used/ai\nx,other,2\n", "not 0 or 1"),
        ("bad-date.csv", csv_with(submitted_at="last Tuesday"), "not a date and time"),
        ("bad-entry.csv", csv_with(entry="0"), "not an entry number"),
        ("bad-source.csv", csv_with(source="telephone"), "unknown source"),
    ]


MALFORMED = malformed_cases()


@pytest.fixture
def used_study(study, tmp_path):
    """A study that already holds responses (so "unchanged" means something)."""
    path = tmp_path / "first.csv"
    path.write_text(csv_text(COLUMNS, GOOD[:1]), encoding="utf-8")
    import_files(study, [path])
    return study


@pytest.mark.parametrize(("name", "content", "message"), MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed_input_is_refused_with_one_clear_message(used_study, tmp_path, name, content,
                                                          message):
    path = tmp_path / name
    if callable(content):
        content = content(tmp_path)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    before = file_hash(used_study.database_path)
    result = run("import", used_study.path, path)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, DmsurveyError), result.exception  # not a crash
    assert result.output.startswith("Error: "), result.output
    assert message in result.output
    assert file_hash(used_study.database_path) == before


@pytest.mark.slow
def test_a_refusal_in_a_real_shell_is_one_message_without_traceback(used_study, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("industry\nfarming\n", encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "dmsurvey", "import", str(used_study.path), str(path)],
        capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 1
    assert completed.stderr.startswith("Error: Nothing was imported: 1 problem found.")
    assert "row 2, column industry: unknown choice: 'farming'" in completed.stderr
    assert "Traceback" not in completed.stderr + completed.stdout


@pytest.mark.parametrize("name", ["empty.csv", "nowhere.csv"])
def test_an_empty_or_missing_file_is_said_once(used_study, tmp_path, name):
    if name == "empty.csv":
        (tmp_path / name).write_text("", encoding="utf-8")
    result = run("import", used_study.path, tmp_path / name)
    assert result.exit_code == 1
    assert result.output.count(name) == 1 and result.output.count("\n") == 1, result.output


def test_questionnaire_messages_follow_the_chosen_language(used_study, tmp_path):
    path = tmp_path / "negative.csv"
    values = dict(zip(COLUMNS, GOOD[1], strict=True)) | {"employees_2019": "-4",
                                                           "revenue_2019": "-1"}
    path.write_text(csv_text(list(values), [list(values.values())]), encoding="utf-8")
    english = run("import", used_study.path, path)
    chinese = run("import", used_study.path, path, "--lang", "zh")
    assert "Nothing was imported: 2 problems found. Fix them" in english.output
    assert "(expected: Cannot be negative)" in english.output
    assert "(expected: 不能为负数)" in chinese.output and "Cannot be" not in chinese.output
    # no message in the questionnaire: the rule itself is all there is to show
    assert "column revenue_2019: not allowed: '-1' (expected: a value for which . >= 0 holds)" \
        in english.output
    assert english.output.count(". >= 0") == 1


def test_at_least_fifteen_kinds_of_malformed_input_are_covered():
    assert len(MALFORMED) >= 15


def test_an_id_conflict_and_a_missing_file_are_refused_too(used_study, tmp_path):
    before = file_hash(used_study.database_path)
    conflicting = [GOOD[0].copy()]
    conflicting[0][4] = "other_mfg"
    path = tmp_path / "conflict.csv"
    path.write_text(csv_text(COLUMNS, conflicting), encoding="utf-8")
    for target, message in [(path, "already stored with different values in mfg_subsector"),
                            (tmp_path / "nowhere.csv", "No such file")]:
        result = run("import", used_study.path, target)
        assert result.exit_code == 1 and message in result.output, result.output
    assert file_hash(used_study.database_path) == before


def test_a_forced_wrong_encoding_says_what_to_do(used_study, tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("industry,firm_name\nother,上海某公司\n".encode("gb18030"))
    result = run("import", used_study.path, path, "--encoding", "utf-8")
    assert result.exit_code == 1 and "cannot be read as utf-8" in result.output
    assert run("import", used_study.path, path).exit_code == 0  # detected without --encoding


def test_many_problems_are_listed_briefly_and_written_in_full(used_study, tmp_path):
    rows = [[f"x{i}", "", "", "farming", "", "", "", "", "", ""] for i in range(80)]
    path = tmp_path / "many.csv"
    path.write_text(csv_text(COLUMNS, rows), encoding="utf-8")
    result = run("import", used_study.path, path)
    assert result.exit_code == 1
    assert "The first 50 of 80 are listed" in result.output
    [report] = used_study.reports_dir.glob("import-problems-*.csv")
    assert len(pd.read_csv(report)) == 80


# ------------------------------------------------------------------ more ways in


def test_content_ids_are_uuid5_of_the_content():
    import uuid

    from dmsurvey.store.importing import RESPONSE_NAMESPACE, uuid5_texts

    names = ["mini\x1f1\x1f\x1fother", "甲公司", ""]
    assert uuid5_texts(RESPONSE_NAMESPACE, names) == [
        str(uuid.uuid5(RESPONSE_NAMESPACE, name)) for name in names
    ]


def test_rows_without_ids_get_the_same_ids_from_any_format(tmp_path, mini_path):
    reference = init_study(tmp_path / "reference", questionnaire=mini_path)
    files = write_all_formats(tmp_path, reference.questionnaire)
    frame = pd.read_excel(files["xlsx"]).drop(columns="response_id")
    without_ids = tmp_path / "no-ids.xlsx"
    frame.to_excel(without_ids, index=False)
    plain = tmp_path / "no-ids.csv"
    plain.write_text(csv_text(COLUMNS[1:], [row[1:] for row in GOOD]), encoding="utf-8")
    ids = []
    for number, path in enumerate([plain, without_ids]):
        study = init_study(tmp_path / f"s{number}", questionnaire=mini_path)
        import_files(study, [path])
        ids.append(sorted(study.response_ids()))
    assert ids[0] == ids[1] and len(ids[0]) == 4


def test_a_named_sheet_of_a_workbook(study, tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "notes"
    workbook.active.append(["read me"])
    data = workbook.create_sheet("data")
    data.append(["response_id", "industry"])
    data.append(["a", "其他"])
    path = tmp_path / "two-sheets.xlsx"
    workbook.save(path)
    assert run("import", study.path, path, "--sheet", "data").exit_code == 0
    assert study.get_answers("a") == {"industry": "other"}
    result = run("import", study.path, path, "--sheet", "answers")
    assert result.exit_code == 1 and "no sheet 'answers'" in result.output


def test_excel_unicode_text_and_json_lines(study, tmp_path):
    unicode_text = tmp_path / "excel-unicode.txt"
    unicode_text.write_text("response_id\tindustry\tfirm_name\r\nu1\tother\t上海某公司\r\n",
                            encoding="utf-16")
    lines = tmp_path / "responses.jsonl"
    lines.write_text('{"response_id": "j1", "industry": "Manufacturing", '
                     '"mfg_subsector": "pharma"}\n\n{"response_id": "j2", "industry": null}\n',
                     encoding="utf-8")
    with pytest.raises(DataError) as caught:  # j2 lacks the required industry
        import_files(study, [unicode_text, lines], strict=True)
    [problem] = caught.value.problems
    assert (problem.file, problem.row, problem.column) == (str(lines), 2, "industry")
    lines.write_text(lines.read_text().replace("null", '"other"'), encoding="utf-8")
    assert import_files(study, [unicode_text, lines]).added == 3
    assert study.get_answers("u1")["firm_name"] == "上海某公司"
    assert study.get_answers("j1")["industry"] == "manufacturing"


def test_the_same_id_with_other_answers_in_two_files_is_a_conflict(study, tmp_path):
    first, second = tmp_path / "laptop-1.csv", tmp_path / "laptop-2.csv"
    first.write_text("response_id,industry\nx,other\n", encoding="utf-8")
    second.write_text("response_id,industry\ny,other\nx,software_it\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        import_files(study, [first, second])
    [problem] = caught.value.problems
    assert problem.file == str(second) and problem.row == 3
    assert problem.message == (
        f"response_id repeats row 2 of {first} with different values in industry")
    assert "1 problem found. Fix it and import again" in caught.value.message


def test_identical_rows_in_two_files_of_one_import_are_stored_once(study, tmp_path):
    text = csv_text(COLUMNS, GOOD)
    utf8, gbk = tmp_path / "good.csv", tmp_path / "gbk.csv"
    utf8.write_text(text, encoding="utf-8")
    gbk.write_bytes(text.encode("gbk"))
    result = import_files(study, [utf8, gbk])
    assert (result.added, result.duplicates, result.rejected) == (4, 4, 0)
    assert len(study.responses()) == 4
    # the same files in two calls: the second adds nothing either
    again = import_files(study, [gbk])
    assert (again.added, again.unchanged) == (0, 4)
    # without response_id (content-derived ids) it is the same
    fresh = init_study(tmp_path / "fresh", questionnaire=study.path / "questionnaire.yaml")
    headless = csv_text(COLUMNS[1:], [row[1:] for row in GOOD])
    utf8.write_text(headless, encoding="utf-8")
    gbk.write_bytes(headless.encode("gbk"))
    assert import_files(fresh, [utf8, gbk]).duplicates == 4
    assert len(fresh.responses()) == 4


def test_a_row_repeated_within_one_file_is_still_a_problem(study, tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text(csv_text(COLUMNS, [GOOD[0], GOOD[0]]), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        import_files(study, [path])
    assert [p.row for p in caught.value.problems] == [3]


def test_second_keyings_are_never_complete_until_reconciled(study, tmp_path):
    columns = ["form_number", "industry", "employees_2019"]
    first, second, single = (tmp_path / name for name in ("e1.csv", "e2.csv", "once.csv"))
    first.write_text(csv_text(columns, [["F1", "other", "10"], ["F2", "other", "5"]]),
                     encoding="utf-8")
    second.write_text(csv_text(columns + ["status"], [["F1", "other", "10", "complete"]]),
                      encoding="utf-8")
    single.write_text(csv_text(columns, [["F3", "other", "7"]]), encoding="utf-8")
    import_files(study, [first], source="paper", entry=1)
    assert sorted(study.responses()["form_number"]) == ["F1", "F2"]
    result = run("import", study.path, second, "--source", "paper", "--entry", "2")
    assert "1 paper form now keyed twice; it counts once reconciled: dmsurvey reconcile" \
        in result.output, result.output
    everything = study.responses(status=None).set_index(["form_number", "entry"])["status"]
    # F1 has two keyings now: neither counts until reconciled; F2 keyed once still counts
    assert everything.to_dict() == {("F1", 1): "in_progress", ("F1", 2): "in_progress",
                                    ("F2", 1): "complete"}
    assert study.audit().query("field == 'status'")["new"].tolist() == ["in_progress"]
    # a first keying imported after its second one waits for reconciliation too
    import_files(study, [single], source="paper", entry=2)
    import_files(study, [single], source="paper", entry=1)
    assert set(study.responses(status=None).query("form_number == 'F3'")["status"]) == {
        "in_progress"}
    from dmsurvey.store.reconcile import reconcile_study

    result = reconcile_study(study)
    assert sorted(result.completed) == ["F1", "F3"]
    assert sorted(study.responses()["form_number"]) == ["F1", "F2", "F3"]
    assert set(study.responses()["entry"]) == {1}


def test_init_command(tmp_path, mini_path):
    result = run("init", tmp_path / "new", "--questionnaire", mini_path)
    assert result.exit_code == 0, result.output
    assert "Created study" in result.output and "mini version 1" in result.output
    again = run("init", tmp_path / "new", "--questionnaire", mini_path)
    assert again.exit_code == 1 and "already a study" in again.output


def test_every_data_command_has_help_with_an_example():
    for command in ("init", "import", "validate"):
        result = run(command, "--help")
        assert result.exit_code == 0 and "Example: dmsurvey " + command in result.output


def test_an_odk_central_zip_export_imports_its_main_csv(study, tmp_path):
    import zipfile

    path = tmp_path / "sme_survey.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("sme_survey.csv", "KEY,SubmissionDate,A-industry,meta-instanceID\n"
                         "uuid:z1,2020-07-10T01:00:00.000Z,other,uuid:z1\n")
        archive.writestr("sme_survey-plots.csv", "PARENT_KEY,plot\nuuid:z1,1\n")
    assert import_files(study, [path]).added == 1
    record = study.get_response("z1")
    assert record["industry"] == "other"
    assert record["submitted_at"] == "2020-07-10T01:00:00+00:00"


def test_read_responses_types_a_file_without_a_study(study, tmp_path):
    from dmsurvey.store.importing import read_responses

    path = tmp_path / "firms.csv"
    path.write_text(csv_text(COLUMNS, GOOD), encoding="utf-8")
    frame = read_responses(path, study.questionnaire)
    assert frame["response_id"].tolist() == ["r1", "r2", "r3", "r4"]
    assert str(frame["employees_2019"].dtype) == "Int64"
    assert frame["employees_2019"].tolist()[:2] == [120, 15]
    assert frame["revenue_2019"].sum() == pytest.approx(5300.5 + 800 + 0 + 12.25)
    assert list(frame["industry"].cat.categories) == ["manufacturing", "software_it", "other"]
    assert frame["tech_used"].tolist()[0] == "big_data ai"
    bad = tmp_path / "bad.csv"
    rows = [row.copy() for row in GOOD[:2]]
    rows[0][5], rows[1][3] = "-3", "farming"
    bad.write_text(csv_text(COLUMNS, rows), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_responses(bad, study.questionnaire)
    assert [(p.row, p.column) for p in caught.value.problems] == [
        (2, "employees_2019"), (3, "industry")]
    assert "2 values do not fit" in caught.value.message


def test_system_columns_left_out_are_told_in_one_line(tmp_path, mini_path):
    study = init_study(tmp_path / "s", questionnaire=mini_path)
    kobo = write_all_formats(tmp_path, study.questionnaire)["kobo"]
    for repeat in range(2):  # a repeat import, adding nothing, says it the same way
        result = run("import", study.path, kobo)
        assert result.exit_code == 0, result.output
        left_out = [line.strip() for line in result.output.splitlines() if "left out" in line]
        assert left_out == [
            "left out 4 system columns of the collecting server from kobo.csv: "
            "_id, __version__, _index, _status",  # in file order
            "left out column 'meta/instanceID' of kobo.csv: same as '_uuid'",
        ], repeat


def test_init_says_when_the_questionnaire_has_no_scoring(tmp_path, mini_path):
    note = ("Note: this questionnaire has no scoring block: score, firm pages and the maturity "
            "parts of the report will not apply (see docs/methodology.md)")
    unscored = run("init", tmp_path / "unscored", "--questionnaire", mini_path)
    assert unscored.exit_code == 0, unscored.output
    assert note in unscored.output.splitlines()
    scored = run("init", tmp_path / "scored", "--questionnaire", "sme-digital-2020")
    assert scored.exit_code == 0, scored.output
    assert "scoring" not in scored.output


def test_skip_invalid_stores_nothing_when_the_rejected_rows_cannot_be_written(study, tmp_path):
    rows = [row.copy() for row in GOOD]
    rows[1][3] = "farming"
    folder = tmp_path / "inbox"
    folder.mkdir()
    path = folder / "mixed.csv"
    path.write_text(csv_text(COLUMNS, rows), encoding="utf-8")
    (folder / "mixed.rejected.csv").mkdir()  # in the way, as a read-only folder would be
    result = run("import", study.path, path, "--skip-invalid")
    assert result.exit_code == 1
    assert "Nothing was imported" in result.output and "mixed.rejected.csv" in result.output
    assert study.response_ids() == []
    # once it can be written, the same command stores the valid rows and keeps the rest
    (folder / "mixed.rejected.csv").rmdir()
    assert run("import", study.path, path, "--skip-invalid").exit_code == 0
    assert sorted(study.response_ids()) == ["r1", "r3", "r4"]
    assert "farming" in (folder / "mixed.rejected.csv").read_text(encoding="utf-8-sig")
