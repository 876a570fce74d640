"""The dependencies every handler needs, built once by the bot and passed in.

Handlers reach them through :func:`services` instead of importing globals, so that tests and
the sandbox can run the same handlers over another database, clock or calendar.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import cached_property
from typing import Any

from telegram.ext import Application, CallbackContext

from notifications.outbox import Outbox
from notifications.quiet_hours import StaffHours, staff_send_at
from notifications.reminders.scheduler import Scheduler
from notifications.render import Texts
from notifications.sender import OutboxSender
from process.calendar import WorkingCalendar
from process.clock import Clock
from process.limits import TimeLimits
from services.context import ServiceContext
from storage.applications import ApplicationsRepo
from storage.db import Database
from storage.drafts import DraftsRepo
from storage.events import EventsRepo
from storage.staff.members import StaffRepo
from storage.stats import StatsRepo
from storage.survey import SurveyRepo
from storage.threads import ThreadsRepo
from storage.users import UsersRepo
from storage.workflow import WorkflowRepo

SERVICES_KEY = "hvconnect.services"


@dataclass(frozen=True)
class Settings:
    """The part of the configuration the conversations read."""

    default_locale: str
    tz: tzinfo
    limits: TimeLimits
    districts: tuple[str, ...]
    max_document_bytes: int
    admins: frozenset[int] = frozenset()  # HVCONNECT_ADMINS: made admins when they write
    # When staff are written to; alerts that are not urgent wait for these hours.
    staff_hours: StaffHours = field(default_factory=StaffHours)
    claim_days: int = 14  # how long a claim link for a typed-in application works


@dataclass(frozen=True)
class Services:
    settings: Settings
    clock: Clock
    calendar: WorkingCalendar
    texts: Texts
    db: Database
    users: UsersRepo
    drafts: DraftsRepo
    applications: ApplicationsRepo
    events: EventsRepo
    staff: StaffRepo
    outbox: Outbox
    sender: OutboxSender
    workflow: WorkflowRepo
    threads: ThreadsRepo
    surveys: SurveyRepo
    stats: StatsRepo
    scheduler: Scheduler  # the reminder sweeps; other features register theirs on it

    def staff_send_at(self, now: datetime) -> datetime | None:
        """When a message to staff written at ``now`` may go: at once in their working
        hours, otherwise at the start of the next ones (nothing to staff is urgent at night)."""
        return staff_send_at(now, self.calendar, self.settings.staff_hours, self.settings.tz)

    @cached_property
    def context(self) -> ServiceContext:
        """What the services are given: the same database, outbox, texts and settings."""
        return ServiceContext(
            db=self.db,
            outbox=self.outbox,
            texts=self.texts,
            tz=self.settings.tz,
            calendar=self.calendar,
            limits=self.settings.limits,
            staff_hours=self.settings.staff_hours,
            claim_days=self.settings.claim_days,
            districts=self.settings.districts,
        )


def services(
    holder: CallbackContext[Any, Any, Any, Any] | Application[Any, Any, Any, Any, Any, Any],
) -> Services:
    """The bot's dependencies, from a handler's context or from the application itself (the
    bot's start-up, the sandbox and tests hold the application, not an update)."""
    found = holder.bot_data[SERVICES_KEY]
    assert isinstance(found, Services)
    return found
