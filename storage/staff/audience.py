"""The members who hear about an application, read inside the caller's transaction.

The rule is :func:`process.audience.audience`; this is the one place that looks up what it
needs: whether the holders can still act, and the district's overseers when they hear.
"""

from __future__ import annotations

import aiosqlite

from process.audience import audience, overseers_hear
from storage.db import fetch_all
from storage.models import Application
from storage.staff.assign import overseers_of
from storage.staff.models import STAFF_COLUMNS, Staff, staff_from_row


async def audience_in(
    conn: aiosqlite.Connection,
    *,
    customer_manager_id: int | None,
    project_manager_id: int | None,
    district: str | None,
    project_manager_too: bool,
    escalation: bool = False,
) -> list[Staff]:
    """Who hears about an application of ``district`` held by these managers, in the
    rule's order. A holder no longer active counts as no holder."""
    held = [i for i in (customer_manager_id, project_manager_id) if i is not None]
    rows = (
        await fetch_all(
            conn,
            f"SELECT {STAFF_COLUMNS} FROM staff WHERE active = 1 AND user_id IN "
            f"({', '.join('?' * len(held))})",
            held,
        )
        if held
        else []
    )
    members = {m.user_id: m for m in map(staff_from_row, rows)}
    cm = customer_manager_id if customer_manager_id in members else None
    pm = project_manager_id if project_manager_id in members else None
    overseers = (
        await overseers_of(conn, district) if overseers_hear(cm, escalation=escalation) else []
    )
    members.update((m.user_id, m) for m in overseers)
    ids = audience(
        customer_manager_id=cm,
        project_manager_id=pm,
        overseer_ids=[m.user_id for m in overseers],
        project_manager_too=project_manager_too,
        escalation=escalation,
    )
    return [members[i] for i in ids]


async def audience_of(
    conn: aiosqlite.Connection,
    application: Application,
    *,
    project_manager_too: bool,
    escalation: bool = False,
) -> list[Staff]:
    """:func:`audience_in` for an application as it is held now."""
    return await audience_in(
        conn,
        customer_manager_id=application.customer_manager_id,
        project_manager_id=application.project_manager_id,
        district=application.district,
        project_manager_too=project_manager_too,
        escalation=escalation,
    )
