"""One side of the job-store comparison, measured in a process of its own.

``python -m benchmarks.jobstore_child MODE PATH COUNT`` runs one measurement (scheduling or
start-up, ours or APScheduler's) and prints one JSON line: milliseconds, resident memory and
its peak, and the store's size. A fresh process each time, so memory is the side's own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import timedelta
from pathlib import Path

from benchmarks.common import file_size_mb, process_memory_mb

SECRET = "q6dN0Fg8l5m0cWZbqk0f3Sx3tIXt4JZ3oJvVq2y7n0c="  # benchmark data only
MODES = ("ours-schedule", "ours-start", "jobs-schedule", "jobs-start")


def remind(visit_id: int, point: str) -> None:
    """The job APScheduler would run: in the real thing it would queue the reminder."""


# -- the measuring processes ------------------------------------------------------------


async def _ours_schedule(path: Path) -> float:
    from benchmarks.sweep_data import START
    from benchmarks.sweep_runs import SweepBot
    from storage.sealing.crypto import FieldCipher

    bot = await SweepBot.open(path, FieldCipher.from_secrets(SECRET))
    try:
        ms, queued = await bot.run(START)
        # No reminder was due: this was the scheduling alone (the 08:30 digest aside).
        assert queued["stage"] == queued["customers"] == 0, queued
        return ms
    finally:
        await bot.close()


async def _ours_start(path: Path) -> float:
    """The bot's sweeps as build_application and start() put them together; the bot's
    own modules are imported already (the bot imports them whatever schedules reminders)."""
    from benchmarks.sweep_data import SHANGHAI, START
    from bot.sweeps import default_sweeps
    from notifications.outbox import Outbox
    from notifications.reminders.context import SweepContext
    from notifications.reminders.scheduler import Scheduler
    from notifications.render import Texts
    from process.calendar import WorkingCalendar
    from process.clock import ManualClock
    from storage.db import Database
    from storage.migrate import migrate
    from storage.outbox import OutboxRepo
    from storage.sealing.crypto import FieldCipher

    started = time.perf_counter()
    clock = ManualClock(START + timedelta(minutes=10))
    db = await Database.open(path, cipher=FieldCipher.from_secrets(SECRET))
    await migrate(db, clock.now())
    context = SweepContext(
        db=db,
        outbox=Outbox(OutboxRepo(db), Texts("zh_CN"), tz=SHANGHAI),
        calendar=WorkingCalendar(),
        tz=SHANGHAI,
    )
    scheduler = Scheduler(clock)
    for name, sweep in default_sweeps(context):
        scheduler.register(name, sweep)
    await scheduler.start()
    # The first run, catching up, has finished when it has results to show.
    while not scheduler.last_results:  # noqa: ASYNC110
        await asyncio.sleep(0.001)
    taken = (time.perf_counter() - started) * 1000
    await scheduler.stop()
    await db.close()
    return taken


async def _jobs_schedule(path: Path, count: int) -> float:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.date import DateTrigger

    from benchmarks.sweep_data import START

    scheduler = AsyncIOScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{path}")}, timezone="UTC"
    )
    scheduler.start(paused=True)  # jobs go to the store as they are added
    started = time.perf_counter()
    for visit_id in range(1, count + 1):
        # The next reminder of each stage: half its limit, a few working days ahead.
        run_at = START + timedelta(days=5, minutes=visit_id % 600)
        scheduler.add_job(
            # By reference: run as ``python -m``, this module is ``__main__`` here.
            "benchmarks.jobstore_child:remind",
            DateTrigger(run_date=run_at),
            args=[visit_id, "half"],
            id=f"remind:{visit_id}:half",
            misfire_grace_time=3600,
            coalesce=True,
        )
    taken = (time.perf_counter() - started) * 1000
    scheduler.shutdown(wait=False)
    return taken


async def _jobs_start(path: Path) -> float:
    """APScheduler's modules are imported already, as ours are."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    started = time.perf_counter()
    scheduler = AsyncIOScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{path}")}, timezone="UTC"
    )
    scheduler.start()
    # start() has the loop look at the store (due jobs, the next run time) as soon as it
    # can; a callback queued after that one tells when it is done.
    looked = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_soon_threadsafe(looked.set_result, None)
    await looked
    taken = (time.perf_counter() - started) * 1000
    scheduler.shutdown(wait=False)
    return taken


def _child(mode: str, path: Path, count: int) -> None:
    if mode == "ours-schedule":
        ms = asyncio.run(_ours_schedule(path))
    elif mode == "ours-start":
        ms = asyncio.run(_ours_start(path))
    elif mode == "jobs-schedule":
        ms = asyncio.run(_jobs_schedule(path, count))
    elif mode == "jobs-start":
        ms = asyncio.run(_jobs_start(path))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    rss, peak = process_memory_mb()
    print(json.dumps({"ms": ms, "rss_mb": rss, "peak_mb": peak, "store_mb": file_size_mb(path)}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=MODES)
    parser.add_argument("path", type=Path)
    parser.add_argument("count", type=int)
    arguments = parser.parse_args()
    _child(arguments.mode, arguments.path, arguments.count)
