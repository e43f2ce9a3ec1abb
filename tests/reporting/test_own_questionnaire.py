"""A study on a user's own questionnaire: none of the 2020 questions, no scoring block.

Charts, report, analysis and shares must show what the questionnaire does have (its
select questions) and leave out, with one sentence, what it cannot support."""

from __future__ import annotations

import html
import math
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from dmsurvey.cli import app
from dmsurvey.store.sample import SAMPLE_CSV
from dmsurvey.store.study import init_study

runner = CliRunner()
FIRMS = 30

OWN_QUESTIONNAIRE = """\
name: tech-use
version: "1"
title: {en: Tech Use Survey 2026, zh: 技术应用调查2026}
languages: [en, zh]
choice_lists:
  yn:
    - {code: "yes", label: {en: "Yes", zh: 是}}
    - {code: "no", label: {en: "No", zh: 否}}
sections:
  - id: firm
    title: {en: Your firm, zh: 企业概况}
    questions:
      - id: firm_name
        type: text
        label: {en: Name of the firm, zh: 企业名称}
      - id: sector
        type: select_one
        label: {en: Main sector, zh: 主要行业}
        choices:
          - {code: manufacturing, label: {en: Manufacturing, zh: 制造业}}
          - {code: retail, label: {en: Retail, zh: 零售业}}
          - {code: services, label: {en: Services, zh: 服务业}}
      - id: staff
        type: integer
        label: {en: Number of employees, zh: 员工人数}
      - id: has_website
        type: select_one
        label: {en: Does the firm have a website?, zh: 企业是否有网站？}
        choices: yn
      - id: sells_online
        type: select_one
        label: {en: Does the firm sell online?, zh: 企业是否在线销售？}
        choices: yn
        relevant: "${has_website} = 'yes'"
      - id: tools
        type: select_multiple
        label: {en: Digital tools used, zh: 使用的数字工具}
        choices:
          - {code: erp, label: {en: ERP, zh: 企业资源计划}}
          - {code: cloud, label: {en: Cloud storage, zh: 云存储}}
          - {code: none, label: {en: None of these, zh: 以上都没有}}
"""

NO_SELECTS = """\
name: counts-only
version: "1"
title: {en: Counts only, zh: 仅计数}
languages: [en, zh]
sections:
  - id: a
    title: {en: Firm, zh: 企业}
    questions:
      - id: staff
        type: integer
        label: {en: Number of employees, zh: 员工人数}
"""


def own_rows() -> pd.DataFrame:
    """30 firms; a third without a website, who are not asked whether they sell online."""
    rows = []
    for i in range(FIRMS):
        website = "no" if i % 3 == 0 else "yes"
        rows.append({
            "firm_name": f"Firm {i}",
            "sector": ("manufacturing", "retail", "services", "manufacturing")[i % 4],
            "staff": str(5 + i),
            "has_website": website,
            "sells_online": ("yes" if i % 2 else "no") if website == "yes" else "",
            "tools": ("erp", "erp cloud", "cloud", "none", "erp")[i % 5],
        })
    return pd.DataFrame(rows)


def make_study(folder: Path, questionnaire_text: str, rows: pd.DataFrame) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "questionnaire.yaml"
    path.write_text(questionnaire_text, encoding="utf-8")
    study = init_study(folder / "mystudy", questionnaire=path)
    study.add_responses(rows)
    return study.path


@pytest.fixture(scope="module")
def own_study(tmp_path_factory) -> Path:
    return make_study(tmp_path_factory.mktemp("own"), OWN_QUESTIONNAIRE, own_rows())


def expected_counts(question: str) -> tuple[dict[str, int], int]:
    """Firms choosing each code and firms answering, counted straight from the rows."""
    answers = [value for value in own_rows()[question] if value]
    counts: dict[str, int] = {}
    for answer in answers:
        for code in answer.split():
            counts[code] = counts.get(code, 0) + 1
    return counts, len(answers)


def wilson(count: int, n: int) -> tuple[float, float]:
    z = 1.959963984540054
    centre = (count + z * z / 2) / (n + z * z)
    half = z * math.sqrt(count * (n - count) / n + z * z / 4) / (n + z * z)
    return centre - half, centre + half


def visible_text(report: Path) -> str:
    page = report.read_text(encoding="utf-8")
    page = re.sub(r"<style.*?</style>", " ", page, flags=re.S)
    page = re.sub(r'src="data:[^"]*"', " ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_charts_draw_one_chart_per_select_question(own_study, tmp_path):
    result = runner.invoke(app, ["charts", str(own_study), "-o", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("4 charts written to ")
    for question in ("sector", "has_website", "sells_online", "tools"):
        assert f"q_{question}" in result.stdout
        for suffix in ("png", "svg", "csv"):
            assert (tmp_path / "c" / f"q_{question}.{suffix}").stat().st_size > 1000 \
                or suffix == "csv"
    table = pd.read_csv(tmp_path / "c" / "q_sells_online.csv", keep_default_na=False)
    assert list(table.columns) == ["series", "item", "label", "count", "n", "share",
                                   "ci_low", "ci_high"]
    counts, answered = expected_counts("sells_online")
    assert answered == 20
    for row in table.itertuples():
        assert (row.series, row.count, row.n) == ("sells_online", counts[row.item], answered)
        low, high = wilson(row.count, row.n)
        assert row.share == pytest.approx(row.count / answered)
        assert (row.ci_low, row.ci_high) == (pytest.approx(low), pytest.approx(high))
    tools = pd.read_csv(tmp_path / "c" / "q_tools.csv", keep_default_na=False)
    assert list(tools["item"]) == ["erp", "cloud", "none"]


def test_charts_with_nothing_to_draw_say_so_and_fail(tmp_path):
    study = make_study(tmp_path, NO_SELECTS, pd.DataFrame({"staff": ["3", "8"]}))
    dmsurvey = Path(sys.executable).with_name("dmsurvey")
    result = subprocess.run([str(dmsurvey), "charts", str(study), "-o", str(tmp_path / "c")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: nothing to draw: questionnaire 'counts-only' has "
                                    "no select_one or select_multiple question")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not list((tmp_path / "c").glob("*.png"))


def test_the_report_shows_results_by_question_and_nothing_empty(own_study, tmp_path):
    result = runner.invoke(app, ["report", str(own_study), "-o", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Report written to ")
    page = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    headings = re.findall(r"<h[12][^>]*>([^<]*)</h[12]>", page)
    assert headings == ["Tech Use Survey 2026", "Sample overview", "Sample and weights",
                        "Results by question",
                        "Data quality", "Methodology"]
    text = visible_text(tmp_path / "r" / "report.html")
    for absent in ("Digital maturity", "Executive summary", "More findings", "Obstacles",
                   "maturity index", "regression"):
        assert absent not in text
    assert "Shares are the firms choosing an option" in text
    figures = re.findall(r'<figure id="(q_[a-z_]+)">', page)
    assert figures == ["q_sector", "q_has_website", "q_sells_online", "q_tools"]
    # The shares of every choice are on the page, as count, base and per cent.
    results = page[page.index('id="results"'):page.index('id="quality"')]
    counts, answered = expected_counts("sector")
    share = f"{100 * counts['manufacturing'] / answered:.1f}%"
    assert re.search(rf"Manufacturing</td><td>{counts['manufacturing']}</td>"
                     rf"<td>{answered}</td><td>{re.escape(share)}</td>", results)
    assert (tmp_path / "r" / "charts" / "q_tools.svg").exists()


def test_the_chinese_report_is_titled_by_the_questionnaire(own_study, tmp_path):
    result = runner.invoke(app, ["report", str(own_study), "-o", str(tmp_path / "r"),
                                 "--lang", "zh"])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert re.findall(r"<h[12][^>]*>([^<]*)</h[12]>", page)[:4] == [
        "技术应用调查2026", "样本概况", "样本与权重", "各题结果"]
    assert "成熟度" not in visible_text(tmp_path / "r" / "report.html")


def test_analyze_skips_size_analyses_and_writes_no_empty_file(own_study, tmp_path):
    out = tmp_path / "a"
    result = runner.invoke(app, ["analyze", str(own_study), "-o", str(out)])
    assert result.exit_code == 0, result.output
    output = " ".join(result.stdout.split())
    assert ("size analyses skipped: the questionnaire has no employees_2019, revenue_2019 "
            "or assets_2019") in output
    files = sorted((out / "tables").iterdir())
    assert [path.name for path in files] == ["shares.csv"]
    assert f"{len(files)} file written to" in output
    counts, answered = expected_counts("tools")
    assert (f"tools (n = {answered}): ERP {100 * counts['erp'] / answered:.1f}%, "
            f"Cloud storage {100 * counts['cloud'] / answered:.1f}%") in output
    assert "sells_online (n = 20): Yes 50.0%, No 50.0%" in output
    assert "logit" not in output


def test_analyze_in_chinese_titles_the_tables_in_chinese(own_study, tmp_path):
    result = runner.invoke(app, ["analyze", str(own_study), "-o", str(tmp_path / "a"),
                                 "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert "选择各选项的企业占比" in result.stdout
    counts, answered = expected_counts("sector")
    assert (f"sector (n = {answered}): 制造业 {100 * counts['manufacturing'] / answered:.1f}%, "
            f"零售业 {100 * counts['retail'] / answered:.1f}%, "
            f"服务业 {100 * counts['services'] / answered:.1f}%") in result.stdout
    assert "已写入1个文件" in result.stdout
    assert "Shares of firms" not in result.stdout


def test_shares_names_the_type_with_its_article(own_study):
    result = runner.invoke(app, ["shares", str(own_study), "staff"])
    assert result.exit_code == 1
    assert "staff is an integer question" in str(result.exception)


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", ["sells_online: share of firms", "answer", "firms", "95% CI",
            "n = 20 answered; 10 did not"]),
    ("zh", ["sells_online：企业占比", "选项", "企业数", "占比", "95%置信区间", "是",
            "作答20家；未作答10家"]),
])
def test_shares_says_how_many_firms_did_not_answer(own_study, lang, expected):
    result = runner.invoke(app, ["shares", str(own_study), "sells_online", "--lang", lang])
    assert result.exit_code == 0, result.output
    for words in expected:
        assert words in result.stdout
    if lang == "zh":
        assert "share of firms" not in result.stdout and "answer" not in result.stdout


def test_score_prints_no_blank_line_first(tmp_path):
    rows = tmp_path / "firms.csv"
    pd.read_csv(SAMPLE_CSV, dtype=str, keep_default_na=False).head(12).to_csv(rows, index=False)
    result = runner.invoke(app, ["score", str(rows), "-o", str(tmp_path / "scores.csv")])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Scored 12 firms -> ")
