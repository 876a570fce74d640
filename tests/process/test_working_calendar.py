"""The working-day calendar: official data, the fallback beyond it, and admin overrides."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
import pytest

from benchmarks import bench_calendar
from benchmarks.common import Report
from process.calendar import WorkdayResult, WorkingCalendar, official_years

CALENDAR = WorkingCalendar()


def test_last_official_year_is_probed_from_the_data() -> None:
    assert CALENDAR.last_official_year == 2026
    assert official_years() == (2004, 2026)
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(CALENDAR.last_official_year + 1, 1, 4))


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2026, 2, 13), True),  # Friday before Spring Festival
        (date(2026, 2, 14), True),  # Saturday, make-up working day
        (date(2026, 2, 16), False),  # New Year's Eve, Monday
        (date(2026, 2, 23), False),  # last day of the break, Monday
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday, make-up working day
        (date(2026, 3, 1), False),  # ordinary Sunday
        (date(2026, 10, 1), False),
    ],
)
def test_official_years_follow_chinese_calendar(day: date, workday: bool) -> None:
    assert CALENDAR.is_workday(day) is workday
    assert CALENDAR.is_provisional(day) is False


def test_whole_official_years_agree_with_chinese_calendar() -> None:
    day = date(2024, 1, 1)
    while day.year <= 2026:
        assert CALENDAR.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_beyond_the_data_weekdays_minus_statutory_holidays_are_provisional() -> None:
    assert CALENDAR.is_workday(date(2027, 1, 1)) is False  # Friday, New Year's Day
    assert CALENDAR.is_workday(date(2027, 1, 4)) is True  # Monday
    assert CALENDAR.is_workday(date(2027, 1, 2)) is False  # Saturday
    assert CALENDAR.is_workday(date(2027, 6, 9)) is False  # Wednesday, Dragon Boat
    assert CALENDAR.is_provisional(date(2027, 1, 4)) is True
    assert CALENDAR.is_provisional(date(2026, 12, 31)) is False


def test_years_before_the_data_use_the_rule_without_being_provisional() -> None:
    assert CALENDAR.is_workday(date(2003, 10, 1)) is False
    assert CALENDAR.is_workday(date(2003, 10, 8)) is True
    assert CALENDAR.is_provisional(date(2003, 10, 8)) is False


def test_confirmed_years_are_no_longer_provisional() -> None:
    calendar = WorkingCalendar(confirmed_years=[2027])
    assert calendar.is_provisional(date(2027, 3, 1)) is False
    assert calendar.is_provisional(date(2028, 3, 1)) is True
    assert calendar.add_working_days(date(2027, 3, 1), 5).provisional is False


def test_admin_overrides_win_over_everything() -> None:
    sunday, tuesday = date(2026, 3, 1), date(2026, 3, 3)
    # (Tue 9 Feb 2027 is a substitute day by law: an ordinary Tuesday shows the override.)
    saturday_2027, tuesday_2027 = date(2027, 2, 20), date(2027, 2, 16)
    calendar = WorkingCalendar(
        extra_holidays=[tuesday, tuesday_2027, date(2027, 2, 8)],
        extra_workdays=[sunday, datetime(2027, 2, 20, 9, 0)],
    )
    assert calendar.is_workday(sunday) is True
    assert calendar.is_workday(tuesday) is False
    assert calendar.is_workday(saturday_2027) is True
    assert calendar.is_workday(tuesday_2027) is False
    # The plain calendar is untouched.
    assert CALENDAR.is_workday(sunday) is False
    assert CALENDAR.is_workday(tuesday) is True
    assert CALENDAR.is_workday(tuesday_2027) is True


def test_a_date_cannot_be_both_an_extra_holiday_and_an_extra_workday() -> None:
    with pytest.raises(ValueError, match="2026-03-01"):
        WorkingCalendar(extra_holidays=[date(2026, 3, 1)], extra_workdays=[date(2026, 3, 1)])


def test_add_working_days_friday_plus_one_is_monday() -> None:
    assert CALENDAR.add_working_days(date(2026, 3, 6), 1) == WorkdayResult(
        date(2026, 3, 9), provisional=False
    )


def test_add_zero_working_days_is_the_start_itself() -> None:
    sunday = date(2026, 3, 1)
    assert CALENDAR.add_working_days(sunday, 0) == WorkdayResult(sunday, False)
    assert CALENDAR.add_working_days(date(2027, 3, 7), 0) == WorkdayResult(date(2027, 3, 7), True)


def test_add_working_days_rejects_negative_counts() -> None:
    with pytest.raises(ValueError, match="negative"):
        CALENDAR.add_working_days(date(2026, 3, 6), -1)


def test_add_working_days_across_spring_festival_2026() -> None:
    # Fri 13 Feb: Sat 14 Feb is a make-up working day, then 15-23 Feb off.
    assert CALENDAR.add_working_days(date(2026, 2, 13), 1).day == date(2026, 2, 14)
    assert CALENDAR.add_working_days(date(2026, 2, 13), 2).day == date(2026, 2, 24)
    # 24-27 Feb, Sat 28 Feb (make-up), then Mon 2 Mar.
    assert CALENDAR.add_working_days(date(2026, 2, 14), 6).day == date(2026, 3, 2)


def test_add_working_days_into_an_unofficial_year_is_provisional_and_skips_new_year() -> None:
    result = CALENDAR.add_working_days(date(2026, 12, 30), 2)
    # Thu 31 Dec 2026, then Fri 1 Jan 2027 is New Year's Day, so Mon 4 Jan 2027.
    assert result == WorkdayResult(date(2027, 1, 4), provisional=True)


def test_add_working_days_spanning_several_years() -> None:
    start = date(2025, 6, 30)
    result = CALENDAR.add_working_days(start, 600)
    assert CALENDAR.working_days_between(start, result.day) == 600
    assert CALENDAR.is_workday(result.day)
    assert result.provisional is True


def test_working_days_between() -> None:
    assert CALENDAR.working_days_between(date(2026, 3, 6), date(2026, 3, 9)) == 1
    assert CALENDAR.working_days_between(date(2026, 3, 9), date(2026, 3, 9)) == 0
    assert CALENDAR.working_days_between(date(2026, 3, 9), date(2026, 3, 6)) == 0
    # Spring Festival week 2026: 14 Feb (Sat, make-up) only, between 13 and 23 Feb.
    assert CALENDAR.working_days_between(date(2026, 2, 13), date(2026, 2, 23)) == 1
    # Across the year end: 31 Dec 2026, then 4-8 Jan 2027.
    assert CALENDAR.working_days_between(date(2026, 12, 30), date(2027, 1, 8)) == 6


def test_working_days_between_matches_a_day_by_day_count_over_years() -> None:
    start, end = date(2025, 5, 17), date(2028, 2, 3)
    expected = sum(
        CALENDAR.is_workday(start + timedelta(days=k)) for k in range(1, (end - start).days + 1)
    )
    assert CALENDAR.working_days_between(start, end) == expected


def test_next_workday() -> None:
    assert CALENDAR.next_workday(date(2026, 3, 9)) == date(2026, 3, 9)
    assert CALENDAR.next_workday(date(2026, 3, 7)) == date(2026, 3, 9)
    assert CALENDAR.next_workday(date(2026, 2, 15)) == date(2026, 2, 24)
    assert CALENDAR.next_workday(date(2027, 1, 1)) == date(2027, 1, 4)


def test_beyond_the_data_holidays_on_a_weekend_are_made_up_on_working_days() -> None:
    # 2027: Spring Festival Fri 5 - Mon 8 Feb, Labour Day Sat 1 - Sun 2 May, National Day
    # Fri 1 - Sun 3 Oct: two days of each are lost to the weekend and made up right after.
    for made_up in ("02-09", "02-10", "05-03", "05-04", "10-04", "10-05"):
        assert CALENDAR.is_workday(date.fromisoformat(f"2027-{made_up}")) is False, made_up
    for back_at_work in ("02-11", "05-05", "10-06"):
        assert CALENDAR.is_workday(date.fromisoformat(f"2027-{back_at_work}")) is True


def test_a_provisional_deadline_across_labour_day_2027() -> None:
    # From Fri 30 Apr 2027: 1-2 May and their substitutes 3-4 May off, so Wed 5, Thu 6.
    assert CALENDAR.add_working_days(date(2027, 4, 30), 2) == WorkdayResult(
        date(2027, 5, 6), provisional=True
    )


def test_the_calendar_benchmark_runs() -> None:
    """Timings belong in ``make bench`` (benchmarks/bench_calendar.py); this only checks
    that the benchmark runs through and reports its three measurements."""
    report = Report()
    bench_calendar.describe(report, bench_calendar.smoke())
    [section] = report.sections
    assert section.title == "Working-day calendar"
    assert "is_workday" in section.markdown() and "stage_clock" in section.markdown()
