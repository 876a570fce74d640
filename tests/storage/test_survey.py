"""The survey's rows: invited once, closed once, listed while waiting, checked by the schema.

Saving answers and submitting them are the service's (tests/services/test_survey.py)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from storage.db import Database
from storage.survey import SurveyRepo, SurveyState, close, invite, mark_reminded
from tests.storage.samples import NOW
from tests.storage.staff_samples import submit
from tests.storage.survey_samples import energize, invited

ALICE, BOB = 1001, 1002
LATER = NOW + timedelta(hours=2)


async def test_a_survey_closes_once(db: Database) -> None:
    app = await invited(db, ALICE, NOW)
    repo = SurveyRepo(db)
    response = await repo.get(app.id)
    assert response is not None
    async with db.transaction() as conn:
        closed = await close(conn, response.id, LATER)
        assert closed is not None and closed.state is SurveyState.CLOSED
        assert await close(conn, response.id, LATER) is None  # once
    assert await repo.waiting() == []


async def test_invitations_are_created_once_and_listed_while_waiting(db: Database) -> None:
    first = await invited(db, ALICE, NOW)
    second = await invited(db, ALICE, LATER)
    async with db.transaction() as conn:
        assert not await invite(
            conn, application_id=first.id, customer_id=ALICE, invited_at=LATER, now=LATER
        )
        await mark_reminded(conn, first.id, 2)
        await mark_reminded(conn, first.id, 1)  # counts never go back
    repo = SurveyRepo(db)
    assert [s.application_id for s in await repo.waiting()] == [first.id, second.id]
    assert [s.application_id for s in await repo.for_customer(ALICE)] == [second.id, first.id]
    assert [s.reminders_sent for s in await repo.waiting()] == [2, 0]
    assert await repo.for_customer(BOB) == []


async def test_energized_applications_without_a_survey(db: Database) -> None:
    waiting = await energize(db, await submit(db, ALICE, now=NOW), NOW + timedelta(days=1))
    await submit(db, BOB, now=NOW)  # still active
    await invited(db, BOB, NOW + timedelta(days=2))  # already has its survey
    found = await SurveyRepo(db).energized_since(NOW)
    assert [(e.application.id, e.energized_at) for e in found] == [
        (waiting.id, NOW + timedelta(days=1))
    ]
    assert await SurveyRepo(db).energized_since(NOW + timedelta(days=3)) == []


async def test_the_schema_refuses_impossible_answers(db: Database) -> None:
    app = await invited(db, ALICE, NOW)
    for sql in (
        "UPDATE survey_responses SET overall = 6",
        "UPDATE survey_responses SET recommend = -1",
        "UPDATE survey_responses SET submitted_at = '2026-11-27T03:48:00+00:00'",  # no scores
    ):
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute(sql)
    with pytest.raises(sqlite3.IntegrityError):  # one survey per application
        await db.execute(
            "INSERT INTO survey_responses (application_id, customer_id, invited_at, updated_at) "
            "VALUES (?, ?, 'x', 'x')",
            (app.id, ALICE),
        )


@pytest.mark.sqlite_only("reads SQLite's EXPLAIN QUERY PLAN")
async def test_the_sweeps_lookups_use_their_indexes(db: Database) -> None:
    from storage.survey import ENERGIZED_SQL, WAITING_SQL

    plans = {
        "waiting": await db.fetchall(f"EXPLAIN QUERY PLAN {WAITING_SQL}"),
        "energized": await db.fetchall(f"EXPLAIN QUERY PLAN {ENERGIZED_SQL}", ("x",)),
    }
    assert "survey_responses_waiting" in " ".join(r["detail"] for r in plans["waiting"])
    assert "applications_by_status_updated" in " ".join(r["detail"] for r in plans["energized"])
