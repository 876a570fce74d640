"""Several instances sending from one PostgreSQL outbox: claims that never overlap, a dead
instance's claim coming back after its lease, and Telegram's limits held for the fleet.

Each "instance" is an OutboxSender with a database connection, a Bot and a flood budget of
its own, as two processes would have. The emulator enforces Telegram's limits (30 messages
a second overall, and here strictly one a second per private chat, no burst) and answers
429 past them. These run on a throwaway PostgreSQL server (tests/postgres.py) and are
skipped where PostgreSQL is not installed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from notifications.sender import CLAIM_LEASE, OutboxSender
from process.clock import ManualClock
from sandbox import BotApiEmulator, RateLimits
from storage.db import Database
from storage.outbox import INTERRUPTED, OutboxRepo
from tests.keys import make_test_cipher
from tests.notifications.test_sender_rig import START, TOKEN, HookedBot, Rig, sender_bot

CHATS = 50
# A sender claims at most a second's worth of Telegram's overall limit at once.
BATCH_CLAIMED = 30
PER_CHAT = 4
# Telegram's overall limit, and a private chat held to one message a second with no burst,
# so that any two messages to a chat less than a second apart are refused.
STRICT = RateLimits(global_per_second=30, private_chat_per_second=1.0, private_chat_burst=1)


@dataclass
class Fleet:
    emulator: BotApiEmulator
    rig: Rig  # the first instance's database and bot, and the rig's helpers
    second_db: Database
    second_bot: HookedBot
    clock: ManualClock

    def senders(self) -> tuple[OutboxSender, OutboxSender]:
        """Two instances: the rig's database and bot, and a second database and bot. They
        poll as in production: a chat held by its interval is looked at again when the
        shared budget says it is free, not a poll later."""
        first = self.rig.sender(name="first", poll_interval=1.0)
        second = OutboxSender(self.second_db, self.second_bot, self.clock, name="second")
        self.rig.senders.append(second)
        return first, second


@pytest.fixture
async def fleet(postgres_url: str) -> AsyncIterator[Fleet]:
    clock = ManualClock(START)
    emulator = BotApiEmulator(token=TOKEN, limits=RateLimits(enabled=False))
    await emulator.start()
    databases = [await Database.open(postgres_url, cipher=make_test_cipher()) for _ in range(2)]
    bots = [sender_bot(emulator), sender_bot(emulator)]
    for bot in bots:
        await bot.initialize()
    rig = Rig(emulator, databases[0], bots[0], clock, OutboxRepo(databases[0]))
    try:
        yield Fleet(emulator, rig, databases[1], bots[1], clock)
    finally:
        for sender in rig.senders:
            await sender.stop()
        for bot in bots:
            await bot.shutdown()
        for database in databases:
            await database.close()
        await emulator.stop()


@pytest.mark.parametrize(
    ("chats", "per_chat"),
    [
        pytest.param(CHATS, PER_CHAT, id="200 rows, the overall limit binding"),
        pytest.param(4, 5, id="a chat's one a second binding"),
    ],
)
async def test_two_instances_drain_the_outbox_once_each_within_telegrams_limits(
    fleet: Fleet, chats: int, per_chat: int
) -> None:
    rig = fleet.rig
    users = await rig.users(chats)
    for round_number in range(per_chat):
        for user in users:
            await rig.enqueue(user.id, f"m-{user.id}-{round_number}")
    fleet.emulator.set_limits(STRICT)  # the users' /start is not the bot's sending
    first, second = fleet.senders()
    await asyncio.gather(first.start(), second.start())

    counts = await rig.settled()

    assert counts["sent"] == chats * per_chat
    assert fleet.emulator.stats.too_many_requests == 0
    for user in users:
        # Each message once, in the order written.
        expected = [f"m-{user.id}-{n}" for n in range(per_chat)]
        assert rig.received(user.id) == expected
    if chats > BATCH_CLAIMED:  # more chats than one claim takes: the other takes the rest
        claimers = {
            row["claimed_by"]
            for row in await rig.db.fetchall("SELECT DISTINCT claimed_by FROM outbox")
        }
        assert claimers == {"first", "second"}


async def test_instances_claiming_at_once_never_take_the_same_row(fleet: Fleet) -> None:
    rig = fleet.rig
    for chat in range(1, 81):
        await rig.enqueue(chat, f"head-{chat}")
        await rig.enqueue(chat, f"next-{chat}")
    repos = [OutboxRepo(rig.db), OutboxRepo(fleet.second_db)]

    claims = await asyncio.gather(
        *(
            repo.claim_due(START, claimer=name, lease=CLAIM_LEASE, limit=30)
            for repo, name in ((repos[0], "a"), (repos[1], "b"), (repos[0], "c"), (repos[1], "d"))
        )
    )

    ids = [row.id for claim in claims for row in claim]
    assert len(ids) == len(set(ids)) == 80  # every chat's head once, nobody's twice
    assert {row.text for claim in claims for row in claim} == {f"head-{c}" for c in range(1, 81)}
    # A chat's next message waits behind its head while the head is being sent.
    assert await repos[0].claim_due(START, claimer="e", lease=CLAIM_LEASE, limit=100) == ()


async def test_a_dead_instances_claim_comes_back_after_its_lease(fleet: Fleet) -> None:
    rig = fleet.rig
    (user,) = await rig.users(1)
    await rig.enqueue(user.id, "only once")
    dead = OutboxRepo(fleet.second_db)
    (claimed,) = await dead.claim_due(START, claimer="dead", lease=CLAIM_LEASE, limit=10)
    # The instance that claimed it dies here, before calling Telegram.

    live = OutboxRepo(rig.db)
    assert await live.claim_due(START, claimer="live", lease=CLAIM_LEASE, limit=10) == ()
    before_expiry = START + CLAIM_LEASE - timedelta(seconds=1)
    assert await live.claim_due(before_expiry, claimer="live", lease=CLAIM_LEASE, limit=10) == ()

    sender = rig.sender(name="live")
    fleet.clock.set(START + CLAIM_LEASE)
    await sender.start()
    counts = await rig.until(lambda c: c["sent"] == 1)

    assert counts["sending"] == 0
    assert rig.received(user.id) == ["only once"]
    row = await live.get(claimed.id)
    assert row is not None and row.status == "sent"
    assert row.last_error == INTERRUPTED


async def test_rows_claimed_but_not_sent_go_back_at_a_stop(fleet: Fleet) -> None:
    rig = fleet.rig
    users = await rig.users(3)
    for user in users:
        await rig.enqueue(user.id, f"hello {user.id}")
    release = asyncio.Event()

    async def hold(call: int) -> None:
        await release.wait()

    rig.bot.hook(before=hold)
    sender = rig.sender(name="stopping")
    await sender.start()
    await rig.until(lambda c: c["sending"] == 3)  # one batch claimed, the first call held
    stopping = asyncio.create_task(sender.stop())
    release.set()
    await stopping

    counts = await rig.repo.summary()
    # The message Telegram had was recorded; the others are back in the queue, unclaimed.
    assert counts["sent"] == 1 and counts["pending"] == 2 and counts["sending"] == 0


async def test_a_batch_whose_lease_is_half_gone_is_handed_back_and_claimed_afresh(
    fleet: Fleet,
) -> None:
    rig = fleet.rig
    users = await rig.users(3)
    for user in users:
        await rig.enqueue(user.id, f"hello {user.id}")
    claims: list[str] = []

    async def slow_first_call(call: int) -> None:
        rows = await rig.db.fetchall("SELECT claimed_until FROM outbox ORDER BY id")
        claims.append(",".join(str(row["claimed_until"]) for row in rows))
        if call == 1:  # the first message takes half the lease
            fleet.clock.advance(CLAIM_LEASE / 2)

    rig.bot.hook(before=slow_first_call)
    await rig.sender(name="slow").start()
    counts = await rig.settled()

    assert counts["sent"] == 3
    assert [rig.received(user.id) for user in users] == [[f"hello {u.id}"] for u in users]
    # The second message went under a new claim, with a new lease.
    assert claims[0] != claims[1]
