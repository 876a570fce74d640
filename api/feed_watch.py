"""How a long poll on the event feed learns that an event was appended.

One poller reads the newest event id (the primary key's maximum, a single index step)
every ``interval`` seconds while anyone waits, and wakes every waiter when it has grown;
nobody waiting, nothing is read. Polling rather than a signal set after each commit,
because events are also appended outside this process (``hvconnect staff disable`` and the
other commands write to the same database) and a signal would miss those; and one shared
poller rather than one per request, so a hundred waiting clients cost one query a tick.
"""

from __future__ import annotations

import asyncio
import contextlib

from storage.api_reads import last_event_id
from storage.db import Database


class EventWatch:
    def __init__(self, db: Database, interval: float) -> None:
        self._db, self._interval = db, interval
        self._last = 0
        self._changed = asyncio.Condition()
        self._waiters = 0
        self._poller: asyncio.Task[None] | None = None
        self._closed = False
        # Set while at least one request waits (a test waits for it before appending).
        self.waiting = asyncio.Event()

    async def wait_past(self, after: int, seconds: float) -> None:
        """Return once an event with an id above ``after`` exists, or after ``seconds``
        seconds, or when the API stops."""
        if self._closed:
            return
        self._waiters += 1
        self.waiting.set()
        if self._poller is None:
            self._poller = asyncio.create_task(self._poll())
        try:
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._changed.wait_for(lambda: self._closed or self._last > after),
                        seconds,
                    )
        finally:
            self._waiters -= 1
            if not self._waiters:
                self.waiting.clear()

    async def _poll(self) -> None:
        try:
            while self._waiters and not self._closed:
                last = await last_event_id(self._db)
                if last != self._last:
                    self._last = last
                    async with self._changed:
                        self._changed.notify_all()
                await asyncio.sleep(self._interval)
        finally:
            self._poller = None

    async def close(self) -> None:
        """Wake every waiter (it answers with what it has) and stop polling."""
        self._closed = True
        async with self._changed:
            self._changed.notify_all()
        poller = self._poller
        if poller is not None:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
