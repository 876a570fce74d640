"""Step changes: one of two concurrent presses applies; visits and pauses follow the steps."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from process.workflow import Step
from storage.applications import ApplicationsRepo
from storage.db import Database
from storage.drafts import DraftsRepo
from storage.events import EventsRepo
from storage.models import Application
from storage.slots import latest_slots_by_application
from storage.threads import ThreadsRepo
from storage.workflow import (
    StaleVersion,
    WorkflowRepo,
    add_slots,
    choose_slot,
    clear_pending,
    set_pending,
    transition,
)
from tests.storage.samples import CUSTOMER_ID, NOW, new_application
from tests.storage_steps import customer_writes_in, file_draft_in


async def submitted(db: Database) -> Application:
    await DraftsRepo(db).start(CUSTOMER_ID, NOW)
    return await file_draft_in(
        db,
        customer_id=CUSTOMER_ID,
        year=2026,
        application=new_application(),
        now=NOW,
        accept_limit_days=1,
        plan_due=date(2026, 12, 14),
        plan_due_provisional=False,
    )


async def move(
    db: Database, app: Application, action: str, target: Step, version: int, minutes: int
) -> Application:
    async with db.transaction() as conn:
        return await transition(
            conn,
            application_id=app.id,
            expected_version=version,
            action=action,
            target=target,
            actor_id=9,
            actor_role="customer_manager",
            now=NOW + timedelta(minutes=minutes),
            next_limit_days=10,
        )


async def test_a_stale_version_changes_nothing(db: Database, customer: int) -> None:
    app = await submitted(db)
    moved = await move(db, app, "accept", Step.SURVEY_PROPOSE, app.version, 1)
    assert moved.version == app.version + 1 and moved.stage == "plan"
    with pytest.raises(StaleVersion):
        await move(db, app, "return_missing", Step.ACCEPT_MISSING, app.version, 2)
    current = await ApplicationsRepo(db).get(app.id)
    assert current is not None and current.step == "survey_propose"
    kinds = [e.kind for e in await EventsRepo(db).for_application(app.id)]
    assert kinds == ["submitted", "accept"]


async def test_concurrent_presses_apply_exactly_once(db: Database, customer: int) -> None:
    app = await submitted(db)
    results = await asyncio.gather(
        *(move(db, app, "accept", Step.SURVEY_PROPOSE, app.version, i) for i in range(5)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Application) for r in results) == 1
    assert sum(isinstance(r, StaleVersion) for r in results) == 4


async def test_visits_and_pauses_follow_the_steps(db: Database, customer: int) -> None:
    app = await submitted(db)
    app = await move(db, app, "return_missing", Step.ACCEPT_MISSING, app.version, 1)
    visit = await ApplicationsRepo(db).current_visit(app.id)
    assert visit is not None and visit.stage == "accept"
    assert [p.ended_at for p in visit.pauses] == [None]
    app = await move(db, app, "supply_missing", Step.ACCEPT_REVIEW, app.version, 2)
    visit = await ApplicationsRepo(db).current_visit(app.id)
    assert visit is not None and visit.pauses[0].ended_at is not None
    app = await move(db, app, "accept", Step.SURVEY_PROPOSE, app.version, 3)
    app = await move(db, app, "propose_slots", Step.SURVEY_PICK, app.version, 4)
    # Straight from the plan into the customer's design: the new stage starts paused.
    app = await move(db, app, "x", Step.PLAN_CONFIRM, app.version, 5)
    app = await move(db, app, "confirm_plan", Step.DESIGN_AWAIT, app.version, 6)
    visits = await ApplicationsRepo(db).stage_visits(app.id)
    assert [v.stage for v in visits] == ["accept", "plan", "design"]
    assert visits[1].ended_at is not None and all(p.ended_at for p in visits[1].pauses)
    assert visits[2].limit_days == 10 and [p.ended_at for p in visits[2].pauses] == [None]
    app = await move(db, app, "energized", Step.DONE, app.version, 7)
    assert app.status == "done"
    assert await ApplicationsRepo(db).current_visit(app.id) is None


async def test_slots_rounds_and_pending_inputs(db: Database, customer: int) -> None:
    app = await submitted(db)
    repo = WorkflowRepo(db)
    async with db.transaction() as conn:
        first = await add_slots(conn, app.id, [NOW + timedelta(days=3)], NOW)
        second = await add_slots(
            conn, app.id, [NOW + timedelta(days=5), NOW + timedelta(days=4)], NOW
        )
    assert (first, second) == (1, 2)
    slots = await repo.slots(app.id)
    assert [s.round for s in slots] == [2, 2] and slots[0].starts_at < slots[1].starts_at
    async with db.transaction() as conn:
        await choose_slot(conn, slots[1].id)
    assert [s.chosen for s in await repo.slots(app.id)] == [False, True]
    # Read for many applications at once (a sweep's reminders): the same latest round.
    async with db.snapshot() as conn:
        many = await latest_slots_by_application(conn, [app.id, app.id, 999_999])
    assert many == {app.id: await repo.slots(app.id)}
    async with db.transaction() as conn:
        await set_pending(
            conn, user_id=CUSTOMER_ID, application_id=app.id, action="accept", version=3, now=NOW
        )
    await repo.update_pending_data(CUSTOMER_ID, {"files": [1]})
    pending = await repo.pending(CUSTOMER_ID)
    assert pending is not None and (pending.action, pending.version, pending.data) == (
        "accept",
        3,
        {"files": [1]},
    )
    async with db.transaction() as conn:
        await clear_pending(conn, CUSTOMER_ID)
    assert await repo.pending(CUSTOMER_ID) is None


async def test_thread_keeps_the_last_messages_in_order(db: Database, customer: int) -> None:
    app = await submitted(db)
    await customer_writes_in(db, app.id, CUSTOMER_ID, [f"m{i}" for i in range(7)], NOW)
    threads = ThreadsRepo(db)
    assert [m.text for m in await threads.recent(app.id)] == ["m2", "m3", "m4", "m5", "m6"]
    assert await threads.count(app.id) == 7
