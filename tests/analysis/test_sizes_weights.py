import numpy as np
import pandas as pd
import pytest

from dmsurvey.analysis.shares import shares
from dmsurvey.analysis.sizes import size_band, size_class
from dmsurvey.analysis.weights import poststratification_weights, read_margins
from dmsurvey.errors import AnalysisError, DataError


def test_eu_classes_at_their_bounds():
    data = pd.DataFrame({"employees_2019": pd.array([0, 9, 10, 49, 50, 249, 250, None, -3],
                                                    dtype="Int64")})
    classes = size_class(data)
    assert classes.astype(object).tolist()[:7] == ["micro", "micro", "small", "small", "medium",
                                                   "medium", "large"]
    assert classes.isna().tolist()[7:] == [True, True]
    assert classes.cat.ordered


def test_china_2017_thresholds_by_industry():
    data = pd.DataFrame({
        "industry": ["manufacturing", "manufacturing", "manufacturing", "manufacturing",
                     "software_it", "sci_tech_services", "business_services"],
        "employees_2019": [25, 25, 400, 1000, 50, 150, 150],
        "revenue_2019": [250.0, 500.0, 50000.0, 40000.0, 40.0, 1.0, 1.0],
        "assets_2019": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 7000.0],
    })
    classes = size_class(data, scheme="china").astype(object).tolist()
    # manufacturing: revenue under 300万 makes 25 employees micro; 400 employees but
    # revenue 50,000万 is medium (large needs 1,000 employees as well)
    assert classes[:4] == ["micro", "small", "medium", "large"]
    assert classes[4] == "micro"     # software: revenue under 50万
    assert classes[5] == "medium"    # other industries: employees only
    assert classes[6] == "small"     # business services: assets under 8,000万 caps at small


def test_revenue_bands():
    revenue = pd.Series([50.0, 100.0, 1999.0, 2000.0, 1e6, np.nan], name="revenue")
    bands = size_band(revenue)
    assert bands.astype(object).tolist()[:5] == [
        "<RMB 1 million", "RMB 1–5 million", "RMB 5–20 million", "RMB 20–100 million",
        "≥RMB 100 million"]
    assert pd.isna(bands.iloc[5])
    chinese = size_band(revenue, language="zh")
    assert chinese.astype(object).tolist()[:5] == ["<100万元", "100–500万元", "500–2,000万元",
                                                   "2,000–10,000万元", "≥10,000万元"]


@pytest.fixture
def sample():
    return pd.DataFrame({
        "size_class": ["micro"] * 6 + ["small"] * 4,
        "industry": ["manufacturing", "other"] * 5,
        "tech_used": ["ai"] * 3 + ["none"] * 3 + ["ai"] * 4,
    })


def test_raking_reproduces_every_margin(sample, tmp_path):
    path = tmp_path / "margins.csv"
    path.write_text("variable,category,population\nsize_class,micro,300\nsize_class,small,100\n"
                    "industry,manufacturing,160\nindustry,other,240\n", encoding="utf-8")
    weights = poststratification_weights(sample, path)
    assert weights.groupby(sample["size_class"]).sum().to_dict() == pytest.approx(
        {"micro": 300, "small": 100})
    assert weights.groupby(sample["industry"]).sum().to_dict() == pytest.approx(
        {"manufacturing": 160, "other": 240})


def test_cell_weights_and_weighted_share(sample, small_questionnaire):
    cells = pd.DataFrame({"size_class": ["micro", "small"], "population": [600.0, 100.0]})
    weights = poststratification_weights(sample, cells)
    assert weights.tolist() == pytest.approx([100] * 6 + [25] * 4)
    table = shares(sample, "tech_used", questionnaire=small_questionnaire, weights=weights)
    ai = table.set_index("item").loc["ai"]
    # micro: half use AI, small: all do -> (300 + 100) / 700
    assert ai["share"] == pytest.approx(400 / 700)


def test_mismatched_margins_name_the_problem(sample):
    margins = pd.DataFrame({"variable": ["size_class"], "category": ["micro"],
                            "population": [10.0]})
    with pytest.raises(AnalysisError) as caught:
        poststratification_weights(sample, margins)
    assert "small" in str(caught.value)


def test_bad_population_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("variable,category,population\nsize_class,micro,many\n", encoding="utf-8")
    with pytest.raises(DataError, match="population"):
        read_margins(path)
