"""What every reminder sweep reads and writes with: the :class:`SweepContext` the bot builds.

A sweep (``stage``, ``customers``, ``unreachable``, ``digest``; the list the bot runs, in
order, is :func:`bot.sweeps.default_sweeps`) is an async function of "now" that queues
what is due through the outbox and returns how many messages it queued. Each takes this
context: the database, the outbox, the working-day calendar and time zone, the configurable
:class:`ReminderPolicy` and the buttons the flows put on reminders. The context also keeps
the sweeps' rows in step with the calendar (:meth:`SweepContext.ready`): when the calendar
or the counting rule changes, every stored date is worked out again.

Each message has an idempotency key, so a sweep that runs twice, or again after a restart,
queues nothing twice; what to look at is kept in ``reminder_watch`` (see
:mod:`storage.reminders.watch`), so a run reads only what may be due.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo

import aiosqlite
from telegram import InlineKeyboardMarkup

from notifications.outbox import Outbox
from notifications.quiet_hours import QuietHours, StaffHours
from process.calendar import WorkingCalendar
from process.deadlines import COUNTING_RULE
from storage.db import Database
from storage.models import Application
from storage.reminders.watch import WatchKind, changed_subjects, due_subjects, sync_calendar

StaffButtons = Callable[[str, Application], InlineKeyboardMarkup | None]
# For (locale, application) pairs, the buttons of each customer's next step by application
# id: read for a whole batch of reminders at once.
CustomerButtons = Callable[
    [aiosqlite.Connection, Sequence[tuple[str, Application]]],
    Awaitable[dict[int, InlineKeyboardMarkup | None]],
]
BATCH = 500  # rows looked at per transaction; handlers get the database in between
# The calendar's fingerprint covers the years around today that deadlines fall in.
_FINGERPRINT_YEARS_BACK = 1
_FINGERPRINT_YEARS_AHEAD = 2


@dataclass(frozen=True)
class ReminderPolicy:
    """The configurable part of reminding (``[reminders]`` in the configuration file)."""

    quiet: QuietHours = field(default_factory=QuietHours)
    followup_after_days: int = 3
    owed_every_days: int = 3
    digest_at: time = time(8, 30)
    staff_hours: StaffHours = field(default_factory=StaffHours)

    def __post_init__(self) -> None:
        if self.followup_after_days < 1 or self.owed_every_days < 1:
            raise ValueError("reminder intervals are at least one working day")
        if not self.staff_hours.covers(self.digest_at):
            raise ValueError("the digest is sent within the staff's working hours")


async def _no_customer_buttons(
    conn: aiosqlite.Connection, wanted: Sequence[tuple[str, Application]]
) -> dict[int, InlineKeyboardMarkup | None]:
    return {}


@dataclass(frozen=True)
class ReminderButtons:
    """The buttons that go with reminders: the flows know their own callback data, so the
    bot passes these in (an open-card button for staff, the customer's next actions)."""

    staff: StaffButtons = lambda locale, app: None
    customer: CustomerButtons = _no_customer_buttons


class SweepContext:
    """What every sweep reads and writes with, built once by the bot."""

    def __init__(
        self,
        *,
        db: Database,
        outbox: Outbox,
        calendar: WorkingCalendar,
        tz: tzinfo,
        policy: ReminderPolicy | None = None,
        buttons: ReminderButtons | None = None,
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.calendar = calendar
        self.tz = tz
        self.policy = policy or ReminderPolicy()
        self.buttons = buttons or ReminderButtons()
        self._calendar_checked = False

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def today(self, now: datetime) -> date:
        return now.astimezone(self.tz).date()

    async def anything_due(self, kind: WatchKind, day: date) -> bool:
        """Whether any row of ``kind`` is to be looked at by ``day``: read without taking
        SQLite's write lock, so the usual run, with nothing due, writes nothing."""
        async with self.db.snapshot() as conn:
            return bool(await due_subjects(conn, kind, day, limit=1))

    async def anything_to_look_at(self, day: date) -> bool:
        """Whether any stage visit is to be counted afresh by ``day`` (read-only, as above)."""
        async with self.db.snapshot() as conn:
            return bool(await changed_subjects(conn, day, limit=1))

    async def ready(self, today: date) -> None:
        """Before the first run of a process: if the working-day calendar changed since the
        rows were computed (an administrator's override, or a new year's official data),
        have every row looked at again."""
        if self._calendar_checked:
            return
        await sync_calendar(self.db, calendar_fingerprint(self.calendar, today.year))
        self._calendar_checked = True


def calendar_fingerprint(calendar: WorkingCalendar, year: int) -> str:
    """A short digest of which days are working days around ``year``: the years the
    deadlines of open applications fall in; and of the rule that counts them."""
    digest = hashlib.sha256(COUNTING_RULE.encode())
    for each in range(year - _FINGERPRINT_YEARS_BACK, year + _FINGERPRINT_YEARS_AHEAD + 1):
        day = date(each, 1, 1)
        flags = bytearray()
        while day.year == each:
            flags.append(calendar.is_workday(day))
            day = date.fromordinal(day.toordinal() + 1)
        digest.update(bytes(flags))
    return digest.hexdigest()[:32]
