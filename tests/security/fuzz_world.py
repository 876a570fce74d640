"""The little world the fuzzer attacks: two customers with applications, staff, a stranger.

Each customer's application holds secrets (number, names, phone, credit code) that must
never reach anyone else's chat; the fuzzer's updates come from all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from process.roles import Role
from storage.models import Application
from tests.security.offline import OfflineBot
from tests.storage.samples import new_application
from tests.storage_steps import file_draft_in

ALICE, BOB, STRANGER = 1001, 1002, 3001
MANAGER, OTHER_MANAGER, SUPERVISOR, ADMIN = 2001, 2002, 2003, 9001
CUSTOMERS = (ALICE, BOB)
PEOPLE = (ALICE, BOB, STRANGER, MANAGER, OTHER_MANAGER, SUPERVISOR, ADMIN)

SECRETS = {
    ALICE: {
        "applicant_name": "爱丽丝精密铸造有限公司",
        "project_name": "爱丽丝三号车间",
        "contact_name": "司马光明",
        "contact_mobile": "13711112222",
        "uscc": "91350100M000100Y43",
    },
    BOB: {
        "applicant_name": "鲍勃冷链物流有限公司",
        "project_name": "鲍勃冷库二期",
        "contact_name": "欧阳修远",
        "contact_mobile": "13633334444",
        "uscc": "91110000600037341L",
    },
}


@dataclass
class World:
    applications: dict[int, Application]  # by customer

    def secrets_of(self, customer: int) -> list[str]:
        return [*SECRETS[customer].values(), self.applications[customer].number]

    def may_change(self, actor: int, application: Application) -> bool:
        """Who may move an application on: its customer, its holders, the overseers."""
        return actor in (
            application.customer_id,
            application.customer_manager_id,
            application.project_manager_id,
            SUPERVISOR,
            ADMIN,
        )


async def build_world(bot: OfflineBot) -> World:
    svc, now = bot.svc, bot.clock.now()
    for person in PEOPLE:
        await bot.feed(bot.message(person, "/start"))
    for user_id, role, name in (
        (MANAGER, Role.CUSTOMER_MANAGER, "王经理"),
        (OTHER_MANAGER, Role.CUSTOMER_MANAGER, "李经理"),
        (SUPERVISOR, Role.SUPERVISOR, "陈主管"),
    ):
        code = await svc.staff.create_invite(
            role=role, name=name, district="汉台区", created_by=None, now=now
        )
        await bot.feed(bot.message(user_id, f"/join {code}"))
    applications: dict[int, Application] = {}
    for customer, holder in ((ALICE, MANAGER), (BOB, OTHER_MANAGER)):
        await svc.drafts.start(customer, now)
        submitted = await file_draft_in(
            svc.db,
            customer_id=customer,
            year=2026,
            application=new_application(district="汉台区", **SECRETS[customer]),
            now=now,
            accept_limit_days=1,
            plan_due=date(2026, 12, 14),
            plan_due_provisional=False,
        )
        await svc.db.execute(
            "UPDATE applications SET customer_manager_id = ? WHERE id = ?",
            (holder, submitted.id),
        )
        stored = await svc.applications.get(submitted.id)
        assert stored is not None
        applications[customer] = stored
    return World(applications)
