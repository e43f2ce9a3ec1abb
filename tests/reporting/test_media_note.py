"""A report on a study with photo questions says that photos are not shown."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from dmsurvey.cli import app

from .test_own_questionnaire import make_study, visible_text

WITH_PHOTOS = """\
name: shop-photos
version: "1"
title: {en: Shop visits}
languages: [en]
sections:
  - id: visit
    title: {en: Visit}
    questions:
      - id: open
        type: select_one
        label: {en: Shop open?}
        choices:
          - {code: "yes", label: {en: "Yes"}}
          - {code: "no", label: {en: "No"}}
      - id: front-photo
        type: image
        label: {en: Photo of the front}
"""


def test_report_says_photos_are_not_shown(tmp_path):
    rows = pd.DataFrame({"open": ["yes", "no", "yes"],
                         "front-photo": ["IMG_1.jpg", "", "IMG_3.jpg"]})
    study = make_study(tmp_path, WITH_PHOTOS, rows)
    result = CliRunner().invoke(app, ["report", str(study), "-o", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    text = visible_text(tmp_path / "r" / "report.html")
    assert ("Photos, recordings and files (front-photo) are not shown: the study keeps only "
            "their file names.") in text
