"""The period a statistic covers, as supervisors type it after ``/stats`` or ``/export``.

``2026-11`` is a month, ``2026`` a year, ``2026-10-01..2026-11-30`` a range of days
(inclusive), and nothing at all means this year. An application belongs to the period in
which it was submitted, read in the utility's time zone. Full-width digits from Chinese
input methods are accepted, and so are ``~`` and ``至`` between the two days of a range.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

MAX_YEARS = 20  # a longer range is a typo, and would only make a slow, meaningless report

_YEAR = re.compile(r"^(?P<year>\d{4})$")
_MONTH = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})$")
_DATE = r"\d{4}-\d{1,2}-\d{1,2}"
_RANGE = re.compile(rf"^(?P<first>{_DATE})\s*(?:\.\.|~|至)\s*(?P<last>{_DATE})$")
_DAY = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})$")


class PeriodError(ValueError):
    """Text that names no period; ``code`` is 'format', 'order' or 'too_long'."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text!r}")
        self.code = code
        self.text = text


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # inclusive

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise PeriodError("order", f"{self.first}..{self.last}")
        if self.last.year - self.first.year >= MAX_YEARS:
            raise PeriodError("too_long", f"{self.first}..{self.last}")

    @property
    def label(self) -> str:
        """The shortest way to write the period back: ``2026``, ``2026-11`` or a range."""
        if self.first == date(self.first.year, 1, 1) and self.last == date(self.first.year, 12, 31):
            return str(self.first.year)
        next_month = _month_end(self.first.year, self.first.month)
        if self.first.day == 1 and self.last == next_month:
            return f"{self.first.year}-{self.first.month:02d}"
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """The period as moments: from the first day's midnight to the midnight after the last."""
        start = datetime.combine(self.first, time(0), tzinfo=tz)
        end = datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=tz)
        return start, end

    def contains(self, day: date) -> bool:
        return self.first <= day <= self.last


def year_of(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31))


def parse_period(text: str | None, *, today: date) -> Period:
    """The period ``text`` names; this year when it is empty. Raises :class:`PeriodError`."""
    typed = unicodedata.normalize("NFKC", text or "").strip()
    # Chinese input methods also offer these dashes; a date has only the ASCII one.
    typed = re.sub(r"[‐‑‒–—―－]", "-", typed)
    if not typed:
        return year_of(today.year)
    if match := _YEAR.match(typed):
        return year_of(_year(match["year"], typed))
    if match := _MONTH.match(typed):
        year, month = _year(match["year"], typed), int(match["month"])
        if not 1 <= month <= 12:
            raise PeriodError("format", typed)
        return Period(date(year, month, 1), _month_end(year, month))
    if match := _RANGE.match(typed):
        return Period(_day(match["first"], typed), _day(match["last"], typed))
    raise PeriodError("format", typed)


def _year(text: str, typed: str) -> int:
    year = int(text)
    if year < 2000:  # the bot did not exist before; 0000 would not even be a date
        raise PeriodError("format", typed)
    return year


def _day(text: str, typed: str) -> date:
    match = _DAY.match(text)
    assert match is not None  # the range pattern only lets days through
    try:
        return date(_year(match["year"], typed), int(match["month"]), int(match["day"]))
    except ValueError:
        raise PeriodError("format", typed) from None


def _month_end(year: int, month: int) -> date:
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return following - timedelta(days=1)
