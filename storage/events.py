"""The append-only history: who did what to which application, and when.

Every state change writes its event in the same transaction as the change itself (use
:meth:`EventsRepo.append` with the transaction's connection), so the history can never
disagree with the data. The table refuses UPDATE and DELETE at the database level; an
event's note, which is personal data that must be erasable, lives in ``notes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NotRequired, TypedDict, Unpack

import aiosqlite

from storage.codec import json_to_db, time_to_db
from storage.db import Database, insert
from storage.models import Event
from storage.notes import store_note
from storage.rows import EVENT_COLUMNS, event_from_row


class NewEvent(TypedDict):
    """What an event records; the keyword arguments of every function that writes one."""

    application_id: int | None
    actor_id: int | None
    actor_role: str
    kind: str
    now: datetime
    note: NotRequired[str | None]  # free text: stored sealed and erasable in ``notes``
    data: NotRequired[Mapping[str, Any] | None]


# An application's whole history (application id), oldest first.
HISTORY_SQL = f"SELECT {EVENT_COLUMNS} FROM events WHERE application_id = ? ORDER BY id"


class EventsRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, **event: Unpack[NewEvent]) -> int:
        """Write an event in a transaction of its own, for facts that change nothing else."""
        async with self._db.transaction() as connection:
            return await append_event(connection, **event)

    async def for_application(self, application_id: int) -> list[Event]:
        """The application's history, oldest first."""
        rows = await self._db.fetchall(HISTORY_SQL, (application_id,))
        return [event_from_row(row) for row in rows]


async def append_event(conn: aiosqlite.Connection, **event: Unpack[NewEvent]) -> int:
    """Write an event inside an open transaction: every state change has one.

    Its note, if any, is stored sealed and erasable in ``notes`` (storage/notes.py).
    """
    application_id, now, data = event["application_id"], event["now"], event.get("data")
    note_id = await store_note(conn, application_id, event.get("note"), now)
    return await insert(
        conn,
        """
        INSERT INTO events (application_id, actor_id, actor_role, kind, note_id, data,
                            created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """,
        (
            application_id,
            event["actor_id"],
            event["actor_role"],
            event["kind"],
            note_id,
            None if data is None else json_to_db(dict(data)),
            time_to_db(now),
        ),
    )
