"""When a customer blocks the bot, the people who hold their applications are told to phone.

A blocked bot reaches nobody: no progress notices, no reminders. For each of the customer's
open applications, whoever hears about it (:func:`process.audience.audience`: its customer
manager, or, while it has none, the district's supervisors) gets a message with the contact
person and number on the application, through the outbox.

The bot learns of a blocking two ways, and both end here with the same idempotency key
(customer, application, recipient, and the day the blocking was noticed), so a manager is
told once however it was noticed:

* Telegram reports it (a ``my_chat_member`` update marks the user unreachable); the
  ``unreachable`` sweep finds such customers within a minute;
* a message bounces with 403 before that: the outbox sender calls
  :func:`tell_holders_when_unreachable`'s hook at once.

Customers marked unreachable get no reminders meanwhile (see
:mod:`notifications.reminders.customers`), so nothing bounces again and again; writing to the
bot, or unblocking it, clears the mark.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime

import aiosqlite

from notifications.outbox import Outbox
from notifications.quiet_hours import staff_send_at
from notifications.reminders.context import SweepContext
from process.clock import Clock
from storage.db import Database
from storage.reminders.reads import (
    active_applications_of,
    existing_keys,
    unreachable_holdings,
)
from storage.staff.audience import audience_in
from storage.users import user_in

log = logging.getLogger("hvconnect.outbox")

UnreachableHook = Callable[[int], Awaitable[None]]


def unreachable_key(customer_id: int, application_id: int, holder_id: int, day: date) -> str:
    return f"unreachable:{customer_id}:{application_id}:{holder_id}:{day.isoformat()}"


async def alert_holders(
    conn: aiosqlite.Connection,
    outbox: Outbox,
    *,
    customer_id: int,
    noticed_on: date,
    now: datetime,
    not_before: datetime | None = None,
) -> int:
    """Inside the caller's transaction: tell whoever holds each open application of
    ``customer_id`` to phone them (from ``not_before``: their working hours); returns how
    many messages were queued."""
    customer = await user_in(conn, customer_id)
    wanted = []
    for app in await active_applications_of(conn, customer_id):
        holders = await _told_of(conn, app.customer_manager_id, app.district)
        for holder_id in holders:
            if holder_id != customer_id:
                wanted.append(
                    (unreachable_key(customer_id, app.id, holder_id, noticed_on), holder_id, app)
                )
    sent = await existing_keys(conn, [key for key, _, _ in wanted])
    queued = 0
    for key, holder_id, app in wanted:
        recipient = await user_in(conn, holder_id)
        if key in sent or recipient is None:
            continue
        queued += await outbox.message(
            conn,
            key=key,
            recipient=recipient,
            template="remind/unreachable",
            now=now,
            not_before=not_before,
            application_id=app.id,
            kind="remind.unreachable",
            params={
                "app": app,
                "customer_name": customer.first_name if customer else None,
                "customer_phone": customer.phone if customer else None,
            },
        )
    return queued


async def _told_of(
    conn: aiosqlite.Connection, customer_manager_id: int | None, district: str | None
) -> list[int]:
    """Who is asked to phone: whoever hears about the application (its customer manager,
    else the district's overseers); the project manager does not keep the customer's line."""
    heard = await audience_in(
        conn,
        customer_manager_id=customer_manager_id,
        project_manager_id=None,
        district=district,
        project_manager_too=False,
    )
    return [m.user_id for m in heard]


def tell_holders_when_unreachable(
    db: Database,
    outbox: Outbox,
    clock: Clock,
    holders_read_at: Callable[[datetime], datetime | None] = lambda now: None,
) -> UnreachableHook:
    """The sender's ``on_unreachable``: a message to ``user_id`` bounced (403). The holders
    hear of it in their working hours (``holders_read_at``: when a message written then
    may go)."""

    async def hook(user_id: int) -> None:
        now = clock.now()
        async with db.transaction() as conn:
            queued = await alert_holders(
                conn,
                outbox,
                customer_id=user_id,
                noticed_on=now.astimezone(clock.tz).date(),
                now=now,
                not_before=holders_read_at(now),
            )
        log.warning("user %d blocked the bot; %d holder(s) asked to phone them", user_id, queued)

    return hook


class UnreachableAlerts:
    """The ``unreachable`` sweep: customers Telegram reported as having blocked the bot."""

    def __init__(self, context: SweepContext) -> None:
        self._ctx = context

    async def __call__(self, now: datetime) -> int:
        ctx = self._ctx
        queued = 0
        async with ctx.db.snapshot() as conn:  # most minutes: nobody, and nothing to write
            if not await unreachable_holdings(conn):
                return 0
        async with ctx.db.transaction() as conn:
            holdings = await unreachable_holdings(conn)
            # Which customers still have a holder who was not told of this blocking.
            expected: dict[str, tuple[int, date]] = {}
            for h in holdings:
                holders = await _told_of(conn, h.customer_manager_id, h.district)
                day = ctx.today(h.unreachable_at)
                for holder_id in holders:
                    if holder_id != h.customer_id:
                        key = unreachable_key(h.customer_id, h.application_id, holder_id, day)
                        expected[key] = (h.customer_id, day)
            told = await existing_keys(conn, list(expected))
            untold = dict(value for key, value in expected.items() if key not in told)
            not_before = staff_send_at(now, ctx.calendar, ctx.policy.staff_hours, ctx.tz)
            for customer_id, day in untold.items():
                queued += await alert_holders(
                    conn,
                    ctx.outbox,
                    customer_id=customer_id,
                    noticed_on=day,
                    now=now,
                    not_before=not_before,
                )
        return queued
