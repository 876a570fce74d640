"""Everything an application's card shows, read in one trip to the database.

A card (the customer's ``/status`` card, a staff member's card) shows the survey times on
offer, what the customer still owes, the running stage clock, the history, the documents
and the last messages of the thread. Read one repository call at a time, that is seven
trips to the database's thread, and on PostgreSQL seven round trips to the server too, for
the command opened most often; read here, it is one snapshot run whole on that thread
(:meth:`~storage.db.Database.in_one_trip`), which also makes the parts agree with each
other. The statements are the repositories' own (one definition each), so a card shows
what the repositories would have returned.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from storage.applications import (
    DOCUMENTS_SQL,
    OPEN_OWED_ITEMS_SQL,
    open_visit_in,
)
from storage.db import Database
from storage.events import HISTORY_SQL
from storage.models import Document, Event, OwedItem, StageVisit
from storage.rows import document_from_row, event_from_row, owed_item_from_row
from storage.slots import LATEST_SLOTS_SQL, SurveySlot, slot_from_row
from storage.threads import RECENT_SHOWN, RECENT_SQL, ThreadMessage, thread_message_from_row


@dataclass(frozen=True)
class CardReads:
    """What a card shows of one application besides the application itself."""

    slots: list[SurveySlot]  # the latest round of survey times offered
    owed: list[OwedItem]  # still open
    visit: StageVisit | None  # the stage whose clock runs (or is paused), with its pauses
    history: list[Event]  # oldest first
    documents: list[Document]
    thread: list[ThreadMessage]  # the last few, oldest first


async def read_card(db: Database, application_id: int) -> CardReads:
    """The card's reads of ``application_id``, one consistent snapshot, one trip."""

    def reads(connection: sqlite3.Connection) -> CardReads:
        def rows(sql: str, *params: object) -> list[sqlite3.Row]:
            return list(connection.execute(sql, params).fetchall())

        return CardReads(
            slots=[
                slot_from_row(r) for r in rows(LATEST_SLOTS_SQL, application_id, application_id)
            ],
            owed=[owed_item_from_row(r) for r in rows(OPEN_OWED_ITEMS_SQL, application_id)],
            visit=open_visit_in(connection, application_id),
            history=[event_from_row(r) for r in rows(HISTORY_SQL, application_id)],
            documents=[document_from_row(r) for r in rows(DOCUMENTS_SQL, application_id)],
            thread=[
                thread_message_from_row(r) for r in rows(RECENT_SQL, application_id, RECENT_SHOWN)
            ],
        )

    return await db.in_one_trip(reads, write=False)
