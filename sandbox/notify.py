"""A wake-up call for coroutines that wait on emulator state.

A waiter takes a ticket first, then checks its condition, then sleeps on the ticket: a
change made between the check and the sleep still wakes it, because the ticket it holds
is the one that change set.
"""

from __future__ import annotations

import asyncio


class ChangeSignal:
    """Wakes every waiter whenever something changed."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def ticket(self) -> asyncio.Event:
        return self._event

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()


async def sleep_on(ticket: asyncio.Event, seconds: float) -> bool:
    """Wait for the ticket's change, at most ``seconds``; True if it came."""
    if seconds <= 0:
        return ticket.is_set()
    try:
        await asyncio.wait_for(ticket.wait(), seconds)
    except TimeoutError:
        return False
    return True
