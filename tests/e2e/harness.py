"""The bot, as production builds it, talking over HTTP to the local Bot API emulator.

Only the configuration differs from production: the Bot API base URL points at the
emulator, the database is a temporary file sealed with a test key, and the clock is a
manual one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite

from bot.app import BotApplication, build_application, start, stop
from bot.config import Config
from process.clock import ManualClock
from sandbox.emulator import BotApiEmulator
from storage.crypto import FieldCipher
from storage.sealed import row_factory
from tests.keys import TEST_SECRET_KEY

SHANGHAI = ZoneInfo("Asia/Shanghai")


class BotRunner:
    """Starts, stops and restarts the real bot against an emulator."""

    def __init__(
        self, emulator: BotApiEmulator, db_path: Path, clock: ManualClock, **config: Any
    ) -> None:
        self.emulator = emulator
        self.clock = clock
        self.config = Config(
            token=emulator.token,
            api_url=emulator.base_url,
            db_path=db_path,
            **{"secret_key": TEST_SECRET_KEY, **config},
        )
        self.app: BotApplication | None = None

    async def start(self) -> None:
        self.app = await build_application(self.config, clock=self.clock)
        await start(self.app, poll_timeout=1)

    async def stop(self) -> None:
        if self.app is not None:
            await stop(self.app)
            self.app = None

    async def restart(self) -> None:
        """A fresh process in all but name: new application, new connection, same file."""
        await self.stop()
        await self.start()

    def reconfigure(self, **changes: Any) -> None:
        self.config = replace(self.config, **changes)

    async def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[aiosqlite.Row]:
        """Read the database file directly, as an auditor holding the key would."""
        assert self.config.secret_key is not None
        cipher = FieldCipher.from_secrets(self.config.secret_key, self.config.old_secret_keys)
        async with aiosqlite.connect(self.config.db_path) as conn:
            conn.row_factory = row_factory(cipher)  # type: ignore[assignment]
            async with conn.execute(sql, params) as cursor:
                return list(await cursor.fetchall())


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]
