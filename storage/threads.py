"""The conversation between a customer and the utility about one application (一口对外).

Messages are stored with the application, whoever wrote them, so that a manager taking over
an application reads the whole thread on its card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.codec import time_from_db, time_to_db
from storage.db import Database, fetch_all, insert


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    id: int
    application_id: int
    sender_id: int
    sender_role: str
    text: str | None
    file_id: str | None
    file_kind: str | None
    created_at: datetime


THREAD_MESSAGE_COLUMNS = (
    "id, application_id, sender_id, sender_role, text, file_id, file_kind, created_at"
)


def thread_message_from_row(r: aiosqlite.Row) -> ThreadMessage:
    """A row selected with :data:`THREAD_MESSAGE_COLUMNS` (the card and the audit read it)."""
    return ThreadMessage(
        r["id"],
        r["application_id"],
        r["sender_id"],
        r["sender_role"],
        r["text"],
        r["file_id"],
        r["file_kind"],
        time_from_db(r["created_at"]),
    )


async def add_message(
    connection: aiosqlite.Connection,
    *,
    application_id: int,
    sender_id: int,
    sender_role: str,
    text: str | None,
    file_id: str | None,
    file_kind: str | None,
    now: datetime,
) -> int:
    return await insert(
        connection,
        """
        INSERT INTO thread_messages (application_id, sender_id, sender_role, text, file_id,
                                     file_kind, created_at)
        VALUES (?, ?, ?, hv_seal(?), ?, ?, ?)
        """,
        (application_id, sender_id, sender_role, text, file_id, file_kind, time_to_db(now)),
    )


async def staff_messages_until(
    connection: aiosqlite.Connection, application_id: int, until: datetime
) -> list[ThreadMessage]:
    """What staff wrote in the thread up to ``until``, oldest first, read inside the caller's
    transaction."""
    rows = await fetch_all(
        connection,
        f"""
        SELECT {THREAD_MESSAGE_COLUMNS} FROM thread_messages
        WHERE application_id = ? AND sender_role != 'customer' AND created_at <= ?
        ORDER BY id
        """,
        (application_id, time_to_db(until)),
    )
    return [thread_message_from_row(r) for r in rows]


# The last messages of an application's thread (application id, how many), oldest first.
RECENT_SQL = f"""
    SELECT * FROM (
        SELECT {THREAD_MESSAGE_COLUMNS}
        FROM thread_messages WHERE application_id = ? ORDER BY id DESC LIMIT ?)
    ORDER BY id
"""
RECENT_SHOWN = 5


class ThreadsRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def recent(
        self, application_id: int, *, limit: int = RECENT_SHOWN
    ) -> list[ThreadMessage]:
        """The last ``limit`` messages, oldest first."""
        rows = await self._db.fetchall(RECENT_SQL, (application_id, limit))
        return [thread_message_from_row(r) for r in rows]

    async def count(self, application_id: int) -> int:
        row = await self._db.fetchone(
            "SELECT COUNT(*) AS n FROM thread_messages WHERE application_id = ?",
            (application_id,),
        )
        return int(row["n"]) if row else 0
