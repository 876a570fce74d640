"""What the statistics read: a period's applications with visits, pauses, surveys, history."""

from __future__ import annotations

from datetime import datetime, timedelta

from process.metrics import Question
from process.roles import Role
from process.workflow import Step
from storage.db import Database
from storage.models import Application
from storage.stats import StatsRepo
from storage.survey import save_answer, survey_of
from storage.workflow import transition
from tests.storage.samples import SHANGHAI
from tests.storage.staff_samples import enrol, submit
from tests.storage.survey_samples import invited

# The first moment of December in Shanghai is still November in UTC.
DECEMBER = datetime(2026, 12, 1, tzinfo=SHANGHAI)


async def _move(
    db: Database, app: Application, action: str, target: Step, when: datetime
) -> Application:
    async with db.transaction() as conn:
        return await transition(
            conn,
            application_id=app.id,
            expected_version=app.version,
            action=action,
            target=target,
            actor_id=2001,
            actor_role="customer_manager",
            now=when,
            next_limit_days=10,
        )


async def test_the_period_is_read_in_local_time_with_everything_the_figures_need(
    db: Database,
) -> None:
    await enrol(db, 2001, Role.CUSTOMER_MANAGER, name="王经理", district="汉台区")
    last_of_november = await submit(db, 1001, now=DECEMBER - timedelta(minutes=1))
    first_of_december = await submit(db, 1002, now=DECEMBER, manager=2001, district="南郑区")
    app = await _move(
        db, first_of_december, "accept", Step.SURVEY_PROPOSE, DECEMBER + timedelta(days=1)
    )
    app = await _move(db, app, "propose_slots", Step.SURVEY_PICK, DECEMBER + timedelta(days=2))
    done = await invited(
        db, 1003, DECEMBER + timedelta(days=20), submitted_at=DECEMBER + timedelta(days=3)
    )
    async with db.transaction() as conn:
        survey = await survey_of(conn, done.id)
        assert survey is not None
        await save_answer(conn, survey.id, Question.OVERALL, 5, DECEMBER)

    data = await StatsRepo(db).period(DECEMBER, DECEMBER + timedelta(days=31))
    assert [a.id for a in data.applications] == [first_of_december.id, done.id]
    assert last_of_november.id not in data.visits
    accept, plan = data.visits[first_of_december.id]
    assert (accept.stage, plan.stage, plan.ended_at) == ("accept", "plan", None)
    assert [p.reason for p in plan.pauses] == ["survey_pick"]
    assert [(s.application_id, s.overall) for s in data.surveys] == [(done.id, 5)]
    assert data.staff_names == {2001: "王经理"}

    facts = {f.id: f for f in data.application_facts()}
    assert facts[first_of_december.id].customer_manager_id == 2001
    assert facts[first_of_december.id].visits[1].pauses[0].ended_at is None
    assert facts[done.id].completed and not facts[first_of_december.id].completed
    [survey] = data.survey_facts()
    assert (survey.application_id, survey.overall, survey.submitted_at) == (done.id, 5, None)

    south = data.only("南郑区")
    assert [a.id for a in south.applications] == [first_of_december.id]
    assert south.surveys == [] and set(south.visits) == {first_of_december.id}
    assert data.only(None) is data

    kinds = [
        (e.application_id, e.kind)
        for e in await StatsRepo(db).events(DECEMBER, DECEMBER + timedelta(days=31))
    ]
    assert kinds == [
        (first_of_december.id, "submitted"),
        (first_of_december.id, "accept"),
        (first_of_december.id, "propose_slots"),
        (done.id, "submitted"),
        (done.id, "energized"),
    ]


async def test_an_empty_period_reads_as_nothing(db: Database) -> None:
    data = await StatsRepo(db).period(DECEMBER, DECEMBER + timedelta(days=1))
    assert (data.applications, data.visits, data.surveys) == ([], {}, [])
    assert data.application_facts() == [] and data.survey_facts() == []
