"""Invite codes: how a person becomes staff, once, within 72 hours.

A code is read aloud or retyped from a screenshot, so it uses an alphabet without the
look-alikes 0/O and 1/I and is shown in groups ("ABCD-EFGH-JK"); typing it back forgives
case, spaces, dashes and full-width characters. Only its SHA-256 is stored. Redeeming marks
the code used and writes the staff row in one ``BEGIN IMMEDIATE`` transaction whose UPDATE
only matches an unused code, so of two people racing with one code exactly one is enrolled.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from datetime import datetime

import aiosqlite

from process.roles import Role
from storage.codec import plain, time_from_db, time_to_db
from storage.db import fetch_all, fetch_one, run
from storage.errors import UnknownUser
from storage.staff.models import (
    ATTEMPT_WINDOW,
    INVITE_LIFETIME,
    MAX_WRONG_CODES,
    STAFF_COLUMNS,
    InviteExpired,
    InviteInvalid,
    InviteUsed,
    Staff,
    staff_from_row,
)

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols: 50 random bits per code
CODE_LENGTH = 10
CODE_GROUP = 4


def new_code() -> str:
    """A fresh random code, grouped for reading: ``ABCD-EFGH-JK``."""
    return format_code("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))


def format_code(compact: str) -> str:
    return "-".join(compact[i : i + CODE_GROUP] for i in range(0, len(compact), CODE_GROUP))


def normalize_code(text: str) -> str | None:
    """The code's ten symbols as typed back by a person, or None if it cannot be one."""
    compact = "".join(
        char for char in unicodedata.normalize("NFKC", text).upper() if char.isalnum()
    )
    if len(compact) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in compact):
        return None
    return compact


def hash_code(compact: str) -> str:
    return hashlib.sha256(compact.encode("ascii")).hexdigest()


async def insert_invite(
    conn: aiosqlite.Connection,
    *,
    role: Role,
    name: str,
    district: str | None,
    created_by: int | None,
    now: datetime,
) -> str:
    """Store a new invite and return its code, the only time the code exists in full."""
    while True:
        code = new_code()
        # A collision among 2**50 codes is unlikely, but the primary key would turn one into
        # a failed enrolment of the admin's colleague; drawing again costs nothing.
        changed = await run(
            conn,
            """
            INSERT INTO invites (code_hash, role, name, district, created_by, created_at,
                                 expires_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (code_hash) DO NOTHING
            """,
            (
                hash_code(code.replace("-", "")),
                plain(role),
                name,
                district,
                created_by,
                time_to_db(now),
                time_to_db(now + INVITE_LIFETIME),
            ),
        )
        if changed == 1:
            return code


async def redeem_invite(
    conn: aiosqlite.Connection, code: str, *, user_id: int, now: datetime
) -> Staff:
    """Enrol ``user_id`` with the invite's role, name and district, inside a transaction.

    Someone already on the staff (active or disabled) takes the invite's role, name and
    district and is active again.
    """
    compact = normalize_code(code)
    if compact is None:
        raise InviteInvalid("not an invite code")
    code_hash = hash_code(compact)
    invite = await fetch_one(
        conn,
        "SELECT role, name, district, expires_at, used_at FROM invites WHERE code_hash = ?",
        (code_hash,),
    )
    if invite is None:
        raise InviteInvalid("no such invite code")
    if invite["used_at"] is not None:
        raise InviteUsed("the invite code has been used")
    if now >= time_from_db(invite["expires_at"]):
        raise InviteExpired("the invite code has expired")
    if await fetch_one(conn, "SELECT 1 FROM users WHERE user_id = ?", (user_id,)) is None:
        raise UnknownUser(user_id)
    stamp = time_to_db(now)
    claimed = await run(
        conn,
        "UPDATE invites SET used_at = ?, used_by = ? WHERE code_hash = ? AND used_at IS NULL",
        (stamp, user_id, code_hash),
    )
    if claimed != 1:  # pragma: no cover - BEGIN IMMEDIATE already serialises redeemers
        raise InviteUsed("the invite code has been used")
    await run(
        conn,
        """
        INSERT INTO staff (user_id, name, role, district, active, created_at, updated_at)
        VALUES (?, ?, ?, ?, 1, ?, ?)
        ON CONFLICT (user_id) DO UPDATE SET
            name = excluded.name,
            role = excluded.role,
            district = excluded.district,
            active = 1,
            disabled_at = NULL,
            updated_at = excluded.updated_at
        """,
        (user_id, invite["name"], invite["role"], invite["district"], stamp, stamp),
    )
    row = await fetch_one(conn, f"SELECT {STAFF_COLUMNS} FROM staff WHERE user_id = ?", (user_id,))
    assert row is not None  # written just above
    return staff_from_row(row)


async def recent_failures(
    conn: aiosqlite.Connection, user_id: int, now: datetime
) -> list[datetime]:
    """When ``user_id`` typed a wrong code within the last :data:`ATTEMPT_WINDOW`, oldest first."""
    rows = await fetch_all(
        conn,
        "SELECT at FROM join_attempts WHERE user_id = ? AND at > ? AND at <= ? ORDER BY at",
        (user_id, time_to_db(now - ATTEMPT_WINDOW), time_to_db(now)),
    )
    return [time_from_db(row["at"]) for row in rows]


async def insert_failure(conn: aiosqlite.Connection, user_id: int, now: datetime) -> None:
    # Attempts older than the window decide nothing any more; dropping them keeps the table
    # as small as the number of people currently guessing.
    await run(
        conn,
        "DELETE FROM join_attempts WHERE user_id = ? AND at <= ?",
        (user_id, time_to_db(now - ATTEMPT_WINDOW)),
    )
    await run(
        conn,
        "INSERT INTO join_attempts (user_id, at) VALUES (?, ?)",
        (user_id, time_to_db(now)),
    )


def next_check_at(failures: list[datetime]) -> datetime | None:
    """When the next attempt will be checked again, or None if it is checked now."""
    if len(failures) < MAX_WRONG_CODES:
        return None
    # Once the oldest failure that keeps the count at the limit leaves the window, one
    # attempt is free again.
    return failures[len(failures) - MAX_WRONG_CODES] + ATTEMPT_WINDOW
