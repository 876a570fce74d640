"""The sandbox web chat run in-process, and a client that calls its API as the page does."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from bot.config.settings import Config
from bot.sandbox.run import SandboxRunner, SandboxSettings
from process.clock import ManualClock
from tests.e2e.harness import shanghai

FRIDAY_10AM = (2026, 11, 27, 10, 0)  # a working Friday; Monday 30 Nov is the next workday


def sandbox_settings(tmp_path: Path) -> SandboxSettings:
    return SandboxSettings(host="127.0.0.1", port=0, db_path=tmp_path / "sandbox.db")


@asynccontextmanager
async def running_sandbox(
    tmp_path: Path, base: ManualClock | None = None
) -> AsyncIterator[SandboxRunner]:
    runner = SandboxRunner(
        Config(db_path=tmp_path / "production.db"),
        sandbox_settings(tmp_path),
        base_clock=base or ManualClock(shanghai(*FRIDAY_10AM)),
    )
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()


class PageClient:
    """The calls app.js makes, with the JSON answers and statuses."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.session.get(path) as response:
            return response.status, await response.json(content_type=None)

    async def post(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        if body is not None:
            kw["json"] = body
        async with self.session.post(path, **kw) as response:
            return response.status, await response.json(content_type=None)

    async def add_customer(self, name: str = "张伟", language: str = "zh") -> int:
        status, persona = await self.post("/api/personas", {"name": name, "language": language})
        assert status == 201, persona
        return int(persona["user_id"])

    async def chat(self, user_id: int, after: int = 0) -> dict[str, Any]:
        status, chat = await self.get(f"/api/chats/{user_id}?after={after}")
        assert status == 200, chat
        return dict(chat)

    async def say(self, user_id: int, text: str) -> None:
        status, body = await self.post(f"/api/chats/{user_id}/messages", {"text": text})
        assert status == 200, body

    async def bot_messages(self, user_id: int) -> list[dict[str, Any]]:
        return [m for m in (await self.chat(user_id))["messages"] if m["from_bot"]]

    async def wait_for_bot(
        self, user_id: int, check: Callable[[list[dict[str, Any]]], bool], seconds: float = 60.0
    ) -> list[dict[str, Any]]:
        """Poll the chat (as the page does after each event) until ``check`` holds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            messages = await self.bot_messages(user_id)
            if check(messages):
                return messages
            if loop.time() > deadline:
                shown = [m["text"] or m["caption"] for m in messages[-3:]]
                raise AssertionError(f"the bot did not answer as expected; last: {shown}")
            await asyncio.sleep(0.05)


async def next_snapshot(stream: aiohttp.StreamReader, seconds: float = 60.0) -> dict[str, Any]:
    """The next ``data:`` event of the page's server-sent event stream."""
    async with asyncio.timeout(seconds):
        while True:
            line = await stream.readline()
            if line.startswith(b"data: "):
                return dict(json.loads(line[len(b"data: ") :]))
