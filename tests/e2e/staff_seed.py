"""Applications written straight to the bot's database, for staff tests that need work to
exist without walking the customer's form each time (that walk has its own tests)."""

from __future__ import annotations

from datetime import date, datetime

from flows.deps import Services
from process.stages import Stage, SupplyMode
from process.workflow import ACTIONS, STEP_STAGE
from services.workflow_effects import Given, write_effects
from storage.models import Application
from storage.workflow import transition
from tests.storage.samples import new_application
from tests.storage_steps import file_draft_in


async def seed_application(
    svc: Services,
    *,
    customer_id: int,
    manager: int | None = None,
    now: datetime | None = None,
    **fields: object,
) -> Application:
    """A submitted application (district 汉台区 unless given), held by ``manager``."""
    moment = now or svc.clock.now()
    await svc.users.touch(
        user_id=customer_id,
        chat_id=customer_id,
        first_name=None,
        username=None,
        default_locale="zh_CN",
        now=moment,
    )
    await svc.drafts.start(customer_id, moment)
    application = await file_draft_in(
        svc.db,
        customer_id=customer_id,
        year=moment.year,
        application=new_application(**{"district": "汉台区", **fields}),
        now=moment,
        accept_limit_days=1,
        plan_due=date(2026, 12, 14),
        plan_due_provisional=False,
    )
    if manager is not None:
        await svc.db.execute(
            "UPDATE applications SET customer_manager_id = ? WHERE id = ?",
            (manager, application.id),
        )
    return application


async def walk_workflow(
    svc: Services, application_id: int, actions: list[tuple[str, int]], *, day: date | None = None
) -> Application:
    """Take workflow actions (name, actor) now, with their effects, as the flows write them
    (``day``: the energization day scheduled):
    for staff tests that start where the chat walk of earlier stages has its own tests."""
    for name, actor in actions:
        application = await svc.applications.get(application_id)
        assert application is not None
        action = ACTIONS[name]
        stage = STEP_STAGE[action.target]
        mode = SupplyMode(application.supply_mode)
        limit = 0 if stage is Stage.DONE else svc.settings.limits.for_stage(stage, mode)
        member = await svc.staff.get(actor)
        now = svc.clock.now()
        async with svc.db.transaction() as conn:
            facts = await write_effects(
                conn,
                action=name,
                application=application,
                given=Given(day=day) if name == "schedule_energization" else Given(),
                actor_id=actor,
                now=now,
            )
            await transition(
                conn,
                application_id=application.id,
                expected_version=application.version,
                action=name,
                target=action.target,
                actor_id=actor,
                actor_role=member.role.value if member else "customer",
                now=now,
                next_limit_days=limit,
                data=facts,
            )
    found = await svc.applications.get(application_id)
    assert found is not None
    return found
