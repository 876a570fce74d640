"""Statutory holidays computed from the law agree with the official calendar."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from process.holidays import make_up_days, statutory_holidays, substitute_days

ONE_DAY = timedelta(days=1)


def _days_added_by_2024_amendment(year: int) -> set[date]:
    """From 2014 to 2024 the law gave lunar 1-1..1-3 and 1 May only; the 2024 amendment
    added New Year's Eve (the first day of the four-day Spring Festival run) and 2 May."""
    days = statutory_holidays(year)
    eve = next(day for day in sorted(days) if {day + ONE_DAY * k for k in (1, 2, 3)} <= days)
    return {eve, date(year, 5, 2)}


@pytest.mark.parametrize("year", range(2014, 2025))
def test_old_rule_days_are_official_holidays(year: int) -> None:
    days = statutory_holidays(year) - _days_added_by_2024_amendment(year)
    # 11 days, or 10 when Mid-Autumn falls on National Day (2020).
    assert len(days) in (10, 11)
    for day in days:
        assert not chinese_calendar.is_workday(day), day


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_statutory_day_is_an_official_holiday_under_the_2024_rule(year: int) -> None:
    days = statutory_holidays(year)
    assert len(days) == 13
    for day in days:
        assert not chinese_calendar.is_workday(day), day


def test_2027_by_hand() -> None:
    assert statutory_holidays(2027) == {
        date(2027, 1, 1),
        date(2027, 2, 5),  # lunar New Year's Eve (腊月廿九 this year)
        date(2027, 2, 6),
        date(2027, 2, 7),
        date(2027, 2, 8),
        date(2027, 4, 5),  # Qingming
        date(2027, 5, 1),
        date(2027, 5, 2),
        date(2027, 6, 9),  # Dragon Boat
        date(2027, 9, 15),  # Mid-Autumn
        date(2027, 10, 1),
        date(2027, 10, 2),
        date(2027, 10, 3),
    }


def test_mid_autumn_and_national_day_can_coincide() -> None:
    # 2028: lunar 8-15 is 3 October, so the set has one day fewer.
    days = statutory_holidays(2028)
    assert date(2028, 10, 3) in days
    assert len(days) == 12


def test_new_years_eve_on_the_30th_of_the_12th_month() -> None:
    # Lunar New Year 2028 is 26 January; the 12th month of 2027 has 30 days.
    assert date(2028, 1, 25) in statutory_holidays(2028)


# Worked out by hand from the festival dates (weekday in brackets): each holiday on a
# Saturday or Sunday is made up on the first weekday after it that is not already off, so a
# run of holidays is extended right after its end.
SUBSTITUTES_BY_HAND = {
    # Spring Festival Fri 5 - Mon 8 Feb (Sat 6, Sun 7 lost); Labour Day Sat 1 - Sun 2 May;
    # National Day Fri 1 - Sun 3 Oct (Sat 2, Sun 3 lost).
    2027: {
        date(2027, 2, 9),
        date(2027, 2, 10),
        date(2027, 5, 3),
        date(2027, 5, 4),
        date(2027, 10, 4),
        date(2027, 10, 5),
    },
    # New Year's Day on Sat 1 Jan; Dragon Boat Sun 28 May; National Day Sun 1 - Tue 3 Oct,
    # with Mid-Autumn on Tue 3 Oct as well: two days lost, made up Wed 4 and Thu 5.
    2028: {date(2028, 1, 3), date(2028, 5, 29), date(2028, 10, 4), date(2028, 10, 5)},
    # Dragon Boat Sat 16 Jun; Mid-Autumn Sat 22 Sep.
    2029: {date(2029, 6, 18), date(2029, 9, 24)},
    # Spring Festival Sat 2 - Tue 5 Feb (Sat 2, Sun 3 lost).
    2030: {date(2030, 2, 6), date(2030, 2, 7)},
}


@pytest.mark.parametrize("year", sorted(SUBSTITUTES_BY_HAND))
def test_substitute_days_2027_to_2030_by_hand(year: int) -> None:
    assert substitute_days(year) == SUBSTITUTES_BY_HAND[year]
    for day in SUBSTITUTES_BY_HAND[year]:
        assert day.weekday() < 5 and day not in statutory_holidays(year)


def _festival_days_of_the_time(year: int) -> list[date]:
    """Each festival's days under the law in force that year, a shared day listed twice."""
    days = sorted(statutory_holidays(year))
    if year < 2025:
        days = sorted(set(days) - _days_added_by_2024_amendment(year))
    mid_autumn_on_national_day = {2020: date(2020, 10, 1), 2028: date(2028, 10, 3)}
    shared = mid_autumn_on_national_day.get(year)
    return days if shared is None else [*days, shared]


# Years whose notice made up a day elsewhere than right after the festival: Mid-Autumn on
# Sun 27 Sep 2015 was given inside the National Day week instead of on Mon 28 Sep.
ELSEWHERE = {date(2015, 9, 28)}


@pytest.mark.parametrize("year", range(2014, 2027))
def test_the_state_council_gave_every_substitute_day_the_rule_gives(year: int) -> None:
    """The rule against the real notices: 2025 and 2026 under the 2024 law, 2014-2024 under
    the law of the time (one Labour day, no New Year's Eve). The notices give more days
    (bridges, worked weekends), never fewer."""
    for day in make_up_days(_festival_days_of_the_time(year)) - ELSEWHERE:
        assert not chinese_calendar.is_workday(day), day


def test_2025_and_2026_substitutes_as_the_notices_gave_them() -> None:
    assert substitute_days(2025) == {date(2025, 6, 2)}  # Dragon Boat on Sat 31 May
    # Qingming Sun 5 Apr, Labour Day Fri 1 - Sat 2 May, National Day Thu 1 - Sat 3 Oct.
    assert substitute_days(2026) == {date(2026, 4, 6), date(2026, 5, 4), date(2026, 10, 5)}
    assert make_up_days([date(2020, 10, 1), *sorted(statutory_holidays(2020))]) >= {
        date(2020, 10, 5),
        date(2020, 10, 6),
    }
