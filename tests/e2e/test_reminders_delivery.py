"""Reminders reach people once, whatever Telegram does: flood control, timeouts and server
errors in bursts with Telegram's limits on; and a customer who blocked the bot is phoned by
their manager instead."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from bot.app import services_of
from flows.deps import Services
from process.clock import ManualClock
from process.roles import Role
from sandbox.emulator import BotApiEmulator
from sandbox.limits import RateLimits
from sandbox.users import FakeUser
from storage.models import Application
from tests.e2e.harness import BotRunner, shanghai
from tests.e2e.reminder_timeline import Timeline
from tests.e2e.staffing import enrol
from tests.storage.samples import new_application
from tests.storage_steps import file_draft_in

MANAGER, SUPERVISOR = 2001, 2003
CUSTOMERS = range(3001, 3031)


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    # Telegram's own limits, and held connections short enough to keep the test quick.
    async with BotApiEmulator(limits=RateLimits(), strict_html=True, fault_hold_seconds=0.2) as emu:
        yield emu


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(shanghai(2026, 11, 30, 9, 0))  # a Monday


def _svc(bot: BotRunner) -> Services:
    assert bot.app is not None
    return services_of(bot.app)


async def _customer(emulator: BotApiEmulator, user_id: int) -> FakeUser:
    user = emulator.user(user_id, first_name=f"客户{user_id}")
    await user.send_command("/start")
    await user.next_reply()  # the bot knows them, and their chat is open
    return user


async def _submitted(
    bot: BotRunner, customer_id: int, deferred: str, manager: int | None = MANAGER
) -> Application:
    """An application as the form leaves it: one document promised for later."""
    svc, now = _svc(bot), bot.clock.now()
    await svc.drafts.start(customer_id, now)
    await svc.drafts.set_deferred(customer_id, deferred, True, now)
    app = await file_draft_in(
        svc.db,
        customer_id=customer_id,
        year=now.year,
        application=new_application(district="汉台区", project_name=f"项目{customer_id}"),
        now=now,
        accept_limit_days=1,
        plan_due=date(2026, 12, 14),
        plan_due_provisional=False,
    )
    await svc.db.execute(
        "UPDATE applications SET customer_manager_id = ? WHERE id = ?", (manager, app.id)
    )
    return app


async def test_bursts_of_429_timeouts_and_5xx_still_deliver_every_reminder_once(
    emulator: BotApiEmulator, bot: BotRunner, tmp_path: Path
) -> None:
    customers = [await _customer(emulator, uid) for uid in CUSTOMERS]
    await emulator.wait_idle(quiet=0.5)
    # Nobody holds them yet and no supervisor is enrolled: only the customers hear.
    apps = [await _submitted(bot, user.id, "site_proof", None) for user in customers]
    timeline = Timeline(bot, {str(user.id): user for user in customers})
    timeline.forget_so_far()
    emulator.stats.reset()
    # Three bursts, one after the other: server errors, flood control, dropped connections.
    emulator.inject_faults("sendMessage", ["500", "502"], 12)
    emulator.inject_faults("sendMessage", ["429"], 6)
    emulator.inject_faults("sendMessage", ["timeout", "reset"], 6)

    # Thursday 10:00: three quiet working days for every customer.
    moment = shanghai(2026, 12, 3, 10, 0)
    bot.clock.set(moment)
    queued = await _svc(bot).scheduler.run_once(moment)
    await timeline.deliver(nudge=True, timeout=60)
    timeline.collect(moment)

    assert queued["customers"] == 2 * len(customers)
    assert emulator.faults_injected == {"500": 6, "502": 6, "429": 6, "timeout": 3, "reset": 3}
    per_person = Counter((h.person, h.first_line) for h in timeline.heard)
    expected = Counter(
        (str(app.customer_id), f"{icon} {title} · {app.number} 项目{app.customer_id}")
        for app in apps
        for icon, title in (("📋", "办理进度"), ("📌", "待您办理"))
    )
    assert per_person == expected  # every customer, both messages, each exactly once
    rows = await bot.query("SELECT status, attempts FROM outbox WHERE kind LIKE 'remind.%'")
    assert {r["status"] for r in rows} == {"sent"}
    assert sum(r["attempts"] for r in rows) == 18  # the 429s were waits, not failures


async def test_a_customer_who_blocked_the_bot_is_phoned_by_their_manager(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, MANAGER, Role.CUSTOMER_MANAGER, "王经理")
    supervisor = await enrol(emulator, bot, SUPERVISOR, Role.SUPERVISOR, "陈主管")
    alice = await _customer(emulator, 3001)
    await emulator.wait_idle()
    app = await _submitted(bot, alice.id, "equipment_list")
    timeline = Timeline(
        bot, {"customer": alice, "manager": manager.user, "supervisor": supervisor.user}
    )
    timeline.forget_so_far()
    await alice.block_bot()
    await emulator.wait_idle()

    # Telegram told the bot (the customer is marked); the next run asks the manager to
    # phone, and reminders stop meanwhile: nothing is sent to bounce.
    await timeline.step(shanghai(2026, 12, 1, 10, 0))
    await timeline.step(shanghai(2026, 12, 3, 10, 0))
    await timeline.step(shanghai(2026, 12, 8, 10, 0))

    told = [h for h in timeline.of("manager") if h.first_line.startswith("📵")]
    assert [(h.moment, h.first_line) for h in told] == [
        (shanghai(2026, 12, 1, 10, 0), f"📵 客户已屏蔽机器人 · {app.number}")
    ]
    assert "请电话联系客户" in told[0].text and "联系人：王工，手机 13800138000" in told[0].text
    assert timeline.of("customer") == []
    # The supervisor is not bothered while the application has a manager.
    assert not [h for h in timeline.of("supervisor") if h.first_line.startswith("📵")]
    assert (
        await bot.query(
            "SELECT kind FROM outbox WHERE user_id = ? AND kind LIKE 'remind.%'", (alice.id,)
        )
        == []
    )
