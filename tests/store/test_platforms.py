"""Exports of 问卷星 and 腾讯问卷, and any spreadsheet through `dmsurvey map`: the bundled 99
firms written in each shape import to exactly the answers the sample holds."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
import xlwt  # the test extra's writer of old .xls workbooks

from dmsurvey.errors import DataError
from dmsurvey.questionnaire.loader import load_questionnaire
from dmsurvey.store.importing import import_files
from dmsurvey.store.mapping import normalised, propose_map, read_map, write_map
from dmsurvey.store.platforms import (
    BY_NUMBER,
    BY_TEXT,
    TENCENT,
    WENJUANXING,
    platform_frame,
    write_platform_export,
)
from dmsurvey.store.readers import read_table
from dmsurvey.store.sample import load_sample_responses, read_sample_csv
from dmsurvey.store.study import init_study, open_study

from .test_import import run

QUESTIONNAIRE = load_questionnaire("sme-digital-2020")
ANSWERS = [q.id for q in QUESTIONNAIRE.answerable]

# A research assistant's own spreadsheet: headers and labels worded in their own way.
REWORDED_HEADERS = {
    "firm_name": "企业名称（全称）",
    "registered_shanghai": "Q2. 是否在上海注册",
    "main_business_shanghai": "主营业务是否在上海开展",
    "ownership": "所有制类型",
    "industry": "所属行业",
    "mfg_subsector": "制造业细分行业（制造业企业填）",
    "founded_year": "成立年份",
    "employees_2019": "2019年末员工人数",
    "revenue_2019": "2019年营业收入（万元）",
    "assets_2019": "2019年末资产总额（万元）",
    "respondent_role": "填表人职位",
    "respondent_name": "填表人姓名 ",
    "respondent_phone": "联系电话",
    "large_data_transfer": "是否需要通过互联网传输大量信息",
    "bandwidth_satisfied": "对网络上传下载速度是否满意",
    "cloud_status": "设备和业务系统上云情况",
    "it_staff_2019": "2019年末IT人员数",
    "tech_used": "使用了哪些数字技术（多选）",
    "bought_data_services": "是否购买过数据服务",
    "data_services_spend": "每年购买数据服务的支出",
    "bought_ai_services": "是否购买过人工智能服务",
    "ai_services_spend": "每年购买人工智能服务的支出",
    "online_procurement_share": "线上采购额占比（2019年）",
    "online_sales_share": "线上销售额占比（2019年）",
    "online_marketing": "是否开展线上营销",
    "new_marketing_models": "是否尝试直播带货、短视频等新型营销",
    "online_marketing_spend_share": "线上营销支出占比",
    "digital_marketing_services": "是否购买第三方数字营销服务",
    "payment_merchant_services": "是否使用第三方支付商户服务",
    "supply_chain_platform_services": "使用过的产业供应链平台服务",
    "smart_mfg": "生产环节的数字化、智能化改造",
    "rd_digital": "研发设计环节应用的数字化技术",
    "internet_finance_share": "互联网渠道融资额占比",
    "internet_finance_channels": "通过哪些互联网渠道融资",
    "fin_platform_interest": "对中小企业融资服务平台是否感兴趣",
    "covid_customer_comm": "疫情期间与客户线上沟通是否遇到技术障碍",
    "covid_remote_work": "疫情期间远程办公是否遇到技术障碍",
    "covid_digital_tools": "疫情期间使用的数字化工具",
    "covid_digital_importance": "疫情后是否更认识到数字化的重要性",
    "biggest_obstacle": "数字化转型的最大障碍",
    "policy_support": "获得过的政策支持",
    "digital_helps": "数字化转型能否提高经营效率",
    "self_maturity": "数字化水平自评（1-5分）",
    "comments": "意见或建议",
}
# Labels as typed by hand: (question or None for every question, label) -> typed text.
REWORDED_LABELS = {
    (None, "是"): "是的",
    ("ownership", "民营或民营控股企业"): "民营企业",
    ("ownership", "外资企业（含港澳台资）"): "外资企业(含港澳台资) ",
    ("industry", "软件和信息技术服务业"): "软件和信息技术服务",
    ("respondent_role", "高层管理人员（如董事长、总经理、副总经理）"): "高层管理人员",
    ("respondent_role", "中层管理人员（如部门经理、主管）"): "中层管理人员",
    ("cloud_status", "尚未上云，但计划近期上云"): "尚未上云,计划近期上云",
    (None, "0（没有）"): "0(没有)",
    ("self_maturity", "1分（刚刚起步）"): "1分",
    ("self_maturity", "2分（初步应用）"): "2分",
    ("self_maturity", "3分（中等水平）"): "3分",
    ("self_maturity", "4分（较为领先）"): "4分",
    ("self_maturity", "5分（行业领先）"): "5分",
}


def header_of(question) -> str:
    """The spreadsheet's header of a question (its label where not reworded)."""
    return REWORDED_HEADERS.get(question.id, question.label["zh"])


def typed(question, label: str) -> str:
    return REWORDED_LABELS.get((question.id, label), REWORDED_LABELS.get((None, label), label))


def hand_made_frame() -> pd.DataFrame:
    """The sample as a hand-made spreadsheet: reworded headers, typed labels, `、` lists."""
    sample = read_sample_csv()
    columns = {}
    for question in QUESTIONNAIRE.answerable:
        cells = []
        for value in sample[question.id]:
            if pd.isna(value):
                cells.append("")
            elif question.is_select:
                cells.append("、".join(typed(question, question.choice(code).label["zh"])
                                      for code in str(value).split()))
            else:
                cells.append(str(value))
        columns[header_of(question)] = cells
    return pd.DataFrame(columns, dtype="str")


def write_xlsx(frame: pd.DataFrame, path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(frame.columns))
    for record in frame.itertuples(index=False):
        sheet.append(list(record))
    workbook.save(path)


def assert_same_answers(responses: pd.DataFrame, *, times: bool) -> None:
    """Every answer of every firm as the bundled sample holds it (and the submission times)."""
    expected = load_sample_responses().set_index("firm_name").sort_index()
    got = responses.set_index("firm_name").sort_index()
    assert list(got.index) == list(expected.index)
    compared = [q for q in ANSWERS if q != "firm_name"] + (["submitted_at"] if times else [])
    for name in compared:
        left = got[name].astype(object).where(got[name].notna(), None).tolist()
        right = expected[name].astype(object).where(expected[name].notna(), None).tolist()
        assert left == right, name


@pytest.fixture()
def study(tmp_path):
    return init_study(tmp_path / "study", "sme-digital-2020")


@pytest.mark.parametrize(("platform", "mode", "suffix", "encoding"), [
    (WENJUANXING, BY_TEXT, ".xlsx", None),
    (WENJUANXING, BY_TEXT, ".csv", "gb18030"),
    (WENJUANXING, BY_NUMBER, ".xlsx", None),
    (WENJUANXING, BY_NUMBER, ".csv", "gb18030"),
    (TENCENT, BY_TEXT, ".xlsx", None),
])
def test_platform_exports_of_the_sample_import_to_its_answers(study, tmp_path, platform, mode,
                                                               suffix, encoding):
    path = write_platform_export(read_sample_csv(), QUESTIONNAIRE, tmp_path / f"export{suffix}",
                                 platform=platform, mode=mode, encoding=encoding or "gb18030")
    if encoding:
        path.read_bytes().decode("gb18030")  # the file really is GB18030, not UTF-8
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")
    result = import_files(study, [path])
    assert result.added == 99
    assert result.recognised[0].endswith(f"read as {platform}" + (f", {mode}"))
    assert_same_answers(study.responses(), times=True)
    stored = study.responses()
    taken = (pd.to_datetime(stored["submitted_at"], format="ISO8601")
             - pd.to_datetime(stored["started_at"], format="ISO8601")).dt.total_seconds()
    assert taken.between(180, 780).all()  # the times taken the export holds
    assert set(stored["source"]) == {"electronic"}


def test_wenjuanxing_export_shape(tmp_path):
    frame = platform_frame(read_sample_csv(), QUESTIONNAIRE, platform=WENJUANXING, mode=BY_TEXT)
    assert list(frame.columns[:7]) == ["序号", "提交答卷时间", "所用时间", "来源", "来源详情",
                                       "来自IP", "1、企业名称"]
    first = frame.iloc[0]
    assert first["提交答卷时间"] == "2020/7/1 15:06:00"
    assert first["所用时间"].endswith("秒")
    assert "(跳过)" in set(frame["7、制造业细分行业"])
    assert frame["19、贵企业在生产经营中使用了以下哪些数字技术？（可多选）"].str.contains("┋").any()
    numbers = platform_frame(read_sample_csv(), QUESTIONNAIRE, platform=WENJUANXING,
                             mode=BY_NUMBER)
    assert "19、(大数据)" in numbers.columns
    assert set(numbers["19、(大数据)"]) == {"0", "1"}
    assert set(numbers["7、制造业细分行业"]) <= {"-3", "1", "2", "3", "4", "5"}


def test_old_excel_xls_export_imports(study, tmp_path):
    frame = platform_frame(read_sample_csv(), QUESTIONNAIRE, platform=WENJUANXING,
                           mode=BY_NUMBER)
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    for column, header in enumerate(frame.columns):
        sheet.write(0, column, header)
    for row, record in enumerate(frame.itertuples(index=False), start=1):
        for column, value in enumerate(record):
            # numbers as Excel numbers, as the platform writes them
            sheet.write(row, column, int(value) if value.lstrip("-").isdigit() and
                        len(value) < 9 else value)
    path = tmp_path / "wjx.xls"
    book.save(str(path))
    assert import_files(study, [path]).added == 99
    assert_same_answers(study.responses(), times=True)


def test_tab_separated_text_under_an_xls_name_is_read(study, tmp_path):
    frame = platform_frame(read_sample_csv().head(4), QUESTIONNAIRE, platform=WENJUANXING,
                           mode=BY_TEXT)
    path = tmp_path / "wjx.xls"
    frame.to_csv(path, index=False, sep="\t", encoding="gb18030")
    assert import_files(study, [path]).added == 4


def test_option_number_mode_reads_not_asked_codes(study, tmp_path):
    frame = platform_frame(read_sample_csv().head(3), QUESTIONNAIRE, platform=WENJUANXING,
                           mode=BY_NUMBER)
    frame["20、贵企业是否向第三方服务商购买过数据服务？"] = "2"  # no
    frame["21、每年用于购买数据服务的支出大约是多少？"] = "-2"  # not shown
    path = tmp_path / "wjx.csv"
    frame.to_csv(path, index=False, encoding="gb18030")
    import_files(study, [path])
    stored = study.responses()
    assert stored["data_services_spend"].isna().all()
    assert set(stored["bought_data_services"]) == {"no"}


def test_hand_made_spreadsheet_through_map_and_import(study, tmp_path):
    path = tmp_path / "firms.xlsx"
    write_xlsx(hand_made_frame(), path)
    proposal = propose_map(read_table(path), QUESTIONNAIRE)
    by_header = {header_of(QUESTIONNAIRE[q]).strip(): q for q in ANSWERS}
    wrong = {h: e.question.target for h, e in proposal.columns.items()
             if e.question.target != by_header[h]}
    assert wrong == {}
    right = total = 0
    for header, entry in proposal.columns.items():
        question = QUESTIONNAIRE[by_header[header]]
        for text, match in entry.values.items():
            total += 1
            codes = [c.code for c in question.choices
                     if normalised(typed(question, c.label["zh"])) == normalised(text)]
            right += match.target == codes[0]
            assert match.target in (codes[0], None), (header, text, match)
    assert total > 100 and right / total >= 0.95
    map_path = tmp_path / "firms-map.yaml"
    result = run("map", str(study.path), str(path), "-o", str(map_path))
    assert result.exit_code == 0, result.output
    result = run("import", str(study.path), str(path), "--map", str(map_path))
    assert result.exit_code == 0, result.output
    assert "Added 99 responses" in result.output
    assert "45 columns by the column map" in result.output
    assert_same_answers(open_study(study.path).responses(), times=False)


def test_map_lists_what_it_cannot_match_first_and_import_refuses_it(study, tmp_path):
    frame = hand_made_frame().head(5).copy()
    frame.loc[0, "所有制类型"] = "说不清"
    frame["办公室面积"] = "100"
    path = tmp_path / "firms.csv"
    frame.to_csv(path, index=False)
    map_path = tmp_path / "map.yaml"
    result = run("map", str(study.path), str(path), "-o", str(map_path))
    assert result.exit_code == 0, result.output
    assert "unmatched column '办公室面积'" in result.output
    assert "unmatched answer '说不清'" in result.output
    text = map_path.read_text(encoding="utf-8")
    columns = text.split("columns:\n")[1]
    assert columns.index('"办公室面积"') < columns.index('"企业名称（全称）"')
    assert columns.index('"说不清": null') < columns.index('"民营企业": "private"')
    before = study.response_ids()
    result = run("import", str(study.path), str(path), "--map", str(map_path))
    assert result.exit_code == 1
    assert "办公室面积" in result.output
    assert study.response_ids() == before
    # leave the column out and give the answer its code: then it imports
    fixed = text.replace('question: "?"', 'question: null', 1).replace(
        '"说不清": null', '"说不清": "other"')
    map_path.write_text(fixed, encoding="utf-8")
    result = run("import", str(study.path), str(path), "--map", str(map_path))
    assert result.exit_code == 0, result.output
    assert study.response_ids() != before
    assert set(open_study(study.path).responses()["ownership"].dropna()) >= {"other"}


def test_a_column_missing_from_the_map_refuses_the_import_unless_ignored(study, tmp_path):
    path = tmp_path / "firms.xlsx"
    write_xlsx(hand_made_frame().head(3), path)
    map_path = tmp_path / "map.yaml"
    write_map(propose_map(read_table(path), QUESTIONNAIRE), map_path)
    write_xlsx(hand_made_frame().head(3).assign(备注="x"), path)
    with pytest.raises(DataError, match="does not fit its column map") as raised:
        import_files(study, [path], column_map=read_map(map_path, QUESTIONNAIRE))
    assert [p.column for p in raised.value.problems] == ["备注"]
    result = import_files(study, [path], column_map=read_map(map_path, QUESTIONNAIRE),
                          ignore_columns=True)
    assert result.added == 3


def test_a_map_naming_an_unknown_question_or_code_is_refused_with_its_line(study, tmp_path):
    path = tmp_path / "firms.xlsx"
    write_xlsx(hand_made_frame().head(3), path)
    map_path = tmp_path / "map.yaml"
    write_map(propose_map(read_table(path), QUESTIONNAIRE), map_path)
    lines = map_path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines) if '"民营企业": "private"' in line)
    lines[number] = lines[number].replace('"private"', '"privat"')
    question_line = next(i for i, line in enumerate(lines) if 'question: "industry"' in line)
    lines[question_line] = lines[question_line].replace('"industry"', '"sector"')
    map_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as raised:
        read_map(map_path, QUESTIONNAIRE)
    where = {(p.line, str(p.value)) for p in raised.value.problems}
    assert where == {(number + 1, "privat"), (question_line + 1, "sector")}
    result = run("import", str(study.path), str(path), "--map", str(map_path))
    assert result.exit_code == 1
    assert f"line {number + 1}" in result.output and "unknown code of ownership" in result.output
    assert study.response_ids() == []


def test_labelled_headers_matched_with_certainty_import_without_a_map(study, tmp_path):
    frame = platform_frame(read_sample_csv().head(4), QUESTIONNAIRE, platform=WENJUANXING,
                           mode=BY_TEXT).iloc[:, 6:]  # no platform metadata: a plain sheet
    frame.columns = [f"Q{c.split('、', 1)[0]}. {c.split('、', 1)[1]}" for c in frame.columns]
    path = tmp_path / "labelled.csv"
    frame.to_csv(path, index=False)
    result = run("import", study.path, path)
    assert result.exit_code == 0, result.output
    assert "read as question labels" in result.output
    assert "45 columns by question label" in result.output
    frame = frame.rename(columns={frame.columns[3]: "所有制"})
    frame.to_csv(path, index=False)
    result = run("import", study.path, path)
    assert result.exit_code == 1
    assert "dmsurvey map" in result.output and "所有制" in result.output


def test_answers_matched_by_closeness_are_listed(study, tmp_path):
    frame = platform_frame(read_sample_csv().head(6), QUESTIONNAIRE, platform=WENJUANXING,
                           mode=BY_TEXT)
    column = "5、企业所有制类型"
    frame[column] = frame[column].replace({"民营或民营控股企业": "民营企业"})
    path = tmp_path / "wjx.xlsx"
    write_xlsx(frame, path)
    result = run("import", study.path, path)
    assert result.exit_code == 0, result.output
    assert "answer '民营企业' in column '5、企业所有制类型' -> private" in result.output


@pytest.mark.parametrize(("change", "column", "message"), [
    (lambda f: f.insert(8, "8、您的年龄段", "30岁以下"), "8、您的年龄段",
     "no question of the questionnaire has this label"),
    (lambda f: f.insert(30, "19、(区块链)", "0"), "19、(区块链)", "an option column of an option"),
])
def test_malformed_export_columns_are_refused(study, tmp_path, change, column, message):
    frame = platform_frame(read_sample_csv().head(4), QUESTIONNAIRE, platform=WENJUANXING,
                           mode=BY_NUMBER)
    change(frame)
    path = tmp_path / "wjx.xlsx"
    write_xlsx(frame, path)
    with pytest.raises(DataError) as raised:
        import_files(study, [path])
    problem = raised.value.problems[0]
    assert (problem.file, problem.row, problem.column) == (str(path), 1, column)
    assert message in problem.message
    assert study.response_ids() == []


def test_a_column_of_another_survey_is_left_out_when_asked(study, tmp_path):
    frame = platform_frame(read_sample_csv().head(4), QUESTIONNAIRE, platform=WENJUANXING,
                           mode=BY_TEXT)
    frame.insert(8, "8、您的年龄段", "30岁以下")
    path = tmp_path / "wjx.xlsx"
    write_xlsx(frame, path)
    result = import_files(study, [path], ignore_columns=True)
    assert result.added == 4
    assert any("8、您的年龄段" in line for line in result.dropped_lines())


@pytest.mark.parametrize(("mode", "written", "message"), [
    (BY_TEXT, "房地产业", "unknown choice: '房地产业'"),
    (BY_NUMBER, "9", "option number 9 of a question with 7 options: '9'"),
])
def test_an_answer_no_choice_has_is_refused_with_row_and_column(study, tmp_path, mode, written,
                                                                 message):
    frame = platform_frame(read_sample_csv().head(4), QUESTIONNAIRE, platform=WENJUANXING,
                           mode=mode)
    frame.loc[2, "6、企业所属行业（按主营业务）"] = written
    path = tmp_path / "wjx.csv"
    frame.to_csv(path, index=False, encoding="gb18030")
    result = run("import", study.path, path)
    assert result.exit_code == 1
    assert f"{path}, row 4, column 6、企业所属行业（按主营业务）: {message}" in result.output
    assert study.response_ids() == []


SMALL_YAML = """\
name: small
version: "1"
title: {zh: 小问卷}
languages: [zh]
choice_lists:
  yes_no:
    - {code: "yes", label: {zh: 是}}
    - {code: "no", label: {zh: 否}}
sections:
  - id: A
    title: {zh: 基本}
    questions:
      - {id: industry, type: select_one, label: {zh: 所属行业},
         choices: [{code: it, label: {zh: 软件业}}, {code: other, label: {zh: 其他}}]}
      - {id: industry_other, type: text, label: {zh: 其他行业（请注明）}}
      - {id: cloud, type: select_one, label: {zh: 是否上云}, choices: yes_no}
      - {id: online_sales, type: select_one, label: {zh: 是否网上销售}, choices: yes_no}
      - {id: tools, type: select_multiple, label: {zh: 使用的工具},
         choices: [{code: erp, label: {zh: ERP系统}}, {code: crm, label: {zh: CRM系统}},
                   {code: none, label: {zh: 都没有}}]}
"""


@pytest.fixture()
def small_study(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_YAML, encoding="utf-8")
    return init_study(tmp_path / "small-study", str(path))


def wenjuanxing_csv(tmp_path, columns: dict[str, list[str]]):
    rows = len(next(iter(columns.values())))
    frame = pd.DataFrame({"序号": [str(n) for n in range(1, rows + 1)],
                          "提交答卷时间": ["2020/7/31 10:23:45"] * rows,
                          "所用时间": ["245秒"] * rows, "来自IP": ["203.0.113.9(上海-上海)"] * rows}
                         | columns)
    path = tmp_path / "wjx.csv"
    frame.to_csv(path, index=False, encoding="gb18030")
    return path


def test_other_texts_matrix_rows_and_header_forms(small_study, tmp_path):
    path = wenjuanxing_csv(tmp_path, {
        "1. 所属行业": ["软件业", "其他〖物流〗", "(跳过)"],
        "第3题(是否上云)": ["是", "否", "是"],
        "第3题(是否网上销售)": ["否", "否", ""],
        "Q4、使用的工具": ["ERP系统┋CRM系统", "都没有", "CRM系统"],
    })
    result = import_files(small_study, [path])
    assert result.added == 3
    stored = small_study.responses().sort_values("cloud", kind="stable")
    frame = small_study.responses().set_index("tools")
    assert frame.loc["erp crm", "industry"] == "it"
    assert frame.loc["none", "industry"] == "other"
    assert frame.loc["none", "industry_other"] == "物流"  # the 〖...〗 text is kept
    assert frame.loc["crm", ["industry", "online_sales"]].isna().all()
    assert set(stored["submitted_at"]) == {"2020-07-31T10:23:45+08:00"}
    assert set(stored["started_at"]) == {"2020-07-31T10:19:40+08:00"}  # 245 s before
    assert any("matrix row label" in line for line in result.recognised)
    assert any("来自IP" in line and "personal data" in line for line in result.dropped_lines())


def test_a_ranking_or_an_other_text_without_a_place_is_refused(study, tmp_path):
    frame = platform_frame(read_sample_csv().head(3), QUESTIONNAIRE, platform=WENJUANXING,
                           mode=BY_TEXT)
    frame.loc[0, "5、企业所有制类型"] = "其他〖合伙企业〗"
    frame.loc[1, "6、企业所属行业（按主营业务）"] = "制造业→批发和零售业"
    path = tmp_path / "wjx.xlsx"
    write_xlsx(frame, path)
    with pytest.raises(DataError) as raised:
        import_files(study, [path])
    found = {(p.row, p.column): p.message for p in raised.value.problems}
    assert "'other' text" in found[(2, "5、企业所有制类型")]
    assert "ranking" in found[(3, "6、企业所属行业（按主营业务）")]
    assert study.response_ids() == []


def test_tencent_multi_selects_as_joined_text(small_study, tmp_path):
    frame = pd.DataFrame({
        "编号": ["1", "2"], "开始答题时间": ["2020-07-31 10:00:00", "2020-07-31 11:00:00"],
        "结束答题时间": ["2020-07-31 10:05:00", "2020-07-31 11:02:30"], "IP": ["203.0.113.5"] * 2,
        "Q1:所属行业": ["软件业", "软件业"], "Q3:是否上云": ["是", "否"],
        "Q5:使用的工具": ["ERP系统┋CRM系统", "都没有"],
    })
    path = tmp_path / "tencent.xlsx"
    write_xlsx(frame, path)
    result = import_files(small_study, [path])
    assert result.recognised[0].endswith("read as 腾讯问卷, by option text")
    stored = small_study.responses().sort_values("submitted_at")
    assert stored["tools"].tolist() == ["erp crm", "none"]
    assert stored["started_at"].tolist() == ["2020-07-31T10:00:00+08:00",
                                             "2020-07-31T11:00:00+08:00"]


def test_option_columns_with_not_asked_codes(small_study, tmp_path):
    path = wenjuanxing_csv(tmp_path, {
        "1、所属行业": ["1", "2"], "3、是否上云": ["1", "-2"],
        "5、(ERP系统)": ["1", "-3"], "5、(CRM系统)": ["0", "-3"], "第5题(都没有)": ["0", "-3"],
    })
    import_files(small_study, [path])
    stored = small_study.responses().sort_values("industry")
    assert stored["tools"].iloc[0] == "erp" and pd.isna(stored["tools"].iloc[1])
    assert stored["cloud"].iloc[0] == "yes" and pd.isna(stored["cloud"].iloc[1])


def test_a_platform_export_with_a_reworded_header_imports_through_a_map(study, tmp_path):
    frame = platform_frame(read_sample_csv().head(5), QUESTIONNAIRE, platform=WENJUANXING,
                           mode=BY_TEXT).rename(columns={"5、企业所有制类型": "5、所有制"})
    path = tmp_path / "wjx.xlsx"
    write_xlsx(frame, path)
    refused = run("import", study.path, path)
    assert refused.exit_code == 1 and "5、所有制" in refused.output
    map_path = tmp_path / "map.yaml"
    assert run("map", study.path, path, "-o", map_path).exit_code == 0
    assert "提交答卷时间" not in map_path.read_text(encoding="utf-8")  # read as the platform's
    result = run("import", study.path, path, "--map", map_path)
    assert result.exit_code == 0, result.output
    stored = open_study(study.path).responses().sort_values("submitted_at")
    expected = read_sample_csv().head(5)
    assert stored["submitted_at"].tolist() == expected["submitted_at"].tolist()
    assert stored["ownership"].astype(str).tolist() == expected["ownership"].tolist()


def test_a_platform_export_is_read_outside_a_study_as_well(tmp_path):
    from dmsurvey.store.importing import read_responses

    path = write_platform_export(read_sample_csv(), QUESTIONNAIRE, tmp_path / "wjx.xlsx",
                                 mode=BY_NUMBER)
    assert_same_answers(read_responses(path, QUESTIONNAIRE), times=True)


@pytest.mark.parametrize(("written", "label"), [
    ("Q3. 企业所有制类型【单选题】", "企业所有制类型"),
    ("3、企业所有制类型", "企业所有制类型"),
    ("(3) 企业所有制类型 ", "企业所有制类型"),
    ("第3题 企业所有制类型", "企业所有制类型"),
    ("外资企业(含港澳台资)", "外资企业（含港澳台资）"),
    ("ＥＲＰ系统", "erp系统"),
])
def test_texts_are_compared_without_numbering_widths_and_punctuation(written, label):
    assert normalised(written) == normalised(label)


def test_numbers_that_are_part_of_a_label_are_kept():
    assert normalised("2019年末从业人员数") == "2019年末从业人员数"
    assert normalised("1.5倍") == "15倍"  # a decimal point, not numbering


def test_a_label_holding_separators_stays_one_choice():
    from dmsurvey.store.mapping import choice_parts

    question = QUESTIONNAIRE["rd_digital"]
    cad, vr = (question.choice(code).label["zh"] for code in ("cax", "vr_3d_design"))
    assert choice_parts(f"{cad}、{vr}", question) == [cad, vr]
    assert choice_parts("cax vr_3d_design", question) == ["cax", "vr_3d_design"]
