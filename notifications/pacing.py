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

Both users reach the budget through :class:`FloodBudget` (reserve a slot, say when Telegram
answered, record a 429), which :func:`budget_for` picks by database: on SQLite the one
process's in-memory :class:`Pacer`; on PostgreSQL, where several instances send for the same
bot and Telegram's limits hold for all of them together, :class:`SharedPacer`, which keeps
the budget in the database (storage/flood_budget.py) on the database's clock.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from notifications.delivery import retry_after_seconds
from storage.db import Database
from storage.flood_budget import FloodStore, Held, Taken

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


@dataclass(frozen=True, slots=True)
class Wait:
    """No slot now: ask again in ``seconds``. ``chat``: the chat's own wait (its interval or
    its 429), which other chats need not share; else the whole bot's (the overall rate)."""

    seconds: float
    chat: bool


@dataclass(frozen=True, slots=True)
class Grant:
    """A slot to send one message to ``chat_id`` now; ``handle`` is the budget's own."""

    chat_id: int
    paced: bool
    handle: object


class FloodBudget(Protocol):
    """Telegram's flood limits as the outbox sender and the chat's replies see them."""

    async def reserve(self, chat_id: int, *, paced: bool) -> Grant | Wait:
        """A slot for one message to ``chat_id`` now, or how long to wait. ``paced``: the
        chat's own interval counts (the outbox); else only a 429 for the chat does (a direct
        reply, which may follow the outbox's message at once)."""

    async def cancel(self, grant: Grant) -> None:
        """The message of ``grant`` was not sent after all."""

    async def answered(self, grant: Grant) -> None:
        """Telegram answered (or failed) the call of ``grant`` now."""

    async def flooded(self, chat_id: int, retry_after: float) -> None:
        """Telegram answered 429 for ``chat_id``: nothing goes to it for ``retry_after``."""

    async def soonest(self) -> float | None:
        """Seconds until the first chat held now is free again (None: none is held)."""

    async def close(self) -> None:
        """Let go of what the budget holds (a database connection)."""


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

    # -- the FloodBudget interface --------------------------------------------------------

    async def reserve(self, chat_id: int, *, paced: bool) -> Grant | Wait:
        own = self.chat_wait(chat_id) if paced else self.flood_wait(chat_id)
        if own > 0:
            return Wait(own, chat=True)
        everyone = self.global_wait()
        if everyone > 0:
            return Wait(everyone, chat=False)
        return Grant(chat_id, paced, self.record_send(chat_id if paced else None))

    async def cancel(self, grant: Grant) -> None:
        assert isinstance(grant.handle, Counted)
        self.forget(grant.handle)

    async def answered(self, grant: Grant) -> None:
        assert isinstance(grant.handle, Counted)
        self.record_answered(grant.chat_id if grant.paced else None, grant.handle)

    async def flooded(self, chat_id: int, retry_after: float) -> None:
        self.record_flood(chat_id, retry_after)

    async def soonest(self) -> float | None:
        waits = [wait for chat_id in self._chat_ready if (wait := self.chat_wait(chat_id)) > 0]
        return min(waits, default=None)

    async def close(self) -> None:
        """Nothing held outside the process."""


# How long a lane stays taken for a call Telegram has not answered: an instance that died
# with a call in flight gives its lane back after this. Longer than any call may last.
LANE_HOLD = 60.0
# The longest a sender sleeps before it asks the shared budget again: a lane another
# instance frees ahead of the time the budget named is then used soon.
SHARED_POLL = 0.25
# The shortest sleep: no lane was free, yet none is named later (all were being taken).
SHARED_MIN_WAIT = 0.005
# The shared table forgets chats free for this long, looked at every PRUNE_EVERY seconds.
SHARED_IDLE = 600.0
PRUNE_EVERY = 300.0


class SharedPacer:
    """The fleet's flood budget, kept in PostgreSQL (storage/flood_budget.py).

    Same rules as :class:`Pacer`: a message takes one of ``global_per_second`` lanes, free
    again a second (and the margin) after its answer; a private chat waits
    ``per_chat_interval`` after its answer (a group ``per_group_interval``); a 429 holds
    the chat, or the whole bot when another chat is held too, for every instance.
    """

    def __init__(
        self,
        url: str,
        *,
        global_per_second: int = GLOBAL_PER_SECOND,
        per_chat_interval: float = PRIVATE_CHAT_INTERVAL,
        per_group_interval: float = GROUP_INTERVAL,
        window_safety: float = WINDOW_SAFETY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if global_per_second < 1:
            raise ValueError("global_per_second must be at least 1")
        if per_chat_interval < 0 or per_group_interval < 0:
            raise ValueError("intervals cannot be negative")
        self._store = FloodStore(url, lanes=global_per_second)
        self._window = 1.0 + window_safety
        self._chat_interval = per_chat_interval
        self._group_interval = per_group_interval
        self._clock = clock
        self._pruned_at: float | None = None

    async def reserve(self, chat_id: int, *, paced: bool) -> Grant | Wait:
        await self._prune_now_and_then()
        got = await self._store.take(chat_id, paced=paced, hold=LANE_HOLD)
        if not isinstance(got, Held):
            return Grant(chat_id, paced, got)
        if got.chat > 0:
            return Wait(got.chat, chat=True)
        return Wait(min(max(got.everyone, SHARED_MIN_WAIT), SHARED_POLL), chat=False)

    async def cancel(self, grant: Grant) -> None:
        assert isinstance(grant.handle, Taken)
        await self._store.release(grant.handle)

    async def answered(self, grant: Grant) -> None:
        assert isinstance(grant.handle, Taken)
        interval = self._group_interval if grant.chat_id < 0 else self._chat_interval
        await self._store.answered(
            grant.handle,
            chat_id=grant.chat_id,
            paced=grant.paced,
            interval=interval,
            window=self._window,
        )

    async def flooded(self, chat_id: int, retry_after: float) -> None:
        await self._store.flooded(chat_id, retry_after)

    async def soonest(self) -> float | None:
        return await self._store.soonest()

    async def close(self) -> None:
        await self._store.close()

    async def _prune_now_and_then(self) -> None:
        now = self._clock()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        await self._store.prune(SHARED_IDLE)


def budget_for(db: Database) -> FloodBudget:
    """The process's flood budget: the fleet's in ``db`` on PostgreSQL, in memory on SQLite."""
    if db.dialect == "postgresql":
        return SharedPacer(db.path)
    return Pacer()


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
        pacer: FloodBudget,
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
        """The application is shutting down, after the outbox sender stopped: the budget's
        database connection, if it has one, goes with it."""
        await self._pacer.close()

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
            grant: Grant | None = None
            if chat_id is not None:
                while isinstance(got := await self._pacer.reserve(chat_id, paced=False), Wait):
                    await self._sleep(got.seconds)
                grant = got
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                seconds = retry_after_seconds(error)
                if grant is not None:
                    # Answered first: a 429 counts in the window like any answered call.
                    await self._pacer.answered(grant)
                    grant = None
                if chat_id is not None:
                    await self._pacer.flooded(chat_id, seconds)
                if attempt >= self._max_retries:
                    raise
                attempt += 1
                if chat_id is None:
                    await self._sleep(seconds)
            finally:
                if grant is not None:
                    await self._pacer.answered(grant)


def _chat_of(data: dict[str, Any]) -> int | None:
    """The numeric chat a call writes to; None for a channel named by its @username, which
    the pacer does not track (the bot writes to none)."""
    chat = data.get("chat_id")
    if isinstance(chat, int):
        return chat
    if isinstance(chat, str) and chat.lstrip("-").isdigit():
        return int(chat)
    return None
