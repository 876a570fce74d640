"""Stage deadlines and clocks, with the clock paused while the customer acts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from process.calendar import WorkdayResult, WorkingCalendar
from process.deadlines import (
    Pause,
    StageClock,
    due_date,
    is_overdue,
    late_if_due_before,
    plan_due_on_submit,
    stage_clock,
    used_working_days,
)
from process.limits import TimeLimits
from process.stages import SupplyMode

TZ = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkingCalendar()


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=TZ)


def due(started_at: datetime, limit: int, pauses: list[Pause]) -> date | None:
    result = due_date(CALENDAR, started_at, limit, pauses, TZ)
    return None if result is None else result.day


# Monday 2 March 2026 is an ordinary week; the next one is ordinary too.
MONDAY = at(2026, 3, 2)


def test_friday_submission_with_limit_one_is_due_monday() -> None:
    assert due(at(2026, 3, 6, 16), 1, []) == date(2026, 3, 9)


def test_limit_zero_is_due_on_the_start_date() -> None:
    assert due(MONDAY, 0, []) == date(2026, 3, 2)


def test_no_pauses() -> None:
    assert due(MONDAY, 5, []) == date(2026, 3, 9)


def test_deadline_across_spring_festival_2026() -> None:
    # Thu 12 Feb: Fri 13, Sat 14 (make-up working day), then 15-23 Feb off, Tue 24 Feb.
    assert due(at(2026, 2, 12), 3, []) == date(2026, 2, 24)
    # ... and the make-up Saturday 28 Feb counts too.
    assert due(at(2026, 2, 12), 7, []) == date(2026, 2, 28)


def test_a_pause_moves_the_deadline_by_the_working_days_it_covers() -> None:
    pause = Pause(at(2026, 3, 4), at(2026, 3, 6, 9))  # covers Wed 4 and Thu 5
    assert due(MONDAY, 5, [pause]) == date(2026, 3, 11)


def test_a_pause_ending_the_day_it_started_covers_nothing() -> None:
    assert due(MONDAY, 5, [Pause(at(2026, 3, 4, 10), at(2026, 3, 4, 15))]) == date(2026, 3, 9)


def test_overlapping_pauses_cover_their_union_once() -> None:
    pauses = [Pause(at(2026, 3, 5), at(2026, 3, 10)), Pause(at(2026, 3, 4), at(2026, 3, 6))]
    # Covered 4, 5, 6, 9 March; counted 3, 10, 11, 12, 13.
    assert due(MONDAY, 5, pauses) == date(2026, 3, 13)


def test_nested_and_adjacent_pauses() -> None:
    pauses = [
        Pause(at(2026, 3, 3), at(2026, 3, 9)),
        Pause(at(2026, 3, 4), at(2026, 3, 5)),  # inside the first
        Pause(at(2026, 3, 9), at(2026, 3, 10)),  # starts the day the first ends
    ]
    # Covered 3..9 March; counted 10, 11, 12, 13, 16.
    assert due(MONDAY, 5, pauses) == date(2026, 3, 16)


def test_a_pause_before_the_start_only_covers_the_days_after_it() -> None:
    pauses = [Pause(at(2026, 2, 25), at(2026, 3, 4)), Pause(at(2026, 2, 2), at(2026, 2, 5))]
    # Tue 3 and Wed 4 March begin paused (the clock resumes on the 4th, which does not
    # count); counted 5, 6, 9, 10, 11.
    assert due(MONDAY, 5, pauses) == date(2026, 3, 11)


def test_a_pause_after_the_deadline_changes_nothing() -> None:
    assert due(MONDAY, 2, [Pause(at(2026, 3, 10), at(2026, 3, 12))]) == date(2026, 3, 4)


def test_an_open_pause_has_no_deadline() -> None:
    assert due(MONDAY, 5, [Pause(at(2026, 3, 4))]) is None


def test_submission_on_2026_12_20_gets_a_provisional_2027_deadline_skipping_new_year() -> None:
    result = plan_due_on_submit(
        CALENDAR, at(2026, 12, 20), TimeLimits.default(), SupplyMode.SINGLE, TZ
    )
    # 11 working days: 21-25 and 28-31 Dec (9), 1 Jan 2027 off, then 4 and 5 Jan.
    assert result == WorkdayResult(date(2027, 1, 5), provisional=True)


def test_plan_due_on_submit_uses_the_supply_mode() -> None:
    single = plan_due_on_submit(CALENDAR, MONDAY, TimeLimits.default(), SupplyMode.SINGLE, TZ)
    dual = plan_due_on_submit(CALENDAR, MONDAY, TimeLimits.default(), SupplyMode.DUAL, TZ)
    assert single == WorkdayResult(date(2026, 3, 17), provisional=False)
    assert dual == WorkdayResult(date(2026, 3, 31), provisional=False)


def test_admin_extra_holidays_and_workdays_change_the_deadline() -> None:
    with_holiday = WorkingCalendar(extra_holidays=[date(2026, 3, 4)])
    with_saturday = WorkingCalendar(extra_workdays=[date(2026, 3, 7)])
    assert due_date(with_holiday, MONDAY, 5, [], TZ) == WorkdayResult(date(2026, 3, 10), False)
    assert due_date(with_saturday, MONDAY, 5, [], TZ) == WorkdayResult(date(2026, 3, 7), False)


def test_dates_are_taken_in_the_given_time_zone() -> None:
    # 17:00 UTC on Thursday is 01:00 on Friday in Shanghai.
    started = datetime(2026, 3, 5, 17, 0, tzinfo=UTC)
    assert due(started, 1, []) == date(2026, 3, 9)
    assert due_date(CALENDAR, started, 1, [], UTC) == WorkdayResult(date(2026, 3, 6), False)


def test_naive_datetimes_are_read_as_wall_time_in_the_zone() -> None:
    assert due(datetime(2026, 3, 6, 23, 59), 1, []) == date(2026, 3, 9)


def test_negative_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        due_date(CALENDAR, MONDAY, -1, [], TZ)
    with pytest.raises(ValueError, match="negative"):
        stage_clock(CALENDAR, MONDAY, -1, [], MONDAY, TZ)


def test_stage_clock_on_the_first_day() -> None:
    assert stage_clock(CALENDAR, MONDAY, 5, [], at(2026, 3, 2, 18), TZ) == StageClock(
        limit_days=5,
        used_days=0,
        due=date(2026, 3, 9),
        remaining_days=5,
        paused=False,
        provisional=False,
        overdue=False,
    )


def test_stage_clock_counts_today_and_turns_overdue_the_day_after_the_deadline() -> None:
    on_due_day = stage_clock(CALENDAR, MONDAY, 5, [], at(2026, 3, 9, 8), TZ)
    assert (on_due_day.used_days, on_due_day.remaining_days, on_due_day.overdue) == (5, 0, False)
    later = stage_clock(CALENDAR, MONDAY, 5, [], at(2026, 3, 12), TZ)
    assert (later.used_days, later.remaining_days, later.overdue) == (8, -3, True)


def test_stage_clock_while_paused() -> None:
    pauses = [Pause(at(2026, 3, 4))]
    clock = stage_clock(CALENDAR, MONDAY, 5, pauses, at(2026, 3, 12), TZ)
    assert clock == StageClock(
        limit_days=5,
        used_days=2,  # Tue 3 March, and Wed 4: the clock ran as it began
        due=None,
        remaining_days=3,
        paused=True,
        provisional=False,
        overdue=False,
    )


def test_stage_clock_after_a_pause_ends_today_counts_today() -> None:
    pauses = [Pause(at(2026, 3, 4), at(2026, 3, 6, 9))]
    clock = stage_clock(CALENDAR, MONDAY, 5, pauses, at(2026, 3, 6, 12), TZ)
    assert (clock.used_days, clock.due, clock.paused) == (2, date(2026, 3, 11), False)


def test_stage_clock_reaching_into_2027_is_provisional() -> None:
    clock = stage_clock(CALENDAR, at(2026, 12, 28), 5, [], at(2026, 12, 29), TZ)
    assert clock.due == date(2027, 1, 5)
    assert clock.provisional is True
    confirmed = WorkingCalendar(confirmed_years=[2027])
    assert (
        stage_clock(confirmed, at(2026, 12, 28), 5, [], at(2026, 12, 29), TZ).provisional is False
    )


def test_stage_clock_paused_in_2027_is_provisional_by_its_counted_days() -> None:
    # Counted: 29, 30, 31 Dec and 4, 5, 6 Jan; paused during Wed 6 Jan.
    clock = stage_clock(CALENDAR, at(2026, 12, 28), 20, [Pause(at(2027, 1, 6))], at(2027, 1, 8), TZ)
    assert (clock.paused, clock.due, clock.used_days, clock.provisional) == (True, None, 6, True)


def test_used_working_days_for_metrics() -> None:
    pauses = [Pause(at(2026, 3, 4), at(2026, 3, 6))]
    assert used_working_days(CALENDAR, MONDAY, at(2026, 3, 13), pauses, TZ) == 7
    assert used_working_days(CALENDAR, MONDAY, at(2026, 3, 13), [], TZ) == 9
    # Paused during Thu 12 March: the 12th was counted as it began, the 13th is not.
    assert used_working_days(CALENDAR, MONDAY, at(2026, 3, 13), [Pause(at(2026, 3, 12))], TZ) == 8
    assert used_working_days(CALENDAR, MONDAY, MONDAY, [], TZ) == 0


def test_the_day_the_clock_resumes_does_not_count() -> None:
    # Design review: the stage starts paused (the customer designs) and the design comes on
    # Thu 30 Apr 2026. 1-5 May are the Labour Day break, Sat 9 May a make-up working day.
    started = at(2026, 4, 27)
    pauses = [Pause(started, at(2026, 4, 30, 15))]
    on_the_day = stage_clock(CALENDAR, started, 5, pauses, at(2026, 4, 30, 16), TZ)
    assert (on_the_day.used_days, on_the_day.due) == (0, date(2026, 5, 11))
    assert stage_clock(CALENDAR, started, 5, pauses, at(2026, 5, 9), TZ).used_days == 4


def test_the_day_the_clock_stops_stays_counted() -> None:
    # Six days used by Tue 10 March; paused at 17:00 that day, the count stays six.
    before = stage_clock(CALENDAR, MONDAY, 5, [], at(2026, 3, 10, 16), TZ)
    after = stage_clock(CALENDAR, MONDAY, 5, [Pause(at(2026, 3, 10, 17))], at(2026, 3, 10, 18), TZ)
    assert (before.used_days, before.overdue) == (6, True)
    assert (after.used_days, after.paused, after.overdue) == (6, True, False)
    # Ended the next day while still paused: the statistics count the same six.
    assert (
        used_working_days(CALENDAR, MONDAY, at(2026, 3, 11), [Pause(at(2026, 3, 10, 17))], TZ) == 6
    )


def test_a_stage_resumed_with_its_whole_limit_used_is_due_the_day_it_resumes() -> None:
    # Limit 1: Tue 3 March used, paused that day, resumed Thu 5: due Thu 5, late from Fri 6.
    pauses = [Pause(at(2026, 3, 3, 11), at(2026, 3, 5, 15))]
    clock = stage_clock(CALENDAR, MONDAY, 1, pauses, at(2026, 3, 5, 16), TZ)
    assert (clock.used_days, clock.due, clock.overdue) == (1, date(2026, 3, 5), False)
    friday = stage_clock(CALENDAR, MONDAY, 1, pauses, at(2026, 3, 6, 9), TZ)
    assert (friday.used_days, friday.overdue, friday.days_over) == (2, True, 1)


def test_overdue_from_the_first_working_day_after_the_due_date() -> None:
    # Due Fri 6 March: not late on the weekend, late on Monday by one working day.
    friday_start = at(2026, 3, 5)
    for day, late, over in ((6, False, 0), (7, False, 0), (8, False, 0), (9, True, 1)):
        clock = stage_clock(CALENDAR, friday_start, 1, [], at(2026, 3, day), TZ)
        assert (clock.due, clock.overdue, clock.days_over) == (date(2026, 3, 6), late, over)
    assert is_overdue(CALENDAR, date(2026, 2, 13), date(2026, 2, 14)) is True  # make-up Sat
    assert is_overdue(CALENDAR, date(2026, 2, 14), date(2026, 2, 23)) is False  # festival
    assert late_if_due_before(CALENDAR, date(2026, 2, 23)) == date(2026, 2, 14)
