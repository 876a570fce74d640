"""Disabling a staff member: every staff power gone, and their open applications handed back.

The manager fields of each application they held are cleared (its version moves, so a card
or button made before the change is stale) and one ``unassigned`` event is written per
application, all in the caller's transaction, so no application is left with a holder who
can no longer act on it.
"""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from process.roles import Role
from storage.codec import time_to_db
from storage.db import fetch_all, run
from storage.events import append_event
from storage.staff.events import DISABLED_EVENT, staff_event
from storage.staff.models import Staff

UNASSIGNED_EVENT = "unassigned"
DISABLED_NOTE = "staff member disabled"


async def disable_member(
    conn: aiosqlite.Connection, member: Staff, now: datetime, *, by: int | None
) -> list[int]:
    """Disable ``member`` inside the caller's transaction; returns the applications handed
    back. A member already disabled is not disabled again (and no event says so)."""
    stamp = time_to_db(now)
    user_id = member.user_id
    was_active = await run(
        conn,
        """
        UPDATE staff SET active = 0, disabled_at = ?, updated_at = ?
        WHERE user_id = ? AND active = 1
        """,
        (stamp, stamp, user_id),
    )
    held = await fetch_all(
        conn,
        """
        SELECT id, customer_manager_id, project_manager_id FROM applications
        WHERE customer_manager_id = ? AND status = 'active'
        UNION
        SELECT id, customer_manager_id, project_manager_id FROM applications
        WHERE project_manager_id = ? AND status = 'active'
        ORDER BY id
        """,
        (user_id, user_id),
    )
    for row in held:
        await _unassign(conn, row, user_id, now, by)
    returned = [row["id"] for row in held]
    if was_active:
        await staff_event(
            conn,
            DISABLED_EVENT,
            by=by,
            now=now,
            data={"staff_id": user_id, "role": member.role, "returned": returned},
        )
    return returned


async def _unassign(
    conn: aiosqlite.Connection,
    row: aiosqlite.Row,
    user_id: int,
    now: datetime,
    by: int | None,
) -> None:
    roles = [
        role.value
        for role, holder in (
            (Role.CUSTOMER_MANAGER, row["customer_manager_id"]),
            (Role.PROJECT_MANAGER, row["project_manager_id"]),
        )
        if holder == user_id
    ]
    await run(
        conn,
        """
        UPDATE applications SET
            customer_manager_id = NULLIF(customer_manager_id, ?),
            project_manager_id = NULLIF(project_manager_id, ?),
            version = version + 1,
            updated_at = ?
        WHERE id = ?
        """,
        (user_id, user_id, time_to_db(now), row["id"]),
    )
    await append_event(
        conn,
        application_id=row["id"],
        actor_id=by,
        actor_role=Role.ADMIN.value if by is not None else "operator",
        kind=UNASSIGNED_EVENT,
        now=now,
        note=DISABLED_NOTE,
        data={"staff_id": user_id, "roles": roles, "reason": "staff_disabled"},
    )
