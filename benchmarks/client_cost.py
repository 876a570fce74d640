"""What one Bot API call costs the bot's process: python-telegram-bot's httpx client and ours.

The echo bot and the floor talk to the Bot API through python-telegram-bot's default client
(:class:`telegram.request.HTTPXRequest`), hvconnect through its own
(:class:`bot.aiohttp_request.AiohttpRequest`). Over HTTP most of a bot's CPU goes to these
calls, so the conversation benchmark says what each costs, measured the same way in the same
run: ``python -m benchmarks.client_cost URL TOKEN CHAT CALLS`` is a process of its own that
sends ``CALLS`` messages with each client in turn (after a warm-up) and prints one line of
JSON, the CPU time of that process per call and the wall time per call, for each.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

from bot.aiohttp_request import AiohttpRequest

HTTPX, AIOHTTP = "httpx (python-telegram-bot's default)", "aiohttp (hvconnect's)"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class CallCost:
    client: str
    cpu_ms: float  # the client process's CPU per call
    wall_ms: float  # per call, one at a time


async def _measure(api_url: str, token: str, chat: int, calls: int) -> list[CallCost]:
    costs: dict[str, list[CallCost]] = {}
    for _ in range(2):  # each client twice, alternating, so neither always goes first
        for name, request in ((HTTPX, HTTPXRequest()), (AIOHTTP, AiohttpRequest())):
            costs.setdefault(name, []).append(await _one(api_url, token, chat, calls, request))
    return [min(found, key=lambda c: c.cpu_ms) for found in costs.values()]


async def _one(api_url: str, token: str, chat: int, calls: int, request: BaseRequest) -> CallCost:
    bot = Bot(token, base_url=f"{api_url}/bot", request=request, get_updates_request=request)
    async with bot:
        for i in range(calls // 10):  # connections open, code paths warm
            await bot.send_message(chat, f"warm-up {i}")
        cpu, wall = time.process_time(), time.perf_counter()
        for i in range(calls):
            await bot.send_message(chat, f"call {i}")
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    name = HTTPX if isinstance(request, HTTPXRequest) else AIOHTTP
    return CallCost(name, cpu * 1000 / calls, wall * 1000 / calls)


async def call_costs(api_url: str, token: str, chat: int, calls: int) -> list[CallCost]:
    """Run the measurement in a child process and read its line."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.client_cost",
        api_url,
        token,
        str(chat),
        str(calls),
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"benchmarks.client_cost exited with {child.returncode}")
    return [CallCost(**row) for row in json.loads(out)]


def main(argv: Sequence[str]) -> int:
    api_url, token, chat, calls = argv
    costs = asyncio.run(_measure(api_url, token, int(chat), int(calls)))
    print(json.dumps([cost.__dict__ for cost in costs]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
