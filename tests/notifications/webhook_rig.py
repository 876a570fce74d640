"""The rig the webhook tests share: a database, a real receiving HTTP server, a worker.

It holds no tests itself. The receiver is an aiohttp server on a free port that records
every request and answers as the test tells it; it dedupes by the event id header the way
a real receiver should. Domain time is a ManualClock the tests move to step through
retries; waits end as soon as the condition holds (the ceiling only names one that never
will).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from notifications.webhooks.worker import WebhookWorker
from process.clock import ManualClock
from storage.db import Database
from storage.events import append_event
from storage.migrate import migrate
from storage.webhooks import WebhooksRepo
from tests.keys import make_test_cipher
from tests.postgres import database_in, forget_database

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)
WAIT_CEILING = 60.0
SECRET = "whsec-test-0123456789abcdef"

Answer = Callable[["Received"], Awaitable[int]]


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP server that records requests; ``answer`` decides each status (200 by default)."""

    received: list[Received] = field(default_factory=list)
    accepted: list[int] = field(default_factory=list)  # event ids, first acceptance only
    answer: Answer | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{path:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        sockets = site._server.sockets  # type: ignore[union-attr]
        port = sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        got = Received(request.path, dict(request.headers), await request.read())
        self.received.append(got)
        status = 200 if self.answer is None else await self.answer(got)
        if 200 <= status < 300:
            event_id = int(got.headers["Idempotency-Key"])
            if event_id not in self.accepted:  # a receiver dedupes by the event id
                self.accepted.append(event_id)
        return web.Response(status=status, headers=self.extra_headers if status >= 400 else {})

    def to(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


@dataclass
class Rig:
    db: Database
    clock: ManualClock
    receiver: Receiver
    repo: WebhooksRepo
    workers: list[WebhookWorker] = field(default_factory=list)

    async def subscribe(self, path: str = "/hook", kinds: list[str] | None = None) -> int:
        return await self.repo.add(
            client_name="marketing",
            url=self.receiver.url + path,
            event_kinds=kinds,
            signing_secret=SECRET,
            now=self.clock.now(),
        )

    async def event(self, kind: str = "note_added", application_id: int | None = None) -> int:
        async with self.db.transaction() as conn:
            return await append_event(
                conn,
                application_id=application_id,
                actor_id=7,
                actor_role="customer_manager",
                kind=kind,
                now=self.clock.now(),
                data={"from": "accept", "to": "survey"},
            )

    async def worker(self, **options: Any) -> WebhookWorker:
        options.setdefault("max_attempts", 10)
        options.setdefault("poll_interval", 0.05)
        started = WebhookWorker(self.db, self.clock, **options)
        await started.start()
        self.workers.append(started)
        return started

    async def drive(
        self,
        done: Callable[[], Awaitable[bool]],
        *,
        step: timedelta = timedelta(hours=2),
        timeout: float = WAIT_CEILING,  # noqa: ASYNC109
    ) -> None:
        """Move domain time on by ``step`` and wake the workers until ``done`` holds."""
        deadline = time.monotonic() + timeout
        while not await done():
            if time.monotonic() > deadline:
                raise AssertionError("the webhooks did not get there in time")
            self.clock.advance(step)
            for worker in self.workers:
                worker.wake()
            await asyncio.sleep(0.02)

    async def settled(self, subscription_id: int) -> bool:
        rows = await self.repo.deliveries(subscription_id)
        return all(r.delivered_at is not None or r.dead_at is not None for r in rows)


async def eventually(
    check: Callable[[], bool],
    timeout: float = WAIT_CEILING,  # noqa: ASYNC109
) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@asynccontextmanager
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    clock = ManualClock(START)
    receiver = Receiver()
    await receiver.start()
    location = database_in(tmp_path, "hooks.db")
    db = await Database.open(location, cipher=make_test_cipher())
    await migrate(db, clock.now())
    built = Rig(db, clock, receiver, WebhooksRepo(db))
    try:
        yield built
    finally:
        for worker in built.workers:
            await worker.stop(timeout=WAIT_CEILING)
        await db.close()
        forget_database(location)
        await receiver.stop()
