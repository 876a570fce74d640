"""The leader of a PostgreSQL fleet SIGKILLed: another instance runs the sweeps, and no
reminder is skipped or repeated.

Three ``hvconnect run`` instances share one database; the one holding the leadership lock
(storage/leadership.py) runs the sweeps. The test finds it by what it logged (and checks
that the server sees exactly one holder of the lock), kills it, and at once seeds
applications whose follow-ups fall due then (tests/reliability/fleet_reminders.py): with the
leader dead, only the instance that takes over can queue them. It waits, with generous
ceilings that only name a hang, until another instance says it leads and those follow-ups
are delivered, and prints how long each took. The killed instance is started again; a last
batch seeded after that shows a later sweep ran, and every seeded customer, before and after
the kill, must have exactly one follow-up in the outbox and in the chat.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from sandbox.emulator import BotApiEmulator
from sandbox.limits import RateLimits
from storage.db import Database
from storage.leadership import LEADER_LOCK_KEY
from storage.migrate import migrate
from tests.e2e.harness import shanghai
from tests.keys import TEST_SECRET_KEY, make_test_cipher
from tests.reliability.fleet_reminders import (
    REMINDED_MANAGER,
    count_reminders,
    seed_silent_customers,
)
from tests.reliability.fleet_rig import Fleet, count_outcome

START = shanghai(2026, 11, 27, 10, 0)  # a Friday morning: everyone may be written to
INSTANCES = 3
BATCH = 3
# The sweeps run once a minute and a new leader takes over within the leadership retry
# (15 s): a minute is what the product promises, the ceilings only name a hang.
TAKEOVER_CEILING = 90.0
SWEEP_CEILING = 150.0


async def _lock_holders(db: str) -> int:
    """Sessions the server sees holding the leadership lock (a bigint advisory lock is
    listed by its two halves)."""
    database = await Database.open(db, cipher=make_test_cipher())
    try:
        row = await database.fetchone(
            "SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = ? AND objid = ? AND objsubid = 1",
            (LEADER_LOCK_KEY >> 32, LEADER_LOCK_KEY & 0xFFFF_FFFF),
        )
        return int(row["n"]) if row else 0
    finally:
        await database.close()


async def _waited(what: str, ceiling: float, done: Callable[[], Awaitable[bool]]) -> float:
    """Seconds until ``done`` held, polled; the ceiling names a hang."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    while not await done():
        if loop.time() - began > ceiling:
            raise AssertionError(f"{what} within {ceiling:.0f} s")
        await asyncio.sleep(0.1)
    return loop.time() - began


async def test_the_leader_killed_another_instance_runs_the_sweeps_and_nothing_repeats(
    tmp_path: Path, postgres_url: str
) -> None:
    db = postgres_url
    database = await Database.open(db, cipher=make_test_cipher())
    try:
        await migrate(database, START)
    finally:
        await database.close()
    before, after, later = ([5001 + BATCH * n + i for i in range(BATCH)] for n in range(3))
    async with BotApiEmulator(limits=RateLimits()) as emulator:
        await seed_silent_customers(db, emulator, before, START)
        fleet = Fleet(
            emulator,
            db=db,
            key=TEST_SECRET_KEY,
            size=INSTANCES,
            log_dir=tmp_path,
            starting_at=START,
        )
        await fleet.start()
        try:

            def delivered(customers: list[int]) -> Callable[[], Awaitable[bool]]:
                async def check() -> bool:
                    return (await count_reminders(db, emulator, customers)).all_delivered

                return check

            async def one_leader() -> bool:
                return len(fleet.leaders()) == 1

            await _waited("no instance leads", TAKEOVER_CEILING, one_leader)
            await _waited("the first follow-ups", SWEEP_CEILING, delivered(before))
            [leader] = fleet.leaders()
            assert await _lock_holders(db) == 1, fleet.log_tails()

            fleet.kill(leader)
            await seed_silent_customers(db, emulator, after, START)

            async def another_leads() -> bool:
                return any(i != leader for i in fleet.leaders())

            takeover = await _waited(
                "no other instance took the lead", TAKEOVER_CEILING, another_leads
            )
            [successor] = fleet.leaders()
            reminded = await _waited(
                "the follow-ups due after the kill", SWEEP_CEILING, delivered(after)
            )
            print(
                f"leader {leader} killed; instance {successor} led after {takeover:.1f} s; "
                f"the follow-ups due at the kill were delivered after {takeover + reminded:.1f} s"
            )

            await fleet.restart(leader)
            await seed_silent_customers(db, emulator, later, START)
            await _waited("the follow-ups of a later sweep", SWEEP_CEILING, delivered(later))
            await emulator.wait_idle(quiet=0.3, timeout=60)

            assert fleet.leaders() == [successor], fleet.log_tails()
            assert await _lock_holders(db) == 1, fleet.log_tails()
            reminders = await count_reminders(db, emulator, [*before, *after, *later])
            outcome = await count_outcome(db, emulator, [], [REMINDED_MANAGER])
            report = f"{reminders.lines()}\n{outcome.lines()}\n{fleet.log_tails()}"
            assert reminders.expected == 3 * BATCH
            assert reminders.queued_missing == reminders.queued_repeated == 0, report
            assert reminders.delivered_missing == reminders.delivered_repeated == 0, report
            assert reminders.unexpected == 0, report
            assert outcome.outbox_missing == 0, report
            assert outcome.outbox_repeated <= fleet.kills, report
            assert outcome.repeated_messages == 0, report  # the manager's lists, once each
            assert outcome.too_many_requests == 0, report
        finally:
            statuses = fleet.stop()
            await fleet.close()
            if any(status not in (0, None) for status in statuses):
                raise AssertionError(fleet.log_tails())
