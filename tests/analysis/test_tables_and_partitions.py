import pandas as pd
import pytest

from dmsurvey.analysis.scoring import score, score_meta
from dmsurvey.analysis.tidy import to_latex, to_markdown
from dmsurvey.questionnaire.loader import load_questionnaire
from dmsurvey.store.sample import load_sample_responses


def test_markdown_and_latex_tables():
    table = pd.DataFrame({"outcome": ["online_procurement_gt50", "cloud_migrated"],
                          "n": [99, 98], "coef": [1.6781, float("nan")],
                          "p_value": [0.0000754, 0.2], "note": ["", "50% & more"]})
    markdown = to_markdown(table).splitlines()
    assert markdown[0] == "| outcome | n | coef | p_value | note |"
    assert markdown[1] == "|---|---:|---:|---:|---|"
    assert markdown[2] == "| online_procurement_gt50 | 99 | 1.678 | 7.540e-05 |  |"
    assert markdown[3] == "| cloud_migrated | 98 |  | 0.200 | 50% & more |"
    latex = to_latex(table, caption="Size and adoption")
    assert "\\begin{tabular}{lrrrl}" in latex
    assert "online\\_procurement\\_gt50 & 99 & 1.678" in latex
    assert "50\\% \\& more" in latex
    assert "\\caption{Size and adoption}" in latex


@pytest.mark.slow
def test_scoring_runs_on_dask_partitions():
    import dask.dataframe as dd
    questionnaire = load_questionnaire("sme-digital-2020")
    responses = load_sample_responses()
    expected = score(responses, questionnaire)
    frame = dd.from_pandas(responses, npartitions=4)
    scored = frame.map_partitions(score, questionnaire,
                                  meta=score_meta(questionnaire)).compute()
    pd.testing.assert_frame_equal(scored.sort_index(), expected, check_categorical=False)
