"""The sender when Telegram or the network misbehave: faults, blocked users, refusals, crashes."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest

from notifications.sender import OutboxSender
from process.clock import ManualClock
from storage.db import Database
from storage.outbox import OutboxRepo, OutboxStatus
from storage.users import UsersRepo
from tests.notifications.test_sender_rig import START, RunningClock, eventually, rig

# Quick retries in real time, and never giving up, so every message must get through. The
# emulator's flood control is off here: pacing has its own tests.
PERSISTENT = {
    "base_backoff": 0.02,
    "max_backoff": 0.2,
    "max_attempts": 100,
    "per_chat_interval": 0.0,
    "global_per_second": 1000,
}


async def test_faults_before_telegram_sends_are_retried_until_each_message_arrives_once(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path, clock=RunningClock(), read_timeout=0.3) as r:
        users = await r.users(12)
        expected = {u.id: [f"{u.id}:{n}" for n in range(5)] for u in users}
        for n in range(5):
            for user in users:
                await r.enqueue(user.id, f"{user.id}:{n}")
        # A burst of every kind that fails before Telegram acts, then a steady drizzle.
        r.emulator.inject_faults("sendMessage", ["reset", "500", "502", "timeout", "429"], 10)
        r.emulator.set_fault_rate(0.25, ["reset", "500", "502"], seed=11, methods=["sendMessage"])
        await r.sender(**PERSISTENT).start()

        counts = await r.settled()

        assert counts["sent"] == 60
        assert {u.id: r.received(u.id) for u in users} == expected
        injected = r.emulator.faults_injected
        assert set(injected) == {"reset", "500", "502", "timeout", "429"}
        # Every faulted call was tried again, and nothing else was.
        assert r.emulator.stats.requests["sendMessage"] == 60 + sum(injected.values())
        rows = await r.repo.list(OutboxStatus.SENT, 100)
        assert sum(row.attempts for row in rows) == sum(injected.values()) - injected["429"]


async def test_flood_control_waits_and_is_not_counted_as_a_failure(tmp_path: Path) -> None:
    async with rig(tmp_path, clock=RunningClock()) as r:
        (user,) = await r.users(1)
        await r.enqueue(user.id, "flood", "稍后送达")
        r.emulator.inject_faults("sendMessage", ["429"], 1)
        started = time.monotonic()
        await r.sender(**PERSISTENT).start()

        await r.settled()

        assert time.monotonic() - started >= 1.0  # Telegram said: retry after 1 s
        row = await r.repo.by_key("flood")
        assert row is not None and (row.status, row.attempts) == (OutboxStatus.SENT, 0)
        assert r.received(user.id) == ["稍后送达"]
        assert r.emulator.stats.too_many_requests == 1


async def test_a_timeout_after_telegram_sent_the_message_duplicates_it(tmp_path: Path) -> None:
    """The window no sender can close: Telegram delivered, but its answer never came back.

    The Bot API has no idempotency key, so a call whose outcome is unknown is made again
    and the user sees that one message twice. Later messages are not affected.
    """
    async with rig(tmp_path, clock=RunningClock(), read_timeout=0.3) as r:
        (user,) = await r.users(1)
        await r.enqueue(user.id, "first", "第一条")
        await r.enqueue(user.id, "second", "第二条")
        r.emulator.inject_faults("sendMessage", ["timeout_after"], 1)
        await r.sender(**PERSISTENT).start()

        await r.settled()

        assert r.received(user.id) == ["第一条", "第一条", "第二条"]
        first = await r.repo.by_key("first")
        assert first is not None and first.status == OutboxStatus.SENT and first.attempts == 1
        assert (first.last_error or "").startswith("TimedOut")


async def test_a_blocked_user_is_not_hammered_and_the_others_are_unaffected(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        blocker, other = await r.users(2)
        await blocker.block_bot()
        for n in range(3):
            await r.enqueue(blocker.id, f"b:{n}")
            await r.enqueue(other.id, f"o:{n}")
        sender = r.sender(per_chat_interval=0)
        await sender.start()

        counts = await r.settled()

        assert (counts["unreachable"], counts["sent"]) == (3, 3)
        assert r.received(other.id) == ["o:0", "o:1", "o:2"]
        assert r.received(blocker.id) == []
        assert r.emulator.stats.errors[403] == 1  # one refused call retired all three
        assert r.unreachable_calls == [blocker.id]
        user = await UsersRepo(r.db).get(blocker.id)
        assert user is not None and user.unreachable_at is not None
        row = await r.repo.by_key("b:2")
        assert row is not None and "blocked" in (row.last_error or "")

        # A message written later is tried once (only a try tells whether they are back),
        # without reporting the same blocking again.
        await r.enqueue(blocker.id, "b:later")
        sender.wake()
        await r.until(lambda c: c["unreachable"] == 4)
        assert r.emulator.stats.errors[403] == 2
        assert r.unreachable_calls == [blocker.id]

        await blocker.unblock_bot()
        await r.enqueue(blocker.id, "b:back")
        sender.wake()
        await r.until(lambda c: c["sent"] == 4)
        assert r.received(blocker.id) == ["b:back"]


async def test_a_message_telegram_refuses_is_dead_at_once_and_reported(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        (user,) = await r.users(1)
        await r.enqueue(user.id, "broken", "第一行<br>第二行")
        await r.enqueue(user.id, "fine", "第二条")
        await r.sender(per_chat_interval=0).start()

        counts = await r.settled()

        assert (counts["dead"], counts["sent"]) == (1, 1)
        assert r.received(user.id) == ["第二条"]  # a dead message does not block its chat
        dead = await r.repo.by_key("broken")
        assert dead is not None and dead.attempts == 1
        assert 'unsupported start tag "br"' in (dead.last_error or "").lower()
        assert [(row.key, row.status) for row in r.dead_calls] == [("broken", "dead")]
        assert r.dead_calls[0].last_error == dead.last_error


async def test_after_max_attempts_a_message_is_dead_with_growing_back_off(
    tmp_path: Path,
) -> None:
    clock = ManualClock(START)
    async with rig(tmp_path, clock=clock) as r:
        (user,) = await r.users(1)
        await r.enqueue(user.id, "doomed", "不会送达")
        r.emulator.inject_faults("sendMessage", ["500"], 10)
        sender = r.sender(
            max_attempts=3,
            base_backoff=10,
            max_backoff=15,
            per_chat_interval=0,
            rng=random.Random(3),
        )
        await sender.start()

        delays = []
        for attempt in (1, 2):
            await eventually(partial(_failed_times, r.repo, "doomed", attempt))
            row = await r.repo.by_key("doomed")
            assert row is not None
            assert row.last_error == "NetworkError: Internal Server Error"
            delays.append((row.next_attempt_at - clock.now()).total_seconds())
            await asyncio.sleep(0.15)  # domain time stands still: no retry meanwhile
            assert r.emulator.stats.requests["sendMessage"] == attempt
            clock.advance(timedelta(seconds=15))
            sender.wake()
        await r.until(lambda c: c["dead"] == 1)

        assert 5 <= delays[0] <= 10 and 10 <= delays[1] <= 15  # doubled, jittered, capped
        assert r.emulator.stats.requests["sendMessage"] == 3
        assert [row.attempts for row in r.dead_calls] == [3]
        clock.advance(timedelta(hours=1))
        sender.wake()
        await asyncio.sleep(0.15)
        assert r.emulator.stats.requests["sendMessage"] == 3
        assert r.received(user.id) == []


@pytest.mark.parametrize(("crash", "copies"), [("after", 2), ("before", 1)])
async def test_a_crash_around_the_send_repeats_at_most_the_message_in_flight(
    tmp_path: Path, crash: str, copies: int
) -> None:
    async with rig(tmp_path) as r:
        (user,) = await r.users(1)
        for n in range(1, 6):
            await r.enqueue(user.id, f"m{n}")

        async def die_on_third(call: int) -> None:
            if call == 3:
                raise asyncio.CancelledError  # the process is killed right here

        r.bot.hook(**{crash: die_on_third})
        first = r.sender(per_chat_interval=0)
        await first.start()
        await eventually(partial(_done, first))
        in_flight = await r.repo.by_key("m3")
        assert in_flight is not None and in_flight.status == OutboxStatus.SENDING
        await r.db.close()

        r.bot.hook()
        r.restarted_after_a_crash()
        db = await Database.open(r.db.path)
        second = OutboxSender(db, r.bot, r.clock, per_chat_interval=0, poll_interval=0.05)
        try:
            await second.start()
            repo = OutboxRepo(db)
            await eventually(partial(_all_sent, repo, 5))
        finally:
            await second.stop()
            await db.close()

        received = r.received(user.id)
        assert received.count("m3") == copies
        assert [text for text in received if text != "m3"] == ["m1", "m2", "m4", "m5"]
        assert received.index("m3") == 2


async def _failed_times(repo: OutboxRepo, key: str, attempts: int) -> bool:
    row = await repo.by_key(key)
    return row is not None and row.status == OutboxStatus.FAILED and row.attempts == attempts


async def _done(sender: OutboxSender) -> bool:
    return not sender.running


async def _all_sent(repo: OutboxRepo, count: int) -> bool:
    return (await repo.summary())["sent"] == count
