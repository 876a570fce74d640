"""The working-day calendar under a sweep's load: lookups, additions and stage clocks.

A reminder sweep over 100,000 open applications asks the calendar hundreds of thousands of
questions, in official years and in provisional ones (where the statutory holidays and
their substitute days are computed from the law). Measured in one process with a fresh
calendar each run, so the per-year tables are built inside the measurement:

* **is_workday**: 300,000 lookups over 1,200 consecutive days from 2025 (into 2028);
* **add_working_days**: 5,000 additions of 60 working days from days spread over 700 days;
* **stage_clock**: 20,000 stage clocks with a closed pause each, as the sweep counts them.

These used to be timed assertions in the test suite; timings belong here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from benchmarks.common import Report, Spread, quick, runs
from process.calendar import WorkingCalendar
from process.deadlines import Pause, stage_clock

TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Sizes:
    lookups: int = 300_000
    additions: int = 5_000
    clocks: int = 20_000
    runs: int = 5

    @classmethod
    def for_mode(cls) -> Sizes:
        return cls(30_000, 500, 2_000, runs(5)) if quick() else cls()


@dataclass(frozen=True)
class Measured:
    sizes: Sizes
    lookups_ms: Spread
    additions_ms: Spread
    clocks_ms: Spread


def _lookups(count: int) -> float:
    calendar = WorkingCalendar()
    days = [date(2025, 1, 1) + timedelta(days=k % 1200) for k in range(count)]
    started = time.perf_counter()
    for day in days:
        calendar.is_workday(day)
    return (time.perf_counter() - started) * 1000


def _additions(count: int) -> float:
    calendar = WorkingCalendar()
    started = time.perf_counter()
    for k in range(count):
        calendar.add_working_days(date(2026, 1, 1) + timedelta(days=k % 700), 60)
    return (time.perf_counter() - started) * 1000


def _clocks(count: int) -> float:
    calendar = WorkingCalendar()
    begin = datetime(2026, 9, 1, 10, tzinfo=TZ)
    visits = [begin + timedelta(days=k % 400, hours=k % 7) for k in range(count)]
    started = time.perf_counter()
    for visit in visits:
        pause = Pause(visit + timedelta(days=2), visit + timedelta(days=5, hours=3))
        stage_clock(calendar, visit, 10, [pause], visit + timedelta(days=20), TZ)
    return (time.perf_counter() - started) * 1000


def measure(sizes: Sizes) -> Measured:
    return Measured(
        sizes,
        Spread.of(_lookups(sizes.lookups) for _ in range(sizes.runs)),
        Spread.of(_additions(sizes.additions) for _ in range(sizes.runs)),
        Spread.of(_clocks(sizes.clocks) for _ in range(sizes.runs)),
    )


def smoke(runs_each: int = 1) -> Measured:
    """A run at sizes that take well under a second, for the test suite."""
    return measure(Sizes(3_000, 50, 200, runs_each))


def describe(report: Report, measured: Measured) -> None:
    sizes = measured.sizes
    section = report.section("Working-day calendar")
    section.text(
        f"Fresh calendar each run, median (min–max) of {sizes.runs} runs, in milliseconds."
    )
    section.table(
        ["what", "how many", "ms"],
        [
            ["is_workday", f"{sizes.lookups:,}", measured.lookups_ms.show()],
            ["add_working_days(·, 60)", f"{sizes.additions:,}", measured.additions_ms.show()],
            ["stage_clock, one pause", f"{sizes.clocks:,}", measured.clocks_ms.show()],
        ],
    )


def run(report: Report) -> None:
    describe(report, measure(Sizes.for_mode()))
