"""Replies and the outbox share Telegram's budget: with Telegram's limits on, sixty customers
starting at once while the outbox has a message due for each of them get every answer and
every message, and Telegram never once says 429."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import services_of
from process.clock import ManualClock
from sandbox.emulator import BotApiEmulator
from sandbox.limits import RateLimits
from storage.users import user_in
from tests.e2e.harness import BotRunner, shanghai
from tests.postgres import database_in

CUSTOMERS = range(5001, 5061)
WAIT = 60.0  # sixty chats at Telegram's 30 a second, on a busy machine


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(limits=RateLimits(), strict_html=True) as emu:
        yield emu


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(shanghai(2026, 11, 30, 10, 0))  # a Monday


async def test_replies_and_the_outbox_together_stay_within_telegrams_limits(
    emulator: BotApiEmulator, tmp_path: Path, clock: ManualClock
) -> None:
    bot = BotRunner(emulator, database_in(tmp_path, "hv.db"), clock)
    await bot.start()
    try:
        assert bot.app is not None
        svc = services_of(bot.app)
        users = [emulator.user(uid, first_name=f"客户{uid}") for uid in CUSTOMERS]
        # Sixty first contacts at once: sixty answers, twice Telegram's second.
        await asyncio.gather(*(user.send_command("/start") for user in users))
        await asyncio.gather(*(user.next_reply(timeout=WAIT) for user in users))
        # Then a message due in the outbox for each, and each asking for help meanwhile.
        async with svc.db.transaction() as conn:
            for user in users:
                recipient = await user_in(conn, user.id)
                assert recipient is not None
                await svc.outbox.message(
                    conn,
                    key=f"paced:{user.id}",
                    recipient=recipient,
                    template="common/nothing_to_cancel",
                    now=clock.now(),
                )
        await asyncio.gather(*(user.send_command("/help") for user in users))
        for user in users:
            start = user.cursor
            await user.wait_for(lambda m: "/apply" in (m.text or ""), timeout=WAIT)
            await user.wait_for(lambda m: "没有" in (m.text or ""), timeout=WAIT, after=start)
        assert emulator.stats.too_many_requests == 0
        assert emulator.stats.messages_sent >= 3 * len(users)
    finally:
        await bot.stop()  # lets the outbox record the message it had in flight
    rows = await bot.query("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
    assert {r["status"]: r["n"] for r in rows} == {"sent": len(users)}
