"""Statutory holidays computed from the law agree with the official calendar."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from process.holidays import statutory_holidays

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
