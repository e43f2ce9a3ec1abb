"""The two bundled waves as studies, and which 2022 response is which 2020 firm."""

from __future__ import annotations

import pandas as pd
import pytest

from dmsurvey.store.sample import sample_study
from dmsurvey.store.sample_2022 import panel_truth, sample_study_2022


@pytest.fixture(scope="session")
def waves(tmp_path_factory):
    folder = tmp_path_factory.mktemp("waves")
    return sample_study(folder / "zone-2020"), sample_study_2022(folder / "zone-2022")


@pytest.fixture(scope="session")
def truth() -> pd.DataFrame:
    return panel_truth()
