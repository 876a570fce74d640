"""PostgreSQL beside SQLite: the conversation on a fleet of 1, 2 and 4 instances, and the
utility's whole data set.

Both parts run against one PostgreSQL server started for the run in a temporary folder
(:mod:`benchmarks.postgresql_server`: commits wait for the disk, as SQLite's do with
``synchronous=FULL``), on the same machine as everything else.

1. :mod:`benchmarks.postgresql_fleet`: the conversation benchmark's customer walk over HTTP,
   the bots in webhook mode behind a load balancer: one instance on SQLite, and one, two and
   four on PostgreSQL, in one run, at 10 and 100 customers.
2. :mod:`benchmarks.postgresql_dataset`: the data-set benchmark's 100,000 applications (the
   kept set of ``BENCH_DATA_DIR`` when it has one) copied into PostgreSQL, then start-up,
   ``/status``, ``/queue`` and ``/find``, and the reminder sweep, on both.

``BENCH_QUICK=1`` runs fewer customers, a small data set and fewer runs.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import dataclass

from benchmarks.common import Report, quick, runs, work_dir
from benchmarks.datagen import DatasetSpec
from benchmarks.postgresql_dataset import dataset_on_both
from benchmarks.postgresql_dataset import describe as describe_dataset
from benchmarks.postgresql_fleet import describe as describe_fleet
from benchmarks.postgresql_fleet import fleet_conversation
from benchmarks.postgresql_server import durable_server, server_version, stop_server
from storage.sealing.crypto import generate_secret_key


@dataclass(frozen=True)
class Sizes:
    """How much of everything to run; ``BENCH_QUICK=1`` and the smoke test use less."""

    instances: tuple[int, ...] = (1, 2, 4)
    customers: tuple[int, ...] = (10, 100)
    fleet_runs: int = 3
    calibration_quiet: float = 0.3
    applications: int = 100_000
    drafting: int = 10_000
    startups: int = 3
    iterations: int = 100  # of each command per run
    command_runs: int = 3
    minute_runs: int = 5

    @classmethod
    def for_mode(cls) -> Sizes:
        if quick():
            return cls((1, 2, 4), (4, 20), runs(3), 0.3, 5_000, 2_000, 2, 30, runs(3), 3)
        return cls()


def run(report: Report, sizes: Sizes | None = None) -> None:
    asyncio.run(_run(report, sizes or Sizes.for_mode()))


async def _run(report: Report, sizes: Sizes) -> None:
    work = work_dir("postgresql")
    server = await asyncio.to_thread(durable_server)
    try:
        version = await asyncio.to_thread(server_version, server)
        fleet = await fleet_conversation(
            server,
            work,
            generate_secret_key(),
            instances=sizes.instances,
            counts=sizes.customers,
            repeats=sizes.fleet_runs,
            calibration_quiet=sizes.calibration_quiet,
        )
        dataset = await dataset_on_both(
            server,
            work,
            DatasetSpec(applications=sizes.applications, drafting=sizes.drafting),
            startups=sizes.startups,
            iterations=sizes.iterations,
            repeats=sizes.command_runs,
            minute_runs=sizes.minute_runs,
        )
    finally:
        await asyncio.to_thread(stop_server, server)
        shutil.rmtree(work, ignore_errors=True)
    section = report.section("PostgreSQL beside SQLite: a fleet, and the whole data set")
    section.text(
        f"PostgreSQL {version}, started for the run in a temporary folder on this machine "
        "(`benchmarks/postgresql_server.py`): its default settings, so every commit waits "
        "for its WAL to reach the disk, as SQLite's write transactions do with "
        "`synchronous=FULL`; the bot reaches it through a unix socket. SQLite is the bot's "
        "default, one file in the same folder tree. The bot is the same on both "
        "(`HVCONNECT_DB` a path or a `postgresql://` URL). Ratios are taken run by run "
        "within this run; they say how the two compare here, not what either does on "
        "other hardware."
    )
    describe_fleet(section, fleet, os.cpu_count() or 1)
    describe_dataset(section, dataset)
