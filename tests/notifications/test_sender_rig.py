"""The rig the sender tests share: a database, the emulator over HTTP, a real Bot, a sender.

It holds no tests itself. Domain time for back-off is either a ManualClock (to step through
retries) or a :class:`RunningClock` (to let retries happen in real time, quickly).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Bot, Message
from telegram.request import HTTPXRequest

from notifications.sender import CLAIM_LEASE, OutboxSender
from process.clock import Clock, ManualClock
from sandbox import BotApiEmulator, FakeUser, RateLimits
from storage.db import Database
from storage.migrate import migrate
from storage.outbox import OutboxRepo, OutboxRow
from storage.users import UsersRepo
from tests.postgres import database_in, forget_database

TOKEN = "123456:TEST"
SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)
FIRST_USER = 5001
# Waits end as soon as the outbox gets there; the ceiling only names one that never will, and
# is generous so that a loaded machine is not mistaken for a fault.
WAIT_CEILING = 60.0
# A client read timeout a loaded machine cannot hit by accident (a spurious timeout would be
# retried and could send twice); the fault tests pass their own short one.
READ_TIMEOUT = 30.0


class RunningClock:
    """Domain time that starts at a fixed moment and then moves with real time."""

    def __init__(self, start: datetime = START) -> None:
        self._start = start
        self._origin = time.monotonic()

    @property
    def tz(self) -> tzinfo:
        return SHANGHAI

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._origin)


SendHook = Callable[[int], Awaitable[None]]


class HookedBot(Bot):
    """A real Bot whose sendMessage calls can be delayed or interrupted, to stage stops and
    crashes around the call. Hooks get the running count of calls, from 1."""

    def hook(self, *, before: SendHook | None = None, after: SendHook | None = None) -> None:
        self._calls = 0
        self._before = before
        self._after = after

    async def send_message(self, *args: Any, **kwargs: Any) -> Message:
        self._calls = getattr(self, "_calls", 0) + 1
        before: SendHook | None = getattr(self, "_before", None)
        after: SendHook | None = getattr(self, "_after", None)
        if before is not None:
            await before(self._calls)
        message = await super().send_message(*args, **kwargs)
        if after is not None:
            await after(self._calls)
        return message


def sender_bot(emulator: BotApiEmulator, *, read_timeout: float = READ_TIMEOUT) -> HookedBot:
    # Plain HTTP to localhost: skipping the CA bundle saves ~50 ms per client.
    request = HTTPXRequest(httpx_kwargs={"verify": False}, read_timeout=read_timeout)
    return HookedBot(TOKEN, request=request, get_updates_request=request, **emulator.bot_kwargs())


@dataclass
class Rig:
    emulator: BotApiEmulator
    db: Database
    bot: HookedBot
    clock: Clock
    repo: OutboxRepo
    unreachable_calls: list[int] = field(default_factory=list)
    dead_calls: list[OutboxRow] = field(default_factory=list)
    senders: list[OutboxSender] = field(default_factory=list)

    async def users(self, count: int, first: int = FIRST_USER) -> list[FakeUser]:
        """``count`` users who have written to the bot (so Telegram knows their chats)."""
        found = []
        users_repo = UsersRepo(self.db)
        for user_id in range(first, first + count):
            user = self.emulator.user(user_id, first_name=f"U{user_id}")
            await user.send_text("/start")
            await users_repo.touch(
                user_id=user_id,
                chat_id=user_id,
                first_name=user.info["first_name"],
                username=None,
                default_locale="zh_CN",
                now=self.clock.now(),
            )
            found.append(user)
        return found

    async def enqueue(self, chat_id: int, key: str, text: str | None = None, **extra: Any) -> None:
        queued = await self.repo.enqueue_now(
            key=key,
            chat_id=chat_id,
            user_id=extra.pop("user_id", chat_id),
            kind=extra.pop("kind", "test.message"),
            text=text or key,
            now=self.clock.now(),
            **extra,
        )
        assert queued

    def sender(self, **options: Any) -> OutboxSender:
        options.setdefault("on_unreachable", self._record_unreachable)
        options.setdefault("on_dead", self._record_dead)
        options.setdefault("poll_interval", 0.05)
        sender = OutboxSender(self.db, options.pop("bot", self.bot), self.clock, **options)
        self.senders.append(sender)
        return sender

    async def _record_unreachable(self, user_id: int) -> None:
        self.unreachable_calls.append(user_id)

    async def _record_dead(self, row: OutboxRow) -> None:
        self.dead_calls.append(row)

    async def settled(self, timeout: float = WAIT_CEILING) -> dict[str, int]:  # noqa: ASYNC109
        """Wait until nothing is waiting, retrying or in flight; the counts by status."""
        return await self.until(lambda c: c["pending"] + c["failed"] + c["sending"] == 0, timeout)

    async def until(
        self,
        done: Callable[[dict[str, int]], bool],
        timeout: float = WAIT_CEILING,  # noqa: ASYNC109
    ) -> dict[str, int]:
        deadline = time.monotonic() + timeout
        while True:
            counts = await self.repo.summary()
            if done(counts):
                return counts
            if time.monotonic() > deadline:
                raise AssertionError(f"outbox did not get there in {timeout} s: {counts}")
            await asyncio.sleep(0.02)

    def restarted_after_a_crash(self) -> None:
        """What it takes for a new sender to send again the rows a crashed one left
        'sending': nothing on SQLite (its start requeues them); on PostgreSQL, where other
        instances may be sending right now, their lease must run out."""
        if self.db.dialect == "postgresql":
            assert isinstance(self.clock, ManualClock)
            self.clock.advance(CLAIM_LEASE)

    def received(self, chat_id: int) -> list[str]:
        """The texts (or captions) the user of ``chat_id`` was shown, oldest first."""
        return [m.text or m.caption or "" for m in self.emulator.messages(chat_id)]


@asynccontextmanager
async def rig(
    tmp_path: Path,
    *,
    limits: RateLimits | None = None,
    clock: Clock | None = None,
    read_timeout: float = READ_TIMEOUT,
    fault_hold_seconds: float = 2.0,
    strict_html: bool = True,
) -> AsyncIterator[Rig]:
    clock = clock or ManualClock(START)
    emulator = BotApiEmulator(
        token=TOKEN,
        limits=limits or RateLimits(enabled=False),
        strict_html=strict_html,
        fault_hold_seconds=fault_hold_seconds,
    )
    await emulator.start()
    location = database_in(tmp_path, "outbox.db")
    db = await Database.open(location)
    await migrate(db, clock.now())
    bot = sender_bot(emulator, read_timeout=read_timeout)
    await bot.initialize()
    built = Rig(emulator, db, bot, clock, OutboxRepo(db))
    try:
        yield built
    finally:
        for sender in built.senders:
            await sender.stop(timeout=WAIT_CEILING)
        await bot.shutdown()
        await db.close()
        await emulator.stop()
        forget_database(location)


async def eventually(
    check: Callable[[], Awaitable[bool]],
    timeout: float = WAIT_CEILING,  # noqa: ASYNC109
) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
