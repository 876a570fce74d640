"""Column encodings: timestamps come back tz-aware in UTC, dates stay dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from process.stages import Stage
from storage.codec import (
    date_from_db,
    date_to_db,
    json_from_db,
    json_to_db,
    optional_date_from_db,
    optional_time_from_db,
    plain,
    time_from_db,
    time_to_db,
)
from storage.db import Database
from storage.events import EventsRepo
from tests.storage.samples import NOW


def test_a_local_time_is_stored_as_utc_text() -> None:
    assert time_to_db(NOW) == "2026-11-27T01:48:00+00:00"


def test_timestamps_round_trip_as_the_same_moment_in_utc() -> None:
    new_york = timezone(timedelta(hours=-5))
    moment = datetime(2026, 11, 26, 20, 48, 0, 123456, tzinfo=new_york)
    back = time_from_db(time_to_db(moment))
    assert back == moment
    assert back.tzinfo is UTC
    assert back.microsecond == 123456


def test_stored_timestamps_sort_in_time_order() -> None:
    moments = [NOW + timedelta(microseconds=us) for us in (0, 1, 500_000, 1_000_000)]
    stored = [time_to_db(moment) for moment in moments]
    assert sorted(stored) == stored


def test_naive_timestamps_are_refused_both_ways() -> None:
    with pytest.raises(ValueError, match="time-zone aware"):
        time_to_db(datetime(2026, 11, 27, 9, 48))
    with pytest.raises(ValueError, match="no time zone"):
        time_from_db("2026-11-27T09:48:00")


def test_dates_and_optionals() -> None:
    assert date_to_db(date(2026, 12, 8)) == "2026-12-08"
    assert date_from_db("2026-12-08") == date(2026, 12, 8)
    assert optional_date_from_db(None) is None
    assert optional_time_from_db(None) is None
    with pytest.raises(TypeError):
        date_to_db(NOW)


def test_json_and_enum_values() -> None:
    assert json_to_db({"名称": "华东", "n": [1, 2]}) == '{"名称":"华东","n":[1,2]}'
    assert json_from_db('{"n":[1,2]}') == {"n": [1, 2]}
    assert plain(Stage.PLAN) == "plan" and type(plain(Stage.PLAN)) is str
    assert plain("plan") == "plan"


async def test_event_timestamps_come_back_tz_aware(db: Database) -> None:
    events = EventsRepo(db)
    event_id = await events.record(
        application_id=None, actor_id=None, actor_role="system", kind="tick", now=NOW
    )
    row = await db.fetchone("SELECT created_at FROM events WHERE id = ?", (event_id,))
    assert row is not None and row["created_at"] == "2026-11-27T01:48:00+00:00"
