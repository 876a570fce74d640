"""The bot's direct replies paced to what Telegram limits: messages, not calls.

Telegram limits the messages a bot sends (about 30 a second overall, one a second in a
private chat with short bursts allowed, 20 a minute in a group) and answers 429 past that.
It does not limit answering a button press (``answerCallbackQuery``), editing a message,
or fetching a file, and a bot that queues those behind its messages leaves a customer
looking at a spinning button. python-telegram-bot's AIORateLimiter counts every call, knows
no per-chat limit for private chats, and keeps a budget of its own beside the outbox
sender's; this limiter counts only the messages, per chat too, in the one
:class:`~notifications.pacing.Pacer` the outbox sender uses, so replies and notifications
share Telegram's budget.

A reply waits (asleep, holding up nothing else) until its chat and the overall window allow
it; a 429 pauses its chat as the outbox's do, and the reply is tried again after it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from notifications.delivery import retry_after_seconds
from notifications.pacing import Pacer

log = logging.getLogger("hvconnect.rate_limit")

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]

# The Bot API methods that put a new message in a chat: what Telegram counts.
SENDS_A_MESSAGE = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendAudio",
        "sendVideo",
        "sendAnimation",
        "sendVoice",
        "sendVideoNote",
        "sendMediaGroup",
        "sendPaidMedia",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendPoll",
        "sendDice",
        "sendSticker",
        "sendInvoice",
        "sendGame",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
    }
)
# A customer's answer is one message in and one or two out: three in a row never wait.
REPLY_BURST = 3
MAX_RETRIES = 3


class MessageRateLimiter(BaseRateLimiter[int]):
    """Paces the messages a bot sends by the shared ``pacer``; every other call goes at once.

    ``rate_limit_args`` on a call, as with AIORateLimiter, is how many times a 429 is
    waited out before it is raised.
    """

    def __init__(
        self,
        pacer: Pacer,
        *,
        burst: int = REPLY_BURST,
        max_retries: int = MAX_RETRIES,
        sleep: Callable[[float], Coroutine[Any, Any, None]] = asyncio.sleep,
    ) -> None:
        if burst < 1 or max_retries < 0:
            raise ValueError("burst must be at least 1 and max_retries not negative")
        self._pacer = pacer
        self._burst = burst
        self._max_retries = max_retries
        self._sleep = sleep

    @property
    def pacer(self) -> Pacer:
        return self._pacer

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        if endpoint not in SENDS_A_MESSAGE:
            return await callback(*args, **kwargs)
        chat_id = _chat_of(data)
        retries = self._max_retries if rate_limit_args is None else rate_limit_args
        attempt = 0
        while True:
            while (wait := self._pacer.reply_wait(chat_id, self._burst)) > 0:
                await self._sleep(wait)
            sent = self._pacer.record_send(chat_id)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                seconds = retry_after_seconds(error)
                if chat_id is not None:
                    self._pacer.record_flood(chat_id, seconds)
                if attempt >= retries:
                    raise
                attempt += 1
                log.info("flood control on %s: trying again in %.0f s", endpoint, seconds)
                if chat_id is None:
                    await self._sleep(seconds)
            finally:
                self._pacer.record_answered(chat_id, sent)


def _chat_of(data: dict[str, Any]) -> int | None:
    """The numeric chat a call goes to; a channel's @name has no per-chat rule of ours."""
    chat_id = data.get("chat_id")
    if isinstance(chat_id, int):
        return chat_id
    if isinstance(chat_id, str):
        try:
            return int(chat_id)
        except ValueError:
            return None
    return None
