"""The SQL that picks overdue stages (reminders, escalations, the digest) agrees with the one
definition in :mod:`process.deadlines`: overdue from the first working day after the due
date. Checked for every pair of due date and day over stretches with weekends, make-up
Saturdays, the 2026 Spring Festival and National Day, and the provisional 2027 New Year."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from process.calendar import WorkingCalendar
from process.deadlines import is_overdue, late_if_due_before
from storage.codec import date_to_db
from storage.db import Database, fetch_all
from storage.reminders.points import PAST, point_at, told_groups, told_params
from storage.reminders.sections import any_overdue, district_section

CALENDAR = WorkingCalendar()
STRETCHES = [
    (date(2026, 2, 5), date(2026, 3, 3)),  # Spring Festival, make-up Saturdays 14 and 28 Feb
    (date(2026, 9, 24), date(2026, 10, 13)),  # National Day
    (date(2026, 12, 24), date(2027, 1, 8)),  # into the provisional year
]


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


async def _seed(db: Database, dues: list[date]) -> None:
    """One running stage due on each date, held by its own customer manager (its id)."""
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO reminder_watch (kind, subject_id, check_on, state, due_on, half_on, "
            "before_on, deadline_on, dated_on, application_id, district, cm, stage, limit_days) "
            "VALUES ('stage', ?, '9999-12-31', 'running', ?, ?, ?, ?, ?, ?, '汉台区', ?, "
            "'plan', 10)",
            [
                (n, date_to_db(due), PAST, PAST, date_to_db(due), PAST, n, n)
                for n, due in enumerate(dues, start=1)
            ],
        )


@pytest.mark.parametrize(("first", "last"), STRETCHES)
async def test_every_overdue_query_agrees_with_the_definition(
    db: Database, first: date, last: date
) -> None:
    days = _days(first, last)
    dues = [day for day in days if CALENDAR.is_workday(day)]  # a due date is a working day
    await _seed(db, dues)
    for today in days:
        expected = {n for n, due in enumerate(dues, start=1) if is_overdue(CALENDAR, due, today)}
        late_before = late_if_due_before(CALENDAR, today)
        async with db.snapshot() as conn:
            section = await district_section(
                conn, "overdue", today=today, per_district=1000, late_before=late_before
            )
            listed = {item.application_id for items in section.first.values() for item in items}
            assert (listed, section.total) == (expected, len(expected)), today
            assert await any_overdue(conn, late_before) is bool(expected), today
            groups = await told_groups(conn, today, None, whole_day=True, late_before=late_before)
            told = {g.who for g in groups if g.counts.get("overdue")}
            assert told == expected, today
            points = await fetch_all(
                conn,
                f"SELECT subject_id, {point_at()} AS point FROM reminder_watch",
                told_params(today, None, late_before),
            )
            assert {r["subject_id"] for r in points if r["point"] == "overdue"} == expected, today


async def test_on_the_weekend_after_a_friday_deadline_nothing_is_overdue_yet(
    db: Database,
) -> None:
    friday = date(2026, 11, 27)
    await _seed(db, [friday])
    async with db.snapshot() as conn:
        for today, late in (
            (date(2026, 11, 28), False),
            (date(2026, 11, 29), False),
            (date(2026, 11, 30), True),
        ):
            assert await any_overdue(conn, late_if_due_before(CALENDAR, today)) is late
