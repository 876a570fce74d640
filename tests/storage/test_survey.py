"""Survey answers: saved one at a time, in order, by their customer only, submitted once."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import aiosqlite
import pytest

from storage.db import Database
from storage.survey import (
    Outcome,
    SurveyRepo,
    SurveyResponse,
    SurveyState,
    close,
    invite,
    mark_reminded,
)
from tests.storage.samples import NOW
from tests.storage.staff_samples import submit
from tests.storage.survey_samples import energize, invited

ALICE, BOB = 1001, 1002
LATER = NOW + timedelta(hours=2)


async def _answer(
    repo: SurveyRepo, app_id: int, question: str, value: int, customer: int = ALICE
) -> Outcome:
    outcome, _ = await repo.answer(
        application_id=app_id, customer_id=customer, question=question, value=value, now=LATER
    )
    return outcome


async def _answer_all(repo: SurveyRepo, app_id: int, overall: int = 4) -> None:
    for question, value in (
        ("overall", overall),
        ("speed", 3),
        ("service", 5),
        ("informed", 4),
        ("recommend", 9),
    ):
        assert await _answer(repo, app_id, question, value) is Outcome.SAVED


async def test_answers_are_saved_one_by_one_and_the_next_question_follows(db: Database) -> None:
    app = await invited(db, ALICE, NOW)
    repo = SurveyRepo(db)
    fresh = await repo.get(app.id)
    assert fresh is not None
    assert (fresh.state, fresh.next_question(), fresh.started_at) == (
        SurveyState.OPEN,
        "overall",
        None,
    )
    assert await _answer(repo, app.id, "overall", 2) is Outcome.SAVED
    [row] = await db.fetchall("SELECT overall, speed, started_at FROM survey_responses")
    assert (row["overall"], row["speed"]) == (2, None)
    assert row["started_at"] == "2026-11-27T03:48:00+00:00"
    saved = await repo.get(app.id)
    assert saved is not None and saved.next_question() == "speed"


async def test_only_the_next_question_of_ones_own_open_survey_is_saved(db: Database) -> None:
    app = await invited(db, ALICE, NOW)
    repo = SurveyRepo(db)
    assert await _answer(repo, app.id, "speed", 4) is Outcome.STALE  # skipping ahead
    assert await _answer(repo, app.id, "overall", 5, customer=BOB) is Outcome.NOT_YOURS
    assert await _answer(repo, app.id + 99, "overall", 5) is Outcome.NOT_YOURS
    assert await _answer(repo, app.id, "overall", 6) is Outcome.INVALID
    assert await _answer(repo, app.id, "overall", 0) is Outcome.INVALID
    assert await _answer(repo, app.id, "comment", 1) is Outcome.STALE  # not a score
    assert await _answer(repo, app.id, "overall", 5) is Outcome.SAVED
    assert await _answer(repo, app.id, "overall", 1) is Outcome.STALE  # a second press
    response = await repo.get(app.id)
    assert response is not None and response.overall == 5


async def test_recommendation_takes_zero_to_ten(db: Database) -> None:
    app = await invited(db, ALICE, NOW)
    repo = SurveyRepo(db)
    for question in ("overall", "speed", "service", "informed"):
        assert await _answer(repo, app.id, question, 3) is Outcome.SAVED
    assert await _answer(repo, app.id, "recommend", 11) is Outcome.INVALID
    assert await _answer(repo, app.id, "recommend", 0) is Outcome.SAVED
    response = await repo.get(app.id)
    assert response is not None and response.next_question() == "comment"


async def test_submitting_once_with_the_alert_in_the_same_transaction(db: Database) -> None:
    app = await invited(db, ALICE, NOW)
    repo = SurveyRepo(db)
    assert (await repo.submit(application_id=app.id, customer_id=ALICE, comment="x", now=LATER))[
        0
    ] is Outcome.STALE  # scores first
    await _answer_all(repo, app.id, overall=1)
    seen: list[SurveyResponse] = []

    async def then(conn: aiosqlite.Connection, response: SurveyResponse) -> None:
        seen.append(response)

    outcome, response = await repo.submit(
        application_id=app.id, customer_id=ALICE, comment="装表拖了三天", now=LATER, then=then
    )
    assert outcome is Outcome.SAVED and response is not None
    assert (response.state, response.comment, response.overall) == (
        SurveyState.SUBMITTED,
        "装表拖了三天",
        1,
    )
    assert seen == [response]
    again, _ = await repo.submit(application_id=app.id, customer_id=ALICE, comment=None, now=LATER)
    assert again is Outcome.ANSWERED
    assert await _answer(repo, app.id, "overall", 5) is Outcome.ANSWERED
    [row] = await db.fetchall("SELECT comment, submitted_at FROM survey_responses")
    assert tuple(row) == ("装表拖了三天", "2026-11-27T03:48:00+00:00")


async def test_a_failing_follow_up_takes_the_submission_back(db: Database) -> None:
    app = await invited(db, ALICE, NOW)
    repo = SurveyRepo(db)
    await _answer_all(repo, app.id)

    async def then(conn: aiosqlite.Connection, response: SurveyResponse) -> None:
        raise RuntimeError("outbox down")

    with pytest.raises(RuntimeError):
        await repo.submit(
            application_id=app.id, customer_id=ALICE, comment=None, now=LATER, then=then
        )
    response = await repo.get(app.id)
    assert response is not None and response.state is SurveyState.OPEN


async def test_a_skipped_comment_is_stored_as_none(db: Database) -> None:
    app = await invited(db, ALICE, NOW)
    repo = SurveyRepo(db)
    await _answer_all(repo, app.id)
    outcome, response = await repo.submit(
        application_id=app.id, customer_id=ALICE, comment=None, now=LATER
    )
    assert outcome is Outcome.SAVED and response is not None and response.comment is None


async def test_a_closed_survey_takes_no_answers(db: Database) -> None:
    app = await invited(db, ALICE, NOW)
    repo = SurveyRepo(db)
    response = await repo.get(app.id)
    assert response is not None
    async with db.transaction() as conn:
        closed = await close(conn, response.id, LATER)
        assert closed is not None and closed.state is SurveyState.CLOSED
        assert await close(conn, response.id, LATER) is None  # once
    assert await _answer(repo, app.id, "overall", 5) is Outcome.CLOSED
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


async def test_the_sweeps_lookups_use_their_indexes(db: Database) -> None:
    from storage.survey import ENERGIZED_SQL, WAITING_SQL

    plans = {
        "waiting": await db.fetchall(f"EXPLAIN QUERY PLAN {WAITING_SQL}"),
        "energized": await db.fetchall(f"EXPLAIN QUERY PLAN {ENERGIZED_SQL}", ("x",)),
    }
    assert "survey_responses_waiting" in " ".join(r["detail"] for r in plans["waiting"])
    assert "applications_by_status_updated" in " ".join(r["detail"] for r in plans["energized"])
