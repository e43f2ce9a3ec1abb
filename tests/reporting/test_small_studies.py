"""Reports of new studies, not the demo: 0, 1, 10 and 30 firms taken from the sample file,
imported into a real study folder, reported through the command line."""

from __future__ import annotations

import html
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
# Codes and English words that must never reach a Chinese report's text.
RAW_IDS = ("employees_2019", "revenue_2019", "online_procurement_gt50", "biggest_obstacle",
           "size_class", "chi2_monte_carlo", "policy_support/", "expected counts below",
           "implausible", "warning", "form_number", "None", "nan", "`")


def study_of(path: Path, firms: int) -> Path:
    study = init_study(path / f"zone{firms}", questionnaire="sme-digital-2020")
    if firms:
        rows = pd.read_csv(SAMPLE_CSV, dtype=str, keep_default_na=False).head(firms)
        study.add_responses(rows)
    return study.path


def visible_text(report: Path) -> str:
    """What a reader sees: the page's text without embedded images, styles or tags."""
    page = report.read_text(encoding="utf-8")
    page = re.sub(r"<style.*?</style>", " ", page, flags=re.S)
    page = re.sub(r'src="data:[^"]*"', " ", page)
    page = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(page)


@pytest.fixture(scope="module")
def thirty(tmp_path_factory) -> Path:
    return study_of(tmp_path_factory.mktemp("thirty"), 30)


@pytest.mark.parametrize("command", [["report"], ["charts"], ["analyze", "-o", "out"]])
def test_a_study_without_responses_says_so_once(tmp_path, command):
    study = study_of(tmp_path, 0)
    dmsurvey = Path(sys.executable).with_name("dmsurvey")
    result = subprocess.run([str(dmsurvey), command[0], str(study), *command[1:]],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip() == ("Error: the study has no complete responses yet; "
                                     "import or collect some first")
    assert not list(tmp_path.glob("out/tables/*.csv"))


@pytest.mark.slow
@pytest.mark.parametrize("firms", [1, 10])
def test_a_small_study_gets_a_report(tmp_path, firms):
    study = study_of(tmp_path, firms)
    out = tmp_path / "report"
    result = runner.invoke(app, ["report", str(study), "-o", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    text = visible_text(out / "report.html")
    assert f"from {firms} response" in text
    if firms < 10:
        assert f"Too few firms for regressions (n = {firms})" in text
    result = runner.invoke(app, ["charts", str(study), "-o", str(tmp_path / "charts")])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "charts").glob("*.svg"))) == 6


@pytest.mark.slow
def test_the_chinese_report_shows_labels_not_codes(thirty, tmp_path):
    out = tmp_path / "zh"
    result = runner.invoke(app, ["report", str(thirty), "-o", str(out), "--lang", "zh"])
    assert result.exit_code == 0, result.output
    text = visible_text(out / "report.html")
    # File paths name the CSV files (their names are codes); everything else is words.
    words = re.sub(r"\b(?:tables|figures|charts)/[\w.]+", " ", text)
    leaked = [raw for raw in RAW_IDS if raw in words]
    assert not leaked, leaked
    for label in ("最大障碍", "卡方检验", "部分期望频数小于5", "比值异常", "2019年末员工人数",
                  "线上采购占比超过50%"):
        assert label in text
    # A note shared by every test is printed once, under its table.
    assert text.count("注：部分期望频数小于5") <= 2
    # Column headings such as 统计量 and 自由度 stay on one line.
    page = (out / "report.html").read_text(encoding="utf-8")
    assert re.search(r"table\.data th \{[^}]*white-space: nowrap", page)
    # Money in the sample overview reads as a Chinese reader writes it.
    assert re.search(r"中位数：2019年营业收入\s+[\d,]+万元", text)


@pytest.mark.slow
def test_the_english_report_reads_as_prose(thirty, tmp_path):
    out = tmp_path / "en"
    result = runner.invoke(app, ["report", str(thirty), "-o", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    text = visible_text(out / "report.html")
    page = (out / "report.html").read_text(encoding="utf-8")
    assert re.search(r"RMB \d+\.\d\d million", text)
    assert "RMB 10,000" not in text.split("Sample overview")[1].split("Digital maturity in")[0]
    policy = re.search(r"Few enterprises receive policy support:[^.]*\.", text).group(0)
    assert policy.count(":") == 1
    assert "tax support (" in policy
    # 30 firms hold fewer than 10 manufacturers: no smart-manufacturing headline, but a word
    assert "smart production lines (" not in text
    assert "With 30 firms, the study is too small for some findings" in text
    # Why an outcome has no regression or no trend test is said where the number would be.
    assert "too few events" in text
    assert "no firm has the outcome" in text
    assert "The biggest obstacle by group of firms" in text
    assert "<h3>tables/" not in page
    assert "· zone" in text
    assert "(figures/rd_digital.csv)" in text
    assert re.search(r"<figcaption>Digital technology in R&amp;D and design</figcaption>", page)


@pytest.mark.slow
def test_a_one_firm_report_reads_correctly(tmp_path):
    from dmsurvey.questionnaire.loader import load_questionnaire
    from dmsurvey.reporting.report import write_report
    from dmsurvey.store.quality import quality_issues
    from dmsurvey.store.sample import load_sample_responses

    questionnaire = load_questionnaire("sme-digital-2020")
    sample = load_sample_responses()
    issues = quality_issues(sample, questionnaire)
    assert len(issues) == 1
    page = write_report(sample.head(1), questionnaire, tmp_path / "en", quality=issues)
    text = " ".join(visible_text(page).split())
    assert "from 1 response." in text
    assert "found 1 issue; the command dmsurvey validate STUDY gives the full list." in text
    assert "List of issues" in text and "The first 1 issues" not in text
    assert "Enterprises surveyed: 1, of which 0 in manufacturing." in text
    # one firm: no test can be run, and a sentence says so instead of empty tables
    breakdowns = page.read_text(encoding="utf-8").split("Tests of independence between")[1]
    breakdowns = breakdowns.split('id="quality"')[0]
    assert "<table" not in breakdowns
    assert text.count("Nothing to test: every grouping has fewer than two groups") == 2
    assert "(weight 1)" in text and "×" not in text
