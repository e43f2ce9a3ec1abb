"""Dates, times and GPS points from KoboToolbox and ODK Central exports, as those servers
write them: stored as ODK writes them, and a value that is none refused with its row."""

from __future__ import annotations

import pytest

from dmsurvey.errors import DataError
from dmsurvey.questionnaire.xlsform import questionnaire_yaml
from dmsurvey.store.importing import import_files
from dmsurvey.store.study import init_study

QUESTIONNAIRE = {
    "name": "visits",
    "version": "1",
    "title": {"en": "Visits"},
    "languages": ["en"],
    "sections": [{
        "id": "visit",
        "title": {"en": "Visit"},
        "questions": [
            {"id": "firm", "type": "text", "label": {"en": "Firm"}},
            {"id": "visit_date", "type": "date", "label": {"en": "Visit date"}},
            {"id": "arrived", "type": "datetime", "label": {"en": "Arrival"}},
            {"id": "gate-point", "type": "geopoint", "label": {"en": "Gate"}},
        ],
    }],
}


@pytest.fixture
def study(tmp_path):
    form = tmp_path / "visits.yaml"
    form.write_text(questionnaire_yaml(QUESTIONNAIRE), encoding="utf-8")
    return init_study(tmp_path / "study", form)


def stored(study) -> dict[str, dict]:
    frame = study.responses()
    return {row["firm"]: row for row in frame.to_dict("records")}


def test_kobo_export_keeps_the_point_and_leaves_its_parts(study, tmp_path):
    export = tmp_path / "kobo.csv"
    export.write_text(
        "_uuid,visit/firm,visit/visit_date,visit/arrived,visit/gate-point,"
        "visit/_gate-point_latitude,visit/_gate-point_longitude,visit/_gate-point_altitude,"
        "visit/_gate-point_precision\n"
        "k1,Acme,2020-07-31,2020-07-31T14:30:00.000+08:00,30.27 120.15 12 4.5,30.27,120.15,"
        "12,4.5\n",
        encoding="utf-8",
    )
    result = import_files(study, [export])
    assert result.added == 1
    acme = stored(study)["Acme"]
    assert (acme["visit_date"], acme["arrived"], acme["gate-point"]) == (
        "2020-07-31", "2020-07-31T14:30:00+08:00", "30.27 120.15 12 4.5"
    )


def test_odk_central_export_joins_the_four_columns_of_a_point(study, tmp_path):
    export = tmp_path / "central.csv"
    export.write_text(
        "KEY,visit-firm,visit-visit_date,visit-gate-point-Latitude,"
        "visit-gate-point-Longitude,visit-gate-point-Altitude,visit-gate-point-Accuracy\n"
        "uuid:1,Acme,2020-07-31,30.27,120.15,12,4.5\n"
        "uuid:2,Bolt,2020-08-01,,,,\n",
        encoding="utf-8",
    )
    import_files(study, [export])
    rows = stored(study)
    assert rows["Acme"]["gate-point"] == "30.27 120.15 12 4.5"
    bolt = rows["Bolt"]["response_id"]
    assert "gate-point" not in study.get_answers(bolt)  # an empty point: not answered


def test_impossible_dates_and_points_are_refused_with_their_rows(study, tmp_path):
    export = tmp_path / "typed.csv"
    export.write_text(
        "firm,visit_date,gate-point\nAcme,31.7.2020,\"30.27, 120.15\"\n"
        "Bolt,2020-02-30,95 120\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as caught:
        import_files(study, [export])
    problems = {(p.row, p.column, p.message) for p in caught.value.problems}
    assert problems == {(3, "visit_date", "no such day"),
                        (3, "gate-point", "latitude 95 is not between -90 and 90")}
    assert study.responses().empty  # all or nothing
