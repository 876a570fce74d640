"""The survey's operations without the chat: answers saved one at a time, in order, by
their customer only, submitted once with the low-score alert in the same transaction, and
the call back recorded once by someone the alert was for."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from typing import Any

import aiosqlite
import pytest

from notifications.outbox import Outbox
from process.metrics import Question
from process.roles import Role
from services.context import ServiceContext
from services.survey import (
    Answered,
    Outcome,
    Recovery,
    answer_survey,
    record_call_back,
    submit_survey,
)
from storage.db import Database
from storage.models import Application
from storage.outbox import OutboxRepo
from storage.survey import SurveyRepo, SurveyState, close
from tests.storage.samples import NOW, SHANGHAI
from tests.storage.staff_samples import enrol
from tests.storage.survey_samples import invited

ALICE, BOB = 1001, 1002
MANAGER, SUPERVISOR, ELSEWHERE, PROJECT = 2001, 2003, 2004, 2005
LATER = NOW + timedelta(hours=2)
SCORES = (
    (Question.OVERALL, 4),
    (Question.SPEED, 3),
    (Question.SERVICE, 5),
    (Question.INFORMED, 4),
    (Question.RECOMMEND, 9),
)


async def _answer(
    context: ServiceContext,
    app_id: int,
    question: Question,
    value: int | None,
    customer: int = ALICE,
) -> Outcome:
    answered = await answer_survey(
        context,
        customer_id=customer,
        application_id=app_id,
        question=question,
        value=value,
        now=LATER,
    )
    return answered.outcome


async def _answer_all(context: ServiceContext, app_id: int, overall: int = 4) -> None:
    for question, value in ((Question.OVERALL, overall), *SCORES[1:]):
        assert await _answer(context, app_id, question, value) is Outcome.SAVED


async def _submit(context: ServiceContext, app_id: int, comment: str | None) -> Answered:
    return await submit_survey(
        context, customer_id=ALICE, application_id=app_id, comment=comment, now=LATER
    )


async def _staffed(db: Database) -> Application:
    """Alice's finished application held by the manager, with a supervisor of its district,
    one of another district and a project manager around."""
    await enrol(db, MANAGER, Role.CUSTOMER_MANAGER, name="王经理", district="汉台区")
    await enrol(db, SUPERVISOR, Role.SUPERVISOR, name="陈主管", district="汉台区")
    await enrol(db, ELSEWHERE, Role.SUPERVISOR, name="周主管", district="南郑区")
    await enrol(db, PROJECT, Role.PROJECT_MANAGER, name="孙工", district="汉台区")
    app = await invited(db, ALICE, NOW, district="汉台区")
    await db.execute(
        "UPDATE applications SET customer_manager_id = ?, project_manager_id = ? WHERE id = ?",
        (MANAGER, PROJECT, app.id),
    )
    return app


async def test_answers_are_saved_one_by_one_and_the_next_question_follows(
    db: Database, context: ServiceContext
) -> None:
    app = await invited(db, ALICE, NOW)
    fresh = await SurveyRepo(db).get(app.id)
    assert fresh is not None
    assert (fresh.state, fresh.next_question(), fresh.started_at) == (
        SurveyState.OPEN,
        "overall",
        None,
    )
    answered = await answer_survey(
        context,
        customer_id=ALICE,
        application_id=app.id,
        question=Question.OVERALL,
        value=2,
        now=LATER,
    )
    assert answered.outcome is Outcome.SAVED and answered.survey is not None
    assert answered.survey.next_question() == "speed"
    [row] = await db.fetchall("SELECT overall, speed, started_at FROM survey_responses")
    assert (row["overall"], row["speed"]) == (2, None)
    assert row["started_at"] == "2026-11-27T03:48:00+00:00"


async def test_only_the_next_question_of_ones_own_open_survey_is_saved(
    db: Database, context: ServiceContext
) -> None:
    app = await invited(db, ALICE, NOW)
    assert await _answer(context, app.id, Question.SPEED, 4) is Outcome.STALE  # skipping ahead
    assert await _answer(context, app.id, Question.OVERALL, 5, customer=BOB) is Outcome.NOT_YOURS
    assert await _answer(context, app.id + 99, Question.OVERALL, 5) is Outcome.NOT_YOURS
    assert await _answer(context, app.id, Question.OVERALL, 6) is Outcome.INVALID
    assert await _answer(context, app.id, Question.OVERALL, 0) is Outcome.INVALID
    assert await _answer(context, app.id, Question.OVERALL, None) is Outcome.INVALID
    assert await _answer(context, app.id, Question.COMMENT, 1) is Outcome.INVALID  # not a score
    assert await _answer(context, app.id, Question.COMMENT, None) is Outcome.STALE  # scores first
    assert await _answer(context, app.id, Question.OVERALL, 5) is Outcome.SAVED
    assert await _answer(context, app.id, Question.OVERALL, 1) is Outcome.STALE  # a second press
    response = await SurveyRepo(db).get(app.id)
    assert response is not None and response.overall == 5


async def test_a_double_press_stores_the_answer_once(db: Database, context: ServiceContext) -> None:
    app = await invited(db, ALICE, NOW)
    first, second = await asyncio.gather(
        _answer(context, app.id, Question.OVERALL, 3),
        _answer(context, app.id, Question.OVERALL, 3),
    )
    assert sorted((first, second)) == sorted((Outcome.SAVED, Outcome.STALE))
    [row] = await db.fetchall("SELECT overall, speed, updated_at FROM survey_responses")
    assert tuple(row) == (3, None, "2026-11-27T03:48:00+00:00")
    # The comment's skip button pressed twice: one submission.
    for question, value in SCORES[1:]:
        assert await _answer(context, app.id, question, value) is Outcome.SAVED
    skips = await asyncio.gather(
        *(_answer(context, app.id, Question.COMMENT, None) for _ in range(2))
    )
    assert sorted(skips) == sorted((Outcome.SAVED, Outcome.ANSWERED))


async def test_recommendation_takes_zero_to_ten(db: Database, context: ServiceContext) -> None:
    app = await invited(db, ALICE, NOW)
    for question, _ in SCORES[:4]:
        assert await _answer(context, app.id, question, 3) is Outcome.SAVED
    assert await _answer(context, app.id, Question.RECOMMEND, 11) is Outcome.INVALID
    assert await _answer(context, app.id, Question.RECOMMEND, 0) is Outcome.SAVED
    response = await SurveyRepo(db).get(app.id)
    assert response is not None and response.next_question() == "comment"


async def test_submitting_once(db: Database, context: ServiceContext) -> None:
    app = await invited(db, ALICE, NOW)
    assert (await _submit(context, app.id, "x")).outcome is Outcome.STALE  # scores first
    await _answer_all(context, app.id)
    submitted = await _submit(context, app.id, "装表拖了三天")
    assert submitted.outcome is Outcome.SAVED and submitted.survey is not None
    assert (submitted.survey.state, submitted.survey.comment, submitted.survey.overall) == (
        SurveyState.SUBMITTED,
        "装表拖了三天",
        4,
    )
    assert (await _submit(context, app.id, None)).outcome is Outcome.ANSWERED
    assert await _answer(context, app.id, Question.OVERALL, 5) is Outcome.ANSWERED
    [row] = await db.fetchall("SELECT comment, submitted_at FROM survey_responses")
    assert tuple(row) == ("装表拖了三天", "2026-11-27T03:48:00+00:00")
    # A good score alerts nobody.
    assert await db.fetchall("SELECT 1 FROM events WHERE kind = 'survey_alert'") == []
    assert await db.fetchall("SELECT 1 FROM outbox") == []


async def test_a_skipped_comment_is_stored_as_none(db: Database, context: ServiceContext) -> None:
    app = await invited(db, ALICE, NOW)
    await _answer_all(context, app.id)
    skipped = await answer_survey(
        context,
        customer_id=ALICE,
        application_id=app.id,
        question=Question.COMMENT,
        value=None,
        now=LATER,
    )
    assert skipped.outcome is Outcome.SAVED and skipped.survey is not None
    assert skipped.survey.state is SurveyState.SUBMITTED and skipped.survey.comment is None


async def test_a_late_answer_after_the_close_is_refused(
    db: Database, context: ServiceContext
) -> None:
    app = await invited(db, ALICE, NOW)
    assert await _answer(context, app.id, Question.OVERALL, 4) is Outcome.SAVED
    response = await SurveyRepo(db).get(app.id)
    assert response is not None
    async with db.transaction() as conn:
        assert await close(conn, response.id, LATER) is not None
    late = await answer_survey(
        context,
        customer_id=ALICE,
        application_id=app.id,
        question=Question.SPEED,
        value=5,
        now=LATER + timedelta(minutes=1),
    )
    assert late.outcome is Outcome.CLOSED
    assert late.survey is not None and late.survey.closed_at is not None  # to say when
    assert (await _submit(context, app.id, "迟到的意见")).outcome is Outcome.CLOSED
    [row] = await db.fetchall("SELECT overall, speed, comment, submitted_at FROM survey_responses")
    assert tuple(row) == (4, None, None, None)


async def test_a_low_score_is_alerted_in_the_submissions_transaction(
    db: Database, context: ServiceContext
) -> None:
    app = await _staffed(db)
    await _answer_all(context, app.id, overall=1)
    assert await db.fetchall("SELECT 1 FROM outbox") == []  # not before the submission
    submitted = await _submit(context, app.id, "装表等了三天")
    assert submitted.outcome is Outcome.SAVED

    alerts = await db.fetchall("SELECT user_id, key, text, reply_markup FROM outbox ORDER BY id")
    assert [a["user_id"] for a in alerts] == [SUPERVISOR, MANAGER]
    assert all("装表等了三天" in a["text"] and "王经理" in a["text"] for a in alerts)
    assert all(f"svcb:{app.id}" in a["reply_markup"] for a in alerts)
    [event] = await db.fetchall("SELECT data FROM events WHERE kind = 'survey_alert'")
    assert event["data"] == f'{{"overall":1,"finished":true,"alerted":[{SUPERVISOR},{MANAGER}]}}'


async def test_an_alert_that_cannot_be_queued_takes_the_submission_back(
    db: Database, context: ServiceContext
) -> None:
    app = await _staffed(db)
    await _answer_all(context, app.id, overall=2)

    class Broken(Outbox):
        async def message(self, conn: aiosqlite.Connection, **fields: Any) -> bool:
            raise RuntimeError("outbox down")

    broken = dataclasses.replace(context, outbox=Broken(OutboxRepo(db), context.texts, tz=SHANGHAI))
    with pytest.raises(RuntimeError):
        await _submit(broken, app.id, None)
    response = await SurveyRepo(db).get(app.id)
    assert response is not None and response.state is SurveyState.OPEN
    assert await db.fetchall("SELECT 1 FROM events WHERE kind = 'survey_alert'") == []


async def test_the_call_back_is_recorded_once_by_someone_the_alert_was_for(
    db: Database, context: ServiceContext
) -> None:
    app = await _staffed(db)

    async def call_back(actor: int) -> Recovery:
        recovered = await record_call_back(
            context, actor_id=actor, application_id=app.id, now=LATER
        )
        return recovered.outcome

    assert await call_back(MANAGER) is Recovery.NO_ALERT  # nothing to call back about yet
    await _answer_all(context, app.id, overall=1)
    await _submit(context, app.id, None)

    for outsider in (ALICE, ELSEWHERE, PROJECT, 9999):
        assert await call_back(outsider) is Recovery.NOT_ALLOWED
    assert await call_back(MANAGER) is Recovery.RECORDED
    again = await record_call_back(context, actor_id=SUPERVISOR, application_id=app.id, now=LATER)
    assert again.outcome is Recovery.ALREADY
    assert again.event is not None and again.event.actor_id == MANAGER
    rows = await db.fetchall(
        "SELECT actor_id, actor_role FROM events WHERE kind = 'service_recovery'"
    )
    assert [tuple(r) for r in rows] == [(MANAGER, "customer_manager")]
    missing = await record_call_back(
        context, actor_id=MANAGER, application_id=app.id + 99, now=LATER
    )
    assert missing.outcome is Recovery.NOT_ALLOWED and missing.application is None
