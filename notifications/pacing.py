"""How fast the bot may talk to Telegram: overall, per chat, and after flood control.

Telegram allows a bot about 30 messages a second overall, one a second in a private chat
and 20 a minute in a group, and answers 429 "retry after N" past that. python-telegram-bot's
AIORateLimiter knows the overall and group limits but not the private-chat one, counts every
call (answers to button presses and edits, which Telegram does not limit so) against the 30,
and sleeps inside the call, which would hold up every other chat. So the bot has one
:class:`Pacer` for the whole process: the outbox sender asks it before each call which chats
may be served now, and skips the others; the chat's direct replies go through
:class:`PacedReplies`, which counts them in the same budget.

Pacing is about network I/O, not about the domain: it runs on a monotonic clock (the event
loop's), never on the injected domain clock that tests move by days.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from notifications.delivery import retry_after_seconds

# Telegram counts a message when it arrives, somewhere between our sending it and our reading
# the answer. A message is therefore counted from its answer (see record_answered), and the
# 31st leaves only when the 1st's answer is a second old: it cannot arrive inside the same
# second, whatever the network did. The small margin is for Telegram's own rounding.
WINDOW_SAFETY = 0.01
# Telegram's limits: messages a second overall; seconds between messages to one private chat,
# and to one group (20 a minute).
GLOBAL_PER_SECOND = 30
PRIVATE_CHAT_INTERVAL = 1.0
GROUP_INTERVAL = 3.0
# Forget chats whose pacing has long expired, so the table does not grow without end.
_PRUNE_ABOVE = 1024


class Counted:
    """One call in the overall window: when Telegram had it at the latest."""

    __slots__ = ("at",)

    def __init__(self, at: float) -> None:
        self.at = at


class Pacer:
    """Decides when the next message may go to a chat, and to Telegram at all."""

    def __init__(
        self,
        *,
        global_per_second: int = GLOBAL_PER_SECOND,
        per_chat_interval: float = PRIVATE_CHAT_INTERVAL,
        per_group_interval: float = GROUP_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        window_safety: float = WINDOW_SAFETY,
    ) -> None:
        if global_per_second < 1:
            raise ValueError("global_per_second must be at least 1")
        if per_chat_interval < 0 or per_group_interval < 0:
            raise ValueError("intervals cannot be negative")
        self._limit = global_per_second
        self._window = 1.0 + window_safety
        self._chat_interval = per_chat_interval
        self._group_interval = per_group_interval
        self._clock = clock
        self._recent: deque[Counted] = deque()
        self._chat_ready: dict[int, float] = {}
        self._flooded_until: dict[int, float] = {}
        self._all_ready = 0.0

    def chat_wait(self, chat_id: int) -> float:
        """Seconds before ``chat_id`` may get its next message (0 when it may now)."""
        return max(0.0, self._chat_ready.get(chat_id, 0.0) - self._clock())

    def flood_wait(self, chat_id: int) -> float:
        """Seconds before ``chat_id`` may be written to after its 429 (0 when there was none)."""
        return max(0.0, self._flooded_until.get(chat_id, 0.0) - self._clock())

    def global_wait(self) -> float:
        """Seconds before any message may go out (the overall rate, or a flood pause)."""
        now = self._clock()
        # Calls answered out of order leave a later moment before an earlier one: the window
        # then lets go of a call a little late, never early.
        while self._recent and self._recent[0].at <= now - self._window:
            self._recent.popleft()
        wait = max(0.0, self._all_ready - now)
        if len(self._recent) >= self._limit:
            wait = max(wait, self._recent[0].at + self._window - now)
        return wait

    def record_send(self, chat_id: int | None) -> Counted:
        """Count one call to Telegram, made now, in the overall window and, for the outbox's
        ``chat_id``, in that chat's interval (None: the overall window only, as for the
        chat's replies); the handle is for :meth:`record_answered`."""
        now = self._clock()
        counted = Counted(now)
        self._recent.append(counted)
        if chat_id is None:
            return counted
        interval = self._group_interval if chat_id < 0 else self._chat_interval
        self._chat_ready[chat_id] = max(self._chat_ready.get(chat_id, 0.0), now + interval)
        if len(self._chat_ready) > _PRUNE_ABOVE:
            self._prune(now)
        return counted

    def forget(self, counted: Counted) -> None:
        """The call ``counted`` was not made after all: its place in the window is free."""
        if counted in self._recent:
            self._recent.remove(counted)

    def record_answered(self, chat_id: int | None, counted: Counted) -> None:
        """The call ``counted`` (for ``chat_id``, as it was recorded) has been answered (or
        has failed) now.

        Telegram received it no later than now, so the overall window and the chat's
        interval are counted from here rather than from the send. The outbox and the chat's
        replies may have calls in flight at once; each is moved by its own handle.
        """
        now = self._clock()
        counted.at = max(counted.at, now)
        if chat_id is None:
            return
        interval = self._group_interval if chat_id < 0 else self._chat_interval
        self._chat_ready[chat_id] = max(self._chat_ready.get(chat_id, 0.0), now + interval)

    def record_flood(self, chat_id: int, retry_after: float) -> None:
        """Telegram answered 429 for ``chat_id``: wait ``retry_after`` before trying it again.

        Telegram does not say which limit was hit. One 429 is taken as the chat's own (the
        bot may also have answered the user directly); a 429 for a second chat while the
        first still waits means the bot as a whole is over the limit, and everything waits.
        """
        now = self._clock()
        until = now + max(0.0, retry_after)
        others_flooded = any(
            other != chat_id and flooded > now for other, flooded in self._flooded_until.items()
        )
        self._flooded_until[chat_id] = until
        self._chat_ready[chat_id] = max(self._chat_ready.get(chat_id, 0.0), until)
        if others_flooded:
            self._all_ready = max(self._all_ready, until)

    def _prune(self, now: float) -> None:
        for chat_id in [c for c, ready in self._chat_ready.items() if ready <= now]:
            del self._chat_ready[chat_id]
        for chat_id in [c for c, until in self._flooded_until.items() if until <= now]:
            del self._flooded_until[chat_id]


# The Bot API methods that send a message into a chat: what Telegram's limits count. Answers
# to button presses, edits, deletions, chat actions and reads are not messages sent.
MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "sendVideo",
        "sendAudio",
        "sendVoice",
        "sendAnimation",
        "sendVideoNote",
        "sendSticker",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendPoll",
        "sendDice",
        "sendInvoice",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
    }
)


class PacedReplies(BaseRateLimiter[None]):
    """The chat's direct replies, counted in the process's one :class:`Pacer`.

    A message sent waits only for the overall rate, which it shares with the outbox sender,
    so the two together stay within Telegram's 30 a second. It is not held to the
    one-a-second of a private chat, nor does it hold the outbox's next message to that chat
    back: a reply answers what the user has just done, and Telegram lets a chat have a short
    burst (a reply and the outbox's message about the same step arrive together, as a person
    would expect). Telegram's word is final: after a 429 the chat (or, when several chats are
    flooded, the bot) waits as long as it says, replies and outbox alike, and the call is made
    again, up to ``max_retries`` times. Everything else (answers to button presses, edits,
    reads) is not counted and never waits.
    """

    def __init__(
        self,
        pacer: Pacer,
        *,
        max_retries: int = 3,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._pacer = pacer
        self._max_retries = max_retries
        self._sleep = sleep

    async def initialize(self) -> None:
        """Nothing to set up: the pacer is the process's."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = _chat_of(data) if endpoint in MESSAGE_METHODS else None
        attempt = 0
        while True:
            if chat_id is not None:
                while (wait := max(self._pacer.global_wait(), self._pacer.flood_wait(chat_id))) > 0:
                    await self._sleep(wait)
                counted = self._pacer.record_send(None)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                seconds = retry_after_seconds(error)
                if chat_id is not None:
                    self._pacer.record_flood(chat_id, seconds)
                if attempt >= self._max_retries:
                    raise
                attempt += 1
                if chat_id is None:
                    await self._sleep(seconds)
            finally:
                if chat_id is not None:
                    self._pacer.record_answered(None, counted)


def _chat_of(data: dict[str, Any]) -> int | None:
    """The numeric chat a call writes to; None for a channel named by its @username, which
    the pacer does not track (the bot writes to none)."""
    chat = data.get("chat_id")
    if isinstance(chat, int):
        return chat
    if isinstance(chat, str) and chat.lstrip("-").isdigit():
        return int(chat)
    return None
