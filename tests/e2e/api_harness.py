"""The integration API as production serves it: in the bot's process, on a real socket, over
a real SQLite file; and the few steps its tests take (a client's key, a thousand
applications at once)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from api.settings import ApiSettings
from bot.app import api_server, services_of
from flows.deps import Services
from process.clock import ManualClock
from sandbox.emulator import BotApiEmulator
from storage.api_clients import ApiClientsRepo
from storage.db import run
from tests.e2e.harness import BotRunner

ALL_READS = "applications:read,events:read,stats:read"


@dataclass
class Api:
    runner: BotRunner
    http: httpx.AsyncClient

    @property
    def svc(self) -> Services:
        assert self.runner.app is not None
        return services_of(self.runner.app)

    async def key(self, name: str, scopes: str = ALL_READS) -> str:
        _, key = await ApiClientsRepo(self.svc.db).create(
            name, frozenset(scopes.split(",")), self.svc.clock.now()
        )
        return key

    async def get(self, path: str, key: str | None, **params: object) -> httpx.Response:
        headers = {} if key is None else {"Authorization": f"Bearer {key}"}
        return await self.http.get(path, headers=headers, params=params)  # type: ignore[arg-type]

    async def post(
        self, path: str, key: str | None, body: object, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        sent = ({} if key is None else {"Authorization": f"Bearer {key}"}) | (headers or {})
        return await self.http.post(path, headers=sent, json=body)


@asynccontextmanager
async def api_of(runner: BotRunner) -> AsyncIterator[Api]:
    assert runner.app is not None
    server = api_server(runner.app)
    assert server is not None, "the bot was started without HVCONNECT_API_LISTEN"
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=60) as http:
        yield Api(runner, http)


async def copy_application(svc: Services, number: str, copies: int) -> None:
    """``copies`` more applications like ``number``, numbered after it, in one transaction:
    thousands in a moment, where filing each through the form would take minutes."""
    if svc.db.dialect == "postgresql":
        rows = await svc.db.fetchall(
            "SELECT column_name AS name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = 'applications' "
            "ORDER BY ordinal_position"
        )
        padded = "lpad(n.i::text, 6, '0')"
    else:
        rows = await svc.db.fetchall("SELECT name FROM pragma_table_info('applications')")
        padded = "printf('%06d', n.i)"
    columns = [r["name"] for r in rows if r["name"] not in ("id", "number")]
    listed = ", ".join(columns)
    async with svc.db.transaction() as conn:
        await run(
            conn,
            f"""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
            INSERT INTO applications (number, {listed})
            SELECT 'HV-2026-C' || {padded}, {listed}
            FROM applications, n WHERE applications.number = ?
            """,
            (copies, number),
        )


@asynccontextmanager
async def api_of_new(
    emulator: BotApiEmulator, database: Path | str, clock: ManualClock, **settings: Any
) -> AsyncIterator[tuple[Api, int]]:
    """A bot of its own with the API on a free port: the API and the port it took."""
    api_settings = ApiSettings(host="127.0.0.1", port=0, **settings)
    runner = BotRunner(emulator, database, clock, api=api_settings)
    await runner.start()
    try:
        async with api_of(runner) as api:
            assert runner.app is not None
            server = api_server(runner.app)
            assert server is not None
            yield api, server.port
    finally:
        await runner.stop()
