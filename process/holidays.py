"""Statutory public holidays of mainland China, computed for any year.

The official working-day calendar (with its make-up working days, 调休) is published by the
State Council one year at a time, so it runs out. Beyond the published data we still owe
customers a deadline, so we fall back to the holidays fixed by law in
《全国年节及纪念日放假办法》 as amended in 2024 (in force from 2025):

* New Year's Day: 1 January;
* Spring Festival: lunar New Year's Eve (the last day of the 12th lunar month, which may be
  the 29th) and lunar 1-1, 1-2 and 1-3;
* Qingming: the day of the 清明 solar term;
* Labour Day: 1 and 2 May;
* Dragon Boat Festival: lunar 5-5;
* Mid-Autumn Festival: lunar 8-15;
* National Day: 1, 2 and 3 October.

The 2024 rule is applied to every year asked for; earlier years had one Labour day and no
New Year's Eve, which only matters for history the official data already covers. Make-up
working days and bridged days cannot be derived from the law, which is why days computed
here are marked provisional by :mod:`process.calendar`.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from lunar_python import Lunar, Solar

_ONE_DAY = timedelta(days=1)


def _as_date(solar: Solar) -> date:
    return date(int(solar.getYear()), int(solar.getMonth()), int(solar.getDay()))


def _lunar_to_date(lunar_year: int, lunar_month: int, lunar_day: int) -> date:
    return _as_date(Lunar.fromYmd(lunar_year, lunar_month, lunar_day).getSolar())


def _qingming(year: int) -> date:
    # Mid-year every solar term table belongs to the lunar year that shares the number.
    table = Solar.fromYmd(year, 6, 1).getLunar().getJieQiTable()
    return _as_date(table["清明"])


@cache
def statutory_holidays(year: int) -> frozenset[date]:
    """Every day of ``year`` that the law makes a public holiday.

    Lunar New Year always falls between 21 January and 20 February, so the festivals of
    lunar year ``year`` (and its New Year's Eve) all land in Gregorian year ``year``.
    """
    new_year = _lunar_to_date(year, 1, 1)
    spring_festival = [new_year - _ONE_DAY, new_year, new_year + _ONE_DAY, new_year + 2 * _ONE_DAY]
    days = {
        date(year, 1, 1),
        *spring_festival,
        _qingming(year),
        date(year, 5, 1),
        date(year, 5, 2),
        _lunar_to_date(year, 5, 5),
        _lunar_to_date(year, 8, 15),
        date(year, 10, 1),
        date(year, 10, 2),
        date(year, 10, 3),
    }
    return frozenset(day for day in days if day.year == year)
