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


@dataclass(frozen=True, slots=True)
class LateVisit:
    """A running stage visit past its due date, as of the last look at it."""

    visit_id: int
    application_id: int
    district: str | None
    due_on: date


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
    without stored point dates (the others are decided by :mod:`storage.reminder_points`)."""
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


# Running stage visits of active applications due before a day (the parameter).
_OVERDUE = """
      FROM reminder_watch w
      JOIN stage_visits v ON v.id = w.subject_id
      JOIN applications a ON a.id = v.application_id
     WHERE w.kind = 'stage' AND w.state = 'running' AND w.due_on < ?
       AND v.ended_at IS NULL AND a.status = 'active'
"""


async def any_overdue(conn: aiosqlite.Connection, today: date) -> bool:
    """Whether any running stage of an active application is past its due date."""
    row = await fetch_one(conn, f"SELECT 1 {_OVERDUE} LIMIT 1", (date_to_db(today),))
    return row is not None


async def overdue_visits(conn: aiosqlite.Connection, today: date) -> list[LateVisit]:
    """Running stage visits of active applications due before ``today``, the most overdue
    first."""
    rows = await fetch_all(
        conn,
        f"SELECT w.subject_id AS visit_id, v.application_id, a.district, w.due_on {_OVERDUE} "
        "ORDER BY w.due_on, v.application_id",
        (date_to_db(today),),
    )
    return [
        LateVisit(
            r["visit_id"], r["application_id"], r["district"], date.fromisoformat(r["due_on"])
        )
        for r in rows
    ]


# Each section of the supervisors' digest: (application, district) in the order of an index,
# so that "the first few of a district" stops after a few rows instead of sorting them all.
_DIGEST_SECTIONS = {
    "new": """
        SELECT id AS application_id, district, submitted_at AS sort_key, id AS tiebreak
          FROM applications INDEXED BY applications_by_submitted
         WHERE submitted_at >= :since AND submitted_at < :until
    """,
    "due_today": """
        SELECT v.application_id, a.district, w.due_on AS sort_key, w.subject_id AS tiebreak
          FROM reminder_watch w
          JOIN stage_visits v ON v.id = w.subject_id
          JOIN applications a ON a.id = v.application_id
         WHERE w.kind = 'stage' AND w.state = 'running' AND w.due_on = :today
           AND v.ended_at IS NULL AND a.status = 'active'
    """,
    "overdue": """
        SELECT v.application_id, a.district, w.due_on AS sort_key, w.subject_id AS tiebreak
          FROM reminder_watch w
          JOIN stage_visits v ON v.id = w.subject_id
          JOIN applications a ON a.id = v.application_id
         WHERE w.kind = 'stage' AND w.state = 'running' AND w.due_on < :today
           AND v.ended_at IS NULL AND a.status = 'active'
    """,
    "paused": """
        SELECT v.application_id, a.district, w.due_on AS sort_key, w.subject_id AS tiebreak
          FROM reminder_watch w
          JOIN stage_visits v ON v.id = w.subject_id
          JOIN applications a ON a.id = v.application_id
         WHERE w.kind = 'stage' AND w.state = 'paused'
           AND v.ended_at IS NULL AND a.status = 'active'
    """,
}
DIGEST_SECTIONS: tuple[str, ...] = tuple(_DIGEST_SECTIONS)


@dataclass(frozen=True, slots=True)
class DigestSection:
    """One section of the digest: how many per district, and the first few to name, per
    district and over all districts (oldest first)."""

    counts: dict[str | None, int]
    first: dict[str | None, list[int]]
    first_overall: list[int]


async def digest_section(
    conn: aiosqlite.Connection,
    name: str,
    *,
    today: date,
    since: str,
    until: str,
    per_district: int,
) -> DigestSection:
    """Counted in one pass, listed by a few rows per district, so the digest stays cheap with
    100,000 open applications. ``since``/``until`` bound "new" as stored timestamps (UTC ISO
    text)."""
    found = _DIGEST_SECTIONS[name]
    params = {"today": date_to_db(today), "since": since, "until": until, "n": per_district}
    counts = {
        r["district"]: r["n"]
        for r in await fetch_all(
            conn, f"SELECT district, COUNT(*) AS n FROM ({found}) GROUP BY district", params
        )
    }
    listed = f"""
        SELECT application_id FROM ({found}) {{where}}
         ORDER BY sort_key, tiebreak LIMIT :n
    """
    first: dict[str | None, list[int]] = {}
    for district in counts:
        rows = await fetch_all(
            conn,
            listed.format(where="WHERE district IS :district"),
            {**params, "district": district},
        )
        first[district] = [r["application_id"] for r in rows]
    overall = await fetch_all(conn, listed.format(where=""), params) if counts else []
    return DigestSection(counts, first, [r["application_id"] for r in overall])


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


def ids_placeholders(ids: Sequence[int]) -> str:
    """``?, ?, ?`` for an IN list of ``ids`` (callers chunk long lists)."""
    return ", ".join("?" * len(ids))
