"""What the integration API reads: a page of applications, one application's card, a page
of the event feed; each read in one snapshot, so a page or a card is one state of the data.

Pages are ordered by id, which never changes and only grows (the applications are never
deleted; the events are append-only and, with SQLite's one writer, committed in id order):
a reader that resumes after the last id it saw misses nothing and sees nothing twice, however
many writes arrive between its pages. An ordering by ``updated_at`` would move an
application that changes while the pages are read past the reader's cursor, to be read
twice, and one whose update commits late could be skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import aiosqlite

from storage.applications import pauses_by_visit
from storage.codec import plain, time_to_db
from storage.db import Database, fetch_all, fetch_one
from storage.models import Application, Document, Event, OwedItem, StageVisit
from storage.rows import (
    APPLICATION_COLUMNS,
    DOCUMENT_COLUMNS,
    EVENT_COLUMNS,
    OWED_ITEM_COLUMNS,
    STAGE_VISIT_COLUMNS,
    application_from_row,
    document_from_row,
    event_from_row,
    owed_item_from_row,
    stage_visit_from_row,
)


@dataclass(frozen=True, slots=True)
class ApplicationFilter:
    status: str | None = None
    stage: str | None = None
    district: str | None = None
    holder: int | None = None  # a staff member holding it (customer or project manager)
    updated_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class Holder:
    user_id: int
    name: str | None
    role: str  # the role they hold the application in


@dataclass(frozen=True, slots=True)
class Card:
    application: Application
    visits: list[StageVisit]
    owed: list[OwedItem]
    documents: list[Document]
    events: list[Event]
    holders: list[Holder] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class FeedEvent:
    event: Event
    number: str


async def application_page(
    db: Database, where: ApplicationFilter, after_id: int, limit: int
) -> list[Application]:
    """Up to ``limit`` applications matching ``where`` with an id above ``after_id``."""
    conditions: list[str] = ["id > ?"]
    params: list[object] = [after_id]
    if where.status is not None:
        conditions.append("status = ?")
        params.append(plain(where.status))
    if where.stage is not None:
        conditions.append("stage = ?")
        params.append(plain(where.stage))
    if where.district is not None:
        conditions.append("district = ?")
        params.append(where.district)
    if where.holder is not None:
        conditions.append("(customer_manager_id = ? OR project_manager_id = ?)")
        params += [where.holder, where.holder]
    if where.updated_since is not None:
        conditions.append("updated_at >= ?")
        params.append(time_to_db(where.updated_since))
    rows = await db.fetchall(
        f"SELECT {APPLICATION_COLUMNS} FROM applications WHERE {' AND '.join(conditions)} "
        "ORDER BY id LIMIT ?",
        [*params, limit],
    )
    return [application_from_row(row) for row in rows]


async def application_card(db: Database, number: str) -> Card | None:
    """Everything the card shows about application ``number``, or None if there is none."""
    async with db.snapshot() as conn:
        row = await fetch_one(
            conn, f"SELECT {APPLICATION_COLUMNS} FROM applications WHERE number = ?", (number,)
        )
        if row is None:
            return None
        application = application_from_row(row)
        key = (application.id,)
        visit_rows = await fetch_all(
            conn,
            f"SELECT {STAGE_VISIT_COLUMNS} FROM stage_visits WHERE application_id = ? ORDER BY id",
            key,
        )
        pauses = await pauses_by_visit(conn, [r["id"] for r in visit_rows])
        owed = await fetch_all(
            conn,
            f"SELECT {OWED_ITEM_COLUMNS} FROM owed_items WHERE application_id = ? ORDER BY id",
            key,
        )
        documents = await fetch_all(
            conn,
            f"SELECT {DOCUMENT_COLUMNS} FROM documents WHERE application_id = ? ORDER BY id",
            key,
        )
        events = await fetch_all(
            conn,
            f"SELECT {EVENT_COLUMNS} FROM events WHERE application_id = ? ORDER BY id",
            key,
        )
        holders = await _holders(conn, application)
    return Card(
        application=application,
        visits=[stage_visit_from_row(r, pauses[r["id"]]) for r in visit_rows],
        owed=[owed_item_from_row(r) for r in owed],
        documents=[document_from_row(r) for r in documents],
        events=[event_from_row(r) for r in events],
        holders=holders,
    )


async def _holders(conn: aiosqlite.Connection, application: Application) -> list[Holder]:
    held = [
        (user_id, role)
        for user_id, role in (
            (application.customer_manager_id, "customer_manager"),
            (application.project_manager_id, "project_manager"),
        )
        if user_id is not None
    ]
    found: list[Holder] = []
    for user_id, role in held:
        row = await fetch_one(conn, "SELECT name FROM staff WHERE user_id = ?", (user_id,))
        found.append(Holder(user_id, None if row is None else row["name"], role))
    return found


async def application_ids(db: Database, numbers: list[str]) -> dict[str, int]:
    if not numbers:
        return {}
    marks = ", ".join("?" * len(numbers))
    rows = await db.fetchall(
        f"SELECT id, number FROM applications WHERE number IN ({marks})", numbers
    )
    return {row["number"]: row["id"] for row in rows}


async def application_id(db: Database, number: str) -> int | None:
    return (await application_ids(db, [number])).get(number)


async def events_after(db: Database, after_id: int, limit: int) -> list[FeedEvent]:
    """Up to ``limit`` events of applications with an id above ``after_id``, oldest first.

    The bot's own events (a staff member enrolled, an admin configured) belong to no
    application and are no part of the feed.
    """
    # No note: it is free text staff typed, personal data that stays in the chat.
    rows = await db.fetchall(
        """
        SELECT events.id, events.application_id, events.actor_id, events.actor_role,
               events.kind, NULL AS note, events.data, events.created_at, a.number
        FROM events JOIN applications a ON a.id = events.application_id
        WHERE events.id > ? ORDER BY events.id LIMIT ?
        """,
        (after_id, limit),
    )
    return [FeedEvent(event_from_row(row), row["number"]) for row in rows]


async def last_event_id(db: Database) -> int:
    """The id of the newest event: what the feed's long poll watches for a change."""
    row = await db.fetchone("SELECT COALESCE(MAX(id), 0) AS last FROM events")
    return 0 if row is None else int(row["last"])
