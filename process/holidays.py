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
New Year's Eve, which only matters for history the official data already covers.

Art. 6 of the same law: a holiday of all citizens that falls on a Saturday or Sunday is made
up on a working day (补假). :func:`substitute_days` applies it: each such day is made up on
the first weekday after it that is neither a holiday nor already a substitute, so a
consecutive run (Spring Festival, National Day) is extended by the weekend days inside it,
right after its end: 2027's Spring Festival (Fri 5 - Mon 8 February) is made up on Tue 9 and
Wed 10, its Labour Day (Sat 1 - Sun 2 May) on Mon 3 and Tue 4. A festival that falls on
another's holiday (Mid-Autumn on 1-3 October, as in 2020 and 2028) is made up the same way,
as the State Council did in 2020. The real notices of 2025 and 2026, and of 2014-2024 under
the law of the time, gave every day this rule gives (a test checks it against the official
data). What the rule cannot say is how the State Council's notice arranges the rest (调休:
bridged days and the weekend days worked for them), which is why days computed here are
marked provisional by :mod:`process.calendar`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache
from itertools import pairwise

from lunar_python import Lunar, Solar

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5


def _as_date(solar: Solar) -> date:
    return date(int(solar.getYear()), int(solar.getMonth()), int(solar.getDay()))


def _lunar_to_date(lunar_year: int, lunar_month: int, lunar_day: int) -> date:
    return _as_date(Lunar.fromYmd(lunar_year, lunar_month, lunar_day).getSolar())


def _qingming(year: int) -> date:
    # Mid-year every solar term table belongs to the lunar year that shares the number.
    table = Solar.fromYmd(year, 6, 1).getLunar().getJieQiTable()
    return _as_date(table["清明"])


def _festival_days(year: int) -> list[date]:
    """Every day a festival gives in ``year``, once per festival: a day two festivals share
    (Mid-Autumn on National Day) is listed twice.

    Lunar New Year always falls between 21 January and 20 February, so the festivals of
    lunar year ``year`` (and its New Year's Eve) all land in Gregorian year ``year``.
    """
    new_year = _lunar_to_date(year, 1, 1)
    spring_festival = [new_year - _ONE_DAY, new_year, new_year + _ONE_DAY, new_year + 2 * _ONE_DAY]
    days = [
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
    ]
    return [day for day in days if day.year == year]


@cache
def statutory_holidays(year: int) -> frozenset[date]:
    """Every day of ``year`` that the law makes a public holiday."""
    return frozenset(_festival_days(year))


def make_up_days(festival_days: Iterable[date]) -> frozenset[date]:
    """The working days on which festival days lost to a weekend (or to another festival,
    for a day listed twice) are made up, under art. 6: each on the first weekday after it
    that is neither a festival day nor already taken by an earlier one."""
    listed = sorted(festival_days)
    off = set(listed)
    lost = [day for day in listed if day.weekday() >= _SATURDAY]
    lost += [day for day, again in pairwise(listed) if day == again]
    found: set[date] = set()
    for day in sorted(lost):
        candidate = day + _ONE_DAY
        while candidate.weekday() >= _SATURDAY or candidate in off:
            candidate += _ONE_DAY
        off.add(candidate)
        found.add(candidate)
    return frozenset(found)


@cache
def substitute_days(year: int) -> frozenset[date]:
    """The days of ``year`` given off under art. 6 for holidays lost to a weekend."""
    return make_up_days(_festival_days(year))


@cache
def days_off_by_law(year: int) -> frozenset[date]:
    """Weekdays and weekend days alike that the law alone gives off in ``year``: the
    statutory holidays and their substitute days."""
    return statutory_holidays(year) | substitute_days(year)
