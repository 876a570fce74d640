"""The runs of the reminder sweep benchmark: the bot's sweeps on a database, opened once
like a running process, and the ways of bringing a database to a moment of its life."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

from benchmarks.common import elapsed_ms
from benchmarks.sweep_data import SHANGHAI, START, copy_database
from bot.sweeps import default_sweeps
from flows.reminder_buttons import reminder_buttons
from notifications.outbox import Outbox
from notifications.reminders.context import SweepContext
from notifications.reminders.scheduler import Scheduler
from notifications.render import Texts
from process.calendar import WorkingCalendar
from process.clock import ManualClock
from storage.db import Database
from storage.outbox import OutboxRepo
from storage.reminders.points import told_marks
from storage.sealing.crypto import FieldCipher
from storage.sealing.rotate import checkpoint


class SweepBot:
    """The bot's side of the sweeps on one database: opened once, like a running process."""

    def __init__(self, db: Database, scheduler: Scheduler) -> None:
        self.db = db
        self.scheduler = scheduler

    @classmethod
    async def open(
        cls, path: Path | str, cipher: FieldCipher, *, now: datetime = START
    ) -> SweepBot:
        """The sweeps on ``path`` (a file, or a PostgreSQL URL), first run on ``now``'s day."""
        db = await Database.open(path, cipher=cipher)
        texts = Texts("zh_CN")
        texts.warm()  # a bot that has run for a day has compiled every template it uses
        context = SweepContext(
            db=db,
            outbox=Outbox(OutboxRepo(db), texts, tz=SHANGHAI),
            calendar=WorkingCalendar(),
            tz=SHANGHAI,
            buttons=reminder_buttons(texts, SHANGHAI),  # as the bot's, with their reads
        )
        await context.ready(now.date())  # once per process, before the first run
        scheduler = Scheduler(ManualClock(now))
        for name, sweep in default_sweeps(context):
            scheduler.register(name, sweep)
        return cls(db, scheduler)

    async def run(self, at: datetime) -> tuple[float, dict[str, int]]:
        started = time.perf_counter()
        queued = await self.scheduler.run_once(at)
        return elapsed_ms(started), queued

    async def close(self) -> None:
        await self.db.close()


async def replay(path: Path, cipher: FieldCipher, moments: list[datetime]) -> None:
    """Bring a database to the state the runs at ``moments`` leave."""
    bot = await SweepBot.open(path, cipher)
    try:
        for moment in moments:
            await bot.run(moment)
    finally:
        await bot.close()


async def measure_runs(
    snapshot: Path,
    work: Path,
    cipher: FieldCipher,
    at: datetime,
    times: int,
    *,
    before: datetime | None = None,
    share: float = 0.0,
) -> tuple[list[float], dict[str, int]]:
    """Time the run at ``at`` on ``times`` fresh copies of ``snapshot``. The process is warm,
    as the bot's is: it ran at ``before`` first (if given), then ``share`` of the stage
    visits changed."""
    taken: list[float] = []
    queued: dict[str, int] = {}
    for _ in range(times):
        bot = await SweepBot.open(copy_database(snapshot, work / "run.db"), cipher)
        try:
            if before is not None:
                await bot.run(before)
            if share:
                await touch_visits(bot.db, share)
            # No run pays for the checkpoint of what was written before it: a large WAL left
            # by the preparation would otherwise be copied back on the measured run's commit.
            await checkpoint(bot.db)
            ms, queued = await bot.run(at)
        finally:
            await bot.close()
        taken.append(ms)
    return taken, queued


async def measure_evening(
    snapshot: Path, work: Path, cipher: FieldCipher, times: int
) -> tuple[list[float], int]:
    """The evening of ``times`` fresh copies of ``snapshot``: the times of all their runs,
    and how many messages one evening queued."""
    taken: list[float] = []
    queued = 0
    for _ in range(times):
        bot = await SweepBot.open(copy_database(snapshot, work / "run.db"), cipher)
        try:
            await bot.run(START.replace(hour=20, minute=59))
            await checkpoint(bot.db)
            runs, queued = await evening_runs(bot)
            taken += runs
        finally:
            await bot.close()
    return taken, queued


async def evening_runs(bot: SweepBot) -> tuple[list[float], int]:
    """Every run from 21:01, a minute apart, until one queues nothing for customers: the
    evening decides the next morning's customer reminders a slice a run."""
    taken: list[float] = []
    queued, moment = 0, START.replace(hour=21, minute=1)
    while True:
        ms, by_sweep = await bot.run(moment)
        taken.append(ms)
        if not by_sweep.get("customers"):
            return taken, queued
        queued += by_sweep["customers"]
        moment += timedelta(minutes=1)


async def replay_evening(path: Path, cipher: FieldCipher) -> None:
    """Bring a database to the state the evening leaves: the morning's reminders queued."""
    bot = await SweepBot.open(path, cipher)
    try:
        await evening_runs(bot)
    finally:
        await bot.close()


async def touch_visits(db: Database, share: float) -> None:
    """What a busy minute leaves: ``share`` of the open stage visits changed (a pause began
    or ended), so their rows are to be looked at again."""
    await db.execute(
        "UPDATE reminder_watch SET check_on = '', state = 'new' "
        "WHERE kind IN ('stage', 'followup') AND subject_id % ? = 0",
        (max(1, round(1 / share)),),
    )


async def told_marks_of(path: Path, cipher: FieldCipher) -> dict[int, str | None]:
    """The last reminder point told for each stage visit (see storage/reminders/points.py)."""
    db = await Database.open(path, cipher=cipher)
    try:
        async with db.snapshot() as conn:
            return await told_marks(conn)
    finally:
        await db.close()


async def count_open_visits(path: Path, cipher: FieldCipher, share: float) -> int:
    db = await Database.open(path, cipher=cipher)
    try:
        row = await db.fetchone(
            "SELECT COUNT(*) AS n FROM reminder_watch WHERE kind = 'stage' AND subject_id % ? = 0",
            (max(1, round(1 / share)),),
        )
        return 0 if row is None else int(row["n"])
    finally:
        await db.close()
