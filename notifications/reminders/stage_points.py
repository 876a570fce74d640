"""Where a running stage stands against its limit, in the terms of the staff reminders.

A stage of ``limit`` working days has four points: half the limit used, one working day
left, the deadline, and every working day after it. These functions say which point a
stage has reached and on which dates it reaches each (stored by
the sweep, see :mod:`storage.reminders.points`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from process.calendar import WorkingCalendar
from process.deadlines import Pause, StageClock, stage_clock
from storage.models import StageVisit
from storage.reminders.points import PointDates


@dataclass(frozen=True)
class Point:
    """Where a running stage stands against its limit, as a reminder names it."""

    name: str  # half | day_before | due | overdue
    threshold: str  # used working days at the point; the date for overdue


def stage_point(used_days: int, limit_days: int, today: date) -> Point | None:
    """The most advanced point a stage with ``used_days`` of ``limit_days`` has reached."""
    if used_days < 1:
        return None
    if used_days > limit_days:
        return Point("overdue", today.isoformat())
    if used_days == limit_days:
        return Point("due", str(limit_days))
    if used_days == limit_days - 1:
        return Point("day_before", str(limit_days - 1))
    if 2 * used_days >= limit_days:
        return Point("half", str((limit_days + 1) // 2))
    return None


def reminder_key(visit_id: int, point: Point) -> str:
    return f"remind:{visit_id}:{point.name}:{point.threshold}"


def point_dates(
    used_days: int, limit_days: int, today: date, calendar: WorkingCalendar
) -> PointDates:
    """The working days a stage with ``used_days`` used today reaches each of its points, if
    its clock keeps running (``None`` for a point behind it or none at all)."""

    def on(threshold: int) -> date | None:
        if threshold < 1 or threshold < used_days:
            return None
        return calendar.add_working_days(today, threshold - used_days).day

    return PointDates(
        half_on=on((limit_days + 1) // 2),
        before_on=on(limit_days - 1),
        deadline_on=on(limit_days),
    )


def stage_clock_of(
    calendar: WorkingCalendar, visit: StageVisit, now: datetime, tz: tzinfo
) -> StageClock:
    """The clock of a stage visit at ``now``, its pauses taken off."""
    pauses = [Pause(p.started_at, p.ended_at) for p in visit.pauses]
    return stage_clock(calendar, visit.started_at, visit.limit_days, pauses, now, tz)
