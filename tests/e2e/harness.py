"""The bot, as production builds it, talking over HTTP to the local Bot API emulator.

Only the configuration differs from production: the Bot API base URL points at the
emulator, the database is a temporary file (or, with HVCONNECT_TEST_DB=postgresql, a fresh
PostgreSQL database) sealed with a test key, and the clock is a manual one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite
from telegram import Update

from bot.app import BotApplication, build_application, services_of, start, stop
from bot.config.settings import Config
from process.clock import ManualClock
from sandbox.emulator import BotApiEmulator
from sandbox.state import SandboxState
from storage.db import Database
from storage.sealing.crypto import FieldCipher
from tests.keys import TEST_SECRET_KEY

SHANGHAI = ZoneInfo("Asia/Shanghai")


class BotRunner:
    """Starts, stops and restarts the real bot against an emulator."""

    def __init__(
        self, emulator: BotApiEmulator, database: Path | str, clock: ManualClock, **config: Any
    ) -> None:
        self.emulator = emulator
        self.clock = clock
        where = {"db_url": database} if isinstance(database, str) else {"db_path": database}
        self.config = Config(
            token=emulator.token,
            api_url=emulator.base_url,
            **{"secret_key": TEST_SECRET_KEY, **where, **config},
        )
        self.app: BotApplication | None = None
        self._handling = UpdatesInHand(emulator.state)

    async def start(self) -> None:
        """Build and start the bot; back once its start-up run of the sweeps has ended."""
        self.app = await build_application(self.config, clock=self.clock)
        self._handling = track_updates(self.app, self.emulator.state)
        await start(self.app, poll_timeout=1)
        # The bot runs its sweeps at start, at the clock's time, beside whatever the test does
        # first: staff who join meanwhile would be in that run's messages or not, by chance.
        await services_of(self.app).scheduler.caught_up()

    async def stop(self) -> None:
        if self.app is not None:
            await stop(self.app)
            self.app = None
            self._handling.release()

    async def restart(self) -> None:
        """A fresh process in all but name: new application, new connection, same file."""
        await self.stop()
        await self.start()

    def reconfigure(self, **changes: Any) -> None:
        self.config = replace(self.config, **changes)

    async def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[aiosqlite.Row]:
        """Read the database directly, on a connection of its own, as an auditor holding
        the key would."""
        assert self.config.secret_key is not None
        cipher = FieldCipher.from_secrets(self.config.secret_key, self.config.old_secret_keys)
        db = await Database.open(self.config.database, cipher=cipher)
        try:
            return await db.fetchall(sql, params)
        finally:
            await db.close()

    async def write(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        """Change the database behind the bot's back, as another program could: the
        statement goes as it is written, in the database's own SQL (see :attr:`dialect`)."""
        if isinstance(self.config.database, str):
            import psycopg

            async with await psycopg.AsyncConnection.connect(
                self.config.database, autocommit=True
            ) as conn:
                await conn.execute(sql.replace("?", "%s"), params)
            return
        async with aiosqlite.connect(self.config.database) as conn:
            await conn.execute(sql, params)
            await conn.commit()

    @property
    def dialect(self) -> str:
        return "postgresql" if self.config.on_postgresql else "sqlite"


class UpdatesInHand:
    """Updates the bot fetched and has not finished handling, counted as the emulator's
    calls in progress.

    The emulator calls the bot idle when no update waits, no call is in progress and none
    was made for a moment. A bot handling an update makes no call while it reads and writes
    its database; on a loaded machine that can outlast the moment, and a test would read the
    chat before the answer. Counted as in progress, the handling itself keeps the bot busy.
    """

    def __init__(self, state: SandboxState) -> None:
        self._state = state
        # By the update object's id, how many times it is queued: a flow may queue an update
        # again for the other handlers (the survey stepping aside for a command).
        self._held: Counter[int] = Counter()

    def fetched(self, update: object) -> None:
        if isinstance(update, Update):
            self._held[id(update)] += 1
            self._state.request_started()

    def handled(self, update: object) -> None:
        if self._held[id(update)] > 0:
            self._held[id(update)] -= 1
            self._state.request_finished()

    def release(self) -> None:
        """At stop: updates the bot dropped unhandled are no longer in anyone's hands."""
        for _ in range(self._held.total()):
            self._state.request_finished()
        self._held.clear()


def track_updates(app: BotApplication, state: SandboxState) -> UpdatesInHand:
    """From the moment the poller queues an update until its handlers are done."""
    hand = UpdatesInHand(state)
    queue = app.update_queue
    queue_put = queue.put
    process_update = app.process_update

    async def put(item: object) -> None:
        hand.fetched(item)
        await queue_put(item)

    async def process(update: object) -> None:
        try:
            await process_update(update)
        finally:
            hand.handled(update)

    queue.put = put  # type: ignore[method-assign]
    app.process_update = process  # type: ignore[method-assign]
    return hand


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]
