"""Our sweep against one APScheduler job stored per reminder, for 100,000 reminders.

The alternative design keeps a job per reminder in APScheduler's ``SQLAlchemyJobStore`` on
SQLite: each reminder pickled into the jobs table with its run time, rescheduled whenever
the stage clock pauses or the application moves on. Ours keeps no job per reminder: one
row per open stage visit in ``reminder_watch`` (written by a trigger with the visit), whose
date the sweep computes from the application's own tables.

Measured side by side, each in a fresh process so that memory is the process's own, pair by
pair in the same run:

* **scheduling 100,000 reminders**: APScheduler ``add_job`` with a date trigger for each; ours,
  the first sweep, which computes the next date of every open stage visit (the data has the
  stages just begun, so nothing is due and nothing is sent);
* **start-up after a restart**: from opening the store (modules imported) until the
  scheduler has looked at it once and nothing is left to catch up;
* **memory**: the resident set (RSS) of the process once started, and its peak.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from benchmarks.common import Report, Spread, quick, runs, work_dir

JOB_COUNT = 100_000
SECRET = "q6dN0Fg8l5m0cWZbqk0f3Sx3tIXt4JZ3oJvVq2y7n0c="  # benchmark data only


@dataclass(frozen=True)
class Sizes:
    reminders: int = JOB_COUNT
    runs: int = 3

    @classmethod
    def for_mode(cls) -> Sizes:
        return cls(5_000, runs(3)) if quick() else cls()


@dataclass(frozen=True)
class Child:
    """What one measuring process reports."""

    ms: float
    rss_mb: float
    peak_mb: float
    store_mb: float


@dataclass(frozen=True)
class Side:
    schedule: list[Child]
    start: list[Child]


@dataclass(frozen=True)
class Measured:
    reminders: int
    ours: Side
    jobs: Side


async def _spawn(mode: str, path: Path, count: int) -> Child:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.jobstore_child",
        mode,
        str(path),
        str(count),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{mode} failed: {err.decode()[-2000:]}")
    found = json.loads(out.decode().strip().splitlines()[-1])
    return Child(found["ms"], found["rss_mb"], found["peak_mb"], found["store_mb"])


# -- the benchmark ----------------------------------------------------------------------


async def measure(work: Path, sizes: Sizes) -> Measured:
    from benchmarks.sweep_data import JUST_BEGUN, copy_database, generate

    base = work / "ours-base.db"
    await asyncio.to_thread(generate, base, sizes.reminders, 7, JUST_BEGUN)
    ours = Side([], [])
    jobs = Side([], [])
    for run in range(sizes.runs):
        ours_db = copy_database(base, work / "ours.db")
        jobs_db = work / f"jobs-{run}.db"
        ours.schedule.append(await _spawn("ours-schedule", ours_db, sizes.reminders))
        jobs.schedule.append(await _spawn("jobs-schedule", jobs_db, sizes.reminders))
        ours.start.append(await _spawn("ours-start", ours_db, sizes.reminders))
        jobs.start.append(await _spawn("jobs-start", jobs_db, sizes.reminders))
    return Measured(sizes.reminders, ours, jobs)


def run(report: Report, sizes: Sizes | None = None) -> None:
    sizes = sizes or Sizes.for_mode()
    work = work_dir("jobstore")
    try:
        measured = asyncio.run(measure(work, sizes))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    describe(report, measured)


def _spread(children: list[Child], field: str) -> Spread:
    return Spread.of(getattr(c, field) for c in children)


def _ratio(theirs: list[Child], ours: list[Child], field: str) -> str:
    ratios = [
        getattr(t, field) / max(getattr(o, field), 1e-9) for t, o in zip(theirs, ours, strict=True)
    ]
    return f"{statistics.median(ratios):,.1f}× ({min(ratios):,.1f}–{max(ratios):,.1f})"


def _compared(label: str, ours: list[Child], theirs: list[Child], field: str) -> tuple[str, ...]:
    """A row of the table: both sides' medians (min–max) and their ratio pair by pair."""
    return (
        label,
        _spread(ours, field).show(0),
        _spread(theirs, field).show(0),
        _ratio(theirs, ours, field),
    )


def describe(report: Report, m: Measured) -> None:
    section = report.section(
        f"No job per reminder: our sweep against APScheduler's SQLAlchemyJobStore, "
        f"{m.reminders:,} reminders"
    )
    section.text(
        "Each side in its own process, pair by pair in the same run; medians (min–max) of "
        f"{len(m.ours.schedule)} pairs, the ratio taken pair by pair. APScheduler 3.11 with "
        "SQLAlchemyJobStore on a SQLite file, one date-triggered job per reminder; ours, the "
        "bot's four sweeps on its own database (personal data sealed), no job per reminder."
    )
    o, j = m.ours, m.jobs

    section.table(
        ("", "our sweep", "a job per reminder", "job store ÷ ours"),
        [
            _compared(f"schedule {m.reminders:,} reminders (ms)", o.schedule, j.schedule, "ms"),
            _compared("start-up after a restart (ms)", o.start, j.start, "ms"),
            _compared("memory once started: RSS (MB)", o.start, j.start, "rss_mb"),
            _compared("memory while scheduling: peak RSS (MB)", o.schedule, j.schedule, "peak_mb"),
            (
                "store on disk (MB)",
                f"{o.schedule[-1].store_mb:,.0f} (the whole database)",
                f"{j.schedule[-1].store_mb:,.0f} (jobs only)",
                "—",
            ),
        ],
    )
    section.text(
        "Scheduling is not the whole cost of a job per reminder: every pause of a stage "
        "clock, every resumption and every stage change would have to find and reschedule "
        "that application's jobs, in the same transaction as the change or at the risk of "
        "reminding about a stage that is over. Ours has nothing to keep in step: the "
        "triggers of migration 0005 mark the visit for a fresh look, and the next run reads "
        "the truth from the application's own tables."
    )


def smoke(tmp: Path, reminders: int = 200) -> Measured:
    """The benchmark at a tiny size, for the test suite."""
    return asyncio.run(measure(tmp, replace(Sizes(), reminders=reminders, runs=1)))
