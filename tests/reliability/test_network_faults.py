"""Telegram misbehaving at random (timeouts, 5xx, dropped connections): the bot keeps
serving, answers every message, and the outbox catches up."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import services_of
from process.clock import ManualClock
from process.roles import Role
from sandbox.emulator import BotApiEmulator
from sandbox.inbox import WaitTimeout
from sandbox.limits import RateLimits
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner, shanghai
from tests.e2e.staff_seed import seed_application
from tests.e2e.staffing import enrol

LONG = os.environ.get("HVCONNECT_LONG_TESTS") == "1"
CUSTOMERS = 8 if LONG else 3
SCRIPT = (
    ("/start", "/help", "/status", "随便问问", "/contact", "QUESTION", "/lang", "/status")
    if LONG
    else ("/start", "随便问问", "/contact", "QUESTION")
)
FAULTS = ["timeout", "timeout_after", "reset", "500", "502"]
# Every failed getUpdates costs python-telegram-bot a second's pause before it polls again,
# so those come counted (a few in a row) rather than at the random rate of the rest.
METHODS = {
    "sendMessage",
    "answerCallbackQuery",
    "editMessageReplyMarkup",
    "sendDocument",
    "sendPhoto",
}


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    # A held request is dropped after 0.3 s: long enough to be a timeout, short enough to test.
    async with BotApiEmulator(
        limits=RateLimits(enabled=False), strict_html=True, fault_hold_seconds=0.3
    ) as emu:
        yield emu


@pytest.fixture
async def bot(emulator: BotApiEmulator, tmp_path: Path) -> AsyncIterator[BotRunner]:
    runner = BotRunner(emulator, tmp_path / "hv.db", ManualClock(shanghai(2026, 11, 27, 10, 0)))
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()


async def _delivered(bot: BotRunner, member: Customer, text: str) -> None:
    assert bot.app is not None
    for _ in range(60):
        if any(text in (m.text or "") for m in member.user.messages()):
            return
        bot.clock.advance(timedelta(minutes=1))
        services_of(bot.app).sender.wake()
        with contextlib.suppress(WaitTimeout):
            await member.user.wait_for(lambda m: text in (m.text or ""), timeout=0.5)
    raise AssertionError(f"{text!r} never reached {member.user.id}")


async def test_every_message_is_answered_while_telegram_fails_at_random(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    people = [
        Customer(emulator, emulator.user(1000 + i, first_name=f"C{i}")) for i in range(CUSTOMERS)
    ]
    assert bot.app is not None
    for person in people:
        await seed_application(services_of(bot.app), customer_id=person.user.id, manager=2001)
    emulator.set_fault_rate(0.2, FAULTS, seed=11, methods=METHODS)
    emulator.inject_faults("getUpdates", ["500", "timeout"], 2)
    for step in SCRIPT:
        for i, person in enumerate(people):
            before = len(person.user.messages())
            await person.user.send_text(step.replace("QUESTION", f"第{i}位客户的问题"))
            await person.user.wait_for(
                lambda m, before=before, person=person: len(person.user.messages()) > before,
                timeout=60,
            )
    # What went through the outbox arrives too, each relayed question at the manager's; its
    # retries are due by the bot's clock (a manual one here), so time is moved along.
    for i in range(len(people)):
        await _delivered(bot, manager, f"第{i}位客户的问题")
    assert sum(emulator.faults_injected.values()) >= 5  # the weather really was bad

    emulator.clear_faults()
    bot.clock.advance(timedelta(minutes=10))
    services_of(bot.app).sender.wake()
    await emulator.wait_idle(quiet=0.5, timeout=60)
    rows = await bot.query("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
    assert {r["status"] for r in rows} == {"sent"}
    texts = [r["text"] for r in await bot.query("SELECT text FROM thread_messages ORDER BY id")]
    assert sorted(texts) == sorted(f"第{i}位客户的问题" for i in range(len(people)))
