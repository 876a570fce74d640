"""The SQL that tells reminder points and picks overdue stages mirrors the one rule in
:mod:`process.deadlines`, checked with hypothesis over random stages.

A stage starts at a random moment between 2025 and 2031 (official calendar years and the
provisional ones beyond), is paused a few times, and is looked at by the sweep on a working
day after its last pause ended, which stores its point dates as the sweep does. On any day
after that, a day off or a holiday too, the stored dates read through the SQL must give
exactly what the process rule gives from the stage clock itself: the point
(:func:`process.deadlines.stage_point`), its told mark, and "overdue"
(:func:`process.deadlines.is_overdue`) for the escalations, the digest and /queue, which
reads the due date stored on the same row.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from process.calendar import WorkingCalendar
from process.deadlines import (
    Pause,
    is_overdue,
    late_if_due_before,
    point_dates,
    stage_clock,
    stage_point,
)
from storage.codec import optional_date_from_db
from storage.db import Database, fetch_one, run
from storage.reminders.points import (
    Holding,
    ToldGroup,
    mark_at,
    point_at,
    store_holdings,
    store_points,
    told_groups,
    told_params,
)
from storage.reminders.sections import any_overdue, district_section
from storage.reminders.watch import StageState, WatchKind, WatchUpdate, update_watches

TZ = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkingCalendar()
MANAGER = 7
DISTRICT = "汉台区"

starts = st.datetimes(
    min_value=datetime(2025, 6, 1), max_value=datetime(2031, 12, 31), timezones=st.just(TZ)
)
limits = st.integers(min_value=0, max_value=15)
offsets = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=25))


@st.composite
def stages(draw: st.DrawFn) -> tuple[datetime, int, list[Pause], datetime, date]:
    """A stage (start, limit, closed pauses), the moment the sweep looked at it (on a
    working day, after the last pause ended) and a day from then on."""
    started_at = draw(starts)
    pauses: list[Pause] = []
    cursor = started_at
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        begins = cursor + draw(offsets)
        pauses.append(Pause(begins, begins + draw(offsets)))
        cursor = pauses[-1].ended_at or begins
    looked = cursor + draw(offsets)
    look_day = CALENDAR.next_workday(looked.date())
    if look_day != looked.date():
        # Dated on the next working day, by its first run.
        looked = datetime.combine(look_day, time(0, 1), TZ)
    limit = draw(limits)
    # Any day from the look on, most often one just around a point's date, where the
    # point changes (and the weekends and holidays right after it).
    clock = stage_clock(CALENDAR, started_at, limit, pauses, looked, TZ)
    dates = point_dates(CALENDAR, clock, look_day)
    anchors = [look_day, *(d for d in (dates.half_on, dates.before_on, dates.deadline_on) if d)]
    anchor = draw(st.sampled_from(anchors))
    step = draw(st.one_of(st.integers(-3, 5), st.integers(0, 60)))
    day = max(look_day, anchor + timedelta(days=step))
    return started_at, limit, pauses, looked, day


async def _store_as_the_sweep_does(
    db: Database, started_at: datetime, limit: int, pauses: list[Pause], looked: datetime
) -> None:
    look_day = looked.date()
    clock = stage_clock(CALENDAR, started_at, limit, pauses, looked, TZ)
    check_on = look_day if stage_point(clock, look_day) else None
    async with db.transaction() as conn:
        await run(conn, "DELETE FROM reminder_watch")
        await run(conn, "INSERT INTO reminder_watch (kind, subject_id) VALUES ('stage', 1)")
        await update_watches(
            conn,
            WatchKind.STAGE,
            [WatchUpdate(1, check_on, StageState.RUNNING, clock.due)],
        )
        await store_holdings(conn, [(1, Holding(1, DISTRICT, MANAGER, None, "plan", limit))])
        await store_points(conn, [(1, point_dates(CALENDAR, clock, look_day))], look_day)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(stages())
async def test_the_stored_dates_read_through_sql_give_the_process_rule(
    db: Database, stage: tuple[datetime, int, list[Pause], datetime, date]
) -> None:
    started_at, limit, pauses, looked, day = stage
    await _store_as_the_sweep_does(db, started_at, limit, pauses, looked)

    clock = stage_clock(
        CALENDAR, started_at, limit, pauses, datetime.combine(day, time(23, 59), TZ), TZ
    )
    expected = stage_point(clock, day)
    late_before = late_if_due_before(CALENDAR, day)
    async with db.snapshot() as conn:
        row = await fetch_one(
            conn,
            f"SELECT {point_at()} AS point, {mark_at(':today')} AS mark, due_on "
            "FROM reminder_watch",
            told_params(day, None, late_before),
        )
        assert row is not None
        assert row["point"] == (None if expected is None else expected.name)
        assert row["mark"] == (None if expected is None else expected.mark)
        # The due date /queue orders by and judges "overdue" with (flows.staff.queue).
        stored_due = optional_date_from_db(row["due_on"])
        assert stored_due == clock.due
        assert stored_due is not None and is_overdue(CALENDAR, stored_due, day) is clock.overdue

        groups = await told_groups(conn, day, None, whole_day=True, late_before=late_before)
        told = [] if expected is None else [ToldGroup("cm", MANAGER, {expected.name: 1})]
        assert groups == told

        assert await any_overdue(conn, late_before) is clock.overdue
        section = await district_section(
            conn, "overdue", today=day, per_district=5, late_before=late_before
        )
        assert section.total == int(clock.overdue)
