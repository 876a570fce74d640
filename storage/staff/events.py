"""Changes to the staff itself (invites, enrolments, disabling) in the audit trail.

They belong to no application, so their events have none; the actor is the admin who made
the change, the member who joined, or the operator (the command line, or
``HVCONNECT_ADMINS`` in the configuration).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import aiosqlite

from process.roles import Role
from storage.events import append_event

INVITED_EVENT = "staff_invited"
JOINED_EVENT = "staff_joined"
DISABLED_EVENT = "staff_disabled"
ADMIN_CONFIGURED_EVENT = "staff_admin_configured"
OPERATOR = "operator"


async def staff_event(
    conn: aiosqlite.Connection,
    kind: str,
    *,
    by: int | None,
    now: datetime,
    data: Mapping[str, object],
    role: str | None = None,
) -> int:
    """Write the event inside the caller's transaction; ``role`` defaults to admin (or
    operator when ``by`` is None)."""
    if role is None:
        role = Role.ADMIN.value if by is not None else OPERATOR
    return await append_event(
        conn,
        application_id=None,
        actor_id=by,
        actor_role=role,
        kind=kind,
        now=now,
        data=data,
    )
