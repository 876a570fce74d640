"""The fleet rig proven on what runs today: one instance in webhook mode on SQLite.

The emulator posts every update to the balancer, the balancer to the instance; the instance
is SIGKILLed at random moments and started again on the same port while customers carry on.
The emulator also delivers some updates twice (a fault), which the bot must handle once.
At the end the counts a fleet test reports must show nothing lost: every application a
customer was told of is in the database, every answer the bot accepted is stored, the outbox
delivered everything and repeated no more than one message per crash, the emulator gave no
429, and every update the webhook acknowledged was handled.

``make test`` runs 2 rounds with 2 customers (under a minute); ``HVCONNECT_LONG_TESTS=1``
10 rounds with 6.
"""

from __future__ import annotations

import asyncio
import os
import random
from pathlib import Path

from sandbox.emulator import BotApiEmulator
from sandbox.limits import RateLimits
from sandbox.webhook import WebhookRetry
from tests.e2e.harness import shanghai
from tests.keys import TEST_SECRET_KEY
from tests.reliability.crash_rig import FormFiller, describe, invite_manager, keep_filling
from tests.reliability.fleet_rig import Fleet, count_outcome, outbox_left

LONG = os.environ.get("HVCONNECT_LONG_TESTS") == "1"
ROUNDS = 10 if LONG else 2
CUSTOMERS = 6 if LONG else 2
MANAGER = 2001
START = shanghai(2026, 11, 27, 10, 0)
# Customers read before acting, as people do: the 429 count then measures the bot's pacing,
# not customers faster than Telegram's one message a second to a chat (the bot answers some
# actions with two messages, and Telegram's burst for a chat is three).
READING = 2.0 if LONG else 1.5


async def test_one_webhook_instance_killed_at_random_loses_nothing(tmp_path: Path) -> None:
    rng = random.Random(2027)
    db = str(tmp_path / "hv.db")
    code = await invite_manager(db, START)
    async with BotApiEmulator(
        limits=RateLimits(),  # Telegram's real limits: the fleet must stay within them
        webhook_retry=WebhookRetry(first_delay=0.05, max_delay=1.0, timeout=30.0),
    ) as emulator:
        emulator.set_webhook_duplicates(0.1, seed=5)
        fleet = Fleet(
            emulator, db=db, key=TEST_SECRET_KEY, size=1, log_dir=tmp_path, starting_at=START
        )
        await fleet.start()
        try:
            manager = emulator.user(MANAGER, first_name="王经理")
            await manager.send_text(f"/join {code}")
            await manager.wait_for(lambda m: "客户经理" in (m.text or ""), timeout=60)
            fillers = [
                FormFiller(emulator.user(1001 + i, first_name=f"客户{i}"), reading_time=READING)
                for i in range(CUSTOMERS)
            ]
            chats = [MANAGER, *(f.user.id for f in fillers)]
            for _ in range(ROUNDS):
                stop = asyncio.Event()
                working = asyncio.create_task(keep_filling(fillers, stop))
                await asyncio.sleep(rng.uniform(0.5, 4.0))  # a random moment, not a wait
                fleet.kill_random(rng)
                stop.set()
                await working
                await fleet.restart(0)
                survived = await count_outcome(db, emulator, fillers, chats)
                assert survived.applications_lost == 0, survived.lines()
                assert survived.answers_lost == 0, survived.lines()
            try:
                await asyncio.wait_for(keep_filling(fillers, asyncio.Event()), timeout=300)
            except TimeoutError:
                raise AssertionError(f"{describe(fillers)}\n{fleet.log_tails()}") from None
            # The outbox catches up; the ceiling names one that never will, it measures nothing.
            deadline = asyncio.get_running_loop().time() + 120
            while (left := await outbox_left(db)) != 0:
                assert asyncio.get_running_loop().time() < deadline, f"{left} never sent"
                await asyncio.sleep(0.1)
            await emulator.wait_idle(quiet=0.3, timeout=60)
            outcome = await count_outcome(db, emulator, fillers, chats)
            report = f"{outcome.lines()}\n{fleet.log_tails()}"
            assert all(f.done for f in fillers)
            assert emulator.stats.webhook_duplicates > 0  # the fault did fire
            outcome.assert_nothing_lost(customers=CUSTOMERS, kills=fleet.kills, report=report)
        finally:
            statuses = fleet.stop()
            await fleet.close()
            if any(status not in (0, None) for status in statuses):
                raise AssertionError(fleet.log_tails())
