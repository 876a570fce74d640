"""Stage deadlines that count only the utility's own time, and what "overdue" means.

While the customer holds the ball (picking a survey slot, confirming a plan, designing,
building, rectifying) the stage clock is paused. Counting is by whole dates, in the time
zone passed as ``tz``, by one rule for every start, pause, restart and end:

* **A working day counts for a stage when its clock is already running as the day
  begins.** So the day a stage starts, and the day its clock resumes after a pause, never
  count: counting starts with the next working day. The day the clock stops (a pause
  begins, the stage ends) counts if the clock ran as it began, so a day once counted stays
  counted and the clock never goes back; and each day belongs to one stage only.
* A pause from moment ``p`` to moment ``r`` therefore covers the days
  ``p.date() < d <= r.date()``; one that ends the day it began covers nothing, an open
  pause (``ended_at is None``) every day after ``p.date()``. Overlapping pauses cover the
  union of their days.
* :func:`used_working_days` is the one count of a stage's working days: the cards, the
  queue, the reminders and the statistics all read it, for an open stage up to now and for
  a finished one up to its end.
* The deadline is the last working day on which the stage is still within its limit: the
  working day before the one that would be counted as day ``limit + 1``. Without a pause in
  the way that is the ``limit``-th counted working day; a stage that resumes with its whole
  limit used is due on the day it resumes. A due date is always a working day. While a
  pause is open there is no deadline: it moves with every paused day.
* **Overdue** means: from the first working day after the due date (:func:`is_overdue`).
  A stage due on Friday is not late on Saturday or Sunday, only from Monday on. Deadlines
  are promised in working days, the reminders and escalations that act on "overdue" only
  run on working days, and this way "overdue" agrees with the count: since the due date
  moves with every closed pause, a stage is overdue exactly when its clock runs and it has
  used more working days than its limit. How late it is (:func:`days_over`) is the working
  days since its due date, which the SQL-side lists can say from the due date alone.
  :func:`late_if_due_before` gives the same rule as one date to compare with in SQL.
* A running stage's **reminder point** (:func:`stage_point`) is where it stands against
  its limit: half the limit used, one working day left, the deadline, overdue. It moves only
  with the count, so on a day off a stage stands where it stood on the last working day;
  :func:`point_dates` says on which working days a running stage reaches each point, so that
  storage can tell the points from stored dates (:mod:`storage.reminders.points`, an SQL
  mirror of this rule for speed, checked against it by a property test).

Naive datetimes are read as wall time in ``tz``, like :class:`process.clock.ManualClock`
does. A result is *provisional* when a day it relies on lies past the official calendar
data (see :mod:`process.calendar`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Protocol

from process.calendar import WorkdayResult, WorkingCalendar
from process.limits import TimeLimits
from process.stages import Stage, SupplyMode

_ONE_DAY = timedelta(days=1)
# Names the counting rule above. Due dates and reminder points stored by the sweeps were
# computed with it, so changing the rule (like changing the calendar) has them recounted.
COUNTING_RULE = "a working day counts when the clock runs as it begins; late after due"


@dataclass(frozen=True)
class Pause:
    """A stretch of time in which the customer, not the utility, has to act."""

    started_at: datetime
    ended_at: datetime | None = None


@dataclass(frozen=True)
class StageClock:
    """What a card shows about a stage's time, and what the reminder sweep reads."""

    limit_days: int
    used_days: int  # counted working days up to and including today (see the module doc)
    due: date | None  # None while paused: the deadline moves
    remaining_days: int  # limit - used; negative when over the limit
    paused: bool
    provisional: bool  # the due date or a counted day lies past the official calendar data
    overdue: bool  # a working day after the due date has begun (never while paused)
    days_over: int = 0  # working days since the due date, while overdue (see days_over())


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
    """The days ``pauses`` cover (those that begin inside one), merged into disjoint spans
    in date order."""
    raw: list[_Span] = []
    for pause in pauses:
        first = _local_date(pause.started_at, tz) + _ONE_DAY
        end = None if pause.ended_at is None else _local_date(pause.ended_at, tz) + _ONE_DAY
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


def _nth_counted_day(
    calendar: WorkingCalendar, start_day: date, n: int, spans: Sequence[_Span]
) -> date:
    """The ``n``-th (``n >= 1``) counted working day after ``start_day``; spans are closed."""
    cursor, remaining = start_day, n
    for span in spans:
        assert span.end is not None  # callers handle open pauses before asking
        if span.end - _ONE_DAY <= cursor:
            continue  # the span lies wholly in days already passed
        free = calendar.working_days_between(cursor, span.first - _ONE_DAY)
        if free >= remaining:
            break
        remaining -= free
        cursor = span.end - _ONE_DAY
    return calendar.add_working_days(cursor, remaining).day


def _deadline(
    calendar: WorkingCalendar, start_day: date, limit_days: int, spans: Sequence[_Span]
) -> WorkdayResult:
    """The last working day within the limit: the one before day ``limit + 1``."""
    beyond = _nth_counted_day(calendar, start_day, limit_days + 1, spans)
    found = calendar.last_workday_through(beyond - _ONE_DAY)
    return WorkdayResult(found, calendar.any_provisional(start_day + _ONE_DAY, found))


def _check_limit(limit_days: int) -> None:
    if limit_days < 0:
        raise ValueError(f"a time limit cannot be negative ({limit_days})")


def late_if_due_before(calendar: WorkingCalendar, today: date) -> date:
    """The date a due date must be before for its stage to be overdue ``today``: the last
    working day on or before it. The one definition of "overdue" as a single comparison,
    for SQL (``due_on < :late_before``, see :mod:`storage.reminders.points`)."""
    return calendar.last_workday_through(today)


def is_overdue(calendar: WorkingCalendar, due: date, today: date) -> bool:
    """Whether a stage due on ``due`` is overdue ``today``: a working day after ``due`` has
    begun. The weekend after a Friday deadline is not late yet; Monday is."""
    return due < late_if_due_before(calendar, today)


def days_over(calendar: WorkingCalendar, due: date, today: date) -> int:
    """How many working days a stage due on ``due`` is overdue ``today`` (0: not overdue):
    the working days after the due date up to today."""
    return calendar.working_days_between(due, today)


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


def used_working_days(
    calendar: WorkingCalendar,
    started_at: datetime,
    until: datetime,
    pauses: Sequence[Pause],
    tz: tzinfo,
) -> int:
    """The working days a stage has used from ``started_at`` up to ``until`` (now, for an
    open stage; its end, for a finished one): the one count every screen and figure shows."""
    return _counted_days(
        calendar, _local_date(started_at, tz), _local_date(until, tz), _spans(pauses, tz)
    )


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
    used = used_working_days(calendar, started_at, now, pauses, tz)
    due = due_date(calendar, started_at, limit_days, pauses, tz)
    provisional = (due is not None and due.provisional) or (
        today > start_day and calendar.any_provisional(start_day + _ONE_DAY, today)
    )
    overdue = due is not None and is_overdue(calendar, due.day, today)
    return StageClock(
        limit_days=limit_days,
        used_days=used,
        due=None if due is None else due.day,
        remaining_days=limit_days - used,
        paused=due is None,
        provisional=provisional,
        overdue=overdue,
        days_over=days_over(calendar, due.day, today) if due is not None else 0,
    )


class PausedSpan(Protocol):
    """A stored pause, as storage keeps it (any object with these two fields)."""

    @property
    def started_at(self) -> datetime: ...

    @property
    def ended_at(self) -> datetime | None: ...


class CountedVisit(Protocol):
    """A stored stage visit, as far as its clock goes."""

    @property
    def started_at(self) -> datetime: ...

    @property
    def limit_days(self) -> int: ...

    @property
    def pauses(self) -> Sequence[PausedSpan]: ...


def visit_clock(
    calendar: WorkingCalendar, visit: CountedVisit, now: datetime, tz: tzinfo
) -> StageClock:
    """The clock of a stored stage visit at ``now``, its pauses taken off."""
    pauses = [Pause(p.started_at, p.ended_at) for p in visit.pauses]
    return stage_clock(calendar, visit.started_at, visit.limit_days, pauses, now, tz)


# -- reminder points -------------------------------------------------------------------


class PointName(StrEnum):
    """The points of a running stage the staff are reminded of, the least urgent first."""

    HALF = "half"  # half the limit used
    DAY_BEFORE = "day_before"  # one working day left
    DUE = "due"  # the deadline is today
    OVERDUE = "overdue"  # a working day after the deadline has begun


@dataclass(frozen=True)
class Point:
    """A point a stage has reached, with what tells one reaching of it from another: the
    working days used at it, and for "overdue" (told every working day) the date."""

    name: PointName
    threshold: str

    @property
    def mark(self) -> str:
        """How storage records a point told (``'half:5'``, ``'overdue:2026-12-03'``)."""
        return f"{self.name}:{self.threshold}"

    @classmethod
    def from_mark(cls, mark: str) -> Point:
        name, threshold = mark.split(":", 1)
        return cls(PointName(name), threshold)


def stage_point(clock: StageClock, today: date) -> Point | None:
    """The most advanced point a stage whose clock reads ``clock`` on ``today`` has reached.

    None while paused and before its first counted day. Overdue as :func:`is_overdue` says
    (``clock.overdue``); otherwise by the working days used: all of them (due), all but one
    (the day before), at least half (half). Counted days do not move on a day off, so
    neither does the point, except that an overdue stage is named with the day."""
    if clock.paused or clock.used_days < 1:
        return None
    if clock.overdue:
        return Point(PointName.OVERDUE, today.isoformat())
    used, limit = clock.used_days, clock.limit_days
    if used == limit:
        return Point(PointName.DUE, str(limit))
    if used == limit - 1:
        return Point(PointName.DAY_BEFORE, str(limit - 1))
    if 2 * used >= limit:
        return Point(PointName.HALF, str((limit + 1) // 2))
    return None


@dataclass(frozen=True, slots=True)
class PointDates:
    """The working days a running stage reaches its points (``None``: already passed)."""

    half_on: date | None
    before_on: date | None
    deadline_on: date | None


def point_dates(calendar: WorkingCalendar, clock: StageClock, today: date) -> PointDates:
    """The working days on which a stage whose clock runs, read on the working day
    ``today``, reaches each point if it keeps running: the day its count reaches half the
    limit, the limit less one, the limit. A count already past is ``None``.

    With these dates the point on any later day ``d`` follows without the clock, by
    comparing them with ``w``, the last working day through ``d``
    (:func:`late_if_due_before`): overdue if ``deadline_on < w``, due if ``deadline_on ==
    w`` (for a limit above nothing), the day before if ``before_on == w``, half if
    ``half_on <= w``. Half and the day before are never dated before the first counted day,
    where :func:`stage_point` starts."""
    used, limit = clock.used_days, clock.limit_days

    def on(count: int) -> date | None:
        if count < used:
            return None
        return calendar.add_working_days(today, count - used).day

    return PointDates(
        half_on=on(max((limit + 1) // 2, 1)),
        before_on=on(max(limit - 1, 1)),
        deadline_on=on(limit),
    )


def plan_due_on_submit(
    calendar: WorkingCalendar,
    submitted_at: datetime,
    limits: TimeLimits,
    mode: SupplyMode,
    tz: tzinfo,
) -> WorkdayResult:
    """When the supply plan is due for a fresh application: acceptance plus plan limits,
    counted from the working day after submission (the day itself never counts)."""
    days = limits.for_stage(Stage.ACCEPT, mode) + limits.for_stage(Stage.PLAN, mode)
    return _deadline(calendar, _local_date(submitted_at, tz), days, [])
