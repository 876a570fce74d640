"""The bot with its API, running in a thread of its own for the synchronous fuzzer: it calls
over a real socket, as any client would."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from api.settings import ApiSettings
from bot.app import api_server, services_of
from process.clock import ManualClock
from sandbox.emulator import BotApiEmulator
from sandbox.limits import RateLimits
from storage.api_clients import ApiClientsRepo
from tests.e2e.harness import BotRunner, shanghai
from tests.e2e.staff_seed import seed_application
from tests.postgres import database_in


@dataclass(frozen=True)
class RunningApi:
    base_url: str
    key: str
    number: str  # an application that exists


@pytest.fixture(scope="module")
def running_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    path: Path | str = database_in(tmp_path_factory.mktemp("api"), "hv.db")
    ready: list[RunningApi] = []
    started, stopping = threading.Event(), None
    failure: list[BaseException] = []
    loop = asyncio.new_event_loop()

    async def serve() -> None:
        nonlocal stopping
        stopping = asyncio.Event()
        clock = ManualClock(shanghai(2026, 11, 27, 10, 0))
        settings = ApiSettings(host="127.0.0.1", port=0, burst=1_000_000)
        async with BotApiEmulator(limits=RateLimits(enabled=False)) as emulator:
            runner = BotRunner(emulator, path, clock, api=settings)
            await runner.start()
            try:
                assert runner.app is not None
                svc = services_of(runner.app)
                filed = await seed_application(svc, customer_id=8001)
                await seed_application(svc, customer_id=8002, district="南郑区")
                _, key = await ApiClientsRepo(svc.db).create(
                    "fuzzer",
                    frozenset(
                        {
                            "applications:read",
                            "applications:write",
                            "events:read",
                            "stats:read",
                            "pii:read",
                            "webhooks:manage",
                        }
                    ),
                    clock.now(),
                )
                server = api_server(runner.app)
                assert server is not None
                ready.append(RunningApi(f"http://127.0.0.1:{server.port}", key, filed.number))
                started.set()
                await stopping.wait()
            finally:
                await runner.stop()

    def run() -> None:
        try:
            loop.run_until_complete(serve())
        except BaseException as exc:  # reported to the test below
            failure.append(exc)
            started.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait()
    if failure:
        raise failure[0]
    try:
        yield ready[0]
    finally:
        assert stopping is not None
        loop.call_soon_threadsafe(stopping.set)
        thread.join()
        loop.close()
