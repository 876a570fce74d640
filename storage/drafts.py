"""The application a customer is still filling in, saved after every answer.

A customer may leave mid-questionnaire and come back days later, or the bot may restart in
between: each answer and each uploaded file is written at once, so nothing typed is lost.
One draft per user; starting again replaces it.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import datetime
from typing import Any

import aiosqlite

from storage.codec import json_from_db, json_to_db, time_from_db, time_to_db
from storage.db import Database, fetch_one, in_thread, insert, run
from storage.errors import UnknownUser
from storage.models import DocumentInput, Draft, DraftDocument
from storage.rows import DRAFT_DOCUMENT_COLUMNS, draft_document_from_row


class DraftsRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, user_id: int) -> Draft | None:
        return await self._db.in_one_trip(lambda db: _draft(db, user_id), write=False)

    async def answers(self, user_id: int) -> dict[str, Any] | None:
        """Just the answers of the user's draft (one read, no files), or None without one."""
        # One statement sees one state of the data by itself: no transaction around it.
        row = await self._db.fetchone("SELECT fields FROM drafts WHERE user_id = ?", (user_id,))
        return None if row is None else dict(json_from_db(row["fields"]))

    async def start(self, user_id: int, now: datetime) -> Draft:
        """A fresh, empty draft; any earlier draft and its files are discarded."""
        async with self._db.transaction() as connection:
            await run(connection, "DELETE FROM drafts WHERE user_id = ?", (user_id,))
            return await _ensure_draft(connection, user_id, now)

    async def set_field(self, user_id: int, name: str, value: Any, now: datetime) -> Draft:
        """Store one answer (any JSON value), creating the draft if needed."""
        if not name:
            raise ValueError("a draft field needs a name")
        return await self._db.in_one_trip(lambda db: _set_field(db, user_id, name, value, now))

    async def add_document(self, user_id: int, doc: DocumentInput, now: datetime) -> DraftDocument:
        """Attach an uploaded file to the draft (several files of one kind are allowed)."""
        if not doc.kind or not doc.file_id:
            raise ValueError("a document needs a kind and a file_id")
        async with self._db.transaction() as connection:
            await _ensure_draft(connection, user_id, now)
            document_id = await insert(
                connection,
                """
                INSERT INTO draft_documents (user_id, kind, file_id, file_unique_id,
                                             file_name, mime_type, file_size, uploaded_at,
                                             sent_as)
                VALUES (?, ?, ?, ?, hv_seal(?), ?, ?, ?, ?)
                """,
                (
                    user_id,
                    doc.kind,
                    doc.file_id,
                    doc.file_unique_id,
                    doc.file_name,
                    doc.mime_type,
                    doc.file_size,
                    time_to_db(now),
                    doc.sent_as,
                ),
            )
            await _touch(connection, user_id, now)
            row = await fetch_one(
                connection,
                f"SELECT {DRAFT_DOCUMENT_COLUMNS} FROM draft_documents WHERE id = ?",
                (document_id,),
            )
        assert row is not None  # inserted just above
        return draft_document_from_row(row)

    async def add_file(self, user_id: int, doc: DocumentInput, now: datetime) -> Draft:
        """A file received for the draft: attached, its kind no longer promised for later,
        in one transaction (one commit for a file step, not two); returns the draft."""
        if not doc.kind or not doc.file_id:
            raise ValueError("a document needs a kind and a file_id")
        return await self._db.in_one_trip(lambda db: _add_file(db, user_id, doc, now))

    async def remove_documents(self, user_id: int, kind: str, now: datetime) -> None:
        """Drop every file of ``kind`` from the draft, e.g. when the customer re-uploads."""
        async with self._db.transaction() as connection:
            changed = await run(
                connection,
                "DELETE FROM draft_documents WHERE user_id = ? AND kind = ?",
                (user_id, kind),
            )
            if changed:
                await _touch(connection, user_id, now)

    async def set_deferred(self, user_id: int, kind: str, deferred: bool, now: datetime) -> Draft:
        """Mark a document kind as promised for later (告知承诺), or take the promise back."""
        if not kind:
            raise ValueError("a deferred document needs a kind")
        async with self._db.transaction() as connection:
            draft = await _ensure_draft(connection, user_id, now)
            kinds = draft.deferred | {kind} if deferred else draft.deferred - {kind}
            await run(
                connection,
                "UPDATE drafts SET deferred = ?, updated_at = ? WHERE user_id = ?",
                (json_to_db(sorted(kinds)), time_to_db(now), user_id),
            )
            return await _must_load(connection, user_id)

    async def defer(self, user_id: int, kind: str, now: datetime) -> Draft:
        """Promise ``kind`` for later (告知承诺): its files so far dropped and the kind
        marked deferred, in one transaction (one commit for the step); returns the draft."""
        if not kind:
            raise ValueError("a deferred document needs a kind")
        return await self._db.in_one_trip(lambda db: _defer(db, user_id, kind, now))

    async def delete(self, user_id: int) -> None:
        """Forget the draft and its files (they were never part of an application)."""
        await self._db.execute("DELETE FROM drafts WHERE user_id = ?", (user_id,))


async def load_draft(connection: aiosqlite.Connection, user_id: int) -> Draft | None:
    """The user's draft read through ``connection`` (inside a caller's transaction)."""
    # Both queries in one trip to the connection's thread: the draft is read on every answer.
    return await in_thread(connection, lambda db: _draft(db, user_id))


def _draft(db: sqlite3.Connection, user_id: int) -> Draft | None:
    found = _read_draft(db, user_id)
    if found is None:
        return None
    row, documents = found
    return Draft(
        user_id=row["user_id"],
        fields=json_from_db(row["fields"]),
        deferred=frozenset(json_from_db(row["deferred"])),
        documents=tuple(draft_document_from_row(document) for document in documents),
        created_at=time_from_db(row["created_at"]),
        updated_at=time_from_db(row["updated_at"]),
    )


def _draft_or_new(db: sqlite3.Connection, user_id: int, stamp: str) -> Draft:
    """The user's draft, begun empty if they have none (an unknown user has none to begin)."""
    draft = _draft(db, user_id)
    if draft is not None:
        return draft
    if db.execute("SELECT 1 FROM users WHERE user_id = ?", (user_id,)).fetchone() is None:
        raise UnknownUser(user_id)
    db.execute(
        "INSERT INTO drafts (user_id, created_at, updated_at) VALUES (?, ?, ?)",
        (user_id, stamp, stamp),
    )
    draft = _draft(db, user_id)
    assert draft is not None  # inserted just above
    return draft


def _set_field(db: sqlite3.Connection, user_id: int, name: str, value: Any, now: datetime) -> Draft:
    """One answer stored, on SQLite's thread inside the caller's transaction (one trip)."""
    stamp = time_to_db(now)
    draft = _draft_or_new(db, user_id, stamp)
    stored = json_to_db({**draft.fields, name: value})
    db.execute(
        "UPDATE drafts SET fields = hv_seal_json(?), updated_at = ? WHERE user_id = ?",
        (stored, stamp, user_id),
    )
    # What was just written, without reading it back: one answer is one write.
    return dataclasses.replace(draft, fields=json_from_db(stored), updated_at=time_from_db(stamp))


def _read_draft(
    db: sqlite3.Connection, user_id: int
) -> tuple[sqlite3.Row, list[sqlite3.Row]] | None:
    row = db.execute(
        "SELECT user_id, fields, deferred, created_at, updated_at FROM drafts WHERE user_id = ?",
        (user_id,),
    ).fetchone()
    if row is None:
        return None
    documents = db.execute(
        f"SELECT {DRAFT_DOCUMENT_COLUMNS} FROM draft_documents WHERE user_id = ? ORDER BY id",
        (user_id,),
    ).fetchall()
    return row, documents


def _add_file(db: sqlite3.Connection, user_id: int, doc: DocumentInput, now: datetime) -> Draft:
    """A file attached and its promise taken back, on SQLite's thread inside the caller's
    transaction."""
    stamp = time_to_db(now)
    draft = _draft_or_new(db, user_id, stamp)
    db.execute(
        """
        INSERT INTO draft_documents (user_id, kind, file_id, file_unique_id, file_name,
                                     mime_type, file_size, uploaded_at, sent_as)
        VALUES (?, ?, ?, ?, hv_seal(?), ?, ?, ?, ?)
        """,
        (
            user_id,
            doc.kind,
            doc.file_id,
            doc.file_unique_id,
            doc.file_name,
            doc.mime_type,
            doc.file_size,
            stamp,
            doc.sent_as,
        ),
    )
    db.execute(
        "UPDATE drafts SET deferred = ?, updated_at = ? WHERE user_id = ?",
        (json_to_db(sorted(draft.deferred - {doc.kind})), stamp, user_id),
    )
    found = _draft(db, user_id)
    assert found is not None  # read in this transaction just above
    return found


def _defer(db: sqlite3.Connection, user_id: int, kind: str, now: datetime) -> Draft:
    """Files of ``kind`` dropped and the kind promised, on SQLite's thread (one trip)."""
    stamp = time_to_db(now)
    draft = _draft_or_new(db, user_id, stamp)
    db.execute("DELETE FROM draft_documents WHERE user_id = ? AND kind = ?", (user_id, kind))
    db.execute(
        "UPDATE drafts SET deferred = ?, updated_at = ? WHERE user_id = ?",
        (json_to_db(sorted(draft.deferred | {kind})), stamp, user_id),
    )
    found = _draft(db, user_id)
    assert found is not None  # read in this transaction just above
    return found


async def _must_load(connection: aiosqlite.Connection, user_id: int) -> Draft:
    draft = await load_draft(connection, user_id)
    assert draft is not None  # callers created it in the same transaction
    return draft


async def _ensure_draft(connection: aiosqlite.Connection, user_id: int, now: datetime) -> Draft:
    existing = await load_draft(connection, user_id)
    if existing is not None:
        return existing
    if await fetch_one(connection, "SELECT 1 FROM users WHERE user_id = ?", (user_id,)) is None:
        raise UnknownUser(user_id)
    stamp = time_to_db(now)
    await run(
        connection,
        "INSERT INTO drafts (user_id, created_at, updated_at) VALUES (?, ?, ?)",
        (user_id, stamp, stamp),
    )
    return await _must_load(connection, user_id)


async def _touch(connection: aiosqlite.Connection, user_id: int, now: datetime) -> None:
    await run(
        connection, "UPDATE drafts SET updated_at = ? WHERE user_id = ?", (time_to_db(now), user_id)
    )
