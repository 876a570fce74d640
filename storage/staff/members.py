"""The utility's staff: enrolment by invite code, roles, disabling, assignment and queues.

Every permission check in the bot reads :attr:`Staff.active` fresh from here, so disabling
a member takes away every staff power at once. Disabling also hands the member's open
applications back (their manager fields cleared, one ``unassigned`` event each) in the
same transaction, so no application is left with a holder who can no longer act on it.

The work is split by topic: codes in :mod:`storage.staff.invites`, assignment in
:mod:`storage.staff.assign`, disabling in :mod:`storage.staff.disable`, queues and search in
:mod:`storage.staff.queue`; this class is the one door the bot uses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

import aiosqlite

from process.roles import Role
from storage.codec import time_to_db
from storage.db import Database, fetch_one, run
from storage.errors import UnknownUser
from storage.events import EventsRepo
from storage.models import Application
from storage.staff.assign import overseers_of, pick
from storage.staff.disable import disable_member
from storage.staff.events import (
    ADMIN_CONFIGURED_EVENT,
    INVITED_EVENT,
    JOINED_EVENT,
    staff_event,
)
from storage.staff.invites import (
    insert_failure,
    insert_invite,
    next_check_at,
    recent_failures,
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
    Staff,
    StaffNotFound,
    staff_from_row,
)
from storage.staff.queue import (
    find_applications,
    queue_for,
    queue_heads_for,
    queue_items_by_id,
)

AfterDisable = Callable[[aiosqlite.Connection, list[int]], Awaitable[None]]

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
    def __init__(self, db: Database, events: EventsRepo | None = None) -> None:
        self._db = db
        self._events = events if events is not None else EventsRepo(db)

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

    async def redeem(self, code: str, *, user_id: int, now: datetime) -> Staff:
        """Enrol ``user_id`` with the invite ``code``; raises an :class:`InviteError`."""
        async with self._db.transaction() as conn:
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

    async def count_recent_failures(self, user_id: int, now: datetime) -> int:
        """Wrong codes ``user_id`` typed within the last hour."""
        async with self._db.snapshot() as conn:
            return len(await recent_failures(conn, user_id, now))

    async def blocked_until(self, user_id: int, now: datetime) -> datetime | None:
        """While too many codes were wrong, the moment the next attempt will be checked."""
        async with self._db.snapshot() as conn:
            return next_check_at(await recent_failures(conn, user_id, now))

    async def record_failure(self, user_id: int, now: datetime) -> None:
        async with self._db.transaction() as conn:
            await insert_failure(conn, user_id, now)

    async def ensure_admin(self, user_id: int, *, name: str, now: datetime) -> Staff:
        """Make a configured admin (HVCONNECT_ADMINS) an active admin; cheap when they are.

        An existing member keeps their name and district but becomes an active admin: the
        configuration is the operator's word.
        """
        stamp = time_to_db(now)
        async with self._db.transaction() as conn:
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
                WHERE role != 'admin' OR active = 0
                """,
                (user_id, name, stamp, stamp),
            )
            if changed:
                await staff_event(
                    conn, ADMIN_CONFIGURED_EVENT, by=None, now=now, data={"staff_id": user_id}
                )
            row = await member_in(conn, user_id)
        assert row is not None  # written just above
        return row

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

    async def disable(
        self,
        user_id: int,
        now: datetime,
        *,
        by: int | None = None,
        then: AfterDisable | None = None,
    ) -> list[int]:
        """Take every staff power from ``user_id`` and hand back their open applications.

        Returns the ids of the applications that lost their customer or project manager,
        so the caller can alert the supervisors. ``by`` is the admin who did it (None from
        the command line). ``then`` runs in the same transaction with those ids, so alerts
        queued there commit with the change or not at all. Disabling a disabled member
        changes nothing.
        """
        async with self._db.transaction() as conn:
            member = await member_in(conn, user_id)
            if member is None:
                raise StaffNotFound(user_id)
            returned = await disable_member(conn, self._events, member, now, by=by)
            if then is not None:
                await then(conn, returned)
        return returned

    # -- assignment and oversight -------------------------------------------------------

    async def pick_customer_manager(
        self, conn: aiosqlite.Connection, *, district: str, now: datetime
    ) -> Staff | None:
        """Inside the caller's transaction: the customer manager to assign, now marked."""
        return await pick(conn, Role.CUSTOMER_MANAGER, district=district, now=now)

    async def pick_project_manager(
        self, conn: aiosqlite.Connection, *, district: str, now: datetime
    ) -> Staff | None:
        """Inside the caller's transaction: the project manager to assign, now marked."""
        return await pick(conn, Role.PROJECT_MANAGER, district=district, now=now)

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
            return await queue_for(conn, member)

    async def queue_heads(self, user_id: int) -> list[QueueHead]:
        """The member's open applications with their deadlines where already known."""
        async with self._db.snapshot() as conn:
            member = await member_in(conn, user_id)
            return [] if member is None else await queue_heads_for(conn, member)

    async def queue_items(self, application_ids: Sequence[int]) -> list[QueueItem]:
        async with self._db.snapshot() as conn:
            return await queue_items_by_id(conn, application_ids)

    async def find(
        self, text: str, *, limit: int = 20, member: Staff | None = None
    ) -> list[Application]:
        """By number (exact), applicant or project name (part of it), or contact mobile;
        only what ``member`` may see (None: everything, for the shell)."""
        async with self._db.snapshot() as conn:
            return await find_applications(conn, text, limit=limit, member=member)


async def member_in(conn: aiosqlite.Connection, user_id: int) -> Staff | None:
    """The member with ``user_id`` read inside an open transaction, active or not."""
    row = await fetch_one(conn, f"SELECT {STAFF_COLUMNS} FROM staff WHERE user_id = ?", (user_id,))
    return None if row is None else staff_from_row(row)


__all__ = [
    "INVITE_LIFETIME",
    "AfterDisable",
    "InviteError",
    "InviteExpired",
    "InviteInvalid",
    "InviteUsed",
    "QueueHead",
    "QueueItem",
    "Staff",
    "StaffNotFound",
    "StaffRepo",
]
