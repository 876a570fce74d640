"""How fast the outbox may talk to Telegram: overall, per chat, and after flood control.

Telegram allows a bot about 30 messages a second overall, one a second in a private chat
and 20 a minute in a group, and answers 429 "retry after N" past that. python-telegram-bot's
AIORateLimiter knows the overall and group limits but not the private-chat one, and it
sleeps inside the call, which would hold up every other chat. The sender therefore asks a
:class:`Pacer` before each call which chats may be served now, and skips the others.

Pacing is about network I/O, not about the domain: it runs on a monotonic clock (the event
loop's), never on the injected domain clock that tests move by days.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

# Telegram counts a message when it arrives, somewhere between our sending it and our reading
# the answer. A message is therefore counted from its answer (see record_answered), and the
# 31st leaves only when the 1st's answer is a second old: it cannot arrive inside the same
# second, whatever the network did. The small margin is for Telegram's own rounding.
WINDOW_SAFETY = 0.01
# Forget chats whose pacing has long expired, so the table does not grow without end.
_PRUNE_ABOVE = 1024


class Pacer:
    """Decides when the next message may go to a chat, and to Telegram at all."""

    def __init__(
        self,
        *,
        global_per_second: int,
        per_chat_interval: float,
        per_group_interval: float,
        clock: Callable[[], float],
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
        self._recent: deque[float] = deque()
        self._chat_ready: dict[int, float] = {}
        self._flooded_until: dict[int, float] = {}
        self._all_ready = 0.0

    def chat_wait(self, chat_id: int) -> float:
        """Seconds before ``chat_id`` may get its next message (0 when it may now)."""
        return max(0.0, self._chat_ready.get(chat_id, 0.0) - self._clock())

    def global_wait(self) -> float:
        """Seconds before any message may go out (the overall rate, or a flood pause)."""
        now = self._clock()
        while self._recent and self._recent[0] <= now - self._window:
            self._recent.popleft()
        wait = max(0.0, self._all_ready - now)
        if len(self._recent) >= self._limit:
            wait = max(wait, self._recent[0] + self._window - now)
        return wait

    def record_send(self, chat_id: int) -> None:
        """Count one call to Telegram for ``chat_id``, made now."""
        now = self._clock()
        self._recent.append(now)
        interval = self._group_interval if chat_id < 0 else self._chat_interval
        self._chat_ready[chat_id] = max(self._chat_ready.get(chat_id, 0.0), now + interval)
        if len(self._chat_ready) > _PRUNE_ABOVE:
            self._prune(now)

    def record_answered(self, chat_id: int) -> None:
        """The call last recorded for ``chat_id`` has been answered (or has failed) now.

        Telegram received it no later than now, so the overall window and the chat's
        interval are counted from here rather than from the send. The sender has one call
        in flight at a time, so that call is the last one recorded.
        """
        now = self._clock()
        if self._recent:
            self._recent[-1] = max(self._recent[-1], now)
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
