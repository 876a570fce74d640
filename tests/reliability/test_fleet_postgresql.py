"""Three instances on one PostgreSQL database, one of them SIGKILLed at random moments.

The emulator posts every update to the balancer, which passes it to one of three ``hvconnect
run`` instances in webhook mode; some updates are posted twice (a fault), and Telegram's real
flood limits hold. Customers fill in the form at a person's pace throughout; a customer
manager is enrolled and hears of each application. Round after round, one instance picked at
random is SIGKILLed at a random moment and started again, while the other two carry on.
Meanwhile applications are seeded as if accepted weeks ago and left silent since, so that
the sweeps owe each of their customers one follow-up: a batch before the fleet starts, and
one after every kill (the leader may be the instance just killed; the next one must queue
them, once).

At the end, with everyone done and the outbox empty, the counts must show nothing lost:
every application customers were told of is in the database with every field as they typed
it, every answer the bot accepted is stored, every action got a reply, every outbox message
reached its chat, with at most one repeated per kill (the message an instance had handed to
Telegram and not yet marked sent when it died, README "Delivery guarantee"), the sweeps
queued exactly one follow-up for every seeded customer and each reached its chat (twice only
as that one repeated outbox message), the emulator gave no 429, and every update the webhook
acknowledged was recorded handled.

Every action gets a reply although an update commits with the customer's answer before the
bot sends the next question: an instance killed between the two leaves the update handled
and not marked answered, and its redelivery, on another instance, asks the question again
(storage/units.py, flows/redelivered.py). An instance killed after its reply and before the
mark asks it twice: the customer answers the last message, as a person does, and no field
may come out wrong.

``make test`` runs 3 rounds with 20 customers when a PostgreSQL test server can start
(tests/postgres.py; skipped otherwise); ``HVCONNECT_LONG_TESTS=1`` 10 rounds with 200.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
from collections.abc import Awaitable, Callable
from pathlib import Path

from sandbox.emulator import BotApiEmulator
from sandbox.limits import RateLimits
from sandbox.webhook import WebhookRetry
from tests.e2e.harness import shanghai
from tests.keys import TEST_SECRET_KEY
from tests.reliability.crash_rig import FormFiller, describe, invite_manager
from tests.reliability.fleet_reminders import count_reminders, seed_silent_customers
from tests.reliability.fleet_rig import Fleet, count_outcome, outbox_left

LONG = os.environ.get("HVCONNECT_LONG_TESTS") == "1"
ROUNDS = 10 if LONG else 3
CUSTOMERS = 200 if LONG else 20
SEEDED_PER_BATCH = 10 if LONG else 3
INSTANCES = 3
MANAGER = 2001
START = shanghai(2026, 11, 27, 10, 0)  # a Friday morning: everyone may be written to
# Customers read before acting, as people do (see FormFiller.reading_time).
READING = 2.0
# A reply never gets lost on a fleet (a killed instance's updates go to another, and one it
# had committed is answered there), but may wait behind everyone else's on a loaded machine:
# customers wait for it, rather than ask /status and add to the queue. A reply that does not
# come within it counts as unanswered. 20 customers never queue that long.
REPLY_CEILING = 120.0 if LONG else 30.0
# Ceilings that name a run that never ends; they measure nothing. Sweeps run once a minute
# on the leader, and a new leader takes over within the leadership retry (15 s).
FILLING_CEILING = 1800.0 if LONG else 300.0
REMINDERS_CEILING = 180.0
OUTBOX_CEILING = 180.0


async def _until(
    what: str,
    ceiling: float,
    done: Callable[[], Awaitable[bool]],
    explain: Callable[[], Awaitable[str]],
) -> None:
    """Poll ``done`` until it holds; the ceiling names a hang, it measures nothing."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ceiling
    while not await done():
        if loop.time() > deadline:
            raise AssertionError(f"{what} within {ceiling:.0f} s: {await explain()}")
        await asyncio.sleep(0.2)


async def test_three_instances_on_postgresql_one_killed_at_random_lose_nothing(
    tmp_path: Path, postgres_url: str
) -> None:
    db = postgres_url
    rng = random.Random(2028)
    code = await invite_manager(db, START)
    silent = itertools.count(5001)
    seeded: list[int] = []
    async with BotApiEmulator(
        limits=RateLimits(),  # Telegram's real limits: the fleet must stay within them
        webhook_retry=WebhookRetry(first_delay=0.05, max_delay=1.0, timeout=30.0),
    ) as emulator:
        emulator.set_webhook_duplicates(0.1, seed=5)

        async def seed() -> None:
            batch = [next(silent) for _ in range(SEEDED_PER_BATCH)]
            await seed_silent_customers(db, emulator, batch, START)
            seeded.extend(batch)

        await seed()
        fleet = Fleet(
            emulator,
            db=db,
            key=TEST_SECRET_KEY,
            size=INSTANCES,
            log_dir=tmp_path,
            starting_at=START,
            seed=11,
        )
        loop = asyncio.get_running_loop()
        began = loop.time()
        filling: asyncio.Future[list[None]] | None = None
        await fleet.start()
        try:
            manager = emulator.user(MANAGER, first_name="王经理")
            await manager.send_text(f"/join {code}")
            await manager.wait_for(lambda m: "客户经理" in (m.text or ""), timeout=60)
            fillers = [
                FormFiller(
                    emulator.user(1001 + i, first_name=f"客户{i}"),
                    reading_time=READING,
                    reply_timeout=REPLY_CEILING,
                )
                for i in range(CUSTOMERS)
            ]
            chats = [MANAGER, *(f.user.id for f in fillers)]

            async def fill(filler: FormFiller) -> None:
                while not filler.done:
                    await filler.act()

            filling = asyncio.gather(*(fill(f) for f in fillers))
            for _ in range(ROUNDS):
                await asyncio.sleep(rng.uniform(1.0, 8.0))  # a random moment, not a wait
                killed = fleet.kill_random(rng)
                await seed()  # due now: whoever leads next must queue them
                await fleet.restart(killed)
            try:
                await asyncio.wait_for(filling, timeout=FILLING_CEILING)
            except TimeoutError:
                raise AssertionError(f"{describe(fillers)}\n{fleet.log_tails()}") from None
            filled = loop.time() - began

            async def outbox_empty() -> bool:
                return await outbox_left(db) == 0

            async def reminded() -> bool:
                return (await count_reminders(db, emulator, seeded)).all_delivered

            async def where() -> str:
                counted = await count_reminders(db, emulator, seeded)
                return f"{counted.lines()}\n{await outbox_left(db)} unsent\n{fleet.log_tails()}"

            await _until(
                "the seeded follow-ups were not all delivered", REMINDERS_CEILING, reminded, where
            )
            await _until("the outbox was not emptied", OUTBOX_CEILING, outbox_empty, where)
            await emulator.wait_idle(quiet=0.3, timeout=60)
            outcome = await count_outcome(db, emulator, fillers, chats)
            reminders = await count_reminders(db, emulator, seeded)
            report = (
                f"{outcome.lines()}\n{reminders.lines()}\nkills: {fleet.kills}\n"
                f"customers filling: {filled:.0f} s, in all {loop.time() - began:.0f} s\n"
                f"{fleet.log_tails()}"
            )
            print(report.split("\n--- instance")[0])  # the counts, for the run's log
            assert all(f.done for f in fillers)
            assert emulator.stats.webhook_duplicates > 0  # the fault did fire
            outcome.assert_nothing_lost(customers=CUSTOMERS, kills=fleet.kills, report=report)
            assert outcome.actions_unanswered == 0, report
            assert reminders.expected == SEEDED_PER_BATCH * (ROUNDS + 1), report
            assert reminders.queued_missing == reminders.queued_repeated == 0, report
            assert reminders.delivered_missing == 0, report
            # The sweeps queued each once (above); a follow-up can still be the one outbox
            # message a kill repeats (Telegram had it, its instance died before marking it
            # sent), so it counts in the outbox's window, not beside it.
            assert reminders.delivered_repeated <= outcome.outbox_repeated, report
            assert reminders.unexpected == 0, report
        finally:
            if filling is not None and not filling.done():
                filling.cancel()
            statuses = fleet.stop()
            await fleet.close()
            if any(status not in (0, None) for status in statuses):
                raise AssertionError(fleet.log_tails())
