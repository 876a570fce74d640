"""A tiny webhook receiver for the sandbox's own tests: records what it is posted and
answers as the test tells it, so delivery is tested without any bot."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

# One planned answer: a status, or a coroutine that decides (it may hold the request).
Answer = int | Callable[[dict[str, Any]], Awaitable[int]]


@dataclass
class Received:
    update: dict[str, Any]
    secret: str | None
    path: str


@dataclass
class Receiver:
    """Answers the next POSTs from ``plan`` (first in, first out), then ``default``."""

    default: int = 200
    plan: deque[Answer] = field(default_factory=deque)
    received: list[Received] = field(default_factory=list)
    concurrent: int = 0
    most_concurrent: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    base_url: str = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._receive)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def ids(self) -> list[int]:
        return [r.update["update_id"] for r in self.received]

    def texts(self) -> list[str]:
        return [r.update.get("message", {}).get("text", "") for r in self.received]

    async def wait(self, check: Callable[[], bool], timeout: float = 20.0) -> None:  # noqa: ASYNC109
        """Until ``check`` holds after some POST; the ceiling names a delivery that never came."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not check():
            remaining = deadline - asyncio.get_running_loop().time()
            assert remaining > 0, f"not reached; received {self.ids()}"
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), min(remaining, 0.05))
            except TimeoutError:
                pass

    async def _receive(self, request: web.Request) -> web.Response:
        update = json.loads(await request.read())
        self.received.append(
            Received(update, request.headers.get("X-Telegram-Bot-Api-Secret-Token"), request.path)
        )
        self.concurrent += 1
        self.most_concurrent = max(self.most_concurrent, self.concurrent)
        self.changed.set()
        try:
            answer = self.plan.popleft() if self.plan else self.default
            status = answer if isinstance(answer, int) else await answer(update)
        finally:
            self.concurrent -= 1
            self.changed.set()
        return web.Response(status=status, text="ok" if status == 200 else "no")
