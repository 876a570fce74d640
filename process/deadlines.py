"""Stage deadlines that count only the utility's own time.

While the customer holds the ball (picking a survey slot, confirming a plan, designing,
building, rectifying) the stage clock is paused. Counting is by whole dates, in the time
zone passed as ``tz``:

* A stage visit starts at the moment ``started_at``. The day it starts on never counts.
* A working day ``d`` counts as utility time when ``d`` is after the start date and the
  clock is not paused at the end of ``d``.
* A pause from moment ``p`` to moment ``r`` covers the days ``p.date() <= d < r.date()``:
  the day a pause begins is the customer's, the day it ends is the utility's again. A pause
  that ends on the day it began covers nothing; an open pause (``ended_at is None``) covers
  every day from ``p.date()`` on. Overlapping pauses cover the union of their days, and
  pauses before the start simply cover days that would not count anyway.
* The deadline is the ``limit``-th counted working day (the start date itself for a limit
  of 0). While a pause is open there is no deadline: it moves with every paused day.

Naive datetimes are read as wall time in ``tz``, like :class:`process.clock.ManualClock`
does. A result is *provisional* when a day it relies on lies past the official calendar
data (see :mod:`process.calendar`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from process.calendar import WorkdayResult, WorkingCalendar
from process.limits import TimeLimits
from process.stages import Stage, SupplyMode

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Pause:
    """A stretch of time in which the customer, not the utility, has to act."""

    started_at: datetime
    ended_at: datetime | None = None


@dataclass(frozen=True)
class StageClock:
    """What a card shows about a stage's time, and what the reminder sweep reads."""

    limit_days: int
    used_days: int  # counted working days up to and including today
    due: date | None  # None while paused: the deadline moves
    remaining_days: int  # limit - used; negative when overdue
    paused: bool
    provisional: bool  # the due date or a counted day lies past the official calendar data
    overdue: bool  # today is after the due date (never while paused)


@dataclass(frozen=True)
class _Span:
    """Days ``first <= d < end`` covered by pauses; ``end`` is None for an open pause."""

    first: date
    end: date | None


def _local_date(moment: datetime, tz: tzinfo) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(tz).date()


def _spans(pauses: Sequence[Pause], tz: tzinfo) -> list[_Span]:
    """The days covered by ``pauses``, merged into disjoint spans in date order."""
    raw: list[_Span] = []
    for pause in pauses:
        first = _local_date(pause.started_at, tz)
        end = None if pause.ended_at is None else _local_date(pause.ended_at, tz)
        if end is None or end > first:
            raw.append(_Span(first, end))
    raw.sort(key=lambda span: span.first)
    merged: list[_Span] = []
    for span in raw:
        last = merged[-1] if merged else None
        if last is not None and (last.end is None or span.first <= last.end):
            if last.end is not None and (span.end is None or span.end > last.end):
                merged[-1] = _Span(last.first, span.end)
            continue
        merged.append(span)
    return merged


def _counted_days(
    calendar: WorkingCalendar, start_day: date, end_day: date, spans: Sequence[_Span]
) -> int:
    """Counted working days in ``(start_day, end_day]``."""
    count = calendar.working_days_between(start_day, end_day)
    for span in spans:
        low = max(span.first - _ONE_DAY, start_day)
        high = end_day if span.end is None else min(span.end - _ONE_DAY, end_day)
        count -= calendar.working_days_between(low, high)
    return count


def _deadline(
    calendar: WorkingCalendar, start_day: date, limit_days: int, spans: Sequence[_Span]
) -> WorkdayResult:
    """The ``limit_days``-th counted working day after ``start_day``; all spans are closed."""
    if limit_days == 0:
        return calendar.add_working_days(start_day, 0)
    cursor, remaining = start_day, limit_days
    for span in spans:
        assert span.end is not None  # callers handle open pauses before asking
        if span.end - _ONE_DAY <= cursor:
            continue  # the span lies wholly in days already passed
        free = calendar.working_days_between(cursor, span.first - _ONE_DAY)
        if free >= remaining:
            break
        remaining -= free
        cursor = span.end - _ONE_DAY
    found = calendar.add_working_days(cursor, remaining).day
    return WorkdayResult(found, calendar.any_provisional(start_day + _ONE_DAY, found))


def _check_limit(limit_days: int) -> None:
    if limit_days < 0:
        raise ValueError(f"a time limit cannot be negative ({limit_days})")


def due_date(
    calendar: WorkingCalendar,
    started_at: datetime,
    limit_days: int,
    pauses: Sequence[Pause],
    tz: tzinfo,
) -> WorkdayResult | None:
    """The stage's deadline, or None while a pause is open."""
    _check_limit(limit_days)
    if any(pause.ended_at is None for pause in pauses):
        return None
    return _deadline(calendar, _local_date(started_at, tz), limit_days, _spans(pauses, tz))


def stage_clock(
    calendar: WorkingCalendar,
    started_at: datetime,
    limit_days: int,
    pauses: Sequence[Pause],
    now: datetime,
    tz: tzinfo,
) -> StageClock:
    """Where a stage visit stands at ``now``."""
    _check_limit(limit_days)
    start_day = _local_date(started_at, tz)
    today = _local_date(now, tz)
    spans = _spans(pauses, tz)
    used = _counted_days(calendar, start_day, today, spans)
    due = due_date(calendar, started_at, limit_days, pauses, tz)
    provisional = (due is not None and due.provisional) or (
        today > start_day and calendar.any_provisional(start_day + _ONE_DAY, today)
    )
    return StageClock(
        limit_days=limit_days,
        used_days=used,
        due=None if due is None else due.day,
        remaining_days=limit_days - used,
        paused=due is None,
        provisional=provisional,
        overdue=due is not None and today > due.day,
    )


def plan_due_on_submit(
    calendar: WorkingCalendar,
    submitted_at: datetime,
    limits: TimeLimits,
    mode: SupplyMode,
    tz: tzinfo,
) -> WorkdayResult:
    """When the supply plan is due for a fresh application: acceptance plus plan limits."""
    days = limits.for_stage(Stage.ACCEPT, mode) + limits.for_stage(Stage.PLAN, mode)
    return calendar.add_working_days(_local_date(submitted_at, tz), days)


def utility_working_days(
    calendar: WorkingCalendar,
    started_at: datetime,
    ended_at: datetime,
    pauses: Sequence[Pause],
    tz: tzinfo,
) -> int:
    """Counted working days in ``(start, end]``: the utility's time, for metrics."""
    return _counted_days(
        calendar, _local_date(started_at, tz), _local_date(ended_at, tz), _spans(pauses, tz)
    )
