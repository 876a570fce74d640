"""What the business operations need from the running bot, passed to them explicitly.

Kept small: the database (a service opens its one transaction there), the outbox its
messages go through, the texts its buttons are labelled from, and what decides when a
message to staff may go. The chat builds one from its own dependencies; another caller
(the command line, an HTTP API) builds its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from notifications.outbox import Outbox
from notifications.quiet_hours import StaffHours, staff_send_at
from notifications.render import Texts
from process.calendar import WorkingCalendar
from process.limits import TimeLimits
from storage.db import Database


@dataclass(frozen=True)
class ServiceContext:
    db: Database
    outbox: Outbox
    texts: Texts
    calendar: WorkingCalendar
    tz: tzinfo
    limits: TimeLimits
    staff_hours: StaffHours = field(default_factory=StaffHours)

    def staff_send_at(self, now: datetime) -> datetime | None:
        """When a message to staff written at ``now`` may go: at once in their working
        hours, otherwise at the start of the next ones (nothing to staff is urgent at night)."""
        return staff_send_at(now, self.calendar, self.staff_hours, self.tz)
