"""Notes: the free text staff type with an action, stored once, sealed, erasable.

A note (what a return is missing, why a plan was sent back, who took over) may hold a
phone number or a name, so it is personal data. The event log is append-only evidence and
can never be rewritten, so a note does not live in it: the event (and, for a return, the
owed item it opened) refers to a row here. Erasing a note on request empties that row and
keeps the event, so the history of the process stays whole and says only that a note was
erased. The two writes of one action (the owed item, then its event) find the same text by
its keyed hash and share the row.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import aiosqlite

from storage.codec import time_to_db
from storage.db import fetch_one, insert, run

# The column names the reads of events and owed items select the note under: ``note`` is a
# sealed column name (storage/sealing/columns.py), so the row factory opens it.
EVENT_NOTE_SQL = "(SELECT n.note FROM notes n WHERE n.id = events.note_id) AS note"
OWED_NOTE_SQL = "(SELECT n.note FROM notes n WHERE n.id = owed_items.note_id) AS note"


async def store_note(
    conn: aiosqlite.Connection, application_id: int | None, text: str | None, now: datetime
) -> int | None:
    """The id of a sealed note holding ``text`` for this application (None for no text).

    A note with the same text written for the same application and not erased is used
    again: one action writes its note to its owed item and to its event.
    """
    if text is None or text == "":
        return None
    found = await fetch_one(
        conn,
        "SELECT id FROM notes WHERE application_id IS ? AND note_hash IN "
        "(SELECT value FROM json_each(hv_lookups(?))) ORDER BY id DESC LIMIT 1",
        (application_id, text),
    )
    if found is not None:
        return int(found["id"])
    return await insert(
        conn,
        "INSERT INTO notes (application_id, note, note_hash, created_at) "
        "VALUES (?, hv_seal(?2), hv_lookup(?2), ?)",
        (application_id, text, time_to_db(now)),
    )


async def erase_notes(
    conn: aiosqlite.Connection, application_ids: Iterable[int], now: datetime
) -> int:
    """Empty every note of these applications; the events that referred to them stay."""
    ids = list(application_ids)
    if not ids:
        return 0
    placeholders = ", ".join("?" * len(ids))
    return await run(
        conn,
        f"UPDATE notes SET note = NULL, note_hash = NULL, erased_at = ? "
        f"WHERE application_id IN ({placeholders}) AND erased_at IS NULL",
        (time_to_db(now), *ids),
    )
