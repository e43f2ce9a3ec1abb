import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from dmsurvey.analysis.regressions import CONTRACT_COLUMNS
from dmsurvey.cli import app
from dmsurvey.errors import DataError
from dmsurvey.store.sample import SAMPLE_CSV, sample_study

runner = CliRunner()


def test_score_a_response_file_to_csv_and_parquet(tmp_path):
    result = runner.invoke(app, ["score", str(SAMPLE_CSV), "-o", str(tmp_path / "s.csv")])
    assert result.exit_code == 0, result.output
    assert "Scored 99 firms" in result.output
    scores = pd.read_csv(tmp_path / "s.csv")
    assert list(scores.columns) == ["response_id", "ai_bigdata", "online_trade",
                                    "smart_manufacturing", "internet_finance", "composite",
                                    "level", "items_answered"]
    assert scores["smart_manufacturing"].notna().sum() == 28

    parquet = tmp_path / "s.parquet"
    source = tmp_path / "responses.parquet"
    pd.read_csv(SAMPLE_CSV, dtype=str, keep_default_na=False).to_parquet(source)
    result = runner.invoke(app, ["score", str(source), "-o", str(parquet)])
    assert result.exit_code == 0, result.output
    from_parquet = pd.read_parquet(parquet)
    # The CSV holds scores to 2 decimals, for people; Parquet keeps full precision.
    assert from_parquet["composite"].to_numpy() == pytest.approx(scores["composite"].to_numpy(),
                                                                 abs=0.005)
    assert (from_parquet["composite"].round(2) != from_parquet["composite"]).any()
    written = (tmp_path / "s.csv").read_text().splitlines()[1:]
    decimals = [len(cell.split(".")[1]) for line in written for cell in line.split(",")[1:6]
                if "." in cell]
    assert decimals and max(decimals) <= 2


def test_analyze_a_study_writes_the_contract_table(tmp_path):
    sample_study(tmp_path / "study")
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(tmp_path / "study"), "-o", str(out)],
                           env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "tables" / "size_regressions.csv")
    assert list(table.columns[:9]) == CONTRACT_COLUMNS
    assert set(table["size_measure"]) == {"employees_2019", "revenue_2019", "assets_2019"}
    assert {"logit", "logit_industry", "ordered_logit", "ols"} == set(table["model"])
    assert "online_procurement_gt50" in result.output
    assert "too few events" in result.output
    assert (out / "tables" / "size_regressions.md").read_text().startswith("| outcome |")
    assert "\\begin{tabular}" in (out / "tables" / "size_regressions.tex").read_text()
    assert (out / "tables" / "reliability.csv").exists()


def test_analyze_with_weights(tmp_path):
    margins = tmp_path / "zone.csv"
    margins.write_text("size_class,population\nmicro,500\nsmall,300\nmedium,150\nlarge,50\n",
                       encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(SAMPLE_CSV), "--weights", str(margins),
                                 "-o", str(out)])
    assert result.exit_code == 0, result.output
    weights = pd.read_csv(out / "tables" / "weights.csv")
    assert weights["weight"].sum() == pytest.approx(1000)


def test_bad_input_is_a_data_error_naming_the_cell(tmp_path):
    result = runner.invoke(app, ["score", str(tmp_path / "missing.csv")])
    assert result.exit_code == 1
    assert isinstance(result.exception, DataError)
    assert "No such file" in str(result.exception)

    bad = tmp_path / "answers.csv"
    bad.write_text("industry,online_procurement_share\nmanufacturing,most\n", encoding="utf-8")
    result = runner.invoke(app, ["score", str(bad), "-o", str(tmp_path / "s.csv")])
    assert result.exit_code == 1
    assert isinstance(result.exception, DataError)
    message = str(result.exception)
    assert "online_procurement_share" in message and "'most'" in message and "row 2" in message


def test_help_has_examples():
    for command in ("score", "analyze"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0
        assert f"dmsurvey {command}" in result.output


def test_shares_by_industry_fit_80_columns_with_labels():
    result = runner.invoke(app, ["shares", str(SAMPLE_CSV), "tech_used", "--by", "industry",
                                 "--lang", "en"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in result.output
    assert "Manufacturing" in result.output and "manufacturing " not in result.output
    assert "Big data" in result.output


def small_study(path, firms: int):
    from dmsurvey.store.study import init_study

    study = init_study(path / f"zone{firms}", questionnaire="sme-digital-2020")
    if firms:
        study.add_responses(pd.read_csv(SAMPLE_CSV, dtype=str, keep_default_na=False)
                            .head(firms))
    return study.path


@pytest.mark.parametrize("command", [["score"], ["shares", "tech_used"]])
def test_score_and_shares_refuse_a_study_without_responses(tmp_path, command):
    study = small_study(tmp_path, 0)
    result = runner.invoke(app, [command[0], str(study), *command[1:],
                                 "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 1
    assert str(result.exception) == ("the study has no complete responses yet; "
                                     "import or collect some first")
    assert not (tmp_path / "out.csv").exists()


def test_one_firm_is_scored_in_the_singular(tmp_path):
    study = small_study(tmp_path, 1)
    result = runner.invoke(app, ["score", str(study), "-o", str(tmp_path / "s.csv")])
    assert result.exit_code == 0, result.output
    assert "Scored 1 firm ->" in result.output


def test_shares_speak_english_unless_asked_for_chinese():
    english = runner.invoke(app, ["shares", str(SAMPLE_CSV), "tech_used"],
                            env={"COLUMNS": "120"})
    chinese = runner.invoke(app, ["shares", str(SAMPLE_CSV), "tech_used", "--lang", "zh"],
                            env={"COLUMNS": "120"})
    assert english.exit_code == 0 and chinese.exit_code == 0
    assert "Big data" in english.output and "大数据" not in english.output
    assert "大数据" in chinese.output


def test_analysis_tables_follow_the_language(tmp_path):
    def labels(language: str) -> str:
        out = tmp_path / language
        result = runner.invoke(app, ["analyze", str(SAMPLE_CSV), "-o", str(out),
                                     "--lang", language])
        assert result.exit_code == 0, result.output
        return "".join((out / "tables" / f"{name}.csv").read_text(encoding="utf-8")
                       for name in ("shares", "size_classes", "size_gradients"))

    english, chinese = labels("en"), labels("zh")
    assert re.search(r"[\u4e00-\u9fff]", english) is None
    assert "RMB 5–20 million" in english and "Big data" in english
    assert "500–2,000万元" in chinese and "大数据" in chinese
