"""The sandbox's clock panel: the bot's "now", and moving it forward on request.

The sandbox bot runs on an :class:`~process.clock.OffsetClock`: real time plus an offset
that only grows. A trainer jumps an hour, a working day or to the next stage deadline to
show what the bot does then; the offset is kept next to the sandbox database, so stopping
and starting the sandbox never sends the bot's time backwards past what it has recorded.
Production has no such control: nothing outside the sandbox imports this module.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from process.calendar import WorkingCalendar
from process.clock import OffsetClock, today
from process.deadlines import Pause, due_date
from process.stages import WORKING_STAGES
from storage.applications import ApplicationsRepo

STEPS = ("hour", "workday", "deadline")
OPEN = "active"
_WORKING_STAGE_VALUES = frozenset(stage.value for stage in WORKING_STAGES)


async def next_deadline(
    applications: ApplicationsRepo, calendar: WorkingCalendar, clock: OffsetClock
) -> date | None:
    """The earliest due date after today of any open stage visit (paused ones have none)."""
    found: list[date] = []
    for application in await applications.list_by_status(OPEN):
        visit = await applications.current_visit(application.id)
        if visit is None or visit.stage not in _WORKING_STAGE_VALUES:
            continue
        pauses = [Pause(p.started_at, p.ended_at) for p in visit.pauses]
        due = due_date(calendar, visit.started_at, visit.limit_days, pauses, clock.tz)
        if due is not None and due.day > today(clock):
            found.append(due.day)
    return min(found, default=None)


class ClockPanel:
    """Reads and moves the sandbox's clock, and remembers its offset on disk."""

    def __init__(self, clock: OffsetClock, calendar: WorkingCalendar, offset_file: Path) -> None:
        self.clock = clock
        self.calendar = calendar
        self.offset_file = offset_file

    def view(self, deadline: date | None) -> dict[str, Any]:
        """Everything the page's clock panel shows."""
        now = self.clock.now()
        day = now.date()
        return {
            "now": now.isoformat(),
            "tz": getattr(self.clock.tz, "key", str(self.clock.tz)),
            "date": day.isoformat(),
            "time": now.strftime("%H:%M"),
            "weekday": now.isoweekday(),
            "workday": self.calendar.is_workday(day),
            "provisional": self.calendar.is_provisional(day),
            "offset_seconds": int(self.clock.offset.total_seconds()),
            "next_deadline": deadline.isoformat() if deadline else None,
        }

    def target(self, step: str, deadline: date | None) -> datetime:
        """Where ``step`` takes the clock; ValueError for a step it does not know."""
        now = self.clock.now()
        if step == "hour":
            return now + timedelta(hours=1)
        if step == "workday":
            # The same time of day on the next working day, across weekends and holidays.
            return _same_time_on(now, self.calendar.add_working_days(now.date(), 1).day)
        if step == "deadline":
            if deadline is None:
                raise LookupError("no open stage has a deadline after today")
            return _same_time_on(now, deadline)
        raise ValueError(f"step: one of {', '.join(STEPS)}")

    def advance_to(self, moment: datetime) -> None:
        self.clock.advance(max(moment - self.clock.now(), timedelta(0)))
        self.save()

    # -- the offset on disk ---------------------------------------------------------------

    def load(self) -> None:
        """Take up the offset a previous run left (nothing, or an unreadable file: none)."""
        try:
            seconds = float(self.offset_file.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return
        if seconds > 0:
            self.clock.reset()
            self.clock.advance(timedelta(seconds=seconds))

    def save(self) -> None:
        self.offset_file.parent.mkdir(parents=True, exist_ok=True)
        self.offset_file.write_text(f"{self.clock.offset.total_seconds():.0f}\n", encoding="utf-8")

    def forget(self) -> None:
        self.clock.reset()
        with contextlib.suppress(FileNotFoundError):
            self.offset_file.unlink()


def _same_time_on(now: datetime, day: date) -> datetime:
    return datetime.combine(day, now.time(), tzinfo=now.tzinfo)
