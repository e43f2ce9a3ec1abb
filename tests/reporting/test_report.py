"""The report folder, end to end on the bundled sample: `dmsurvey demo` runs once per test
session (study, English report, Chinese report) and the tests read what it wrote."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from dmsurvey.cli import app
from dmsurvey.reporting.charts import CHART_COLUMNS, CHART_STEMS

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "reports" / "test-screenshots"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(app, ["demo", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out / "report.html") in result.output
    return out


@pytest.mark.slow
@pytest.mark.parametrize("folder", ["", "zh"])
def test_demo_writes_the_report_folder_contract(demo, folder):
    out = demo / folder
    assert (out / "report.html").is_file()
    for stem in CHART_STEMS:
        for suffix in ("png", "svg", "csv"):
            assert (out / "charts" / f"{stem}.{suffix}").is_file()
        assert list(pd.read_csv(out / "charts" / f"{stem}.csv").columns) == CHART_COLUMNS
    regressions = pd.read_csv(out / "tables" / "size_regressions.csv")
    assert list(regressions.columns[:9]) == ["outcome", "size_measure", "model", "n", "coef",
                                             "std_err", "p_value", "ci_low", "ci_high"]
    assert (out / "tables" / "scores.csv").is_file()
    assert (out / "tables" / "reference_comparison.csv").is_file()


@pytest.mark.slow
def test_report_states_the_headlines_of_summary_json(demo):
    import html as html_module

    page = (demo / "report.html").read_text(encoding="utf-8")
    shown = [html_module.unescape(text) for text in
             re.findall(r'<li data-headline="[^"]+">([^<]*)</li>', page)]
    summary = json.loads((demo / "summary.json").read_text(encoding="utf-8"))
    assert shown == [headline["text"] for headline in summary["headlines"]]


def test_demo_writes_the_sample_as_platform_exports(demo):
    from dmsurvey.store.platforms import platform_of
    from dmsurvey.store.readers import read_table

    exports = sorted(path.name for path in (demo / "platform-exports").iterdir())
    assert exports == ["tencent.xlsx", "wenjuanxing-by-number.csv", "wenjuanxing-by-number.xlsx",
                       "wenjuanxing-by-text.csv", "wenjuanxing-by-text.xlsx"]
    table = read_table(demo / "platform-exports" / "tencent.xlsx")
    assert platform_of(table.headers) == "腾讯问卷" and len(table.cells) == 99


def test_charts_default_to_the_study_reports_folder(demo):
    from dmsurvey.store.study import open_study

    study = open_study(demo / "study")
    result = CliRunner().invoke(app, ["charts", str(study.path)])
    assert result.exit_code == 0, result.output
    assert (study.reports_dir / "charts-en" / "06_policy_support.csv").is_file()


@pytest.mark.slow
def test_report_is_self_contained(demo):
    html = (demo / "report.html").read_text(encoding="utf-8")
    # Nothing fetched from anywhere: every src and href is embedded or a local anchor.
    sources = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert sources
    assert all(s.startswith(("data:", "#")) for s in sources), sorted(set(sources))[:5]
    assert "<style>" in html and "@media print" in html


@pytest.mark.slow
def test_summary_json_holds_the_headlines_and_tables(demo):
    summary = json.loads((demo / "summary.json").read_text(encoding="utf-8"))
    assert summary["n_firms"] == 99
    headlines = {h["id"]: h for h in summary["headlines"]}
    procurement = headlines["online_trade"]["figures"]["procurement"]
    # the demo study has the sample's design: 17 of 99 firms, but design-based the share
    # of the zone's firms, weighted by the bundled draw
    from dmsurvey.sampling.sample_design import read_draw_csv
    from dmsurvey.store.sample import read_sample_csv

    responses = read_sample_csv()
    weights = read_draw_csv().set_index("response_id").loc[responses["response_id"], "weight"]
    buys = responses["online_procurement_share"].isin(["51_75", "76_100"]).to_numpy(float)
    share = float((buys * weights.to_numpy()).sum() / weights.sum())
    assert procurement == {"count": 17, "n": 99, "share": pytest.approx(share)}
    assert (f"Only {share:.0%} of the surveyed enterprises do more than 50% of their "
            "procurement online") in headlines["online_trade"]["text"]
    assert set(summary["charts"]) == set(CHART_STEMS)
    assert "size_regressions" in summary["tables"]
    assert summary["tables"]["analysis_basis"][0]["basis"] == "design-based"
    chinese = json.loads((demo / "zh" / "summary.json").read_text(encoding="utf-8"))
    assert f"仅{share:.0%}的受访企业线上采购" in {h["id"]: h for h in chinese["headlines"]}[
        "online_trade"]["text"]


@pytest.mark.slow
@pytest.mark.parametrize("folder,name", [("", "report-en"), ("zh", "report-zh")])
def test_report_opens_in_chromium_without_console_errors(demo, folder, name, tmp_path):
    from playwright.sync_api import sync_playwright

    messages = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium")
                                             or "/usr/bin/chromium", args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
        page.on("requestfailed", lambda request: messages.append(f"failed: {request.url}"))
        page.goto((demo / folder / "report.html").as_uri())
        page.wait_for_load_state("load")
        images = page.evaluate(
            "Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)")
        headlines = page.locator("[data-headline]").all_inner_texts()
        screenshot = tmp_path / f"{name}.png"
        page.screenshot(path=screenshot)
        browser.close()
    assert messages == []
    assert images and all(images), "every chart shows"
    assert len(headlines) >= 8
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(screenshot, SCREENSHOTS / f"{name}.png")
    assert screenshot.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_report_command_writes_a_firm_page(demo, tmp_path):
    study = demo / "study"
    firm = pd.read_csv(demo / "tables" / "scores.csv")["response_id"].iloc[0]
    result = CliRunner().invoke(app, ["report", str(study), "--firm", firm[:8], "-o",
                                      str(tmp_path), "--lang", "zh"])
    assert result.exit_code == 0, result.output
    page = tmp_path / f"firm-{firm}.html"
    assert page.is_file()
    assert "同类企业" in page.read_text(encoding="utf-8")


def test_report_command_names_an_unknown_firm(demo):
    from dmsurvey.errors import AnalysisError

    result = CliRunner().invoke(app, ["report", str(demo / "study"), "--firm", "no-such-firm"])
    assert result.exit_code == 1
    assert isinstance(result.exception, AnalysisError)
    assert "no firm with response id 'no-such-firm'" in str(result.exception)


@pytest.mark.slow
def test_charts_command_from_a_response_file(tmp_path):
    from dmsurvey.store.sample import SAMPLE_CSV

    result = CliRunner().invoke(app, ["charts", str(SAMPLE_CSV), "-o", str(tmp_path),
                                      "--lang", "zh"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "05_biggest_obstacles.csv")
    assert table["n"].iloc[0] == 99
    assert sorted(p.suffix for p in tmp_path.glob("01_technology_use.*")) == [".csv", ".png",
                                                                              ".svg"]


@pytest.mark.slow
def test_report_prints_to_a4_without_splitting_charts(demo, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium")
                                             or "/usr/bin/chromium", args=BROWSER_ARGS)
        page = browser.new_page()
        page.goto((demo / "report.html").as_uri())
        page.emulate_media(media="print")
        layout = page.evaluate("""() => ({
            toc: getComputedStyle(document.querySelector('nav.toc')).display,
            figures: Array.from(document.querySelectorAll('figure')).map(
                f => getComputedStyle(f).breakInside),
        })""")
        pdf = tmp_path / "report.pdf"
        page.pdf(path=pdf, format="A4", prefer_css_page_size=True)
        browser.close()
    assert layout["toc"] == "none", "the contents list is for the screen"
    assert layout["figures"] and set(layout["figures"]) == {"avoid"}, "no chart split over pages"
    pages = pdf.read_bytes().count(b"/Type /Page") - pdf.read_bytes().count(b"/Type /Pages")
    assert 5 <= pages <= 40, f"{pages} A4 pages"


PANEL_STEMS = ("panel_01_score_slopes", "panel_02_level_transitions",
               "panel_03_adoption_both_waves")


@pytest.mark.slow
@pytest.mark.parametrize("folder,name", [("panel", "panel-en"), ("panel/zh", "panel-zh")])
def test_the_panel_report_shows_what_changed_in_chromium(demo, folder, name, tmp_path):
    from playwright.sync_api import sync_playwright

    out = demo / folder
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for stem in PANEL_STEMS:
        assert (out / "charts" / f"{stem}.svg").is_file()
    assert (out / "tables" / "adoption_tests.csv").is_file()
    assert (demo / "panel" / "links.csv").is_file()
    messages = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium")
                                             or "/usr/bin/chromium", args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
        page.goto((out / "report.html").as_uri())
        page.wait_for_load_state("load")
        section = page.locator("#change")
        said = section.locator("[data-headline]").all_inner_texts()
        shown = section.locator("figure img").evaluate_all(
            "images => images.map(i => i.complete && i.naturalWidth > 0)")
        figures = section.locator("figure").evaluate_all("figures => figures.map(f => f.id)")
        screenshot = tmp_path / f"{name}.png"
        section.screenshot(path=screenshot)
        browser.close()
    assert messages == []
    assert figures == list(PANEL_STEMS) and all(shown)
    assert said == [headline["text"] for headline in summary["change"]]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(screenshot, SCREENSHOTS / f"{name}.png")
    assert screenshot.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_report_command_writes_a_firm_page_with_its_change(demo, tmp_path):
    links = pd.read_csv(demo / "panel" / "links.csv", dtype=str, keep_default_na=False,
                        encoding="utf-8-sig")
    firm = links.loc[links["match"] == "key", "later_id"].iloc[0]
    result = CliRunner().invoke(app, ["report", str(demo / "study-2022"), "--previous",
                                      str(demo / "study"), "--firm", firm, "-o", str(tmp_path),
                                      "--lang", "zh"])
    assert result.exit_code == 0, result.output
    html = (tmp_path / f"firm-{firm}.html").read_text(encoding="utf-8")
    assert "贵企业2020年以来的变化" in html and 'data-change="composite"' in html
