"""What the services need from the running bot, handed to them explicitly.

Not the chat's dependency bag: a service is called alike by a Telegram handler, a test or
an HTTP endpoint, and takes only the database, the outbox that queues its messages, the
texts its buttons are labelled with and the few settings its rules read.
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
    tz: tzinfo
    calendar: WorkingCalendar
    limits: TimeLimits
    staff_hours: StaffHours = field(default_factory=StaffHours)
    # Days a claim code for an application typed in for a customer stays valid.
    claim_days: int = 14
    # The districts an application may name (the form's choices), from the configuration.
    districts: tuple[str, ...] = ()

    def staff_send_at(self, now: datetime) -> datetime | None:
        """When a message to staff written at ``now`` may go: at once in their working
        hours, otherwise at the start of the next ones (nothing to staff is urgent at night)."""
        return staff_send_at(now, self.calendar, self.staff_hours, self.tz)
