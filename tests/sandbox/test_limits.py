"""Flood control: Telegram's limits, 429 with retry_after, and the counters benchmarks read."""

from __future__ import annotations

import aiohttp
import pytest
from telegram import Bot
from telegram.error import RetryAfter

from sandbox import BotApiEmulator, FakeUser, RateLimits
from sandbox.limits import RateLimiter
from tests.sandbox.helpers import FakeMonotonic, raw_call, retry_seconds


def test_a_private_chat_allows_a_burst_then_one_message_a_second() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(RateLimits(private_chat_burst=3), clock)
    assert [limiter.acquire(1) for _ in range(3)] == [None, None, None]
    assert limiter.acquire(1) == 1
    assert limiter.acquire(2) is None  # another chat has its own allowance
    clock.advance(1.0)
    assert limiter.acquire(1) is None
    assert limiter.acquire(1) == 1


def test_overall_limit_spans_chats() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(RateLimits(global_per_second=30), clock)
    assert all(limiter.acquire(chat) is None for chat in range(1, 31))
    assert limiter.acquire(31) == 1
    clock.advance(1.0)
    assert limiter.acquire(31) is None


def test_a_group_gets_20_messages_a_minute() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(RateLimits(), clock)
    for _ in range(20):
        assert limiter.acquire(-100) is None
        clock.advance(1.0)
    assert limiter.acquire(-100) == 40  # the first of the 20 leaves the window in 40 s
    clock.advance(40.0)
    assert limiter.acquire(-100) is None


def test_disabled_limits_never_refuse() -> None:
    limiter = RateLimiter(RateLimits(enabled=False), FakeMonotonic())
    assert all(limiter.acquire(1) is None for _ in range(100))


def test_nonsense_limits_are_rejected() -> None:
    with pytest.raises(ValueError):
        RateLimits(private_chat_burst=0)
    with pytest.raises(ValueError):
        RateLimits(global_per_second=0)


async def test_over_the_limit_the_bot_gets_retry_after_and_nothing_is_sent(
    bot: Bot, emulator: BotApiEmulator, alice: FakeUser, monotonic: FakeMonotonic
) -> None:
    emulator.set_limits(RateLimits(private_chat_burst=2))
    await alice.send_text("hi")
    await bot.send_message(alice.id, "1")
    await bot.send_message(alice.id, "2")
    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(alice.id, "3")
    assert retry_seconds(refused.value) == 1
    assert [m.text for m in alice.messages()] == ["1", "2"]
    monotonic.advance(1.0)
    await bot.send_message(alice.id, "3")
    assert emulator.stats.messages_sent == 3
    assert emulator.stats.too_many_requests == 1


async def test_the_429_reply_has_telegrams_shape(
    emulator: BotApiEmulator, http: aiohttp.ClientSession, alice: FakeUser
) -> None:
    emulator.set_limits(RateLimits(private_chat_burst=1))
    await alice.send_text("hi")
    await raw_call(http, emulator, "sendMessage", {"chat_id": alice.id, "text": "1"})
    status, body = await raw_call(http, emulator, "sendMessage", {"chat_id": alice.id, "text": "2"})
    assert status == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
