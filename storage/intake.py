"""Applications filed for a customer not yet in Telegram, and the codes that hand them over.

A 95598 operator or the service hall types an application in for a customer (through the
integration API). The application needs a customer row (``applications.customer_id`` is NOT
NULL), so the customer is a placeholder user with a negative id: Telegram ids are positive,
so a placeholder can never be mistaken for a real chat, and :func:`is_placeholder` is how the
outbox and the reminder sweeps recognise one and send it nothing. When the customer opens
the claim link, :func:`hand_over` makes their Telegram user the application's customer.

Every function here works on the open connection of the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.codec import json_to_db, optional_time_from_db, time_from_db, time_to_db
from storage.db import fetch_one, run
from storage.models import User
from storage.users import user_in


def is_placeholder(user_id: int | None) -> bool:
    """True for the stand-in customer of an application nobody has claimed in Telegram."""
    return user_id is not None and user_id < 0


async def add_placeholder_customer(
    conn: aiosqlite.Connection, *, locale: str, now: datetime
) -> User:
    """A new stand-in customer: the next negative id, its own (never used) chat id."""
    row = await fetch_one(conn, "SELECT MIN(user_id) AS lowest FROM users WHERE user_id < 0")
    user_id = min(row["lowest"] or 0, 0) - 1 if row is not None else -1
    stamp = time_to_db(now)
    await run(
        conn,
        """
        INSERT INTO users (user_id, chat_id, locale, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?)
        """,
        (user_id, user_id, locale, stamp, stamp),
    )
    found = await user_in(conn, user_id)
    assert found is not None  # inserted just above
    return found


async def start_promised_draft(
    conn: aiosqlite.Connection, user_id: int, promised: Iterable[str], now: datetime
) -> None:
    """A draft for ``user_id`` in which every document in ``promised`` is owed for later:
    what the filing (:func:`storage.applications.file_draft`) turns into owed items."""
    stamp = time_to_db(now)
    await run(
        conn,
        "INSERT INTO drafts (user_id, deferred, created_at, updated_at) VALUES (?, ?, ?, ?)",
        (user_id, json_to_db(sorted(promised)), stamp, stamp),
    )


# -- idempotency ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntakeRecord:
    """The first answer to a client's idempotency key."""

    client: str
    idempotency_key: str
    request_hash: str
    application_id: int
    claim_code: str
    created_at: datetime


async def intake_in(conn: aiosqlite.Connection, client: str, key: str) -> IntakeRecord | None:
    row = await fetch_one(
        conn,
        """
        SELECT client, idempotency_key, request_hash, application_id, claim_code, created_at
        FROM intake_requests WHERE client = ? AND idempotency_key = ?
        """,
        (client, key),
    )
    if row is None:
        return None
    return IntakeRecord(
        client=row["client"],
        idempotency_key=row["idempotency_key"],
        request_hash=row["request_hash"],
        application_id=row["application_id"],
        claim_code=row["claim_code"],
        created_at=time_from_db(row["created_at"]),
    )


async def record_intake(
    conn: aiosqlite.Connection,
    *,
    client: str,
    key: str,
    request_hash: str,
    application_id: int,
    claim_code: str,
    now: datetime,
) -> None:
    """Remember the answer to ``key``. The code is sealed at rest (only its hash is in
    ``claim_codes``): a client that lost the first answer gets the same link again."""
    await run(
        conn,
        """
        INSERT INTO intake_requests (client, idempotency_key, request_hash, application_id,
                                     claim_code, created_at)
        VALUES (?, ?, ?, ?, hv_seal(?), ?)
        """,
        (client, key, request_hash, application_id, claim_code, time_to_db(now)),
    )


# -- claim codes ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClaimCode:
    application_id: int
    expires_at: datetime
    claimed_at: datetime | None
    claimed_by: int | None


async def add_claim_code(
    conn: aiosqlite.Connection,
    *,
    application_id: int,
    code_hash: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    await run(
        conn,
        """
        INSERT INTO claim_codes (application_id, code_hash, created_at, expires_at)
        VALUES (?, ?, ?, ?)
        """,
        (application_id, code_hash, time_to_db(now), time_to_db(expires_at)),
    )


async def claim_code_in(conn: aiosqlite.Connection, code_hash: str) -> ClaimCode | None:
    return await _claim_code_where(conn, "code_hash", code_hash)


async def hand_over(
    conn: aiosqlite.Connection, *, application_id: int, customer_id: int, now: datetime
) -> bool:
    """Spend the application's claim code and make ``customer_id`` its customer; False (and
    nothing written) when the code was spent already."""
    stamp = time_to_db(now)
    spent = await run(
        conn,
        """
        UPDATE claim_codes SET claimed_at = ?, claimed_by = ?
        WHERE application_id = ? AND claimed_at IS NULL
        """,
        (stamp, customer_id, application_id),
    )
    if not spent:
        return False
    await run(
        conn,
        "UPDATE applications SET customer_id = ?, updated_at = ? WHERE id = ?",
        (customer_id, stamp, application_id),
    )
    return True


async def claim_code_of(conn: aiosqlite.Connection, application_id: int) -> ClaimCode | None:
    """The claim code made with ``application_id`` (its hash and dates, never the code)."""
    return await _claim_code_where(conn, "application_id", application_id)


async def _claim_code_where(
    conn: aiosqlite.Connection, column: str, value: object
) -> ClaimCode | None:
    # ``column`` is one of the two names above, never a caller's text.
    row = await fetch_one(
        conn,
        "SELECT application_id, expires_at, claimed_at, claimed_by "
        f"FROM claim_codes WHERE {column} = ?",
        (value,),
    )
    if row is None:
        return None
    return ClaimCode(
        application_id=row["application_id"],
        expires_at=time_from_db(row["expires_at"]),
        claimed_at=optional_time_from_db(row["claimed_at"]),
        claimed_by=row["claimed_by"],
    )
