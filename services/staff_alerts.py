"""Telling supervisors which applications lost their manager when a member was disabled.

The alerts go into the outbox inside the transaction that disables the member, so they are
sent if and only if the disabling happened, whether it was done from the bot or from the
command line (the running bot's sender picks them up). Each overseer gets one message
listing the applications of their districts, with a button per application.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import aiosqlite
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from notifications.buttons import OpenCardPress
from notifications.outbox import Outbox
from storage.db import fetch_one
from storage.models import Application
from storage.rows import APPLICATION_COLUMNS, application_from_row
from storage.staff.assign import overseers_of
from storage.staff.members import AfterDisable, Staff
from storage.users import user_in

ALERT_TEMPLATE = "staff/unassigned_alert"
BUTTONS_SHOWN = 10  # one per application; a longer list is read from the text and /queue


def alert_overseers(
    outbox: Outbox, member: Staff, now: datetime, *, actor_id: int | None = None
) -> AfterDisable:
    """The ``then`` for :meth:`StaffRepo.disable`: queue the overseers' alerts.

    The admin who disabled the member (``actor_id``) is told in their own chat already.
    """

    async def then(conn: aiosqlite.Connection, application_ids: list[int]) -> None:
        await queue_unassigned_alerts(
            outbox,
            conn,
            member=member,
            application_ids=application_ids,
            now=now,
            skip=frozenset() if actor_id is None else frozenset({actor_id}),
        )

    return then


async def queue_unassigned_alerts(
    outbox: Outbox,
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
        row = await fetch_one(
            conn, f"SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = ?", (application_id,)
        )
        if row is None:
            continue
        application = application_from_row(row)
        for overseer in await overseers_of(conn, application.district):
            if overseer.user_id in skip:
                continue
            by_overseer.setdefault(overseer.user_id, []).append(application)
    queued = 0
    for overseer_id, applications in by_overseer.items():
        recipient = await user_in(conn, overseer_id)
        if recipient is None:
            continue
        queued += await outbox.message(
            conn,
            key=f"staff.unassigned:{member.user_id}:{now.isoformat()}:{overseer_id}",
            recipient=recipient,
            template=ALERT_TEMPLATE,
            now=now,
            kind="staff.unassigned",
            reply_markup=_open_buttons(applications),
            params={
                "member_name": member.name,
                "member_role": member.role.value,
                "applications": applications,
            },
        )
    return queued


def _open_buttons(applications: Sequence[Application]) -> InlineKeyboardMarkup | None:
    if not applications:
        return None
    buttons = [
        InlineKeyboardButton(a.number, callback_data=OpenCardPress(a.id).encode())
        for a in applications[:BUTTONS_SHOWN]
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])
