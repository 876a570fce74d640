"""Chinese working days, including years the official calendar does not cover yet.

Deadlines are promised in working days, and Chinese working days are not simply Monday to
Friday: public holidays move weekend days around (调休). Within the years that
``chinesecalendar`` has official data for we use it as is. Beyond them the product must keep
working, so we count Monday to Friday minus the statutory holidays and the days that make up
for those falling on a weekend (art. 6 of the law, :func:`process.holidays.days_off_by_law`)
and mark every such day *provisional* until an
administrator confirms the year (after entering the State Council's notice as extra holidays
and workdays). Years before the official data use the same rule but are history, not
provisional.

Administrator overrides win over everything. Lookups are answered from per-year tables of
working-day flags with running totals, so ``is_workday`` is a dictionary hit plus an index,
and counting or adding working days is a bisection rather than a day-by-day walk.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from itertools import accumulate

import chinese_calendar

from process.holidays import days_off_by_law

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5


@dataclass(frozen=True)
class WorkdayResult:
    """A date found by counting working days, and whether any day counted was a guess."""

    day: date
    provisional: bool


@cache
def official_years() -> tuple[int, int]:
    """First and last year ``chinesecalendar`` has official data for (probed once)."""
    years = {day.year for day in chinese_calendar.holidays}
    return min(years), max(years)


def _days_of_year(year: int) -> list[date]:
    first = date(year, 1, 1)
    length = (date(year + 1, 1, 1) - first).days if year < 9999 else 365
    return [first + timedelta(days=offset) for offset in range(length)]


@cache
def _official_flags(year: int) -> bytes:
    return bytes(chinese_calendar.is_workday(day) for day in _days_of_year(year))


@cache
def _statutory_flags(year: int) -> bytes:
    holidays = days_off_by_law(year)
    return bytes(day.weekday() < _SATURDAY and day not in holidays for day in _days_of_year(year))


@dataclass(frozen=True, slots=True)
class _YearTable:
    """Working-day flags of one year and running totals over them."""

    first_ordinal: int
    flags: bytes
    # running[i] = working days among the year's first i days, so running[0] == 0.
    running: tuple[int, ...]

    @classmethod
    def build(cls, year: int, flags: bytes) -> _YearTable:
        return cls(date(year, 1, 1).toordinal(), flags, (0, *accumulate(flags)))

    @property
    def total(self) -> int:
        return self.running[-1]

    def index(self, day: date) -> int:
        return day.toordinal() - self.first_ordinal

    def through(self, day: date) -> int:
        """Working days from 1 January up to and including ``day``."""
        return self.running[self.index(day) + 1]

    def day_reaching(self, count: int) -> date:
        """The day on which the running total first reaches ``count`` (1 <= count <= total)."""
        position = bisect_left(self.running, count)
        return date.fromordinal(self.first_ordinal + position - 1)


def _as_date(day: date) -> date:
    return day.date() if isinstance(day, datetime) else day


class WorkingCalendar:
    """Which days are working days, with administrator overrides and provisional years."""

    def __init__(
        self,
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
        confirmed_years: Iterable[int] = (),
    ) -> None:
        self._extra_holidays = frozenset(_as_date(day) for day in extra_holidays)
        self._extra_workdays = frozenset(_as_date(day) for day in extra_workdays)
        clash = self._extra_holidays & self._extra_workdays
        if clash:
            listed = ", ".join(day.isoformat() for day in sorted(clash))
            raise ValueError(f"dates configured both as holiday and as workday: {listed}")
        self._confirmed_years = frozenset(confirmed_years)
        self._tables: dict[int, _YearTable] = {}

    @property
    def last_official_year(self) -> int:
        return official_years()[1]

    def is_workday(self, day: date) -> bool:
        table = self._table(day.year)
        return bool(table.flags[table.index(day)])

    def is_provisional(self, day: date) -> bool:
        return self._year_is_provisional(day.year)

    def any_provisional(self, first: date, last: date) -> bool:
        """Whether any day in ``first..last`` (inclusive) is provisional."""
        return any(self._year_is_provisional(year) for year in range(first.year, last.year + 1))

    def add_working_days(self, start: date, n: int) -> WorkdayResult:
        """The ``n``-th working day strictly after ``start``; ``start`` itself when ``n`` is 0."""
        if n < 0:
            raise ValueError(f"cannot add a negative number of working days ({n})")
        if n == 0:
            return WorkdayResult(start, self.is_provisional(start))
        year = start.year
        table = self._table(year)
        wanted = table.through(start) + n
        while wanted > table.total:
            wanted -= table.total
            year += 1
            table = self._table(year)
        found = table.day_reaching(wanted)
        return WorkdayResult(found, self.any_provisional(start + _ONE_DAY, found))

    def working_days_between(self, start: date, end: date) -> int:
        """Working days ``d`` with ``start < d <= end``; 0 when ``end <= start``."""
        if end <= start:
            return 0
        first = self._table(start.year)
        if start.year == end.year:
            return first.through(end) - first.through(start)
        count = first.total - first.through(start)
        count += sum(self._table(year).total for year in range(start.year + 1, end.year))
        return count + self._table(end.year).through(end)

    def next_workday(self, day: date) -> date:
        """The first working day on or after ``day``."""
        if self.is_workday(day):
            return day
        return self.add_working_days(day, 1).day

    def last_workday_through(self, day: date) -> date:
        """The last working day on or before ``day``."""
        year = day.year
        table = self._table(year)
        count = table.through(day)
        while count == 0:
            year -= 1
            table = self._table(year)
            count = table.total
        return table.day_reaching(count)

    def _year_is_provisional(self, year: int) -> bool:
        return year > self.last_official_year and year not in self._confirmed_years

    def _table(self, year: int) -> _YearTable:
        table = self._tables.get(year)
        if table is None:
            table = self._build_table(year)
            self._tables[year] = table
        return table

    def _build_table(self, year: int) -> _YearTable:
        first_year, last_year = official_years()
        base = _official_flags(year) if first_year <= year <= last_year else _statutory_flags(year)
        flags = bytearray(base)
        first_ordinal = date(year, 1, 1).toordinal()
        for day in self._extra_holidays:
            if day.year == year:
                flags[day.toordinal() - first_ordinal] = 0
        for day in self._extra_workdays:
            if day.year == year:
                flags[day.toordinal() - first_ordinal] = 1
        return _YearTable.build(year, bytes(flags))
