"""The one source of "now" for domain and flow code.

Domain and flow code never read the wall clock: they take a :class:`Clock`. Production
uses :class:`SystemClock`; tests and the sandbox use :class:`ManualClock`, which they can
move forward to watch deadlines, reminders and surveys happen without waiting.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    """Anything that can tell the current, time-zone aware moment."""

    @property
    def tz(self) -> tzinfo: ...

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock, in the configured time zone."""

    def __init__(self, tz: tzinfo = DEFAULT_TZ) -> None:
        self._tz = tz

    @property
    def tz(self) -> tzinfo:
        return self._tz

    def now(self) -> datetime:
        return datetime.now(self._tz)


class ManualClock:
    """A clock that stands still until it is told to move."""

    def __init__(self, start: datetime, tz: tzinfo = DEFAULT_TZ) -> None:
        if start.tzinfo is None:
            start = start.replace(tzinfo=tz)
        self._tz = tz
        self._now = start.astimezone(tz)

    @property
    def tz(self) -> tzinfo:
        return self._tz

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self._tz)
        self._now = moment.astimezone(self._tz)

    def advance(self, delta: timedelta) -> None:
        self._now = self._now + delta


def today(clock: Clock) -> date:
    """The calendar date of ``clock`` in its own time zone."""
    return clock.now().astimezone(clock.tz).date()
