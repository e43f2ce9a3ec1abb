"""The bundled instrument and the sample CSV as a reader who checks the paper would see it."""

from __future__ import annotations

from importlib.resources import files

import pandas as pd
import pytest

from dmsurvey.questionnaire.loader import load_questionnaire


@pytest.fixture(scope="session")
def questionnaire():
    return load_questionnaire("sme-digital-2020")


@pytest.fixture(scope="session")
def firms() -> pd.DataFrame:
    """The 99 sample firms as plain text codes, read with pandas alone (no project code)."""
    path = files("dmsurvey") / "data" / "sample_responses.csv"
    with path.open(encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False, na_values=[""])
