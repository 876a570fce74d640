"""Applications written straight to the bot's database, for staff tests that need work to
exist without walking the customer's form each time (that walk has its own tests)."""

from __future__ import annotations

from datetime import date, datetime

from flows.services import Services
from storage.models import Application
from tests.storage.samples import new_application


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
    application = await svc.applications.submit(
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
