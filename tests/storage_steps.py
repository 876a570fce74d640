"""Storage steps of the services, each in a transaction of its own, for seeding and for
testing storage alone.

The bot reaches these steps only through :mod:`services`, which opens one transaction for
the whole operation (and queues its messages there); tests that want an application or a
member in a given state, without the assignment or the alerts, take the step by itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage.applications import file_draft
from storage.db import Database
from storage.models import Application
from storage.staff.disable import disable_member
from storage.staff.invites import insert_failure, next_check_at, recent_failures
from storage.staff.members import enrol_with_code, make_admin, member_in
from storage.staff.models import Staff, StaffNotFound
from storage.threads import add_message


async def file_draft_in(db: Database, **fields: Any) -> Application:
    """:func:`storage.applications.file_draft`: the draft filed, nobody assigned."""
    async with db.transaction() as conn:
        return await file_draft(conn, **fields)


async def customer_writes_in(
    db: Database, application_id: int, customer_id: int, texts: list[str], now: datetime
) -> None:
    """:func:`storage.threads.add_message`: the customer's texts in the application's thread."""
    async with db.transaction() as conn:
        for text in texts:
            await add_message(
                conn,
                application_id=application_id,
                sender_id=customer_id,
                sender_role="customer",
                text=text,
                file_id=None,
                file_kind=None,
                now=now,
            )


async def redeem_in(db: Database, code: str, *, user_id: int, now: datetime) -> Staff:
    async with db.transaction() as conn:
        return await enrol_with_code(conn, code, user_id=user_id, now=now)


async def ensure_admin_in(db: Database, user_id: int, *, name: str, now: datetime) -> Staff:
    async with db.transaction() as conn:
        return await make_admin(conn, user_id, name=name, now=now)


async def disable_in(
    db: Database, user_id: int, now: datetime, *, by: int | None = None
) -> list[int]:
    """The member disabled and their applications handed back, nobody alerted."""
    async with db.transaction() as conn:
        member = await member_in(conn, user_id)
        if member is None:
            raise StaffNotFound(user_id)
        return await disable_member(conn, member, now, by=by)


async def record_failure_in(db: Database, user_id: int, now: datetime) -> None:
    async with db.transaction() as conn:
        await insert_failure(conn, user_id, now)


async def count_recent_failures_in(db: Database, user_id: int, now: datetime) -> int:
    async with db.snapshot() as conn:
        return len(await recent_failures(conn, user_id, now))


async def blocked_until_in(db: Database, user_id: int, now: datetime) -> datetime | None:
    async with db.snapshot() as conn:
        return next_check_at(await recent_failures(conn, user_id, now))
