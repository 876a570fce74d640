"""Periods as supervisors type them: a month, a year, a range, or nothing for this year."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from process.metrics_period import Period, PeriodError, parse_period

TODAY = date(2026, 11, 27)
TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "first", "last", "label"),
    [
        ("", date(2026, 1, 1), date(2026, 12, 31), "2026"),
        (None, date(2026, 1, 1), date(2026, 12, 31), "2026"),
        ("2025", date(2025, 1, 1), date(2025, 12, 31), "2025"),
        ("2026-11", date(2026, 11, 1), date(2026, 11, 30), "2026-11"),
        ("2024-2", date(2024, 2, 1), date(2024, 2, 29), "2024-02"),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31), "2026-12"),
        ("2026-10-01..2026-11-30", date(2026, 10, 1), date(2026, 11, 30), "2026-10-01..2026-11-30"),
        ("２０２６－１１", date(2026, 11, 1), date(2026, 11, 30), "2026-11"),  # full width
        (
            "2026-10-01 至 2026-10-07",
            date(2026, 10, 1),
            date(2026, 10, 7),
            "2026-10-01..2026-10-07",
        ),
        ("2026-03-01~2026-03-31", date(2026, 3, 1), date(2026, 3, 31), "2026-03"),
        ("  2026-01-01..2026-12-31 ", date(2026, 1, 1), date(2026, 12, 31), "2026"),
    ],
)
def test_periods_people_type(text: str | None, first: date, last: date, label: str) -> None:
    period = parse_period(text, today=TODAY)
    assert (period.first, period.last, period.label) == (first, last, label)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("november", "format"),
        ("2026-13", "format"),
        ("2026-00", "format"),
        ("26-11", "format"),
        ("1999", "format"),
        ("2026-02-30..2026-03-01", "format"),
        ("2026-11-01..", "format"),
        ("2026-11-30..2026-11-01", "order"),
        ("2000-01-01..2026-01-01", "too_long"),
    ],
)
def test_text_that_names_no_period_says_why(text: str, code: str) -> None:
    with pytest.raises(PeriodError) as raised:
        parse_period(text, today=TODAY)
    assert raised.value.code == code


def test_bounds_are_local_midnights() -> None:
    start, end = Period(date(2026, 11, 1), date(2026, 11, 30)).bounds(TZ)
    assert start == datetime(2026, 11, 1, tzinfo=TZ)
    assert end == datetime(2026, 12, 1, tzinfo=TZ)
    assert Period(date(2026, 11, 1), date(2026, 11, 30)).contains(date(2026, 11, 30))
    assert not Period(date(2026, 11, 1), date(2026, 11, 30)).contains(date(2026, 12, 1))
