"""The direct replies' rate limiter: only messages are paced, in the outbox's own budget."""

from __future__ import annotations

from typing import Any

import pytest
from telegram.error import RetryAfter

from notifications.pacing import Pacer
from notifications.rate_limit import MessageRateLimiter


class Ticks:
    """A monotonic clock that moves only when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Calls:
    def __init__(self, failures: list[Exception] | None = None) -> None:
        self.made: list[tuple[str, float]] = []
        self._failures = list(failures or [])
        self.ticks: Ticks | None = None

    async def __call__(self, endpoint: str) -> dict[str, Any]:
        assert self.ticks is not None
        self.made.append((endpoint, self.ticks.now))
        if self._failures:
            raise self._failures.pop(0)
        return {"ok": True}


def limiter(ticks: Ticks, **options: Any) -> MessageRateLimiter:
    pacer = Pacer(global_per_second=30, per_chat_interval=1.0, per_group_interval=3.0, clock=ticks)
    return MessageRateLimiter(pacer, sleep=ticks.sleep, **options)


async def call(
    rl: MessageRateLimiter, calls: Calls, endpoint: str, chat_id: object, retries: int | None = None
) -> object:
    return await rl.process_request(calls, (endpoint,), {}, endpoint, {"chat_id": chat_id}, retries)


async def test_a_burst_of_replies_goes_at_once_then_one_a_second() -> None:
    ticks, calls = Ticks(), Calls()
    calls.ticks = ticks
    rl = limiter(ticks, burst=3)
    for _ in range(4):
        await call(rl, calls, "sendMessage", 7)
    assert [at for _, at in calls.made][:3] == [100.0, 100.0, 100.0]
    assert calls.made[3][1] == pytest.approx(101.0)


async def test_answers_to_buttons_and_edits_never_wait() -> None:
    ticks, calls = Ticks(), Calls()
    calls.ticks = ticks
    rl = limiter(ticks, burst=1)
    await call(rl, calls, "sendMessage", 7)
    for endpoint in ("answerCallbackQuery", "editMessageText", "editMessageReplyMarkup", "getFile"):
        await call(rl, calls, endpoint, 7)
    assert ticks.slept == []
    assert len(calls.made) == 5


async def test_replies_and_the_outbox_spend_one_budget() -> None:
    ticks, calls = Ticks(), Calls()
    calls.ticks = ticks
    rl = limiter(ticks, burst=1)
    # The outbox has just sent a notification to chat 7 ...
    rl.pacer.record_answered(7, rl.pacer.record_send(7))
    # ... so a reply there waits its turn, and one to chat 8 does not.
    await call(rl, calls, "sendMessage", 8)
    assert ticks.slept == []
    await call(rl, calls, "sendMessage", 7)
    assert calls.made[-1][1] == pytest.approx(101.0)
    # And the outbox waits for the reply in turn.
    assert rl.pacer.chat_wait(7) == pytest.approx(1.0)


async def test_thirty_messages_a_second_overall() -> None:
    ticks, calls = Ticks(), Calls()
    calls.ticks = ticks
    rl = limiter(ticks)
    for chat in range(31):
        await call(rl, calls, "sendMessage", chat)
    assert [at for _, at in calls.made[:30]] == [100.0] * 30
    assert calls.made[30][1] > 101.0


async def test_flood_control_pauses_the_chat_and_the_reply_is_sent_after_it() -> None:
    ticks = Ticks()
    calls = Calls([RetryAfter(5)])
    calls.ticks = ticks
    rl = limiter(ticks)
    await call(rl, calls, "sendMessage", 7)
    assert [at for _, at in calls.made] == [100.0, pytest.approx(105.0)]


async def test_flood_control_is_raised_after_the_retries() -> None:
    ticks = Ticks()
    calls = Calls([RetryAfter(1), RetryAfter(1)])
    calls.ticks = ticks
    rl = limiter(ticks)
    with pytest.raises(RetryAfter):
        await call(rl, calls, "sendMessage", 7, retries=1)
    assert len(calls.made) == 2


async def test_a_channel_by_name_is_paced_overall_only() -> None:
    ticks, calls = Ticks(), Calls()
    calls.ticks = ticks
    rl = limiter(ticks, burst=1)
    for _ in range(3):
        await call(rl, calls, "sendMessage", "@channel")
    assert ticks.slept == []
