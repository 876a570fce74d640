"""Part 2: the utility's whole data set on PostgreSQL beside the same data on SQLite.

The SQLite data set is the data-set benchmark's (:mod:`benchmarks.bench_dataset`): the kept
one when ``BENCH_DATA_DIR`` holds it (copied, never touched), else generated. It is brought
to the current schema, then copied row for row into a migrated PostgreSQL database with
:func:`storage.transfer.copy_sqlite_to_postgresql` and analysed. Then on both, the same
measures: start-up to the first answer (a subprocess), the commands staff and customers use
most (inside the process), and the reminder sweep's runs over the data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from benchmarks.bench_dataset import KEEP_VARIABLE, Settled, _kept, _settled
from benchmarks.common import Section, Spread, file_size_mb
from benchmarks.conversation_http import ratio_text
from benchmarks.datagen import Dataset, DatasetSpec
from benchmarks.datagen_values import NOW
from benchmarks.dataset_probe import CommandTimes, Startup, commands_for, p99s, start_up
from benchmarks.dataset_probe import time_commands as command_times
from benchmarks.postgresql_server import Copied, copied_in
from benchmarks.sweep_runs import SweepBot
from storage.db import Database
from storage.migrate import migrate
from storage.sealing.crypto import FieldCipher
from storage.sealing.rotate import checkpoint
from tests.postgres import TestServer

SQLITE, POSTGRESQL = "SQLite", "PostgreSQL"
COMMAND_GOAL_MS = 10.0
SWEEP_GOAL_MS = 200.0  # the sweep benchmark's goal for one run
# The commands the goal is judged on: the card, both queues, every search.
GOAL_COMMANDS = ("/status card", "/queue", "/find")
# The data set's "now" is a Friday; its first working day after is the Monday.
MONDAY = (NOW + timedelta(days=3)).replace(hour=0, minute=5)


@dataclass
class Side:
    """What was measured on one database."""

    startups: list[Startup] = field(default_factory=list)
    commands: CommandTimes = field(default_factory=CommandTimes)
    minute: list[float] = field(default_factory=list)  # ms, each a run with nothing new
    day_ms: float = 0.0  # the first run of the next working day, 00:05
    day_queued: int = 0
    digest_ms: float = 0.0  # the morning digest, 08:31
    digest_queued: int = 0


@dataclass
class DatasetFigures:
    dataset: Dataset
    kept: bool
    sqlite_mb: float
    copy: Copied
    sides: dict[str, Side]


async def dataset_on_both(
    server: TestServer,
    work: Path,
    spec: DatasetSpec,
    *,
    startups: int,
    iterations: int,
    repeats: int,
    minute_runs: int,
) -> DatasetFigures:
    settled, kept = await _source(spec, work)
    dataset, secret = settled.dataset, settled.secret
    cipher = FieldCipher.from_secrets(secret)
    await _migrated(dataset.path, cipher)
    copy = await copied_in(server, dataset.path, cipher, NOW)
    places: dict[str, Path | str] = {SQLITE: dataset.path, POSTGRESQL: copy.url}
    sides = {name: Side() for name in places}
    order = list(places)
    for run in range(max(startups, repeats)):
        # The two take turns, the first of each pair alternating from run to run.
        for name in order[run % 2 :] + order[: run % 2]:
            side, where = sides[name], places[name]
            if run < startups:
                log = work / f"startup-{name}.log"
                side.startups.append(await start_up(dataset, secret, log, database=where))
            if run < repeats:
                found = await command_times(
                    dataset, secret, iterations=iterations, repeats=1, database=where
                )
                for command, runs in found.runs.items():
                    side.commands.runs.setdefault(command, []).extend(runs)
    for name, where in places.items():
        await _sweeps(sides[name], where, cipher, minute_runs)
    return DatasetFigures(dataset, kept, file_size_mb(dataset.path), copy, sides)


async def _source(spec: DatasetSpec, work: Path) -> tuple[Settled, bool]:
    """The kept data set if ``BENCH_DATA_DIR`` has one of this size (copied into ``work``);
    else one generated in ``work``. A kept folder without it is left as it is."""
    keep = os.environ.get(KEEP_VARIABLE, "").strip()
    if keep and (Path(keep) / f"hv-{spec.applications}.json").exists():
        return await _kept(spec, Path(keep), work), True
    return await _settled(spec, work / f"hv-{spec.applications}.db"), False


async def _migrated(path: Path, cipher: FieldCipher) -> None:
    """Bring a data set kept by an older schema up to the bot's, as its first start would:
    the copy into PostgreSQL wants both at the same version."""
    db = await Database.open(path, cipher=cipher)
    try:
        await migrate(db, NOW)
        await checkpoint(db)
    finally:
        await db.close()


async def _sweeps(side: Side, where: Path | str, cipher: FieldCipher, minute_runs: int) -> None:
    """The bot's sweeps on the data, opened once like a running process: warmed by a run a
    minute after the data set's moment, then ``minute_runs`` runs with nothing new, then the
    next working day's first run and its morning digest (each once: they change the data)."""
    bot = await SweepBot.open(where, cipher, now=NOW)
    try:
        moment = NOW + timedelta(minutes=1)
        await bot.run(moment)
        for _ in range(minute_runs):
            moment += timedelta(minutes=1)
            await checkpoint(bot.db)
            ms, _ = await bot.run(moment)
            side.minute.append(ms)
        await checkpoint(bot.db)
        side.day_ms, queued = await bot.run(MONDAY)
        side.day_queued = sum(queued.values())
        await checkpoint(bot.db)
        side.digest_ms, queued = await bot.run(MONDAY.replace(hour=8, minute=31))
        side.digest_queued = sum(queued.values())
    finally:
        await bot.close()


def describe(section: Section, f: DatasetFigures) -> None:
    d, copy = f.dataset, f.copy
    rows = copy.transferred.rows
    biggest = sorted(rows.items(), key=lambda item: -item[1])[:4]
    origin = (
        f"the kept data set of `{KEEP_VARIABLE}` (copied, then brought to the current schema)"
        if f.kept
        else f"generated for this run in {d.seconds:.0f} s (`benchmarks/datagen.py`)"
    )
    section.text(
        f"### 2. {d.spec.applications:,} applications on PostgreSQL and on SQLite\n\n"
        f"The data-set benchmark's data ({origin}): {d.counts.get('applications', 0):,} "
        f"applications in every stage with their history, {d.spec.drafting:,} customers in "
        f"the middle of the form. The SQLite file ({f.sqlite_mb:,.0f} MB with its WAL) was "
        "copied into a freshly migrated PostgreSQL database with "
        "`storage.transfer.copy_sqlite_to_postgresql` (`hvconnect copy-from-sqlite`: one "
        "transaction, `COPY` per table, triggers off): "
        f"**{copy.transferred.total:,} rows in {copy.copy_s:.1f} s** "
        f"({copy.transferred.total / copy.copy_s:,.0f} rows/s; the largest tables "
        + ", ".join(f"{table} {count:,}" for table, count in biggest)
        + "; the copy ends by analysing the tables, so the planner knows their sizes), "
        f"{copy.size_mb:,.0f} MB on the server afterwards. Both then answer the same people "
        "the same commands; the two take turns run by run."
    )
    sqlite, pg = f.sides[SQLITE], f.sides[POSTGRESQL]
    start_rows = [
        (
            "start-up to the first answered update, s",
            Spread.of(s.first_answer_s for s in sqlite.startups).show(2),
            Spread.of(s.first_answer_s for s in pg.startups).show(2),
            _times(
                [s.first_answer_s for s in pg.startups], [s.first_answer_s for s in sqlite.startups]
            ),
        ),
        (
            "resident memory after start-up and every command (peak), MB",
            Spread.of(s.peak_rss_mb for s in sqlite.startups).show(0),
            Spread.of(s.peak_rss_mb for s in pg.startups).show(0),
            "",
        ),
    ]
    section.text(
        "Start-up is timed from spawning `python -m benchmarks.run_bot` with a customer's "
        "`/status` already waiting to the moment the emulator records the answer, as in the "
        f"data-set benchmark; median of {len(sqlite.startups)} starts (min–max):"
    )
    section.table(("measure", SQLITE, POSTGRESQL, "PostgreSQL ÷ SQLite"), start_rows)
    command_rows = []
    for command in commands_for(d):
        ours, theirs = pg.commands.runs[command.name], sqlite.commands.runs[command.name]
        p99 = Spread.of(p99s(ours))
        goal = command.name.startswith(GOAL_COMMANDS)
        command_rows.append(
            (
                f"{command.name}: `{command.text}`" if "find" in command.name else command.name,
                Spread.of(_median(run) for run in theirs).show(2),
                Spread.of(p99s(theirs)).show(2),
                Spread.of(_median(run) for run in ours).show(2),
                p99.show(2),
                _times(p99s(ours), p99s(theirs)),
                _verdict(p99.median, COMMAND_GOAL_MS, "ms") if goal else "",
            )
        )
    iterations = len(sqlite.commands.runs[commands_for(d)[0].name][0])
    section.text(
        "Commands inside the process (`process_update` with the recording request, flood "
        f"limiter lifted, the bot built on the SQLite file or the PostgreSQL URL), {iterations} "
        f"times each per run, median of {len(p99s(sqlite.commands.runs[commands_for(d)[0].name]))} "
        "runs (min–max), in ms:"
    )
    section.table(
        (
            "command",
            "SQLite p50",
            "SQLite p99",
            "PostgreSQL p50",
            "PostgreSQL p99",
            "p99 PostgreSQL ÷ SQLite",
            f"PostgreSQL: goal p99 < {COMMAND_GOAL_MS:.0f} ms",
        ),
        command_rows,
    )
    section.text(_command_reading(f))
    section.text(
        "The reminder sweep over the same data (`Scheduler.run_once` with the bot's sweeps, "
        "as in the sweep benchmark, on a process opened once and warmed by one run): "
        f"{len(sqlite.minute)} runs a minute apart with nothing new (median, min–max), then "
        "the first run of the next working day (a Monday, 00:05, after the data set's "
        "Friday) and that morning's digest (08:31), each once since they change the data. "
        "In ms:"
    )
    section.table(
        (
            "run",
            SQLITE,
            POSTGRESQL,
            "PostgreSQL ÷ SQLite",
            f"PostgreSQL: goal {SWEEP_GOAL_MS:.0f} ms",
        ),
        [
            (
                "a minute with nothing new",
                Spread.of(sqlite.minute).show(1),
                Spread.of(pg.minute).show(1),
                _times(pg.minute, sqlite.minute),
                _verdict(Spread.of(pg.minute).median, SWEEP_GOAL_MS, "ms"),
            ),
            (
                f"Monday 00:05, the day's first run ({sqlite.day_queued:,} / "
                f"{pg.day_queued:,} messages queued)",
                f"{sqlite.day_ms:,.0f}",
                f"{pg.day_ms:,.0f}",
                f"{pg.day_ms / sqlite.day_ms:.1f}×",
                _verdict(pg.day_ms, SWEEP_GOAL_MS, "ms"),
            ),
            (
                f"Monday 08:31, the digest ({sqlite.digest_queued:,} / {pg.digest_queued:,} "
                "queued)",
                f"{sqlite.digest_ms:,.0f}",
                f"{pg.digest_ms:,.0f}",
                f"{pg.digest_ms / sqlite.digest_ms:.1f}×",
                _verdict(pg.digest_ms, SWEEP_GOAL_MS, "ms"),
            ),
        ],
    )


def _command_reading(f: DatasetFigures) -> str:
    """The command figures in words: how many goals PostgreSQL met, and by what factor its
    p99s stand to SQLite's."""
    sqlite, pg = f.sides[SQLITE], f.sides[POSTGRESQL]
    goals = [c for c in commands_for(f.dataset) if c.name.startswith(GOAL_COMMANDS)]
    met = [c for c in goals if Spread.of(p99s(pg.commands.runs[c.name])).median <= COMMAND_GOAL_MS]
    met_sqlite = [
        c for c in goals if Spread.of(p99s(sqlite.commands.runs[c.name])).median <= COMMAND_GOAL_MS
    ]
    factors = [
        Spread.of(p99s(pg.commands.runs[c.name])).median
        / Spread.of(p99s(sqlite.commands.runs[c.name])).median
        for c in commands_for(f.dataset)
    ]
    return (
        f"Reading: PostgreSQL met the p99 goal for {len(met)} of the {len(goals)} commands it "
        f"is set for (SQLite, in the same run, for {len(met_sqlite)}); its p99s were "
        f"{min(factors):.1f}× to {max(factors):.1f}× SQLite's. Every statement is a round "
        "trip to the server, where SQLite's is a call inside the process; a command's reads "
        "that need no await in between go to the connection's thread together (a card's "
        "seven, a search's three or four: `Database.in_one_trip`), and each command also "
        "records its update in a commit of its own that does not wait for the disk."
    )


def _times(ours: list[float], theirs: list[float]) -> str:
    """``ours`` ÷ ``theirs`` run by run, as a factor."""
    return ratio_text([a / b for a, b in zip(ours, theirs, strict=True)], percent=False)


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def _verdict(value: float, goal: float, unit: str) -> str:
    if value <= goal:
        return "met"
    return f"missed by {value - goal:,.1f} {unit} ({value / goal:.1f}× the goal)"
