"""The utility's staff: enrolment by invite code, roles, disabling, assignment and queues.

Every permission check in the bot reads :attr:`Staff.active` fresh from here, so disabling
a member takes away every staff power at once. Disabling also hands the member's open
applications back (their manager fields cleared, one ``unassigned`` event each) in the
same transaction, so no application is left with a holder who can no longer act on it.

The work is split by topic: codes in :mod:`storage.staff.invites`, assignment in
:mod:`storage.staff.assign`, disabling in :mod:`storage.staff.disable`, queues and search in
:mod:`storage.staff.queue`, who hears about an application in :mod:`storage.staff.audience`.
The class reads, and issues invites; what changes who is on the staff is done by
:mod:`services.staff` with the functions that take its open connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import date, datetime

import aiosqlite

from process.roles import Role
from storage.codec import time_to_db
from storage.db import Database, fetch_one, in_thread, run
from storage.errors import UnknownUser
from storage.models import Application
from storage.staff.assign import overseers_of
from storage.staff.events import (
    ADMIN_CONFIGURED_EVENT,
    INVITED_EVENT,
    JOINED_EVENT,
    staff_event,
)
from storage.staff.invites import (
    insert_invite,
    redeem_invite,
)
from storage.staff.models import (
    INVITE_LIFETIME,
    STAFF_COLUMNS,
    InviteError,
    InviteExpired,
    InviteInvalid,
    InviteUsed,
    QueueHead,
    QueueItem,
    QueuePage,
    Staff,
    StaffNotFound,
    staff_from_row,
)
from storage.staff.queue import (
    find_applications_in,
    queue_in,
    queue_items_in,
    queue_page_in,
)

OPEN_COUNTS_SQL = """
    SELECT holder, COUNT(*) AS open_count FROM (
        SELECT id, customer_manager_id AS holder FROM applications
        WHERE status = 'active' AND customer_manager_id IS NOT NULL
        UNION
        SELECT id, project_manager_id FROM applications
        WHERE status = 'active' AND project_manager_id IS NOT NULL)
    GROUP BY holder
"""


class StaffRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- enrolment ----------------------------------------------------------------------

    async def create_invite(
        self,
        *,
        role: Role,
        name: str,
        district: str | None,
        created_by: int | None,
        now: datetime,
    ) -> str:
        """A one-time code (``ABCD-EFGH-JK``) that enrols its holder; valid for 72 hours."""
        async with self._db.transaction() as conn:
            code = await insert_invite(
                conn, role=role, name=name, district=district, created_by=created_by, now=now
            )
            await staff_event(
                conn,
                INVITED_EVENT,
                by=created_by,
                now=now,
                data={"role": str(role), "name": name, "district": district},
            )
            return code

    # -- members ------------------------------------------------------------------------

    async def get(self, user_id: int) -> Staff | None:
        """The member with ``user_id``, active or not; None for customers."""
        row = await self._db.fetchone(
            f"SELECT {STAFF_COLUMNS} FROM staff WHERE user_id = ?", (user_id,)
        )
        return None if row is None else staff_from_row(row)

    async def list_all(self) -> list[Staff]:
        """Every member, active ones first, then by role and name."""
        rows = await self._db.fetchall(
            f"SELECT {STAFF_COLUMNS} FROM staff ORDER BY active DESC, role, name, user_id"
        )
        return [staff_from_row(row) for row in rows]

    async def open_counts(self) -> dict[int, int]:
        """Open applications held per member (as customer or project manager)."""
        rows = await self._db.fetchall(OPEN_COUNTS_SQL)
        return {row["holder"]: row["open_count"] for row in rows}

    # -- assignment and oversight -------------------------------------------------------

    async def overseers(self, district: str | None) -> list[Staff]:
        """Who hears of alerts and escalations for ``district``: its active supervisors,
        supervisors of every district, and every active admin."""
        async with self._db.snapshot() as conn:
            return await overseers_of(conn, district)

    # -- reading ------------------------------------------------------------------------

    async def queue(self, user_id: int) -> list[QueueItem]:
        """The member's open applications (unsorted: deadlines need the calendar)."""
        async with self._db.snapshot() as conn:
            member = await member_in(conn, user_id)
            if member is None:
                return []
            return await in_thread(conn, lambda db: queue_in(db, member))

    async def queue_page(
        self,
        member: Staff,
        *,
        late_before: date,
        first: int | None = None,
        with_items: bool = False,
    ) -> QueuePage:
        """The member's open applications as far as showing the first ``first`` lines needs
        (:func:`storage.staff.queue.queue_page_in`); ``with_items``, their full items read in
        the same trip."""
        return await self._db.in_one_trip(
            lambda db: queue_page_in(
                db, member, late_before=late_before, first=first, with_items=with_items
            ),
            write=False,
        )

    async def queue_items(self, application_ids: Sequence[int]) -> list[QueueItem]:
        return await self._db.in_one_trip(
            lambda db: queue_items_in(db, application_ids), write=False
        )

    async def find(
        self, text: str, *, limit: int = 20, member: Staff | None = None
    ) -> list[Application]:
        """By number (exact), applicant or project name (part of it), or contact mobile;
        only what ``member`` may see (None: everything, for the shell)."""
        return await self._db.in_one_trip(
            lambda db: find_applications_in(db, text, limit=limit, member=member), write=False
        )

    async def find_with_holders(
        self, text: str, *, limit: int = 20, member: Staff | None = None
    ) -> tuple[list[Application], dict[int, str]]:
        """:meth:`find`, and the names of the customer managers holding what was found
        (by user id), read in the same trip: the results list shows who holds each."""

        def work(db: sqlite3.Connection) -> tuple[list[Application], dict[int, str]]:
            found = find_applications_in(db, text, limit=limit, member=member)
            holders = sorted({a.customer_manager_id for a in found if a.customer_manager_id})
            if not holders:
                return found, {}
            rows = db.execute(
                f"SELECT {STAFF_COLUMNS} FROM staff "
                f"WHERE user_id IN ({', '.join('?' * len(holders))})",
                holders,
            ).fetchall()
            return found, {m.user_id: m.name for m in map(staff_from_row, rows)}

        return await self._db.in_one_trip(work, write=False)


async def enrol_with_code(
    conn: aiosqlite.Connection, code: str, *, user_id: int, now: datetime
) -> Staff:
    """Inside the caller's transaction: enrol ``user_id`` with the invite ``code`` and write
    the event; raises an :class:`InviteError`, having written nothing."""
    member = await redeem_invite(conn, code, user_id=user_id, now=now)
    await staff_event(
        conn,
        JOINED_EVENT,
        by=user_id,
        role=member.role,
        now=now,
        data={"role": member.role, "name": member.name, "district": member.district},
    )
    return member


async def make_admin(
    conn: aiosqlite.Connection, user_id: int, *, name: str, now: datetime
) -> Staff:
    """Inside the caller's transaction: ``user_id`` (a known user) as an active admin; an
    existing member keeps their name and district. Writes nothing when they already are."""
    stamp = time_to_db(now)
    if await fetch_one(conn, "SELECT 1 FROM users WHERE user_id = ?", (user_id,)) is None:
        raise UnknownUser(user_id)
    changed = await run(
        conn,
        """
        INSERT INTO staff (user_id, name, role, district, active, created_at,
                           updated_at)
        VALUES (?, ?, 'admin', NULL, 1, ?, ?)
        ON CONFLICT (user_id) DO UPDATE SET
            role = 'admin', active = 1, disabled_at = NULL,
            updated_at = excluded.updated_at
        WHERE staff.role != 'admin' OR staff.active = 0
        """,
        (user_id, name, stamp, stamp),
    )
    if changed:
        await staff_event(
            conn, ADMIN_CONFIGURED_EVENT, by=None, now=now, data={"staff_id": user_id}
        )
    member = await member_in(conn, user_id)
    assert member is not None  # written just above
    return member


async def member_in(conn: aiosqlite.Connection, user_id: int | None) -> Staff | None:
    """A member (active or not) read inside the caller's transaction; None for nobody."""
    if user_id is None:
        return None
    row = await fetch_one(conn, f"SELECT {STAFF_COLUMNS} FROM staff WHERE user_id = ?", (user_id,))
    return None if row is None else staff_from_row(row)


__all__ = [
    "INVITE_LIFETIME",
    "InviteError",
    "InviteExpired",
    "InviteInvalid",
    "InviteUsed",
    "QueueHead",
    "QueueItem",
    "QueuePage",
    "Staff",
    "StaffNotFound",
    "StaffRepo",
]
