"""Survey times proposed to a customer: rounds of slots, the one chosen.

A customer manager proposes a round of times; the customer picks one, or asks for others
and a new round follows. Only the latest round counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.codec import time_from_db, time_to_db
from storage.db import fetch_all, fetch_one, run
from storage.reminders.watch import ids_placeholders


@dataclass(frozen=True, slots=True)
class SurveySlot:
    id: int
    round: int
    starts_at: datetime
    chosen: bool


LATEST_SLOTS_SQL = """
    SELECT id, round, starts_at, chosen FROM survey_slots
    WHERE application_id = ? AND round = (
        SELECT MAX(round) FROM survey_slots WHERE application_id = ?)
    ORDER BY starts_at
"""
_CHUNK = 500


def slot_from_row(row: aiosqlite.Row) -> SurveySlot:
    return SurveySlot(row["id"], row["round"], time_from_db(row["starts_at"]), bool(row["chosen"]))


async def latest_slots(connection: aiosqlite.Connection, application_id: int) -> list[SurveySlot]:
    """The latest round of survey times, read inside an open transaction."""
    rows = await fetch_all(connection, LATEST_SLOTS_SQL, (application_id, application_id))
    return [slot_from_row(r) for r in rows]


async def latest_slots_by_application(
    connection: aiosqlite.Connection, application_ids: Sequence[int]
) -> dict[int, list[SurveySlot]]:
    """:func:`latest_slots` of many applications at once (a sweep's reminders)."""
    found: defaultdict[int, list[SurveySlot]] = defaultdict(list)
    unique = list(dict.fromkeys(application_ids))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        rows = await fetch_all(
            connection,
            f"""
            SELECT s.application_id, s.id, s.round, s.starts_at, s.chosen FROM survey_slots s
             WHERE s.application_id IN ({ids_placeholders(chunk)}) AND s.round = (
                   SELECT MAX(round) FROM survey_slots WHERE application_id = s.application_id)
             ORDER BY s.application_id, s.starts_at
            """,
            chunk,
        )
        for row in rows:
            found[row["application_id"]].append(slot_from_row(row))
    return dict(found)


async def add_slots(
    connection: aiosqlite.Connection, application_id: int, starts: Sequence[datetime], now: datetime
) -> int:
    """A new round of proposed survey times; returns the round number."""
    row = await fetch_one(
        connection,
        "SELECT COALESCE(MAX(round), 0) + 1 AS next FROM survey_slots WHERE application_id = ?",
        (application_id,),
    )
    assert row is not None
    round_ = int(row["next"])
    for moment in starts:
        await run(
            connection,
            "INSERT INTO survey_slots (application_id, round, starts_at, created_at) "
            "VALUES (?, ?, ?, ?)",
            (application_id, round_, time_to_db(moment), time_to_db(now)),
        )
    return round_


async def choose_slot(connection: aiosqlite.Connection, slot_id: int) -> None:
    await run(connection, "UPDATE survey_slots SET chosen = 1 WHERE id = ?", (slot_id,))
