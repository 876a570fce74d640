"""The reminder sweeps' own table: what to look at again, and when.

A sweep runs every minute, and with 100,000 open applications it cannot recount every stage
clock each time. Instead ``reminder_watch`` holds one row per stage visit (for staff
reminders, and for the customer's follow-up) and one per open owed item, each with the
local date from which it may need a message (``check_on``). A run reads the rows that are
due, decides what to say from the application's own tables, and sets each row's next date.

Nothing here is the source of truth: the rows are derived, and triggers (migration 0005)
put a row back to "look now" whenever its stage visit, clock pauses or owed item change, so
a run never acts on a stale row. Messages are once-only through their outbox keys, not
through this table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import aiosqlite

from storage.codec import date_to_db
from storage.db import Database, fetch_all, fetch_one, run

LOOK_NOW = ""  # check_on of a row to look at in the next run
NEVER = "9999-12-31"  # check_on of a row only a change will wake (its trigger resets it)


class WatchKind(StrEnum):
    STAGE = "stage"  # stage_visits.id: reminders and escalations to staff
    FOLLOWUP = "followup"  # stage_visits.id: the customer's progress follow-up
    OWED = "owed"  # owed_items.id: what the customer still has to do


class StageState(StrEnum):
    NEW = "new"
    RUNNING = "running"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class WatchUpdate:
    """The outcome of looking at one row: when to look again, and the stage's state."""

    subject_id: int
    check_on: date | None  # None: only a change of the row's data will wake it
    state: StageState = StageState.NEW
    due_on: date | None = None


def _check_on(day: date | None) -> str:
    return NEVER if day is None else date_to_db(day)


async def due_subjects(
    conn: aiosqlite.Connection, kind: WatchKind, day: date, *, limit: int
) -> list[int]:
    """Up to ``limit`` subjects of ``kind`` to look at on ``day`` (new ones first)."""
    rows = await fetch_all(
        conn,
        """
        SELECT subject_id FROM reminder_watch
         WHERE check_on <= ? AND kind = ?
         ORDER BY check_on, subject_id
         LIMIT ?
        """,
        (date_to_db(day), kind.value, limit),
    )
    return [row["subject_id"] for row in rows]


async def changed_subjects(conn: aiosqlite.Connection, day: date, *, limit: int) -> list[int]:
    """Up to ``limit`` stage visits to count afresh on ``day``: new, changed, paused, or
    without stored point dates (the others are decided by :mod:`storage.reminders.points`)."""
    rows = await fetch_all(
        conn,
        """
        SELECT subject_id FROM reminder_watch INDEXED BY reminder_watch_to_count
         WHERE kind = 'stage' AND check_on <= ?
           AND (check_on = '' OR state != 'running' OR deadline_on IS NULL)
         ORDER BY check_on, subject_id
         LIMIT ?
        """,
        (date_to_db(day), limit),
    )
    return [row["subject_id"] for row in rows]


async def update_watches(
    conn: aiosqlite.Connection, kind: WatchKind, updates: Iterable[WatchUpdate]
) -> None:
    await conn.executemany(
        """
        UPDATE reminder_watch SET check_on = ?, state = ?, due_on = ?,
               half_on = NULL, before_on = NULL, deadline_on = NULL
         WHERE kind = ? AND subject_id = ?
        """,
        [
            (
                _check_on(u.check_on),
                u.state.value,
                None if u.due_on is None else date_to_db(u.due_on),
                kind.value,
                u.subject_id,
            )
            for u in updates
        ],
    )


async def forget_watches(
    conn: aiosqlite.Connection, kind: WatchKind, subject_ids: Iterable[int]
) -> None:
    """Drop rows whose subject is gone for good (visit closed, application finished)."""
    await conn.executemany(
        "DELETE FROM reminder_watch WHERE kind = ? AND subject_id = ?",
        [(kind.value, subject_id) for subject_id in subject_ids],
    )


# -- the calendar the rows were computed with ----------------------------------------------

CALENDAR_KEY = "calendar"


async def meta_value(conn: aiosqlite.Connection, name: str) -> str | None:
    row = await fetch_one(conn, "SELECT value FROM reminder_meta WHERE name = ?", (name,))
    return None if row is None else str(row["value"])


async def set_meta(conn: aiosqlite.Connection, name: str, value: str) -> None:
    """Remember a fact between runs and restarts (e.g. the day's escalations are done)."""
    await run(
        conn,
        "INSERT INTO reminder_meta (name, value) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (name, value),
    )


async def sync_calendar(db: Database, fingerprint: str) -> bool:
    """Record the calendar the sweeps now count with; if it differs from the one the rows
    were computed with, every row is looked at again. Returns True when that happened."""
    async with db.snapshot() as conn:
        if await meta_value(conn, CALENDAR_KEY) == fingerprint:
            return False  # the usual start: nothing to write
    async with db.transaction() as conn:
        stored = await meta_value(conn, CALENDAR_KEY)
        if stored == fingerprint:
            return False
        await set_meta(conn, CALENDAR_KEY, fingerprint)
        if stored is None:
            return False  # a new database: rows start at "look now" anyway
        await run(conn, "UPDATE reminder_watch SET check_on = ?", (LOOK_NOW,))
        return True


async def count_by_kind(db: Database) -> dict[str, int]:
    """How many rows each kind has (for the operator and tests)."""
    rows = await db.fetchall("SELECT kind, COUNT(*) AS n FROM reminder_watch GROUP BY kind")
    counts = {kind.value: 0 for kind in WatchKind}
    counts.update({r["kind"]: r["n"] for r in rows})
    return counts


def ids_placeholders(ids: Sequence[object]) -> str:
    """``?, ?, ?`` for an IN list of ``ids`` (callers chunk long lists)."""
    return ", ".join("?" * len(ids))
