"""Telling overseers which applications lost their manager when a member was disabled.

Queued in the transaction that disables the member (:func:`services.staff.disable`), so
they are sent if and only if the disabling happened. The overseers are the ones who give an
application a new holder, so those of each application's district hear, whoever still holds
it: one message each, listing theirs, with a button per application.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from notifications.buttons import open_cards_markup
from services.context import ServiceContext
from storage.applications import application_in
from storage.models import Application
from storage.staff.assign import overseers_of
from storage.staff.models import Staff
from storage.users import user_in

ALERT_TEMPLATE = "staff/unassigned_alert"


async def queue_unassigned_alerts(
    ctx: ServiceContext,
    conn: aiosqlite.Connection,
    *,
    member: Staff,
    application_ids: Sequence[int],
    now: datetime,
    skip: frozenset[int] = frozenset(),
) -> int:
    """Queue one alert per overseer concerned (but those in ``skip``); returns the count."""
    by_overseer: dict[int, list[Application]] = {}
    for application_id in application_ids:
        application = await application_in(conn, application_id)
        if application is None:
            continue
        for overseer in await overseers_of(conn, application.district):
            if overseer.user_id in skip:
                continue
            by_overseer.setdefault(overseer.user_id, []).append(application)
    queued = 0
    for overseer_id, applications in by_overseer.items():
        recipient = await user_in(conn, overseer_id)
        if recipient is None:
            continue
        queued += await ctx.outbox.message(
            conn,
            key=f"staff.unassigned:{member.user_id}:{now.isoformat()}:{overseer_id}",
            recipient=recipient,
            template=ALERT_TEMPLATE,
            now=now,
            kind="staff.unassigned",
            reply_markup=open_cards_markup(applications),
            params={
                "member_name": member.name,
                "member_role": member.role.value,
                "applications": applications,
            },
        )
    return queued
