"""Injected network and server faults, so retry and recovery paths can be exercised.

A fault replaces the normal reply to one Bot API call: ``timeout`` holds the request and
then drops the connection (the client times out first if its timeout is shorter),
``timeout_after`` does the same after the call took effect (the classic duplicate-send
trap), ``reset`` drops the connection at once, ``500``/``502`` answer with Telegram-shaped
server errors and ``429`` with flood control.
"""

from __future__ import annotations

import random
from collections import Counter, deque
from collections.abc import Collection, Sequence
from dataclasses import dataclass

FAULT_KINDS = frozenset({"timeout", "timeout_after", "reset", "500", "502", "429"})
# Requests for files are matched under this name, since they are no Bot API method.
FILE_DOWNLOAD = "download"


@dataclass
class _Rule:
    method: str | None
    kinds: tuple[str, ...]
    remaining: int
    served: int = 0


def _checked_kinds(kinds: Sequence[str]) -> tuple[str, ...]:
    if isinstance(kinds, str):
        kinds = (kinds,)
    unknown = set(kinds) - FAULT_KINDS
    if not kinds or unknown:
        raise ValueError(f"fault kinds must be among {sorted(FAULT_KINDS)}, got {list(kinds)}")
    return tuple(kinds)


class FaultInjector:
    """Hands out the fault, if any, for each incoming call."""

    def __init__(self) -> None:
        self._rules: deque[_Rule] = deque()
        self._rate = 0.0
        self._rate_kinds: tuple[str, ...] = ()
        self._rate_methods: frozenset[str] | None = None
        self._random = random.Random(0)
        self.injected: Counter[str] = Counter()

    def inject(self, method: str | None, kinds: Sequence[str], count: int) -> None:
        """Fault the next ``count`` calls of ``method`` (any method when None), cycling kinds."""
        if count < 1:
            raise ValueError("count must be at least 1")
        name = method.lower() if method else None
        self._rules.append(_Rule(name, _checked_kinds(kinds), count))

    def set_rate(
        self,
        rate: float,
        kinds: Sequence[str],
        seed: int,
        methods: Collection[str] | None = None,
    ) -> None:
        """Fault each call with probability ``rate``; a fixed seed makes runs repeatable."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        self._rate = rate
        self._rate_kinds = _checked_kinds(kinds) if rate > 0 else ()
        self._rate_methods = frozenset(m.lower() for m in methods) if methods else None
        self._random = random.Random(seed)

    def clear(self) -> None:
        self._rules.clear()
        self._rate = 0.0

    def next_fault(self, method: str) -> str | None:
        name = method.lower()
        for rule in self._rules:
            if rule.method is None or rule.method == name:
                kind = rule.kinds[rule.served % len(rule.kinds)]
                rule.served += 1
                rule.remaining -= 1
                if rule.remaining == 0:
                    self._rules.remove(rule)
                self.injected[kind] += 1
                return kind
        if self._rate > 0 and (self._rate_methods is None or name in self._rate_methods):
            if self._random.random() < self._rate:
                kind = self._random.choice(self._rate_kinds)
                self.injected[kind] += 1
                return kind
        return None


class WebhookFaults:
    """Faults of webhook delivery: not Telegram's behaviour, a test's lever on the bot.

    ``duplicate_rate``: after the bot acknowledged an update (2xx), the emulator acts with
    this probability as if the answer never arrived and delivers the same update again, as
    Telegram does when an acknowledgment is lost on the way. The repeat comes before the
    next update of that chat (order still holds); the bot must handle the update once.
    An update is repeated once at most: twice in all, not more.
    """

    def __init__(self) -> None:
        self.duplicate_rate = 0.0
        self._random = random.Random(0)
        self.duplicated = 0

    def set_duplicates(self, rate: float, seed: int) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        self.duplicate_rate = rate
        self._random = random.Random(seed)

    def duplicate(self) -> bool:
        """Whether to drop the acknowledgment just received (counted in ``duplicated``)."""
        if self.duplicate_rate > 0 and self._random.random() < self.duplicate_rate:
            self.duplicated += 1
            return True
        return False
