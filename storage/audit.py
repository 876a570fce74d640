"""An application's whole record for an auditor: the history, the thread, the documents,
and which integration API clients read it.

Every staff action writes an event in the same transaction as the change it makes, so the
event log is the audit trail. This module reads it back for one application together with
who each actor is (a staff member's name and role, or the customer's Telegram name), the
relayed messages (opened: the auditor holds the key) and the documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import aiosqlite

from storage.codec import time_from_db
from storage.db import Database, fetch_all, fetch_one
from storage.models import Application, Document, Event
from storage.rows import (
    APPLICATION_COLUMNS,
    DOCUMENT_COLUMNS,
    EVENT_COLUMNS,
    application_from_row,
    document_from_row,
    event_from_row,
)
from storage.threads import THREAD_MESSAGE_COLUMNS, ThreadMessage, thread_message_from_row


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int
    name: str | None  # the staff member's name, else the user's Telegram first name
    staff_role: str | None  # None for customers and former users


@dataclass(frozen=True, slots=True)
class ApiRead:
    """A call of the integration API about the application (storage/api_clients.py)."""

    client: str
    method: str
    path: str
    status: int
    at: datetime


@dataclass(frozen=True, slots=True)
class AuditTrail:
    application: Application
    events: list[Event]
    messages: list[ThreadMessage]
    documents: list[Document]
    actors: dict[int, Actor]
    api_calls: list[ApiRead] = field(default_factory=list)


async def audit_trail(db: Database, number: str) -> AuditTrail | None:
    """Everything recorded about application ``number``, read in one snapshot."""
    async with db.snapshot() as conn:
        row = await fetch_one(
            conn, f"SELECT {APPLICATION_COLUMNS} FROM applications WHERE number = ?", (number,)
        )
        if row is None:
            return None
        application = application_from_row(row)
        events = [
            event_from_row(r)
            for r in await fetch_all(
                conn,
                f"SELECT {EVENT_COLUMNS} FROM events WHERE application_id = ? ORDER BY id",
                (application.id,),
            )
        ]
        messages = [
            thread_message_from_row(r)
            for r in await fetch_all(
                conn,
                f"SELECT {THREAD_MESSAGE_COLUMNS} FROM thread_messages "
                "WHERE application_id = ? ORDER BY id",
                (application.id,),
            )
        ]
        documents = [
            document_from_row(r)
            for r in await fetch_all(
                conn,
                f"SELECT {DOCUMENT_COLUMNS} FROM documents WHERE application_id = ? ORDER BY id",
                (application.id,),
            )
        ]
        ids = {application.customer_id}
        ids |= {e.actor_id for e in events if e.actor_id is not None}
        ids |= {m.sender_id for m in messages}
        ids |= {d.uploaded_by for d in documents if d.uploaded_by is not None}
        actors = await _actors(conn, sorted(ids))
        calls = [
            ApiRead(r["name"], r["method"], r["path"], r["status"], time_from_db(r["created_at"]))
            for r in await fetch_all(
                conn,
                "SELECT c.name, k.method, k.path, k.status, k.created_at "
                "FROM api_calls k JOIN api_clients c ON c.id = k.client_id "
                "WHERE k.application_id = ? ORDER BY k.id",
                (application.id,),
            )
        ]
    return AuditTrail(application, events, messages, documents, actors, calls)


async def _actors(conn: aiosqlite.Connection, ids: list[int]) -> dict[int, Actor]:
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    rows = await fetch_all(
        conn,
        f"""
        SELECT u.user_id, s.name, u.first_name, s.role AS staff_role
        FROM users u LEFT JOIN staff s ON s.user_id = u.user_id
        WHERE u.user_id IN ({marks})
        """,
        ids,
    )
    # The first name is sealed; it is opened under its own column name, so it is picked here.
    found = {
        r["user_id"]: Actor(r["user_id"], r["name"] or r["first_name"], r["staff_role"])
        for r in rows
    }
    return {i: found.get(i, Actor(i, None, None)) for i in ids}
