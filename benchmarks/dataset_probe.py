"""What a utility's whole data set costs the bot: start-up, memory, and the commands staff
and customers use most, each answered inside the process.

Start-up is measured the way an operator sees it: a customer's ``/status`` is already
waiting when the bot process is spawned, and the clock stops when the emulator records the
answer. The commands are handed to ``process_update`` with the recording request, and the
SQL each one runs is traced so that its query plans can be shown.
"""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import percentile, process_memory_mb
from benchmarks.conversation_http import TOKEN
from benchmarks.conversation_inproc import open_in_process
from benchmarks.datagen import Dataset
from benchmarks.datagen_values import NOW
from benchmarks.over_http import BotProcess, EventTimes, wait_events
from benchmarks.recording import InProcessCustomer
from benchmarks.walk import Move
from bot.app import services_of
from flows.staff.queue import QUEUE_SHOWN, ordered_queue, queue_lines
from sandbox.emulator import BotApiEmulator
from sandbox.limits import RateLimits
from storage.db import Database
from storage.sealing.columns import install_sync
from storage.sealing.crypto import FieldCipher
from storage.sealing.rotate import reseal

STARTUP_TIMEOUT = 180.0


@dataclass(frozen=True)
class Command:
    name: str
    user_id: int
    text: str
    expect: str  # a piece of the answer that shows it was the real one


@dataclass
class CommandTimes:
    """Each command's latencies, per run; and the SQL it ran, for the plans."""

    runs: dict[str, list[list[float]]] = field(default_factory=dict)
    statements: dict[str, list[str]] = field(default_factory=dict)
    # The busy manager's /queue in parts, ms per call: the 500 open applications in deadline
    # order with the items shown (stored deadlines read, changed stages counted), then the
    # 40 lines' stage clocks.
    queue_parts: dict[str, float] = field(default_factory=dict)


def commands_for(dataset: Dataset) -> list[Command]:
    number = dataset.card_number
    manager, supervisor = dataset.busy_manager_id, dataset.supervisor_id
    found = [
        Command("/status card", dataset.customer_id, f"/status {number}", number),
        Command("/status list", dataset.customer_id, "/status", number),
        Command("/queue, manager with 500 open", manager, "/queue", "HV-"),
        Command("/queue, supervisor of a district", supervisor, "/queue", "HV-"),
    ]
    for kind, typed in dataset.search.items():
        expect = "" if kind == "no match" else "HV-"
        # Staff search only within their reach; an admin's reaches the whole data set.
        found.append(Command(f"/find, {kind}", dataset.admin_id, f"/find {typed}", expect))
    return found


async def time_commands(
    dataset: Dataset,
    secret: str,
    *,
    iterations: int,
    repeats: int,
    database: Path | str | None = None,
) -> CommandTimes:
    """Latency of each command, ``iterations`` times per run, ``repeats`` runs.

    ``database``: the data set elsewhere (a PostgreSQL URL holding a copy of it) instead of
    its file; the SQL is traced, for the plans, on SQLite only.
    """
    application, request = await open_in_process(
        database or dataset.path, secret, flood_limiter=False
    )
    db = services_of(application).db
    found = CommandTimes()
    traced: list[str] = []
    try:
        if db.dialect == "sqlite":
            async with db.snapshot() as connection:
                await connection.set_trace_callback(traced.append)
        for command in commands_for(dataset):
            customer = InProcessCustomer(application, request, command.user_id)
            traced.clear()
            await application.process_update(customer.update_for(Move("text", command.text)))
            found.statements[command.name] = [
                s for s in traced if s.lstrip().upper()[:6] == "SELECT"
            ]
            answer = request.last_text(command.user_id)
            if command.expect not in answer:
                raise AssertionError(f"{command.name}: unexpected answer {answer[:200]!r}")
        if db.dialect == "sqlite":
            async with db.snapshot() as connection:
                await connection.set_trace_callback(None)  # type: ignore[arg-type]  # sqlite3 takes None
        for _ in range(repeats):
            for command in commands_for(dataset):
                customer = InProcessCustomer(application, request, command.user_id)
                taken = []
                for _ in range(iterations):
                    update = customer.update_for(Move("text", command.text))
                    started = time.perf_counter()
                    await application.process_update(update)
                    taken.append((time.perf_counter() - started) * 1000)
                found.runs.setdefault(command.name, []).append(taken)
        found.queue_parts = await _queue_parts(application, dataset.busy_manager_id, iterations)
    finally:
        await application.shutdown()
        await services_of(application).db.close()
    return found


async def _queue_parts(application: Any, manager_id: int, iterations: int) -> dict[str, float]:
    svc = services_of(application)
    manager = await svc.staff.get(manager_id)
    assert manager is not None  # the data set's busiest manager
    parts: dict[str, list[float]] = {"order": [], "shown": []}
    for _ in range(iterations):
        started = time.perf_counter()
        ordered = await ordered_queue(svc, manager, first=QUEUE_SHOWN)
        order = time.perf_counter()
        queue_lines(svc, [ordered.items[head.application_id] for _, head in ordered.entries])
        done = time.perf_counter()
        parts["order"].append((order - started) * 1000)
        parts["shown"].append((done - order) * 1000)
    return {name: statistics.median(values) for name, values in parts.items()}


async def settle(dataset: Dataset, secret: str) -> float:
    """Bring the generated data to the state a running bot keeps it in: the first start
    (which seals anything in clear and records that none is left) and the first run of the
    reminder sweeps (which counts every open stage clock and stores its point dates).
    Returns the seconds that sweep run took."""
    application, _ = await open_in_process(dataset.path, secret)
    try:
        started = time.perf_counter()
        await services_of(application).scheduler.run_once(NOW)
        return time.perf_counter() - started
    finally:
        await application.shutdown()
        await services_of(application).db.close()


async def reseal_check_seconds(dataset: Dataset, cipher: FieldCipher) -> float:
    """How long start-up's check for values stored in clear takes on this data set."""
    db = await Database.open(dataset.path, cipher=cipher)
    try:
        started = time.perf_counter()
        await reseal(db, only_unsealed=True)
        return time.perf_counter() - started
    finally:
        await db.close()


def p99s(runs: Sequence[Sequence[float]]) -> list[float]:
    return [percentile(run, 99) for run in runs]


def query_plans(path: Path, cipher: FieldCipher, statements: Sequence[str]) -> list[str]:
    """``EXPLAIN QUERY PLAN`` of each distinct statement, as indented lines."""
    conn = sqlite3.connect(path)
    install_sync(conn, cipher)
    conn.row_factory = None
    lines: list[str] = []
    seen: set[str] = set()
    try:
        for statement in statements:
            shape = " ".join(statement.split())
            if shape in seen:
                continue
            seen.add(shape)
            lines.append(shape if len(shape) <= 160 else shape[:157] + "…")
            for _, parent, _, detail in conn.execute("EXPLAIN QUERY PLAN " + statement):
                lines.append(f"    {'  ' if parent else ''}{detail}")
    finally:
        conn.close()
    return lines


@dataclass(frozen=True)
class Startup:
    first_answer_s: float  # spawn to the answer of the waiting /status
    phases: dict[str, float]
    rss_mb: float  # after start-up and a round of every command over HTTP
    peak_rss_mb: float


async def start_up(
    dataset: Dataset, secret: str, log: Path, *, database: Path | str | None = None
) -> Startup:
    """Spawn the bot on the data set (or on ``database``, a PostgreSQL URL holding a copy of
    it) with a /status waiting; then every command once."""
    async with BotApiEmulator(token=TOKEN, limits=RateLimits(enabled=False)) as api:
        times = EventTimes(api)
        customer = api.user(dataset.customer_id, first_name="伟", last_name="张")
        mark = customer.mark()
        await customer.send_text("/status")
        process = BotProcess(
            "hvconnect", api, log,
            "--db", str(database or dataset.path), f"--secret-key={secret}",
            "--start", NOW.isoformat(),
        )  # fmt: skip
        spawned = time.perf_counter()
        starting = asyncio.create_task(process.start(timeout=STARTUP_TIMEOUT))
        answering = asyncio.create_task(
            wait_events(api, customer.id, mark, 1, timeout=STARTUP_TIMEOUT)
        )
        try:
            # A bot that fails to start says so at once instead of after the whole ceiling.
            await asyncio.wait({starting, answering}, return_when=asyncio.FIRST_COMPLETED)
            failed = starting.exception() if starting.done() else None
            if failed is not None:
                raise failed
            [answer] = await answering
            first_answer = times.at[answer.seq] - spawned
            await starting
            for command in commands_for(dataset):
                user = api.user(command.user_id, first_name="娜", last_name="李")
                before = user.mark()
                await user.send_text(command.text)
                await wait_events(api, user.id, before, 1)
            rss, peak = process_memory_mb(process.pid)
        finally:
            for task in (starting, answering):
                if not task.done():
                    task.cancel()
            await process.stop()
    return Startup(first_answer, process.phases, rss, peak)
