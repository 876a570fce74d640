"""The satisfaction survey's answers: saved one by one, submitted once, closed when too late.

A survey row is created when the invitation is queued and belongs to one application and its
customer. The answers are written by :mod:`services.survey`, inside a transaction that first
re-reads the row (:func:`survey_of`), so the server decides what a button may still do: only
the customer's own survey, only the question that comes next, only while it is neither
submitted nor closed. Two presses of the same button therefore save one answer, and a button
from an old message or another application's survey changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import aiosqlite

from process.metrics import COMMENT, QUESTIONS, Question, allowed_values
from storage.codec import optional_time_from_db, time_from_db, time_to_db
from storage.db import Database, fetch_all, fetch_one, run
from storage.events import append_event
from storage.models import Application, Event
from storage.rows import APPLICATION_COLUMNS, EVENT_COLUMNS, application_from_row, event_from_row
from storage.staff.models import STAFF_COLUMNS, Staff, staff_from_row

ALERT_EVENT = "survey_alert"  # a low overall score, alerted to supervisors and the manager
RECOVERY_EVENT = "service_recovery"  # someone called the customer back about it

SURVEY_COLUMNS = (
    "id, application_id, customer_id, overall, speed, service, informed, recommend, comment, "
    "invited_at, started_at, updated_at, submitted_at, closed_at, reminders_sent"
)


class SurveyState(StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class SurveyResponse:
    id: int
    application_id: int
    customer_id: int
    overall: int | None
    speed: int | None
    service: int | None
    informed: int | None
    recommend: int | None
    comment: str | None
    invited_at: datetime
    started_at: datetime | None
    updated_at: datetime
    submitted_at: datetime | None
    closed_at: datetime | None
    reminders_sent: int

    @property
    def state(self) -> SurveyState:
        if self.submitted_at is not None:
            return SurveyState.SUBMITTED
        if self.closed_at is not None:
            return SurveyState.CLOSED
        return SurveyState.OPEN

    def score(self, question: str) -> int | None:
        allowed_values(question)
        value = getattr(self, question)
        return value if isinstance(value, int) else None

    def next_question(self) -> Question | None:
        """The question to ask now: the first unanswered score, then the comment."""
        if self.state is not SurveyState.OPEN:
            return None
        for question in QUESTIONS:
            if self.score(question) is None:
                return question
        return COMMENT


def survey_from_row(row: aiosqlite.Row) -> SurveyResponse:
    return SurveyResponse(
        id=row["id"],
        application_id=row["application_id"],
        customer_id=row["customer_id"],
        overall=row["overall"],
        speed=row["speed"],
        service=row["service"],
        informed=row["informed"],
        recommend=row["recommend"],
        comment=row["comment"],
        invited_at=time_from_db(row["invited_at"]),
        started_at=optional_time_from_db(row["started_at"]),
        updated_at=time_from_db(row["updated_at"]),
        submitted_at=optional_time_from_db(row["submitted_at"]),
        closed_at=optional_time_from_db(row["closed_at"]),
        reminders_sent=row["reminders_sent"],
    )


@dataclass(frozen=True, slots=True)
class Energized:
    """A finished application without a survey, and when it was energized."""

    application: Application
    energized_at: datetime


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


async def hand_over_survey(
    conn: aiosqlite.Connection,
    *,
    application_id: int,
    placeholder_id: int,
    customer_id: int,
    now: datetime,
) -> bool:
    """Give the survey the sweep opened for the stand-in customer of an unclaimed application
    to the customer who claimed it, as if invited ``now``: the stand-in was sent nothing, so
    its reminders and its closing count from today. False when there is no such survey still
    unanswered (none was opened, or it was answered)."""
    stamp = time_to_db(now)
    changed = await run(
        conn,
        "UPDATE survey_responses SET customer_id = ?, invited_at = ?, reminders_sent = 0, "
        "closed_at = NULL, updated_at = ? "
        "WHERE application_id = ? AND customer_id = ? AND submitted_at IS NULL",
        (customer_id, stamp, stamp, application_id, placeholder_id),
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


async def survey_of(conn: aiosqlite.Connection, application_id: int) -> SurveyResponse | None:
    """The application's survey read inside an open transaction, to check a press against."""
    row = await fetch_one(conn, BY_APPLICATION_SQL, (application_id,))
    return None if row is None else survey_from_row(row)


async def save_answer(
    conn: aiosqlite.Connection, survey_id: int, question: Question, value: int, now: datetime
) -> SurveyResponse:
    """Write one score (the caller checked it is the next question and a value it takes)."""
    if question not in QUESTIONS:
        raise ValueError(f"{question!r} is not a scored question")
    stamp = time_to_db(now)
    # The column name is a member of QUESTIONS, checked above, never text from a button.
    await run(
        conn,
        f"UPDATE survey_responses SET {question.value} = ?, "
        "started_at = COALESCE(started_at, ?), updated_at = ? WHERE id = ?",
        (value, stamp, stamp, survey_id),
    )
    return await _reread(conn, survey_id)


async def save_submission(
    conn: aiosqlite.Connection, survey_id: int, comment: str | None, now: datetime
) -> SurveyResponse:
    """Finish the survey with its comment (None: skipped)."""
    stamp = time_to_db(now)
    await run(
        conn,
        # The comment is free text a person typed: sealed (storage/sealing/columns.py).
        "UPDATE survey_responses SET comment = hv_seal(?), submitted_at = ?, updated_at = ? "
        "WHERE id = ?",
        (comment, stamp, stamp, survey_id),
    )
    return await _reread(conn, survey_id)


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
    return await alert_event(conn, application_id) is not None


async def alert_event(conn: aiosqlite.Connection, application_id: int) -> Event | None:
    """The first low-score alert about this application's survey, if any."""
    return await _first_event(conn, application_id, ALERT_EVENT)


async def recovery_event(conn: aiosqlite.Connection, application_id: int) -> Event | None:
    """The call back recorded for this application's low score, if any: there is one."""
    return await _first_event(conn, application_id, RECOVERY_EVENT)


async def record_recovery(
    conn: aiosqlite.Connection,
    *,
    application_id: int,
    alert: Event,
    actor_id: int,
    actor_role: str,
    now: datetime,
) -> Event:
    """Write that the customer was called back about ``alert``; the event as stored."""
    await append_event(
        conn,
        application_id=application_id,
        actor_id=actor_id,
        actor_role=actor_role,
        kind=RECOVERY_EVENT,
        now=now,
        data={"alert_event": alert.id},
    )
    recorded = await recovery_event(conn, application_id)
    assert recorded is not None  # written just above, in the caller's transaction
    return recorded


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
