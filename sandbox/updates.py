"""The bot's update queue and Telegram's getUpdates long polling.

Updates wait here until the bot confirms them by asking for a higher ``offset``, exactly as
Telegram keeps them; a poll with nothing to return sleeps until an update arrives or its
``timeout`` runs out, and a second poller ends the first with 409 Conflict.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any

from sandbox.errors import conflict
from sandbox.notify import ChangeSignal, sleep_on

# What Telegram sends when a bot never said (or said "[]") which updates it wants.
DEFAULT_ALLOWED = frozenset(
    {
        "message", "edited_message", "channel_post", "edited_channel_post",
        "business_connection", "business_message", "edited_business_message",
        "deleted_business_messages", "inline_query", "chosen_inline_result", "callback_query",
        "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer",
        "my_chat_member", "chat_join_request", "chat_boost", "removed_chat_boost",
    }
)  # fmt: skip
MAX_LIMIT = 100
# Telegram numbers a bot's updates upwards across its whole life, and a bot may remember
# the ids it handled (hvconnect does, to handle a redelivered update once). An emulator that
# started again at a fixed number would replay ids the bot has seen: it starts instead from
# the milliseconds since this epoch, above any id an earlier run handed out unless that run
# gave out more than a thousand updates a second.
_NUMBERING_EPOCH = 1_767_225_600  # 2026-01-01 00:00 UTC


def first_update_id() -> int:
    return 700_000_001 + int((time.time() - _NUMBERING_EPOCH) * 1000)


_CONFLICT = (
    "terminated by other getUpdates request; make sure that only one bot instance is running"
)


def update_type(update: dict[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


class UpdateQueue:
    """Pending updates, oldest first, with Telegram's confirmation and filtering rules."""

    def __init__(self) -> None:
        self._pending: list[dict[str, Any]] = []
        self._next_id = first_update_id()
        self._allowed: frozenset[str] = DEFAULT_ALLOWED
        self._signal = ChangeSignal()
        self._poll_generation = 0
        self.delivered = 0
        self._highest_delivered = 0
        self.closing = asyncio.Event()

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update, numbering it; returns its update_id."""
        update_id = update.get("update_id")
        if not isinstance(update_id, int) or update_id < self._next_id:
            update_id = self._next_id
        update = {"update_id": update_id, **{k: v for k, v in update.items() if k != "update_id"}}
        self._next_id = update_id + 1
        self._pending.append(update)
        self._signal.notify()
        return update_id

    def drop_all(self) -> None:
        self._pending.clear()
        self._signal.notify()

    def set_allowed(self, allowed: Iterable[str] | None) -> None:
        """Remember the bot's choice of update types; an empty list means the default."""
        if allowed is None:
            return
        chosen = frozenset(allowed)
        self._allowed = chosen or DEFAULT_ALLOWED

    def confirm(self, offset: int | None) -> None:
        if offset is None or offset == 0:
            return
        if offset < 0:
            # A negative offset keeps only the last -offset updates.
            self._pending = self._pending[offset:]
        else:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        self._signal.notify()

    def waiting(self) -> list[dict[str, Any]]:
        """Every update not yet acknowledged, oldest first (a webhook's view of the queue)."""
        return self._available(len(self._pending))

    def acknowledge(self, update_id: int) -> None:
        """A webhook answered 2xx for this update: it is gone, whatever came before it.

        Unlike ``offset``, this takes one update alone: a webhook acknowledges the updates
        of different chats in any order.
        """
        before = len(self._pending)
        self._pending = [u for u in self._pending if u["update_id"] != update_id]
        if len(self._pending) < before:
            self.delivered += 1
        self._signal.notify()

    def ticket(self) -> asyncio.Event:
        """Set at the next change of the queue (see :mod:`sandbox.notify`)."""
        return self._signal.ticket()

    def _available(self, limit: int) -> list[dict[str, Any]]:
        # Updates of types the bot did not ask for are never delivered at all.
        self._pending = [u for u in self._pending if update_type(u) in self._allowed]
        return self._pending[:limit]

    async def poll(self, offset: int | None, limit: int, wait: float) -> list[dict[str, Any]]:
        """One getUpdates call: confirm, then return what is there or wait for it."""
        self._poll_generation += 1
        generation = self._poll_generation
        self._signal.notify()  # an older poller must notice it has been superseded
        self.confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, wait)
        while True:
            ticket = self._signal.ticket()
            if generation != self._poll_generation:
                raise conflict(_CONFLICT)
            updates = self._available(limit)
            remaining = deadline - loop.time()
            if updates or remaining <= 0 or self.closing.is_set():
                self._count_delivered(updates)
                return updates
            await sleep_on(ticket, remaining)

    def _count_delivered(self, updates: list[dict[str, Any]]) -> None:
        fresh = [u for u in updates if u["update_id"] > self._highest_delivered]
        if fresh:
            self.delivered += len(fresh)
            self._highest_delivered = fresh[-1]["update_id"]

    def wake_all(self) -> None:
        self._signal.notify()
