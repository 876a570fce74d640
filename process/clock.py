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


class OffsetClock:
    """Real time moved forward by an offset: the sandbox's clock.

    Time keeps running, so the bot behaves as in production, and a trainer can jump ahead
    by an hour, a working day or to the next deadline to watch reminders arrive.
    """

    def __init__(self, base: Clock, offset: timedelta = timedelta(0)) -> None:
        self._base = base
        self._offset = offset

    @property
    def tz(self) -> tzinfo:
        return self._base.tz

    @property
    def offset(self) -> timedelta:
        return self._offset

    def now(self) -> datetime:
        return self._base.now() + self._offset

    def advance(self, delta: timedelta) -> None:
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        self._offset += delta

    def reset(self) -> None:
        self._offset = timedelta(0)
