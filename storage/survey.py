"""The satisfaction survey's answers: saved one by one, submitted once, closed when too late.

A survey row is created when the invitation is queued and belongs to one application and its
customer. Every press writes its answer at once, inside a transaction that first re-reads
the row, so the server decides what a button may still do: only the customer's own survey,
only the question that comes next, only while it is neither submitted nor closed. Two
presses of the same button therefore save one answer, and a button from an old message or
another application's survey changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import aiosqlite

from process.metrics import COMMENT, QUESTIONS, allowed_values
from storage.codec import time_from_db, time_to_db
from storage.db import Database, fetch_all, fetch_one, run
from storage.events import append_event
from storage.models import Application, Event
from storage.rows import APPLICATION_COLUMNS, EVENT_COLUMNS, application_from_row, event_from_row
from storage.staff.models import STAFF_COLUMNS, Staff, staff_from_row
from storage.survey_models import (
    ALERT_EVENT,
    RECOVERY_EVENT,
    SURVEY_COLUMNS,
    Energized,
    Outcome,
    Recovery,
    SurveyResponse,
    SurveyState,
    survey_from_row,
)

BY_APPLICATION_SQL = f"SELECT {SURVEY_COLUMNS} FROM survey_responses WHERE application_id = ?"
WAITING_SQL = (
    f"SELECT {SURVEY_COLUMNS} FROM survey_responses "
    "WHERE submitted_at IS NULL AND closed_at IS NULL ORDER BY invited_at, id"
)
# Finished applications whose survey was never started, with the moment power came on.
ENERGIZED_SQL = f"""
    SELECT {APPLICATION_COLUMNS},
           (SELECT e.created_at FROM events e
            WHERE e.application_id = applications.id AND e.kind = 'energized'
            ORDER BY e.id DESC LIMIT 1) AS energized_at
    FROM applications
    WHERE status = 'done' AND updated_at >= ?
      AND NOT EXISTS (SELECT 1 FROM survey_responses s WHERE s.application_id = applications.id)
    ORDER BY id
"""


AfterSubmit = Callable[[aiosqlite.Connection, SurveyResponse], Awaitable[None]]


class SurveyRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, application_id: int) -> SurveyResponse | None:
        row = await self._db.fetchone(BY_APPLICATION_SQL, (application_id,))
        return None if row is None else survey_from_row(row)

    async def for_customer(self, customer_id: int) -> list[SurveyResponse]:
        """The customer's surveys, the most recent invitation first."""
        rows = await self._db.fetchall(
            f"SELECT {SURVEY_COLUMNS} FROM survey_responses WHERE customer_id = ? "
            "ORDER BY invited_at DESC, id DESC",
            (customer_id,),
        )
        return [survey_from_row(row) for row in rows]

    async def answer(
        self, *, application_id: int, customer_id: int, question: str, value: int, now: datetime
    ) -> tuple[Outcome, SurveyResponse | None]:
        """Save ``value`` for ``question`` if it is this customer's next question."""
        if question not in QUESTIONS:
            return Outcome.STALE, None
        async with self._db.transaction() as conn:
            current = await _mine(conn, application_id, customer_id)
            refusal = _refusal(current, question)
            if refusal is not None:
                return refusal, current
            assert current is not None
            if value not in allowed_values(question):
                return Outcome.INVALID, current
            stamp = time_to_db(now)
            # The column name comes from QUESTIONS, checked above, never from the button.
            await run(
                conn,
                f"UPDATE survey_responses SET {question} = ?, "
                "started_at = COALESCE(started_at, ?), updated_at = ? WHERE id = ?",
                (value, stamp, stamp, current.id),
            )
            return Outcome.SAVED, await _reread(conn, current.id)

    async def submit(
        self,
        *,
        application_id: int,
        customer_id: int,
        comment: str | None,
        now: datetime,
        then: AfterSubmit | None = None,
    ) -> tuple[Outcome, SurveyResponse | None]:
        """Finish the survey with its comment (None: skipped); ``then`` runs in the same
        transaction with the submitted answers, for alerts that must go with them."""
        async with self._db.transaction() as conn:
            current = await _mine(conn, application_id, customer_id)
            refusal = _refusal(current, COMMENT)
            if refusal is not None:
                return refusal, current
            assert current is not None
            stamp = time_to_db(now)
            await run(
                conn,
                # The comment is free text a person typed: sealed (storage/sealing/columns.py).
                "UPDATE survey_responses SET comment = hv_seal(?), submitted_at = ?, "
                "updated_at = ? "
                "WHERE id = ?",
                (comment, stamp, stamp, current.id),
            )
            submitted = await _reread(conn, current.id)
            if then is not None:
                await then(conn, submitted)
            return Outcome.SAVED, submitted

    async def record_recovery(
        self, *, application_id: int, actor_id: int, actor_role: str, now: datetime
    ) -> tuple[Recovery, Event | None]:
        """Record, once per application, that the customer was called back."""
        async with self._db.transaction() as conn:
            alert = await _first_event(conn, application_id, ALERT_EVENT)
            if alert is None:
                return Recovery.NO_ALERT, None
            earlier = await _first_event(conn, application_id, RECOVERY_EVENT)
            if earlier is not None:
                return Recovery.ALREADY, earlier
            await append_event(
                conn,
                application_id=application_id,
                actor_id=actor_id,
                actor_role=actor_role,
                kind=RECOVERY_EVENT,
                now=now,
                data={"alert_event": alert.id},
            )
            recorded = await _first_event(conn, application_id, RECOVERY_EVENT)
        return Recovery.RECORDED, recorded

    # -- for the sweep ------------------------------------------------------------------

    async def energized_since(self, since: datetime) -> list[Energized]:
        """Applications finished (last changed) since ``since`` that have no survey yet."""
        rows = await self._db.fetchall(ENERGIZED_SQL, (time_to_db(since),))
        return [
            Energized(application_from_row(row), time_from_db(row["energized_at"]))
            for row in rows
            if row["energized_at"] is not None
        ]

    async def waiting(self) -> list[SurveyResponse]:
        """Surveys neither submitted nor closed, oldest invitation first."""
        return [survey_from_row(row) for row in await self._db.fetchall(WAITING_SQL)]


async def invite(
    conn: aiosqlite.Connection,
    *,
    application_id: int,
    customer_id: int,
    invited_at: datetime,
    now: datetime,
) -> bool:
    """Create the survey row inside the caller's transaction; False if it exists already."""
    changed = await run(
        conn,
        "INSERT OR IGNORE INTO survey_responses (application_id, customer_id, invited_at, "
        "updated_at) VALUES (?, ?, ?, ?)",
        (application_id, customer_id, time_to_db(invited_at), time_to_db(now)),
    )
    return changed == 1


async def mark_reminded(conn: aiosqlite.Connection, survey_id: int, count: int) -> None:
    """Record that reminder number ``count`` went out (counts only go up)."""
    await run(
        conn,
        "UPDATE survey_responses SET reminders_sent = MAX(reminders_sent, ?) WHERE id = ?",
        (count, survey_id),
    )


async def close(conn: aiosqlite.Connection, survey_id: int, now: datetime) -> SurveyResponse | None:
    """Close a survey still waiting for its answer; None if it was answered or closed."""
    stamp = time_to_db(now)
    changed = await run(
        conn,
        "UPDATE survey_responses SET closed_at = ?, updated_at = ? "
        "WHERE id = ? AND submitted_at IS NULL AND closed_at IS NULL",
        (stamp, stamp, survey_id),
    )
    return await _reread(conn, survey_id) if changed == 1 else None


async def _mine(
    conn: aiosqlite.Connection, application_id: int, customer_id: int
) -> SurveyResponse | None:
    row = await fetch_one(conn, BY_APPLICATION_SQL, (application_id,))
    if row is None or row["customer_id"] != customer_id:
        return None
    return survey_from_row(row)


async def _reread(conn: aiosqlite.Connection, survey_id: int) -> SurveyResponse:
    row = await fetch_one(
        conn, f"SELECT {SURVEY_COLUMNS} FROM survey_responses WHERE id = ?", (survey_id,)
    )
    assert row is not None  # the caller holds the transaction that just read or wrote it
    return survey_from_row(row)


async def application_in(conn: aiosqlite.Connection, application_id: int) -> Application | None:
    """An application read inside an open transaction, through the usual mapper."""
    row = await fetch_one(
        conn, f"SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = ?", (application_id,)
    )
    return None if row is None else application_from_row(row)


async def alerted(conn: aiosqlite.Connection, application_id: int) -> bool:
    """Whether a low score on this application's survey was alerted already."""
    return await _first_event(conn, application_id, ALERT_EVENT) is not None


async def staff_in(conn: aiosqlite.Connection, user_id: int | None) -> Staff | None:
    """A staff member read inside an open transaction; None for nobody or a customer."""
    if user_id is None:
        return None
    row = await fetch_one(conn, f"SELECT {STAFF_COLUMNS} FROM staff WHERE user_id = ?", (user_id,))
    return None if row is None else staff_from_row(row)


async def _first_event(conn: aiosqlite.Connection, application_id: int, kind: str) -> Event | None:
    row = await fetch_one(
        conn,
        f"SELECT {EVENT_COLUMNS} FROM events WHERE application_id = ? AND kind = ? "
        "ORDER BY id LIMIT 1",
        (application_id, kind),
    )
    return None if row is None else event_from_row(row)


def _refusal(current: SurveyResponse | None, question: str) -> Outcome | None:
    if current is None:
        return Outcome.NOT_YOURS
    if current.state is SurveyState.SUBMITTED:
        return Outcome.ANSWERED
    if current.state is SurveyState.CLOSED:
        return Outcome.CLOSED
    if current.next_question() != question:
        return Outcome.STALE
    return None


async def surveys_between(
    conn: aiosqlite.Connection, start: datetime, end: datetime
) -> list[SurveyResponse]:
    """Surveys of the applications submitted in ``[start, end)``, read in a snapshot."""
    rows = await fetch_all(
        conn,
        f"SELECT {', '.join('s.' + c.strip() for c in SURVEY_COLUMNS.split(','))} "
        "FROM survey_responses s JOIN applications a ON a.id = s.application_id "
        "WHERE a.submitted_at >= ? AND a.submitted_at < ? ORDER BY s.application_id",
        (time_to_db(start), time_to_db(end)),
    )
    return [survey_from_row(row) for row in rows]


__all__ = [
    "ALERT_EVENT",
    "RECOVERY_EVENT",
    "Energized",
    "Outcome",
    "Recovery",
    "SurveyRepo",
    "SurveyResponse",
    "SurveyState",
    "alerted",
    "application_in",
    "close",
    "invite",
    "mark_reminded",
    "staff_in",
    "surveys_between",
]
