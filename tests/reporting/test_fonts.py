"""Chinese charts need a CJK font; without one the error says what to install."""

from __future__ import annotations

import pytest
from PIL import Image

from dmsurvey.reporting import fonts


def test_noto_sans_cjk_is_found_and_registered():
    from matplotlib import font_manager

    family = fonts.cjk_font_family()
    assert family == "Noto Sans CJK SC"
    assert fonts.font_families("zh")[0] == family
    assert family in {font.name for font in font_manager.fontManager.ttflist}


def test_without_a_cjk_font_the_error_names_the_debian_package(monkeypatch):
    monkeypatch.setattr(fonts, "CJK_FONT_FILES", ())
    monkeypatch.setattr(fonts, "CJK_FAMILIES", ("No Such Family SC",))
    monkeypatch.delenv(fonts.FONT_ENVIRONMENT_VARIABLE, raising=False)
    fonts.cjk_font_family.cache_clear()
    try:
        with pytest.raises(fonts.FontError, match="fonts-noto-cjk"):
            fonts.font_families("zh")
        assert fonts.font_families("en") == ["DejaVu Sans"]
    finally:
        fonts.cjk_font_family.cache_clear()


def test_chart_png_is_200_dpi(tmp_path, chart_responses, chart_questionnaire):
    from dmsurvey.reporting.charts import summary_charts

    summary_charts(chart_responses, chart_questionnaire, tmp_path)
    dpi = Image.open(tmp_path / "04_internet_finance.png").info["dpi"]
    assert dpi == pytest.approx((200, 200), abs=0.5)
