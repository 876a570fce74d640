"""Item 2: the application conversation inside the process, and hvconnect built for it.

The same moves are handed to ``Application.process_update`` with a request object that
answers every Bot API call from memory, so what is measured is the bot's own work:
handlers, SQLite, templates and python-telegram-bot's machinery.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.common import Section, Spread, percentile
from benchmarks.conversation_http import (
    BUILT,
    ECHO,
    FLOOR,
    FREE,
    MANAGER_ID,
    TOKEN,
    ratio_text,
)
from benchmarks.datagen import add_staff_member, prepare_database
from benchmarks.datagen_values import NOW
from benchmarks.echo_bot import (
    build_echo_application,
    build_floor_application,
    open_floor_database,
)
from benchmarks.profiling import profile_in_process
from benchmarks.recording import InProcessCustomer
from benchmarks.run_bot import database_settings, lift_flood_limiter
from benchmarks.walk import application_walk
from bot.app import build_application, services_of
from bot.config.settings import Config
from process.clock import ManualClock
from sandbox.recording import RecordingRequest
from storage.db import Database
from storage.sealing.crypto import generate_secret_key


@dataclass(frozen=True)
class StepCounts:
    """What one conversation step costs, counted rather than timed (the same on any machine)."""

    statements: float  # SQL statements, BEGIN/COMMIT/PRAGMA left out
    commits: float  # committed transactions, reads included
    fsyncs: float  # commits that waited for the disk (synchronous=FULL, a write)
    trips: float  # hand-overs to aiosqlite's thread and back
    calls: float  # Bot API calls


async def in_process(
    section: Section,
    work: Path,
    *,
    customers: int,
    capped: int,
    repeats: int,
    built_steps: int | None = None,
) -> None:
    moves = application_walk()
    echo_moves = application_walk(echo=True)
    built_moves = moves[:built_steps] if built_steps else moves
    free, free_request = await hvconnect_in_process(work / "inproc-free.db", flood_limiter=False)
    built, built_request = await hvconnect_in_process(work / "inproc-built.db")
    echo_request = RecordingRequest()
    echo = build_echo_application(TOKEN, request=echo_request)
    await echo.initialize()
    floor_db = await open_floor_database(str(work / "inproc-floor.db"))
    floor_request = RecordingRequest()
    floor = build_floor_application(TOKEN, floor_db, request=floor_request)
    await floor.initialize()
    results: dict[str, list[tuple[float, list[float]]]] = {ECHO: [], FREE: [], FLOOR: []}
    results[BUILT] = []
    contenders: dict[str, tuple[Any, RecordingRequest, Sequence[Any], int]] = {
        ECHO: (echo, echo_request, echo_moves, customers),
        FREE: (free, free_request, moves, customers),
        FLOOR: (floor, floor_request, echo_moves, customers),
        BUILT: (built, built_request, built_moves, capped),
    }
    next_user = 10_000
    try:
        for app, request, walk_moves, _ in contenders.values():
            await feed(app, request, walk_moves, next_user, 1)  # warm up: templates, caches
        next_user += 1
        for repeat in range(repeats):
            names = [ECHO, FREE, FLOOR]
            order = names[repeat % 3 :] + names[: repeat % 3]
            # As built, the rate limiter's 30 calls a second sets the pace: one run.
            for name in [*order, BUILT] if repeat == 0 else order:
                app, request, walk_moves, n = contenders[name]
                results[name].append(await feed(app, request, walk_moves, next_user, n))
            next_user += customers
        calls_before = len(free_request.calls)
        profile = await profile_in_process(
            lambda: feed(free, free_request, moves, next_user, customers)
        )
        next_user += customers
        echo_calls = len(echo_request.calls) / (len(echo_moves) * (1 + repeats * customers))
        ours = await count_steps(free, free_request, moves, next_user)
        theirs = await count_steps(floor, floor_request, echo_moves, next_user, db=floor_db)
        del calls_before
    finally:
        for app in (free, built):
            await app.shutdown()
            await services_of(app).db.close()
        await echo.shutdown()
        await floor.shutdown()
        await floor_db.close()
    ratio = [f[0] / e[0] for f, e in zip(results[FREE], results[ECHO], strict=True)]
    floor_ratio = [f[0] / e[0] for f, e in zip(results[FLOOR], results[ECHO], strict=True)]
    to_floor = [f[0] / e[0] for f, e in zip(results[FREE], results[FLOOR], strict=True)]
    built_ratio = [b[0] / e[0] for b, e in zip(results[BUILT], results[ECHO], strict=False)]
    section.text(
        "### 2. Inside the process\n\n"
        f"{customers} customers' {len(moves)} steps, interleaved, handed one by one to "
        "`Application.process_update()` with a request object (`benchmarks/recording.py`) "
        "that answers every Bot API call at once with the JSON Telegram would send; no "
        f"network. Median of {repeats} runs (min–max). The *floor* is the echo bot that also "
        "commits one transaction per update through the project's `storage.db.Database` "
        "(WAL, `synchronous=FULL`) before it answers: the least a bot that keeps every answer "
        "safe does per step. *As built* is one run of "
        f"{capped} customers walking {len(built_moves)} steps, with the rate limiter the bot "
        "runs with (`notifications/pacing.py` `PacedReplies`). Handed over one by one, an "
        "update never waits for another, so hvconnect's handling of several chats at once "
        "plays no part here: this is each bot's own work per update, waits for the disk "
        "included."
    )
    section.table(
        ("bot", "updates/s", "p50 ms", "p99 ms", "ratio to echo (goal ≥ 50%)", "ratio to floor"),
        [
            _update_row("echo bot", results[ECHO], "", ""),
            _update_row("floor", results[FLOOR], ratio_text(floor_ratio), ""),
            _update_row("hvconnect", results[FREE], ratio_text(ratio), ratio_text(to_floor)),
            _update_row("hvconnect as built", results[BUILT], ratio_text(built_ratio), ""),
        ],
    )
    section.text(
        "What one step costs, counted over one customer's walk (the same on any machine; "
        "the echo bot makes "
        f"{echo_calls:.2f} Bot API calls a step and no SQL):"
    )
    section.table(
        ("per step", "floor", "hvconnect"),
        [
            ("SQL statements", f"{theirs.statements:.2f}", f"{ours.statements:.2f}"),
            ("committed transactions", f"{theirs.commits:.2f}", f"{ours.commits:.2f}"),
            (
                "fsyncs (commits that wait for the disk)",
                f"{theirs.fsyncs:.2f}",
                f"{ours.fsyncs:.2f}",
            ),
            ("trips to SQLite's thread", f"{theirs.trips:.2f}", f"{ours.trips:.2f}"),
            ("Bot API calls", f"{theirs.calls:.2f}", f"{ours.calls:.2f}"),
        ],
    )
    section.text(
        f"hvconnect makes {ours.calls:.2f} Bot API calls a step against the floor's "
        f"{theirs.calls:.2f}: a pressed button is answered, its keyboard taken off the "
        "question (Telegram's convention, so an old button cannot be pressed again) and the "
        "next question sent, and each document is fetched once to check what it is. Its "
        f"{ours.statements:.1f} statements are the draft read and written with the answer, "
        "the update's id and the form's next state in one transaction (`storage/units.py`), "
        "and the check that the answer goes to the question shown; the steps that cannot "
        "tell their next state in advance (a command, a move to the next document, Submit) "
        "commit it after their own write, and a step that writes nothing leaves its id in a "
        f"commit that does not wait for the disk, hence {ours.fsyncs:.2f} fsyncs in "
        f"{ours.commits:.2f} commits. Each answer is sealed with AES-GCM and each reply "
        "rendered from a Jinja template. *As built*, the bot's rate limiter "
        "(`notifications/pacing.py`) holds the messages it sends (not the answers to button "
        "presses, edits or reads, which Telegram does not count) to 30 a second across all "
        "chats, Telegram's overall limit, in one budget with the outbox sender. A customer "
        "here answers the instant the bot replies, far faster than anyone types, so the 30 a "
        "second, not the bot's work, sets the as-built figures once several customers walk at "
        "once: the echo bot keeps to no limit at all, and no bot that keeps to Telegram's "
        "sends more than 30 messages a second."
    )
    section.text("Where hvconnect's time goes (without the rate limiter), under pyinstrument:")
    section.code(profile)


def _update_row(
    name: str, found: list[tuple[float, list[float]]], ratio: str, to_floor: str
) -> tuple[str, ...]:
    return (
        name,
        Spread.of(rate for rate, _ in found).show(0),
        Spread.of(percentile(lat, 50) for _, lat in found).show(2),
        Spread.of(percentile(lat, 99) for _, lat in found).show(2),
        ratio,
        to_floor,
    )


async def hvconnect_in_process(
    db: Path, *, flood_limiter: bool = True, now: datetime = NOW
) -> tuple[Any, RecordingRequest]:
    """hvconnect on a new database with one customer manager, answered from memory."""
    await prepare_database(db, now)
    add_staff_member(db, MANAGER_ID, role="customer_manager", district="汉台区", now=now)
    return await open_in_process(db, generate_secret_key(), flood_limiter=flood_limiter, now=now)


async def open_in_process(
    db: Path | str, secret: str, *, flood_limiter: bool = True, now: datetime = NOW
) -> tuple[Any, RecordingRequest]:
    """hvconnect as production builds it on ``db`` (a SQLite file or a PostgreSQL URL), its
    Bot API calls answered from memory."""
    request = RecordingRequest()
    config = Config(token=TOKEN, secret_key=secret, **database_settings(db))
    application = await build_application(config, clock=ManualClock(now), request=request)
    if not flood_limiter:
        lift_flood_limiter(application)
    await application.initialize()
    return application, request


async def count_steps(
    application: Any,
    request: RecordingRequest,
    moves: Sequence[Any],
    first_user: int,
    *,
    db: Database | None = None,
) -> StepCounts:
    """Statements, commits, fsyncs, trips to SQLite's thread and Bot API calls per step,
    over one customer's walk."""
    traced: list[str] = []
    trips = [0]
    db = db or services_of(application).db
    async with db.snapshot() as connection:
        await connection.set_trace_callback(traced.append)
        queue: Callable[..., Any] = connection._execute

        async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
            trips[0] += 1
            return await queue(fn, *args, **kwargs)

        # Counted on this connection only, for this walk only.
        connection._execute = counted  # type: ignore[method-assign]
    calls_before = len(request.calls)
    try:
        await feed(application, request, moves, first_user, 1)
    finally:
        async with db.snapshot() as connection:
            del connection._execute
            await connection.set_trace_callback(None)  # type: ignore[arg-type]  # None removes it
    calls = len(request.calls) - calls_before
    # The two snapshots' own BEGIN and COMMIT are not the walk's, nor their trips.
    traced = traced[1:-1]
    return StepCounts(
        statements=sum(1 for s in traced if not _kind(s).startswith(("BEGIN", "COMMIT", "PRAGMA")))
        / len(moves),
        commits=sum(1 for s in traced if _kind(s).startswith("COMMIT")) / len(moves),
        fsyncs=_waited_commits(traced) / len(moves),
        trips=(trips[0] - 2) / len(moves),
        calls=calls / len(moves),
    )


def _kind(statement: str) -> str:
    return statement.strip().upper()


def _waited_commits(traced: Sequence[str]) -> int:
    """Commits of write transactions made while ``synchronous`` was FULL."""
    waited, writing, full = 0, False, True
    for statement in traced:
        kind = _kind(statement)
        if kind.startswith("BEGIN"):
            writing = kind.startswith("BEGIN IMMEDIATE")
        elif kind.startswith("PRAGMA SYNCHRONOUS"):
            full = kind.endswith(("FULL", "2", "EXTRA", "3"))
        elif kind.startswith("COMMIT") and writing:
            waited += full
    return waited


async def feed(
    application: Any, request: RecordingRequest, moves: Sequence[Any], first_user: int, n: int
) -> tuple[float, list[float]]:
    """``n`` customers' moves, interleaved; returns updates per second and each one's ms."""
    customers = [InProcessCustomer(application, request, first_user + i) for i in range(n)]
    latencies = []
    started = time.perf_counter()
    for move in moves:
        for customer in customers:
            update = customer.update_for(move)
            begun = time.perf_counter()
            await application.process_update(update)
            latencies.append((time.perf_counter() - begun) * 1000)
    rate = len(latencies) / (time.perf_counter() - started)
    return rate, latencies
