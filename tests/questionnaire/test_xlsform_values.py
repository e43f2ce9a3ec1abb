"""Dates, times, GPS points and ranks: what people type and exports hold -> what is stored."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from dmsurvey.questionnaire.xlsform_values import (
    canonical_answer,
    parse_date,
    parse_datetime,
    parse_geopoint,
    parse_geotrace,
    parse_rank,
    parse_time,
)


@pytest.mark.parametrize(
    "typed",
    ["2020-07-31", "2020/7/31", "31.7.2020", "2020年7月31日", "２０２０年７月３１日", "2020.07.31",
     "2020-07-31T10:15:00.000+08:00", "2020-07-31 00:00:00", date(2020, 7, 31),
     datetime(2020, 7, 31, 9, 0)],
)
def test_dates_as_typed_or_exported_are_stored_as_iso(typed):
    assert parse_date(typed) == "2020-07-31"


@pytest.mark.parametrize("typed", ["2020-02-30", "31/7/2020", "7.31.2020", "yesterday", ""])
def test_what_is_not_a_day_is_refused(typed):
    with pytest.raises(ValueError):
        parse_date(typed)


@pytest.mark.parametrize(
    "typed,stored",
    [("9:05", "09:05:00"), ("14:30:15", "14:30:15"), ("14时30分", "14:30:00"),
     ("14:30:00.000+08:00", "14:30:00+08:00"), ("23:59:59Z", "23:59:59Z")],
)
def test_times(typed, stored):
    assert parse_time(typed) == stored


def test_impossible_times_and_datetimes_are_refused():
    for typed in ("24:00", "12:60", "noon"):
        with pytest.raises(ValueError):
            parse_time(typed)
    with pytest.raises(ValueError, match="not a date and time"):
        parse_datetime("2020-07-31")


def test_datetimes_combine_any_date_and_time_form():
    assert parse_datetime("31.7.2020 9:05") == "2020-07-31T09:05:00"
    assert parse_datetime("2020年7月31日 14时30分") == "2020-07-31T14:30:00"
    assert parse_datetime("2020-07-31T14:30:00.000+08:00") == "2020-07-31T14:30:00+08:00"


def test_gps_points_are_stored_as_odk_writes_them():
    assert parse_geopoint("30.27 120.15 12 5") == "30.27 120.15 12 5"
    assert parse_geopoint("30.27, 120.15") == "30.27 120.15 0 0"
    assert parse_geopoint("-33.9 18.4 0") == "-33.9 18.4 0 0"


@pytest.mark.parametrize(
    "typed,reason",
    [("90.5 10", "latitude 90.5 is not between -90 and 90"),
     ("10 -181", "longitude -181 is not between -180 and 180"),
     ("10 20 0 -1", "accuracy -1 is negative"),
     ("10", "not a GPS point"), ("north east", "not a GPS point")],
)
def test_gps_points_out_of_range_are_refused_with_the_reason(typed, reason):
    with pytest.raises(ValueError, match=reason):
        parse_geopoint(typed)


def test_traces_and_shapes():
    assert parse_geotrace("1 2; 3 4") == "1 2 0 0;3 4 0 0"
    with pytest.raises(ValueError, match="at least 2 points"):
        parse_geotrace("1 2")
    # ODK closes a shape on its first point
    assert parse_geotrace("1 2;3 4;5 6", shape=True) == "1 2 0 0;3 4 0 0;5 6 0 0;1 2 0 0"
    assert parse_geotrace("1 2;3 4;5 6;1 2", shape=True).count(";") == 3
    with pytest.raises(ValueError, match="3 different points"):
        parse_geotrace("1 2;3 4;1 2", shape=True)


def test_a_rank_orders_every_code_once():
    assert parse_rank("b, a c", ["a", "b", "c"]) == "b a c"
    with pytest.raises(ValueError, match="'d' is not one of the codes a, b, c"):
        parse_rank("a b d", ["a", "b", "c"])
    with pytest.raises(ValueError, match="rank every code once"):
        parse_rank("a b", ["a", "b", "c"])


def test_canonical_answer_picks_the_parser_of_the_type():
    assert canonical_answer("date", "31.7.2020") == "2020-07-31"
    assert canonical_answer("geoshape", "1 2;3 4;5 6").endswith(";1 2 0 0")
    assert canonical_answer("rank", "2 1", ["1", "2"]) == "2 1"
