"""Properties of working-day arithmetic and paused deadlines, checked with hypothesis.

Dates run from 2020 into 2030 so that both official and provisional years are exercised,
and every deadline is also compared with a plain day-by-day count of the rule: a working
day counts when the clock is already running as it begins.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from process.calendar import WorkingCalendar
from process.deadlines import (
    Pause,
    due_date,
    is_overdue,
    late_if_due_before,
    stage_clock,
    used_working_days,
)

TZ = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkingCalendar()
ONE_DAY = timedelta(days=1)

days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 6, 30))
counts = st.integers(min_value=0, max_value=60)
moments = st.datetimes(
    min_value=datetime(2025, 10, 1), max_value=datetime(2027, 3, 1), timezones=st.just(TZ)
)


@st.composite
def closed_pauses(draw: st.DrawFn) -> Pause:
    started = draw(moments)
    length = draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)))
    return Pause(started, started + length)


pause_lists = st.lists(closed_pauses(), max_size=4)


def covered(day: date, pauses: list[Pause]) -> bool:
    """Whether the clock is paused as ``day`` begins."""
    begins = datetime.combine(day, datetime.min.time(), TZ)
    for pause in pauses:
        if pause.started_at < begins and (pause.ended_at is None or begins <= pause.ended_at):
            return True
    return False


def counted_by_hand(start_day: date, end_day: date, pauses: list[Pause]) -> int:
    count, day = 0, start_day + ONE_DAY
    while day <= end_day:
        count += CALENDAR.is_workday(day) and not covered(day, pauses)
        day += ONE_DAY
    return count


def due_by_hand(start_day: date, limit: int, pauses: list[Pause]) -> date:
    """The last working day before the day that would be counted as day ``limit + 1``."""
    day, count = start_day, 0
    while count < limit + 1:
        day += ONE_DAY
        count += CALENDAR.is_workday(day) and not covered(day, pauses)
    day -= ONE_DAY
    while not CALENDAR.is_workday(day):
        day -= ONE_DAY
    return day


def overdue_by_hand(due: date, today: date) -> bool:
    """A working day after the due date has begun."""
    return any(CALENDAR.is_workday(due + ONE_DAY * k) for k in range(1, (today - due).days + 1))


@given(days, st.integers(min_value=1, max_value=60))
def test_adding_working_days_lands_on_a_working_day(start: date, n: int) -> None:
    result = CALENDAR.add_working_days(start, n)
    assert result.day > start
    assert CALENDAR.is_workday(result.day)
    assert CALENDAR.working_days_between(start, result.day) == n
    assert result.provisional == (result.day.year > CALENDAR.last_official_year)


@given(days, counts, counts)
def test_adding_working_days_is_monotonic_in_n(start: date, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert CALENDAR.add_working_days(start, low).day <= CALENDAR.add_working_days(start, high).day


@given(days, days, counts)
def test_adding_working_days_is_monotonic_in_start(a: date, b: date, n: int) -> None:
    early, late = sorted((a, b))
    assert CALENDAR.add_working_days(early, n).day <= CALENDAR.add_working_days(late, n).day


@given(days)
def test_next_workday_is_the_first_working_day_on_or_after(day: date) -> None:
    found = CALENDAR.next_workday(day)
    assert found >= day
    assert CALENDAR.is_workday(found)
    assert CALENDAR.working_days_between(day - ONE_DAY, found - ONE_DAY) == 0


@given(days)
def test_last_workday_through_is_the_last_working_day_on_or_before(day: date) -> None:
    found = CALENDAR.last_workday_through(day)
    assert found <= day
    assert CALENDAR.is_workday(found)
    assert CALENDAR.working_days_between(found, day) == 0


@given(moments, counts, pause_lists)
def test_deadline_matches_the_rule_and_is_never_before_the_start(
    started_at: datetime, limit: int, pauses: list[Pause]
) -> None:
    result = due_date(CALENDAR, started_at, limit, pauses, TZ)
    assert result is not None
    start_day = started_at.date()
    assert result.day == due_by_hand(start_day, limit, pauses)
    assert CALENDAR.is_workday(result.day)
    if limit > 0:
        assert result.day > start_day


@given(moments, counts, pause_lists, closed_pauses())
def test_adding_a_pause_never_makes_a_deadline_earlier(
    started_at: datetime, limit: int, pauses: list[Pause], extra: Pause
) -> None:
    before = due_date(CALENDAR, started_at, limit, pauses, TZ)
    after = due_date(CALENDAR, started_at, limit, [*pauses, extra], TZ)
    assert before is not None and after is not None
    assert after.day >= before.day


@given(
    moments,
    counts,
    pause_lists,
    st.booleans(),
    moments,
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=90)),
)
def test_used_days_never_decrease_as_time_passes(
    started_at: datetime,
    limit: int,
    pauses: list[Pause],
    open_pause: bool,
    now: datetime,
    step: timedelta,
) -> None:
    if open_pause:
        pauses = [*pauses, Pause(now - timedelta(days=3))]
    earlier = stage_clock(CALENDAR, started_at, limit, pauses, now, TZ)
    later = stage_clock(CALENDAR, started_at, limit, pauses, now + step, TZ)
    assert later.used_days >= earlier.used_days
    assert earlier.used_days == counted_by_hand(started_at.date(), now.date(), pauses)
    assert earlier.remaining_days == limit - earlier.used_days
    assert earlier.paused is open_pause
    assert earlier.overdue is (earlier.due is not None and overdue_by_hand(earlier.due, now.date()))
    # Overdue is "more days used than the limit", whatever the pauses did.
    assert earlier.overdue is (not earlier.paused and earlier.used_days > limit)
    if earlier.due is not None:
        since_due = sum(
            CALENDAR.is_workday(earlier.due + ONE_DAY * k)
            for k in range(1, (now.date() - earlier.due).days + 1)
        )
        assert earlier.days_over == since_due


@given(
    moments,
    counts,
    pause_lists,
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60)),
)
def test_the_clock_never_goes_back_when_it_stops_and_statistics_agree_with_the_card(
    started_at: datetime, limit: int, pauses: list[Pause], elapsed: timedelta
) -> None:
    """Pausing the clock, or ending the stage, at ``now`` keeps every day counted so far;
    a finished stage's count (the statistics) is the card's count at its end."""
    now = started_at + elapsed
    closed = [p for p in pauses if p.ended_at is not None and p.ended_at <= now]
    running = stage_clock(CALENDAR, started_at, limit, closed, now, TZ)
    stopped = stage_clock(CALENDAR, started_at, limit, [*closed, Pause(now)], now, TZ)
    assert stopped.used_days == running.used_days
    assert used_working_days(CALENDAR, started_at, now, closed, TZ) == running.used_days
    later = now + timedelta(days=3)
    assert used_working_days(CALENDAR, started_at, later, [*closed, Pause(now, later)], TZ) == (
        running.used_days
    )


@given(days, days)
def test_overdue_is_one_comparison_with_the_last_working_day(due: date, today: date) -> None:
    """The comparison the SQL makes (``due < late_if_due_before``) is the definition."""
    if not CALENDAR.is_workday(due):
        due = CALENDAR.next_workday(due)
    assert is_overdue(CALENDAR, due, today) is overdue_by_hand(due, today)
    assert (due < late_if_due_before(CALENDAR, today)) is overdue_by_hand(due, today)


@given(moments, moments, pause_lists)
def test_utility_working_days_match_a_day_by_day_count(
    started_at: datetime, ended_at: datetime, pauses: list[Pause]
) -> None:
    expected = counted_by_hand(started_at.date(), ended_at.date(), pauses)
    assert used_working_days(CALENDAR, started_at, ended_at, pauses, TZ) == expected
