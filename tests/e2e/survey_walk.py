"""Getting a customer to the survey quickly: an application written straight through the
bot's own repositories and taken to energized, then the survey sweep run at a moment.

The five stages have their own walk through the chat (test_five_stages); here only the
survey is under test, so the application gets there in one transaction.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.app import services_of
from flows.deps import Services
from notifications.reminders.survey import SURVEY_SWEEP
from process.stages import GridWorks, SupplyMode, UsageCategory
from process.workflow import Step
from sandbox.emulator import BotApiEmulator
from storage.models import Application, NewApplication
from storage.workflow import set_holder, transition
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner
from tests.storage_steps import file_draft_in


def svc_of(bot: BotRunner) -> Services:
    assert bot.app is not None
    return services_of(bot.app)


async def run_sweep(bot: BotRunner, now: datetime | None = None) -> int:
    """Move the bot's clock to ``now`` (if given), run every sweep once as the scheduler
    does, and return how many surveys the survey sweep invited, reminded or closed."""
    if now is not None:
        bot.clock.set(now)
    results = await svc_of(bot).scheduler.run_once(bot.clock.now())
    return results[SURVEY_SWEEP]


async def customer_with_chat(
    emulator: BotApiEmulator, user_id: int, name: str, language: str = "zh-hans"
) -> Customer:
    customer = Customer(emulator, emulator.user(user_id, first_name=name, language_code=language))
    await customer.say("/start")
    await emulator.wait_idle(quiet=0.1)
    customer.user.mark()
    return customer


async def submitted(
    bot: BotRunner,
    customer: Customer,
    *,
    manager_id: int | None,
    project: str = "二期厂房新建工程",
    district: str = "汉台区",
) -> Application:
    """A submitted application of ``customer`` in acceptance, held by ``manager_id``."""
    svc = svc_of(bot)
    now = bot.clock.now()
    await svc.drafts.start(customer.user.id, now)
    application = await file_draft_in(
        svc.db,
        customer_id=customer.user.id,
        year=now.year,
        application=NewApplication(
            applicant_name="汉中市天汉机械制造有限公司",
            uscc="91350100M000100Y43",
            project_name=project,
            site_address="汉台区北一环路88号",
            district=district,
            usage_category=UsageCategory.LARGE_INDUSTRY,
            voltage_kv=10,
            capacity_kva=2000,
            supply_mode=SupplyMode.SINGLE,
            important_load=False,
            grid_works=GridWorks.NO,
            wanted_date=date(2027, 6, 30),
            contact_name="张伟",
            contact_mobile="13800138000",
        ),
        now=now,
        accept_limit_days=1,
        plan_due=date(2026, 12, 14),
        plan_due_provisional=False,
    )
    if manager_id is None:
        return application
    async with svc.db.transaction() as conn:
        return await set_holder(
            conn,
            application_id=application.id,
            expected_version=application.version,
            role="customer_manager",
            user_id=manager_id,
            now=now,
        )


async def energized(
    bot: BotRunner,
    customer: Customer,
    *,
    manager_id: int | None,
    project: str = "二期厂房新建工程",
    district: str = "汉台区",
) -> Application:
    """A submitted application of ``customer``, held by ``manager_id``, energized now."""
    application = await submitted(
        bot, customer, manager_id=manager_id, project=project, district=district
    )
    svc = svc_of(bot)
    async with svc.db.transaction() as conn:
        return await transition(
            conn,
            application_id=application.id,
            expected_version=application.version,
            action="energized",
            target=Step.DONE,
            actor_id=manager_id or 0,
            actor_role="customer_manager",
            now=bot.clock.now(),
            next_limit_days=0,
        )
