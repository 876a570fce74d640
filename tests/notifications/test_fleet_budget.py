"""The fleet's flood budget in PostgreSQL (notifications.pacing.SharedPacer over
storage/flood_budget.py): two instances' budgets on one database count as one.

Nothing here sleeps: the budget runs on the database's clock, so the tests stretch its
windows and intervals to a minute, far longer than a test takes even on a loaded machine,
and only check which side of them a reservation falls. Skipped where PostgreSQL is not
installed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram.error import RetryAfter

from notifications.pacing import Grant, PacedReplies, SharedPacer, Wait, budget_for
from storage.db import Database
from tests.keys import make_test_cipher

CHAT = 4242
OTHER = 4343
# Seconds: a lane stays counted, and a chat waits, this long after an answer.
LONG = 60.0


@pytest.fixture
async def budgets(postgres_url: str) -> AsyncIterator[tuple[SharedPacer, SharedPacer]]:
    def made() -> SharedPacer:
        return SharedPacer(postgres_url, window_safety=LONG - 1.0, per_chat_interval=LONG)

    pair = (made(), made())
    try:
        yield pair
    finally:
        for budget in pair:
            await budget.close()


async def test_postgresql_gets_the_shared_budget(postgres_url: str) -> None:
    db = await Database.open(postgres_url, cipher=make_test_cipher())
    try:
        budget = budget_for(db)
        assert isinstance(budget, SharedPacer)
        await budget.close()
    finally:
        await db.close()


async def test_thirty_messages_a_window_for_the_whole_fleet(
    budgets: tuple[SharedPacer, SharedPacer],
) -> None:
    first, second = budgets
    grants: list[Grant] = []
    for n in range(30):
        got = await (first if n % 2 else second).reserve(1000 + n, paced=True)
        assert isinstance(got, Grant)
        grants.append(got)
    for n, grant in enumerate(grants):
        await (first if n % 2 else second).answered(grant)

    for budget in (first, second):
        refused = await budget.reserve(2000, paced=True)
        assert isinstance(refused, Wait) and not refused.chat  # the bot's wait, not the chat's
        assert refused.seconds > 0


async def test_a_message_not_sent_gives_its_lane_back(
    budgets: tuple[SharedPacer, SharedPacer],
) -> None:
    first, second = budgets
    grants = [await first.reserve(1000 + n, paced=True) for n in range(30)]
    assert all(isinstance(g, Grant) for g in grants)
    assert isinstance(await second.reserve(2000, paced=True), Wait)
    cancelled = grants[0]
    assert isinstance(cancelled, Grant)
    await first.cancel(cancelled)
    assert isinstance(await second.reserve(2000, paced=True), Grant)


async def test_a_chat_waits_its_interval_after_its_answer_on_every_instance(
    budgets: tuple[SharedPacer, SharedPacer],
) -> None:
    first, second = budgets
    grant = await first.reserve(CHAT, paced=True)
    assert isinstance(grant, Grant)
    await first.answered(grant)

    held = await second.reserve(CHAT, paced=True)
    assert isinstance(held, Wait) and held.chat
    assert 0 < held.seconds <= LONG
    soonest = await second.soonest()  # when a sender with nothing to claim looks again
    assert soonest is not None and 0 < soonest <= LONG
    # A direct reply is not held to the chat's interval.
    assert isinstance(await second.reserve(CHAT, paced=False), Grant)


async def test_a_429_holds_the_chat_for_the_fleet_and_two_hold_the_bot(
    budgets: tuple[SharedPacer, SharedPacer],
) -> None:
    first, second = budgets
    await first.flooded(CHAT, 30)

    for paced in (True, False):
        held = await second.reserve(CHAT, paced=paced)
        assert isinstance(held, Wait) and held.chat and held.seconds > 25
    assert isinstance(await second.reserve(OTHER, paced=True), Grant)  # one 429: that chat's

    await second.flooded(OTHER, 30)
    held = await first.reserve(5555, paced=True)
    assert isinstance(held, Wait) and not held.chat  # a second chat's: the whole bot waits


async def test_a_direct_reply_waits_out_a_429_another_instance_was_given(
    budgets: tuple[SharedPacer, SharedPacer],
) -> None:
    first, second = budgets
    await first.flooded(CHAT, LONG)
    slept: list[float] = []
    calls: list[str] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        # Instead of waiting, the test ends the chat's pause in the shared table.
        await _expire_floods(second)

    async def telegram() -> dict[str, Any]:
        calls.append("sendMessage")
        return {"ok": True}

    limiter = PacedReplies(second, sleep=sleep)
    answer = await limiter.process_request(telegram, (), {}, "sendMessage", {"chat_id": CHAT}, None)

    assert answer == {"ok": True} and calls == ["sendMessage"]
    assert len(slept) == 1 and 0 < slept[0] <= LONG


async def test_a_429_to_a_reply_is_recorded_for_the_fleet(
    budgets: tuple[SharedPacer, SharedPacer],
) -> None:
    first, second = budgets

    async def flooded() -> dict[str, Any]:
        raise RetryAfter(40)

    limiter = PacedReplies(first, max_retries=0)
    with pytest.raises(RetryAfter):
        await limiter.process_request(flooded, (), {}, "sendMessage", {"chat_id": CHAT}, None)

    held = await second.reserve(CHAT, paced=True)
    assert isinstance(held, Wait) and held.chat and held.seconds > 35


async def test_old_chats_are_pruned(budgets: tuple[SharedPacer, SharedPacer]) -> None:
    first, _ = budgets
    await first.flooded(CHAT, 0)
    store = first._store
    assert await _chats(store) == {CHAT}
    await store.prune(idle=-10.0)  # "free for more than -10 s": every chat is old enough
    assert await _chats(store) == set()


async def _chats(store: Any) -> set[int]:
    connection = await store._connected()
    cursor = await connection.execute("SELECT chat_id FROM flood_chats")
    return {int(row[0]) for row in await cursor.fetchall()}


async def _expire_floods(budget: SharedPacer) -> None:
    connection = await budget._store._connected()
    await connection.execute("UPDATE flood_chats SET flooded_until = 0, free_at = 0")
