"""Where analysed responses come from: a study folder or a response file.

A study folder brings its own (pinned) questionnaire. A response file (CSV, Excel, JSON
or Parquet, one row per firm) needs one named beside it; it is read and checked by the
same code as `dmsurvey import` (codes or labels, Kobo/ODK column names), then typed as a
study's responses are.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dmsurvey.questionnaire.model import Questionnaire

DEFAULT_QUESTIONNAIRE = "sme-digital-2020"


def load_responses(
    source: str | Path, questionnaire: str | Path | Questionnaire | None = None
) -> tuple[pd.DataFrame, Questionnaire]:
    """Typed responses and their questionnaire from a study folder or a response file.

    For a study, `questionnaire` must be None or the study's own (its pinned copy is
    used). For a file it defaults to the bundled `sme-digital-2020`.
    """
    path = Path(source)
    if path.is_dir():
        from dmsurvey.store.study import open_study

        study = open_study(path)
        return study.responses(), study.questionnaire
    from dmsurvey.store.importing import read_responses

    model = questionnaire_model(questionnaire)
    return read_responses(path, model), model


def questionnaire_model(questionnaire: str | Path | Questionnaire | None) -> Questionnaire:
    if isinstance(questionnaire, Questionnaire):
        return questionnaire
    from dmsurvey.questionnaire.loader import load_questionnaire

    return load_questionnaire(questionnaire or DEFAULT_QUESTIONNAIRE)
