"""Repeat groups in tables and templates: shares and the report's "Results by question"
tabulate a repeat's questions over its instances; a keying template has a sheet per repeat
that imports back."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from dmsurvey.datasets import shares_with_view
from dmsurvey.store.importing import import_files
from dmsurvey.store.study import init_study
from dmsurvey.store.template import write_template

HOUSEHOLD = Path(__file__).with_name("household.yaml")
RELATION = """\
      - id: relation
        type: select_one
        label: {en: Relation to the head, zh: 与户主关系}
        choices:
          - {code: head, label: {en: Head, zh: 户主}}
          - {code: spouse, label: {en: Spouse, zh: 配偶}}
          - {code: child, label: {en: Child, zh: 子女}}
          - {code: other, label: {en: Other, zh: 其他}}
      - {id: photo, type: image, label: {en: Photo, zh: 照片}}
"""
# Members of four households: (household, relation); one member leaves the question blank.
MEMBERS = [("h1", "head"), ("h1", "spouse"), ("h1", "child"), ("h1", "child"),
           ("h2", "head"), ("h2", None), ("h3", "head"), ("h3", "child"), ("h4", "head")]


@pytest.fixture
def roster(tmp_path) -> Path:
    """The household roster with a choice question asked of each member."""
    text = HOUSEHOLD.read_text(encoding="utf-8")
    anchor = '        constraint: ". < 120"\n'
    path = tmp_path / "roster.yaml"
    path.write_text(text.replace(anchor, anchor + RELATION), encoding="utf-8")
    return path


@pytest.fixture
def study_path(tmp_path, roster) -> Path:
    study = init_study(tmp_path / "study", roster)
    for household in dict.fromkeys(h for h, _ in MEMBERS):
        rid = study.start_response(response_id=household)
        relations = [relation for h, relation in MEMBERS if h == household]
        study.save_answer(rid, "n_members", len(relations))
        for number, relation in enumerate(relations, start=1):
            study.save_repeat_answer(rid, "members", str(number), "age", 30 + number)
            if relation:
                study.save_repeat_answer(rid, "members", str(number), "relation", relation)
        study.set_status(rid, "complete")
    return study.path


def test_shares_of_a_repeat_question_count_each_instance(study_path):
    table, view, base = shares_with_view(study_path, "relation", language="en")
    chosen = Counter(relation for _, relation in MEMBERS if relation)
    answered = sum(chosen.values())
    assert table["item"].tolist() == ["head", "spouse", "child", "other"]
    assert table["count"].tolist() == [chosen[code] for code in table["item"]]
    assert table["n"].tolist() == [answered] * 4
    assert table["share"].tolist() == pytest.approx([chosen[c] / answered for c in table["item"]])
    assert base == len(MEMBERS)
    assert table.attrs["over"] == "over 9 instances of Members in 4 responses"
    assert view["firms"].tolist()[0] == f"{chosen['head']}/{answered}"


def test_shares_of_a_repeat_question_by_an_answer_of_the_household(study_path):
    table, _, _ = shares_with_view(study_path, "relation", by="n_members")
    four = table[table["n_members"] == 4].set_index("item")
    assert (four.loc["child", "count"], four.loc["child", "n"]) == (2, 4)
    assert set(table["n_members"]) == {1, 2, 4}


def test_the_shares_command_says_what_a_repeat_table_is_over(study_path):
    from typer.testing import CliRunner

    from dmsurvey.cli import app

    result = CliRunner().invoke(app, ["shares", str(study_path), "relation"])
    assert result.exit_code == 0, result.output
    assert "Over 9 instances of Members in 4 responses; unweighted" in result.output
    assert "n = 8 answered; 1 did not" in result.output


def test_the_report_tabulates_a_repeat_question_over_its_instances(study_path, tmp_path):
    from dmsurvey.reporting.report import report_study

    html = report_study(study_path, tmp_path / "report").read_text(encoding="utf-8")
    assert "Relation to the head (over 9 instances of Members in 4 responses)" in html
    assert "Photos, recordings and files (photo) are not shown" in html
    chart_table = (tmp_path / "report" / "charts" / "q_relation.csv").read_text()
    assert chart_table.splitlines()[1].startswith("relation,head,Head,4,8")


def test_a_keying_template_has_a_sheet_per_repeat_that_imports_back(tmp_path):
    from dmsurvey.store.instances import instance_frames

    template = write_template(init_study(tmp_path / "s", HOUSEHOLD).questionnaire,
                              tmp_path / "entry.xlsx", language="en", rows=20)
    workbook = openpyxl.load_workbook(template)
    assert workbook.sheetnames == ["data", "members", "jobs", "choices", "codebook"]
    members, jobs = workbook["members"], workbook["jobs"]
    assert [cell.value for cell in members[1]] == ["form_number", "instance_key",
                                                   "member_name", "age"]
    assert [cell.value for cell in jobs[1]] == ["form_number", "instance_key", "job"]
    assert "2/1" in jobs["B1"].comment.text
    data = workbook["data"]
    header = [cell.value for cell in data[1]]
    for number, (form, count) in enumerate([("F-001", 2), ("F-002", 1)], start=3):
        data.cell(number, 1, form)
        data.cell(number, header.index("n_members") + 1, count)
    for row in (["F-001", "1", "李明", 41], ["F-001", "2", "小红", 9],
                ["F-002", "1", "Wang", 30]):
        members.append(row)
    workbook.save(tmp_path / "no-jobs.xlsx")  # no job keyed yet: its sheet has labels only
    for row in (["F-001", "1/1", "教师"], ["F-001", "1/2", "农民"], ["F-002", "1/1", "driver"]):
        jobs.append(row)
    workbook.save(template)
    unemployed = init_study(tmp_path / "unemployed", HOUSEHOLD)
    assert import_files(unemployed, [tmp_path / "no-jobs.xlsx"]).instances == {"members": 3}

    study = init_study(tmp_path / "study", HOUSEHOLD)
    result = import_files(study, [template], source="paper")
    assert (result.added, result.instances) == (2, {"members": 3, "jobs": 3})
    forms = dict(zip(study.responses()["response_id"], study.responses()["form_number"],
                     strict=True))
    frames = instance_frames(study)
    keyed = [(forms[rid], key, name, age) for rid, key, _, _, name, age in
             frames["members"].astype(object).values.tolist()]
    assert keyed == [("F-001", "1", "李明", 41), ("F-001", "2", "小红", 9),
                     ("F-002", "1", "Wang", 30)]
    jobs_keyed = [(forms[rid], key, parent, job) for rid, key, parent, _, job in
                  frames["jobs"].astype(object).values.tolist()]
    assert jobs_keyed == [("F-001", "1/1", "1", "教师"), ("F-001", "1/2", "1", "农民"),
                          ("F-002", "1/1", "1", "driver")]


def test_a_repeat_exported_for_stata_has_the_main_files_labels(study_path, tmp_path):
    from dmsurvey.store.exporting import export_study
    from dmsurvey.store.study import open_study

    result = export_study(open_study(study_path), tmp_path / "roster.dta", labels="zh")
    members_file = tmp_path / "roster-members.dta"
    assert result.files == (tmp_path / "roster.dta", members_file, tmp_path / "roster-jobs.dta")
    import pandas as pd

    with pd.io.stata.StataReader(members_file) as reader:
        data = reader.read(convert_categoricals=False)
        variables, values = reader.variable_labels(), reader.value_labels()
    assert variables["relation"] == "与户主关系"
    assert variables["instance_key"].startswith("重复组实例")
    [choices] = [labels for name, labels in values.items() if name.startswith("relation")]
    assert choices == {1: "户主", 2: "配偶", 3: "子女", 4: "其他"}
    numbers = {"head": 1, "spouse": 2, "child": 3}
    assert data["relation"].tolist()[:6] == [numbers[r] for _, r in MEMBERS[:5]] + [
        pytest.approx(float("nan"), nan_ok=True)]


def test_an_anonymised_export_links_instances_to_responses_by_the_same_pseudonyms(
        study_path, tmp_path):
    import pandas as pd

    from dmsurvey.store.exporting import export_study
    from dmsurvey.store.study import open_study

    export_study(open_study(study_path), tmp_path / "roster.csv", anonymize=True)
    main = pd.read_csv(tmp_path / "roster.csv", dtype=object)
    members = pd.read_csv(tmp_path / "roster-members.csv", dtype=object)
    assert not set(main["response_id"]) & {h for h, _ in MEMBERS}  # pseudonyms, not ids
    households = dict(zip(main["response_id"], main["n_members"].astype(int), strict=True))
    counted = members.groupby("response_id").size().to_dict()
    assert counted == households
