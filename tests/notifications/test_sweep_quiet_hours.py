"""When customers may be written to: working days, outside the quiet hours."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from notifications.quiet_hours import (
    QuietHours,
    StaffHours,
    customer_send_at,
    delivery_day,
    previous_workday,
    staff_day_over,
    staff_send_at,
)
from process.calendar import WorkingCalendar
from tests.notifications.sweep_rig import SHANGHAI, at

CALENDAR = WorkingCalendar()
NIGHT = QuietHours(time(21, 0), time(8, 0))


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(2026, 12, 1, 10, 0), None),  # a Tuesday morning: at once
        (at(2026, 12, 1, 20, 59), None),
        (at(2026, 12, 1, 21, 0), at(2026, 12, 2, 8, 0)),  # quiet from 21:00
        (at(2026, 12, 2, 7, 59), at(2026, 12, 2, 8, 0)),  # until 08:00
        (at(2026, 12, 4, 22, 0), at(2026, 12, 7, 8, 0)),  # Friday night: Monday
        (at(2026, 12, 5, 12, 0), at(2026, 12, 7, 8, 0)),  # Saturday noon: Monday
        (at(2026, 2, 15, 10, 0), at(2026, 2, 24, 8, 0)),  # Spring Festival: after it
        (at(2026, 2, 13, 23, 0), at(2026, 2, 14, 8, 0)),  # a make-up Saturday is worked
        (at(2026, 12, 31, 22, 0), at(2027, 1, 4, 8, 0)),  # New Year, then a weekend
    ],
)
def test_customers_are_written_to_in_working_hours(moment, expected) -> None:  # type: ignore[no-untyped-def]
    assert customer_send_at(moment, CALENDAR, NIGHT, SHANGHAI) == expected
    assert delivery_day(moment, CALENDAR, NIGHT, SHANGHAI) == (expected or moment).date()


def test_quiet_hours_within_one_day_and_none_at_all() -> None:
    lunch = QuietHours(time(12, 0), time(14, 0))
    assert lunch.covers(time(12, 30)) and not lunch.covers(time(14, 0))
    assert not lunch.covers(time(23, 0))
    assert customer_send_at(at(2026, 12, 1, 13, 0), CALENDAR, lunch, SHANGHAI) == at(
        2026, 12, 1, 14, 0
    )
    never = QuietHours(time(8, 0), time(8, 0))
    assert not never.covers(time(3, 0))
    assert customer_send_at(at(2026, 12, 1, 3, 0), CALENDAR, never, SHANGHAI) is None


def test_the_previous_working_day_skips_weekends_and_holidays() -> None:
    assert previous_workday(CALENDAR, date(2026, 12, 7)) == date(2026, 12, 4)
    assert previous_workday(CALENDAR, date(2026, 2, 24)) == date(2026, 2, 14)
    # A misconfigured calendar without a working day in a year is refused, not looped on.
    nothing = WorkingCalendar(
        extra_holidays=[date(2030, 1, 1) + timedelta(days=n) for n in range(400)]
    )
    with pytest.raises(ValueError, match="no working day"):
        previous_workday(nothing, date(2031, 1, 31))


STAFF = StaffHours(time(8, 0), time(18, 0))


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(2026, 12, 1, 10, 0), None),  # a Tuesday morning: at once
        (at(2026, 12, 1, 8, 0), None),
        (at(2026, 12, 1, 0, 0), at(2026, 12, 1, 8, 0)),  # midnight: that morning
        (at(2026, 12, 1, 18, 0), at(2026, 12, 2, 8, 0)),  # the hours end at 18:00
        (at(2026, 12, 4, 22, 0), at(2026, 12, 7, 8, 0)),  # Friday night: Monday
        (at(2026, 12, 5, 12, 0), at(2026, 12, 7, 8, 0)),  # Saturday noon: Monday
        (at(2026, 2, 14, 10, 0), None),  # a make-up Saturday is worked
        (at(2026, 2, 15, 10, 0), at(2026, 2, 24, 8, 0)),  # Spring Festival: after it
    ],
)
def test_staff_are_written_to_in_their_hours(moment, expected) -> None:  # type: ignore[no-untyped-def]
    assert staff_send_at(moment, CALENDAR, STAFF, SHANGHAI) == expected


def test_staff_hours_are_one_span_of_a_day() -> None:
    assert staff_day_over(at(2026, 12, 1, 18, 0), STAFF, SHANGHAI)
    assert not staff_day_over(at(2026, 12, 1, 17, 59), STAFF, SHANGHAI)
    with pytest.raises(ValueError, match="staff hours"):
        StaffHours(time(18, 0), time(8, 0))
