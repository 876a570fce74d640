"""Telegram's flood control for bots, so that the bot's own throttling is put to the test.

Telegram allows about 30 messages a second overall, one a second per private chat (after
a short burst) and 20 a minute per group; past that it answers 429 with ``retry_after``.
The clock is injected so tests can step through a window instead of sleeping through it.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimits:
    """How much the emulated Telegram lets a bot send."""

    enabled: bool = True
    global_per_second: int = 30
    private_chat_per_second: float = 1.0
    private_chat_burst: int = 3
    group_per_minute: int = 20

    def __post_init__(self) -> None:
        if self.global_per_second < 1 or self.group_per_minute < 1:
            raise ValueError("rate limits must allow at least one message per window")
        if self.private_chat_per_second <= 0 or self.private_chat_burst < 1:
            raise ValueError("private chats must allow at least one message")


class SlidingWindow:
    """At most ``limit`` events in any ``window`` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._events: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        while self._events and self._events[0] <= now - self.window:
            self._events.popleft()
        if len(self._events) < self.limit:
            return 0.0
        return self._events[0] + self.window - now

    def take(self, now: float) -> None:
        self._events.append(now)


class TokenBucket:
    """A burst of ``capacity`` events, refilled at ``rate`` events a second."""

    def __init__(self, capacity: float, rate: float, now: float) -> None:
        self.capacity = capacity
        self.rate = rate
        self._tokens = capacity
        self._updated = now

    def wait_time(self, now: float) -> float:
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
        self._updated = now
        if self._tokens >= 1.0:
            return 0.0
        return (1.0 - self._tokens) / self.rate

    def take(self, now: float) -> None:
        self.wait_time(now)
        self._tokens -= 1.0


class RateLimiter:
    """Decides whether one more message may go to a chat now, Telegram's way."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self._clock = clock
        self._global = SlidingWindow(limits.global_per_second, 1.0)
        self._private: dict[int, TokenBucket] = {}
        self._groups: dict[int, SlidingWindow] = {}

    def acquire(self, chat_id: int) -> int | None:
        """Count one message to ``chat_id``, or return whole seconds to wait (>= 1)."""
        if not self.limits.enabled:
            return None
        now = self._clock()
        chat_limit = self._chat_limit(chat_id, now)
        wait = max(self._global.wait_time(now), chat_limit.wait_time(now))
        if wait > 0:
            return max(1, math.ceil(wait))
        self._global.take(now)
        chat_limit.take(now)
        return None

    def _chat_limit(self, chat_id: int, now: float) -> TokenBucket | SlidingWindow:
        if chat_id > 0:
            bucket = self._private.get(chat_id)
            if bucket is None:
                bucket = TokenBucket(
                    self.limits.private_chat_burst, self.limits.private_chat_per_second, now
                )
                self._private[chat_id] = bucket
            return bucket
        window = self._groups.get(chat_id)
        if window is None:
            window = SlidingWindow(self.limits.group_per_minute, 60.0)
            self._groups[chat_id] = window
        return window
