"""When the bot may speak on its own initiative: to customers, and to staff.

Reminders and follow-ups to customers wait for working hours: not in the quiet hours of the
night (21:00–08:00 by default) and not on a non-working day (weekends, public holidays,
but a make-up working day counts). A message due outside them is queued with ``not_before``
set to the next working morning at the end of the quiet hours.

Staff are written to in their working hours (08:00–18:00 on working days by default): what
the bot has to tell them outside those hours that is not urgent (reminders, escalations, a
new application, a customer's step) is queued for the start of their next working hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from process.calendar import WorkingCalendar


@dataclass(frozen=True)
class QuietHours:
    """A daily window in which customers are left alone; it may run past midnight."""

    start: time = time(21, 0)
    end: time = time(8, 0)

    def covers(self, moment: time) -> bool:
        """Whether ``moment`` (a local time of day) falls in the quiet window."""
        if self.start == self.end:
            return False  # no quiet hours configured
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


def customer_send_at(
    now: datetime, calendar: WorkingCalendar, quiet: QuietHours, tz: tzinfo
) -> datetime | None:
    """None if a customer may be written to at ``now``; otherwise the next working morning
    at the end of the quiet hours, as a moment in ``tz``."""
    local = now.astimezone(tz)
    if calendar.is_workday(local.date()) and not quiet.covers(local.time()):
        return None
    day = local.date()
    while True:
        if calendar.is_workday(day):
            morning = datetime.combine(day, quiet.end, tzinfo=tz)
            if morning > local:
                return morning
        day = calendar.add_working_days(day, 1).day


@dataclass(frozen=True)
class StaffHours:
    """The hours of a working day in which staff are written to (``[reminders]``
    ``staff_hours_start`` and ``staff_hours_end``); unlike quiet hours, within one day."""

    start: time = time(8, 0)
    end: time = time(18, 0)

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError("staff hours start before they end, within one day")

    def covers(self, moment: time) -> bool:
        return self.start <= moment < self.end


def staff_send_at(
    now: datetime, calendar: WorkingCalendar, hours: StaffHours, tz: tzinfo
) -> datetime | None:
    """None if staff may be written to at ``now``; otherwise the start of their next working
    hours (today's, early on a working day), as a moment in ``tz``."""
    local = now.astimezone(tz)
    day = local.date()
    if calendar.is_workday(day):
        if hours.covers(local.time()):
            return None
        if local.time() < hours.start:
            return datetime.combine(day, hours.start, tzinfo=tz)
    return datetime.combine(next_workday(calendar, day), hours.start, tzinfo=tz)


def staff_day_over(now: datetime, hours: StaffHours, tz: tzinfo) -> bool:
    """Whether the staff's working hours of ``now``'s day have ended: what is decided once a
    day for them (the reminders' day pass, escalations, the digest) is then left to the next
    working day, which tells what is true by then, rather than queued overnight to repeat
    or contradict it."""
    return now.astimezone(tz).time() >= hours.end


def delivery_day(now: datetime, calendar: WorkingCalendar, quiet: QuietHours, tz: tzinfo) -> date:
    """The local date a customer message written at ``now`` reaches them."""
    send_at = customer_send_at(now, calendar, quiet, tz)
    return (send_at or now).astimezone(tz).date()


def next_workday(calendar: WorkingCalendar, day: date) -> date:
    """The first working day after ``day``."""
    candidate = day + timedelta(days=1)
    for _ in range(366):  # as in previous_workday: a guard against a calendar without any
        if calendar.is_workday(candidate):
            return candidate
        candidate += timedelta(days=1)
    raise ValueError(f"no working day in the year after {day}")


def previous_workday(calendar: WorkingCalendar, day: date) -> date:
    """The last working day before ``day``."""
    candidate = day - timedelta(days=1)
    # The longest run of non-working days in China is well under a month (Spring Festival
    # with its weekends); the bound only guards against a calendar configured without any.
    for _ in range(366):
        if calendar.is_workday(candidate):
            return candidate
        candidate -= timedelta(days=1)
    raise ValueError(f"no working day in the year before {day}")
