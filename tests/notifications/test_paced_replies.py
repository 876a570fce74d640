"""The chat's direct replies in the process's one pacing budget (notifications.pacing), with
python-telegram-bot's call replaced by a recording one and the clock moved by hand."""

from __future__ import annotations

from typing import Any

import pytest
from telegram.error import RetryAfter

from notifications.pacing import PacedReplies, Pacer

CHAT = 4242


class Ticks:
    """A monotonic clock the test moves; sleeping moves it."""

    def __init__(self) -> None:
        self.now = 500.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Telegram:
    """The call a limiter wraps: answers, or raises the errors it is given first."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> dict[str, Any]:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return {"ok": True}


def _limiter(ticks: Ticks) -> tuple[Pacer, PacedReplies]:
    pacer = Pacer(clock=ticks)
    return pacer, PacedReplies(pacer, sleep=ticks.sleep)


async def _call(limiter: PacedReplies, endpoint: str, telegram: Telegram, chat: Any = CHAT) -> Any:
    return await limiter.process_request(telegram, (), {}, endpoint, {"chat_id": chat}, None)


def _fill_the_second(pacer: Pacer, ticks: Ticks) -> None:
    """The outbox sent Telegram's 30 messages of this second to 30 other chats."""
    for chat in range(1, 31):
        pacer.record_answered(chat, pacer.record_send(chat))
    assert pacer.global_wait() > 0.9


async def test_answers_to_presses_and_edits_are_not_counted_and_never_wait() -> None:
    ticks = Ticks()
    pacer, limiter = _limiter(ticks)
    _fill_the_second(pacer, ticks)
    for endpoint in ("answerCallbackQuery", "editMessageText", "editMessageReplyMarkup", "getMe"):
        telegram = Telegram()
        assert await _call(limiter, endpoint, telegram) == {"ok": True}
        assert telegram.calls == 1
    assert ticks.slept == []
    assert pacer.chat_wait(CHAT) == 0.0  # nothing was sent to the chat


async def test_a_message_waits_for_the_overall_rate_it_shares_with_the_outbox() -> None:
    ticks = Ticks()
    pacer, limiter = _limiter(ticks)
    _fill_the_second(pacer, ticks)
    telegram = Telegram()
    assert await _call(limiter, "sendMessage", telegram) == {"ok": True}
    assert sum(ticks.slept) == pytest.approx(1.01)  # until the first of the 30 left the window
    assert telegram.calls == 1


async def test_a_reply_takes_a_place_in_the_overall_window_but_holds_no_chat_back() -> None:
    ticks = Ticks()
    pacer, limiter = _limiter(ticks)
    for chat in range(29):
        pacer.record_answered(chat, pacer.record_send(chat))
    await _call(limiter, "sendMessage", Telegram())
    await _call(limiter, "sendPhoto", Telegram(), chat=str(CHAT + 1))
    assert sum(ticks.slept) == pytest.approx(1.01)  # the 31st waited for the window
    # A reply goes at once in its chat, and the outbox's message about the same step may
    # follow it there: Telegram lets a chat have a short burst.
    assert pacer.chat_wait(CHAT) == 0.0
    assert pacer.chat_wait(CHAT + 1) == 0.0


async def test_after_a_429_the_chat_waits_as_told_replies_and_outbox_alike_then_it_is_sent() -> (
    None
):
    ticks = Ticks()
    pacer, limiter = _limiter(ticks)
    telegram = Telegram(RetryAfter(7))
    assert await _call(limiter, "sendMessage", telegram) == {"ok": True}
    assert telegram.calls == 2
    assert sum(ticks.slept) == pytest.approx(7.0)
    # The outbox heard of it too: its next message to the chat waits as long.
    pacer.record_flood(CHAT, 3)
    assert pacer.chat_wait(CHAT) == pytest.approx(3.0)
    assert pacer.flood_wait(CHAT) == pytest.approx(3.0)


async def test_flood_control_on_an_uncounted_call_is_slept_through_and_retried() -> None:
    ticks = Ticks()
    _, limiter = _limiter(ticks)
    telegram = Telegram(RetryAfter(2))
    assert await _call(limiter, "answerCallbackQuery", telegram) == {"ok": True}
    assert telegram.calls == 2
    assert ticks.slept == [2.0]


async def test_telegram_saying_429_past_the_retries_is_raised_to_the_caller() -> None:
    ticks = Ticks()
    _, limiter = _limiter(ticks)
    telegram = Telegram(*(RetryAfter(1) for _ in range(4)))
    with pytest.raises(RetryAfter):
        await _call(limiter, "sendMessage", telegram)
    assert telegram.calls == 4  # the first call and three retries
