"""Reassignment and attaching a project manager: checked, written and told at once."""

from __future__ import annotations

from process.roles import Role
from services.context import ServiceContext
from services.holders import Changed, HolderRefusal, attach_project_manager, reassign
from storage.applications import ApplicationsRepo
from storage.db import Database
from tests.storage.samples import NOW
from tests.storage.staff_samples import enrol, submit

CUSTOMER, OLD, NEW, PROJECT, SUPERVISOR, OTHER_SUPERVISOR = 1001, 2001, 2002, 2003, 3001, 3002
DISTRICT = "汉台区"


async def _outbox(db: Database) -> list[tuple[str, int]]:
    rows = await db.fetchall("SELECT key, user_id FROM outbox ORDER BY id")
    return [(row["key"], row["user_id"]) for row in rows]


async def _events(db: Database) -> list[str]:
    return [r["kind"] for r in await db.fetchall("SELECT kind FROM events ORDER BY id")]


async def _scene(db: Database) -> int:
    await enrol(db, SUPERVISOR, Role.SUPERVISOR, district=DISTRICT)
    await enrol(db, OTHER_SUPERVISOR, Role.SUPERVISOR, district="南郑区")
    await enrol(db, OLD, Role.CUSTOMER_MANAGER, name="李经理", district=DISTRICT)
    await enrol(db, NEW, Role.CUSTOMER_MANAGER, name="赵经理", district=DISTRICT)
    app = await submit(db, CUSTOMER, district=DISTRICT, manager=OLD)
    return app.id


async def test_a_stale_version_changes_nothing(db: Database, context: ServiceContext) -> None:
    app_id = await _scene(db)
    before = await ApplicationsRepo(db).get(app_id)
    assert before is not None
    events = await _events(db)
    outcome = await reassign(
        context,
        actor_id=SUPERVISOR,
        application_id=app_id,
        version=before.version - 1,  # the card was made before the last change
        target_id=NEW,
        role=Role.CUSTOMER_MANAGER,
        now=NOW,
    )
    assert outcome is HolderRefusal.STALE
    assert await ApplicationsRepo(db).get(app_id) == before
    assert await _events(db) == events
    assert await _outbox(db) == []


async def test_reassignment_tells_the_new_holder_the_old_one_and_the_customer(
    db: Database, context: ServiceContext
) -> None:
    app_id = await _scene(db)
    before = await ApplicationsRepo(db).get(app_id)
    assert before is not None
    outcome = await reassign(
        context,
        actor_id=SUPERVISOR,
        application_id=app_id,
        version=before.version,
        target_id=NEW,
        role=Role.CUSTOMER_MANAGER,
        now=NOW,
    )
    assert isinstance(outcome, Changed)
    assert outcome.application.customer_manager_id == NEW
    assert outcome.application.version == before.version + 1
    assert (await _events(db))[-1] == "reassigned"
    assert [user for _, user in await _outbox(db)] == [NEW, OLD, CUSTOMER]


async def test_out_of_reach_or_wrong_role_is_refused(db: Database, context: ServiceContext) -> None:
    app_id = await _scene(db)
    app = await ApplicationsRepo(db).get(app_id)
    assert app is not None
    for actor, target, role in (
        (OTHER_SUPERVISOR, NEW, Role.CUSTOMER_MANAGER),  # another district's supervisor
        (OLD, NEW, Role.CUSTOMER_MANAGER),  # a manager does not reassign
        (SUPERVISOR, NEW, Role.PROJECT_MANAGER),  # the target is not of that role
        (SUPERVISOR, OTHER_SUPERVISOR, Role.SUPERVISOR),  # nor is a supervisor a holder
    ):
        outcome = await reassign(
            context,
            actor_id=actor,
            application_id=app_id,
            version=app.version,
            target_id=target,
            role=role,
            now=NOW,
        )
        assert outcome is HolderRefusal.NOT_ALLOWED, (actor, target, role)
    assert await ApplicationsRepo(db).get(app_id) == app
    assert await _outbox(db) == []


async def test_attaching_a_project_manager(db: Database, context: ServiceContext) -> None:
    app_id = await _scene(db)
    app = await ApplicationsRepo(db).get(app_id)
    assert app is not None
    nobody = await attach_project_manager(
        context, actor_id=OLD, application_id=app_id, version=app.version, now=NOW
    )
    assert nobody is HolderRefusal.NOBODY
    await enrol(db, PROJECT, Role.PROJECT_MANAGER, district=DISTRICT)
    attached = await attach_project_manager(
        context, actor_id=OLD, application_id=app_id, version=app.version, now=NOW
    )
    assert isinstance(attached, Changed) and attached.application.project_manager_id == PROJECT
    assert await _outbox(db) == [
        (f"holder:{app_id}:{app.version + 1}:{PROJECT}:manage/attached", PROJECT)
    ]
    again = await attach_project_manager(
        context, actor_id=OLD, application_id=app_id, version=attached.application.version, now=NOW
    )
    assert again is HolderRefusal.NOT_ALLOWED  # it has one now
