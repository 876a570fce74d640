"""Who takes a new application: the least loaded active manager, nearest district first.

The choice runs inside the caller's transaction (the submission, or a reassignment), so
the load it counts cannot change before the assignment is written, and two submissions in
a row see each other. Ties go to whoever was assigned least recently (never assigned
first), then to the lowest user id, so the rule is deterministic and spreads work evenly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import aiosqlite

from process.roles import Role
from storage.codec import time_to_db
from storage.db import fetch_all, fetch_one, run
from storage.staff.models import STAFF_COLUMNS, Staff, staff_from_row

# The application column that holds each assignable role. Interpolated into SQL, so it
# must come from this table and never from input.
_HOLDER_COLUMN: Final = {
    Role.CUSTOMER_MANAGER: "customer_manager_id",
    Role.PROJECT_MANAGER: "project_manager_id",
}


def _candidates_sql(column: str, *, same_district: bool) -> str:
    district = "AND s.district = ?" if same_district else ""
    return f"""
        SELECT s.*,
               (SELECT COUNT(*) FROM applications a
                WHERE a.{column} = s.user_id AND a.status = 'active') AS open_count
        FROM staff s
        WHERE s.role = ? AND s.active = 1 {district}
        ORDER BY open_count, s.last_assigned_at IS NOT NULL, s.last_assigned_at, s.user_id
        LIMIT 1
    """


async def pick(
    conn: aiosqlite.Connection, role: Role, *, district: str, now: datetime
) -> Staff | None:
    """The member of ``role`` to assign in ``district``, marked as assigned at ``now``.

    Members of the application's own district come first; only if there is none is every
    active member of the role considered, whatever their district (or none).
    """
    column = _HOLDER_COLUMN.get(role)
    if column is None:
        raise ValueError(f"applications are not assigned to the role {role!r}")
    row = await fetch_one(conn, _candidates_sql(column, same_district=True), (role.value, district))
    if row is None:
        row = await fetch_one(conn, _candidates_sql(column, same_district=False), (role.value,))
    if row is None:
        return None
    stamp = time_to_db(now)
    await run(
        conn,
        "UPDATE staff SET last_assigned_at = ?, updated_at = ? WHERE user_id = ?",
        (stamp, stamp, row["user_id"]),
    )
    picked = await fetch_one(
        conn, f"SELECT {STAFF_COLUMNS} FROM staff WHERE user_id = ?", (row["user_id"],)
    )
    assert picked is not None  # selected in this transaction
    return staff_from_row(picked)


async def overseers_of(conn: aiosqlite.Connection, district: str | None) -> list[Staff]:
    """Active supervisors of ``district`` or of every district, then every active admin."""
    rows = await fetch_all(
        conn,
        f"""
        SELECT {STAFF_COLUMNS} FROM staff
        WHERE active = 1 AND (
            role = ? OR (role = ? AND (district IS NULL OR district = ?)))
        ORDER BY role = ?, user_id
        """,
        (Role.ADMIN.value, Role.SUPERVISOR.value, district, Role.ADMIN.value),
    )
    return [staff_from_row(row) for row in rows]
