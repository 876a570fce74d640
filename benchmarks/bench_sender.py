"""The outbox sender against Telegram's limits: 3,000 messages to 3,000 chats.

The emulator enforces Telegram's flood control (30 messages a second overall, a burst then
one a second per private chat) and answers 429 past it. The sender is the production one
(:class:`notifications.sender.OutboxSender` with the bot's own ``outbox_bot``), reading a
queue the reminder sweeps could have written: each message to a chat of its own, all due at
once. The goal: 29 or more a second, and not a single 429.

The sender counts each message from the moment its answer came back (Telegram received it no
later than that), so no network delay can make the 30th message of a second the 31st. Besides
the sender as it ships, the same run is made with no safety margin at all on the overall
window (:data:`notifications.pacing.WINDOW_SAFETY`), to show what the margin costs: the rate
is capped at 30 per (1 s + margin + one round trip).
"""

from __future__ import annotations

import asyncio
import functools
import shutil
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import notifications.sender as sender_module
from benchmarks.common import Report, Spread, quick, runs, work_dir
from bot.app import outbox_bot
from notifications.pacing import WINDOW_SAFETY, Pacer
from notifications.sender import OutboxSender
from process.clock import SystemClock
from sandbox.emulator import BotApiEmulator
from sandbox.limits import RateLimits
from storage.db import Database
from storage.migrate import migrate
from storage.outbox import OutboxRepo

SHANGHAI = ZoneInfo("Asia/Shanghai")
GOAL_PER_SECOND = 29.0
FIRST_CHAT = 10_000_001
NARROW_SAFETY = 0.0


@dataclass(frozen=True)
class Sizes:
    messages: int = 3_000
    runs: int = 3

    @classmethod
    def for_mode(cls) -> Sizes:
        return cls(300, runs(3)) if quick() else cls()


@dataclass(frozen=True)
class Outcome:
    per_second: float
    too_many: int
    delivered: int


@dataclass(frozen=True)
class Measured:
    messages: int
    shipped: Spread
    shipped_429: int
    narrow: Spread
    narrow_429: int
    safety: float


async def send_all(work: Path, messages: int, window_safety: float | None = None) -> Outcome:
    """Queue ``messages`` messages to as many chats and time the sender until all are sent."""
    emulator = BotApiEmulator(limits=RateLimits())
    await emulator.start()
    path = work / "outbox.db"
    await asyncio.to_thread(_remove, path)
    db = await Database.open(path)
    clock = SystemClock(SHANGHAI)
    # The sender builds its Pacer itself; another margin is tried by swapping the class it
    # finds in its module for one with that margin, and putting it back afterwards.
    names = vars(sender_module)
    original = names["Pacer"]
    if window_safety is not None:
        names["Pacer"] = functools.partial(Pacer, window_safety=window_safety)
    bot = outbox_bot(emulator.token, emulator.base_url)
    sender = OutboxSender(db, bot, clock, poll_interval=0.2)
    try:
        await migrate(db, clock.now())
        chats = range(FIRST_CHAT, FIRST_CHAT + messages)
        for chat_id in chats:
            emulator.state.add_chat({"id": chat_id, "type": "private", "first_name": "客户"})
        await _queue(db, clock.now(), chats)
        await bot.initialize()
        emulator.stats.reset()
        started = time.perf_counter()
        await sender.start()
        repo = OutboxRepo(db)
        # The sender has no "all sent" signal: its progress is in the table.
        while (await repo.summary())["sent"] < messages:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        taken = time.perf_counter() - started
        return Outcome(messages / taken, emulator.stats.too_many_requests, len(chats))
    finally:
        names["Pacer"] = original
        await sender.stop(timeout=5)
        await bot.shutdown()
        await db.close()
        await emulator.stop()


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def _queue(db: Database, now: datetime, chats: range) -> None:
    """The messages, written as a sweep writes them: one transaction, one row each."""
    stamp = now.astimezone(UTC).isoformat()
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO users (user_id, chat_id, locale, created_at, updated_at) "
            "VALUES (?, ?, 'zh_CN', ?, ?)",
            [(chat, chat, stamp, stamp) for chat in chats],
        )
    repo = OutboxRepo(db)
    async with db.transaction() as conn:
        for chat in chats:
            await repo.enqueue(
                conn,
                key=f"bench:{chat}",
                chat_id=chat,
                user_id=chat,
                kind="remind.owed",
                text=f"📌 <b>待您办理</b> · <code>HV-2026-{chat % 1_000_000:06d}</code>",
                now=now - timedelta(seconds=1),
            )


async def measure(work: Path, sizes: Sizes) -> Measured:
    shipped: list[Outcome] = []
    narrow: list[Outcome] = []
    for _ in range(sizes.runs):  # pair by pair, so both see the same machine load
        shipped.append(await send_all(work, sizes.messages))
        narrow.append(await send_all(work, sizes.messages, NARROW_SAFETY))
    return Measured(
        messages=sizes.messages,
        shipped=Spread.of(o.per_second for o in shipped),
        shipped_429=sum(o.too_many for o in shipped),
        narrow=Spread.of(o.per_second for o in narrow),
        narrow_429=sum(o.too_many for o in narrow),
        safety=WINDOW_SAFETY,
    )


def run(report: Report, sizes: Sizes | None = None) -> None:
    sizes = sizes or Sizes.for_mode()
    work = work_dir("sender")
    try:
        measured = asyncio.run(measure(work, sizes))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    describe(report, measured)


def describe(report: Report, m: Measured) -> None:
    section = report.section(f"Outbox sender: {m.messages:,} messages to {m.messages:,} chats")
    section.text(
        "Through the Bot API emulator with Telegram's flood control on, the production sender "
        "and its own Bot (no AIORateLimiter), runs pair by pair. Messages a second: median "
        f"(min–max) of {m.shipped.count} runs; 429s counted over all runs. Goal: "
        f"{GOAL_PER_SECOND:.0f} or more a second with no 429."
    )
    section.table(
        ("sender", "messages/s", "429s", "goal"),
        [
            (
                f"as shipped (window margin {m.safety:.2f} s)",
                m.shipped.show(1),
                m.shipped_429,
                _verdict(m.shipped, m.shipped_429),
            ),
            (
                f"window margin {NARROW_SAFETY:.2f} s",
                m.narrow.show(1),
                m.narrow_429,
                _verdict(m.narrow, m.narrow_429),
            ),
        ],
    )
    section.text(
        "Each message counts from its answer, so the overall rate is capped at 30 per "
        f"(1 s + {m.safety:.2f} s margin + one round trip to the emulator): "
        f"{30 / (1 + m.safety):.1f} a second at most as shipped, "
        f"{30 / (1 + NARROW_SAFETY):.1f} with no margin."
    )


def _verdict(rate: Spread, too_many: int) -> str:
    if rate.median >= GOAL_PER_SECOND and too_many == 0:
        return "met"
    reasons = []
    if rate.median < GOAL_PER_SECOND:
        reasons.append(f"{rate.median:.1f}/s is under {GOAL_PER_SECOND:.0f}")
    if too_many:
        reasons.append(f"{too_many} 429s")
    return "missed: " + ", ".join(reasons)


def smoke(tmp: Path, messages: int = 40) -> Measured:
    """The benchmark at a tiny size, for the test suite."""
    return asyncio.run(measure(tmp, replace(Sizes(), messages=messages, runs=1)))
