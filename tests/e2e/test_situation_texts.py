"""Texts that say what the situation is: each produced by the real handler or sweep, read
in the chat as the user reads it."""

from __future__ import annotations

from bot.app import services_of
from process.roles import Role
from sandbox.emulator import BotApiEmulator
from tests.e2e.apply_walk import submit_application
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner, shanghai
from tests.e2e.staffing import enrol


async def test_a_follow_up_past_the_deadline_says_it_is_overdue_and_asks_for_what_is_owed(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    alice = Customer(emulator, emulator.user(1001))
    number = await submit_application(alice)  # the site proof is promised for later
    # Acceptance was due on Monday 30 Nov; on Thursday nothing has happened for three
    # working days and the stage is late.
    moment = shanghai(2026, 12, 3, 10, 0)
    bot.clock.set(moment)
    assert bot.app is not None
    svc = services_of(bot.app)
    alice.user.mark()
    await svc.scheduler.run_once(moment)
    svc.sender.wake()
    follow_up = await alice.user.wait_for(lambda m: "办理进度" in (m.text or ""), timeout=30)

    text = follow_up.text or ""
    assert number in text
    assert "本环节应于 2026年11月30日（周一）前完成，现已超期" in text
    assert "预计" not in text
    assert "用电地址产权证明或租赁合同" in text and "请点下方按钮补交" in text
    assert "无需做任何事" not in text
    assert any(b.text.startswith("📎") for b in follow_up.inline_buttons)
