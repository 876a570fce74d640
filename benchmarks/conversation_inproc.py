"""Item 2: the application conversation inside the process, and hvconnect built for it.

The same moves are handed to ``Application.process_update`` with a request object that
answers every Bot API call from memory, so what is measured is the bot's own work:
handlers, SQLite, templates and python-telegram-bot's machinery.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.common import Section, Spread, percentile
from benchmarks.conversation_http import BUILT, ECHO, FREE, MANAGER_ID, TOKEN, ratio_text
from benchmarks.datagen import add_staff_member, prepare_database
from benchmarks.datagen_values import NOW
from benchmarks.echo_bot import build_echo_application
from benchmarks.profiling import profile_in_process
from benchmarks.recording import InProcessCustomer
from benchmarks.run_bot import lift_flood_limiter
from benchmarks.walk import application_walk
from bot.app import build_application, services_of
from bot.config.settings import Config
from process.clock import ManualClock
from sandbox.recording import RecordingRequest
from storage.sealing.crypto import generate_secret_key


async def in_process(
    section: Section, work: Path, *, customers: int, capped: int, repeats: int
) -> None:
    moves = application_walk()
    echo_moves = application_walk(echo=True)
    free, free_request = await hvconnect_in_process(work / "inproc-free.db", flood_limiter=False)
    built, built_request = await hvconnect_in_process(work / "inproc-built.db")
    echo_request = RecordingRequest()
    echo = build_echo_application(TOKEN, request=echo_request)
    await echo.initialize()
    results: dict[str, list[tuple[float, list[float]]]] = {ECHO: [], FREE: [], BUILT: []}
    next_user = 10_000
    try:
        for app, request, walk_moves in (
            (free, free_request, moves),
            (built, built_request, moves),
            (echo, echo_request, echo_moves),
        ):
            await feed(app, request, walk_moves, next_user, 1)  # warm up: templates, caches
        next_user += 1
        for repeat in range(repeats):
            order = (ECHO, FREE, BUILT) if repeat % 2 == 0 else (FREE, ECHO, BUILT)
            for name in order:
                if name == ECHO:
                    found = await feed(echo, echo_request, echo_moves, next_user, customers)
                elif name == FREE:
                    found = await feed(free, free_request, moves, next_user, customers)
                else:
                    found = await feed(built, built_request, moves, next_user, capped)
                results[name].append(found)
            next_user += customers
        calls_before = len(free_request.calls)
        profile = await profile_in_process(
            lambda: feed(free, free_request, moves, next_user, customers)
        )
        calls = (len(free_request.calls) - calls_before) / (customers * len(moves))
        echo_calls = len(echo_request.calls) / (len(echo_moves) * (1 + repeats * customers))
        statements, commits = await count_sql(free, free_request, moves, next_user + customers)
    finally:
        for app in (free, built):
            await app.shutdown()
            await services_of(app).db.close()
        await echo.shutdown()
    ratio = [f[0] / e[0] for f, e in zip(results[FREE], results[ECHO], strict=True)]
    built_ratio = [b[0] / e[0] for b, e in zip(results[BUILT], results[ECHO], strict=True)]
    section.text(
        "### 2. Inside the process\n\n"
        f"{customers} customers' {len(moves)} steps, interleaved, handed one by one to "
        "`Application.process_update()` with a request object (`sandbox/recording.py`) "
        "that answers every Bot API call at once with the JSON Telegram would send; no "
        f"network. *As built* walks {capped} customers. Median of {repeats} runs (min–max)."
    )
    section.table(
        ("bot", "updates/s", "p50 ms", "p99 ms", "ratio to echo (goal ≥ 50%)"),
        [
            _update_row("echo bot", results[ECHO], ""),
            _update_row("hvconnect", results[FREE], ratio_text(ratio)),
            _update_row("hvconnect as built", results[BUILT], ratio_text(built_ratio)),
        ],
    )
    section.text(
        "Why hvconnect does not reach the goals: per step the echo bot takes one update and "
        f"makes {echo_calls:.2f} Bot API calls; hvconnect makes {calls:.2f} (a pressed button "
        "is answered, its keyboard taken off the question and the next question sent) and "
        f"runs {statements:.1f} SQL statements in {commits:.1f} committed transactions "
        "(`synchronous=FULL`, so each commit is on disk before the reply goes): the answer "
        "with the draft re-read around it, then the conversation state. Each answer is "
        "sealed with AES-GCM and read back, and each reply is rendered from a Jinja "
        "template. In the profile below, python-telegram-bot's own handling of each call "
        "(building the request, parsing the Message it returns) and the waits for "
        "aiosqlite's thread are the largest parts; no single function of ours stands out. "
        "Over HTTP both bots also pay the transport for every call, the same for each, "
        "which narrows the gap against the one inside the process. *As built*, "
        "python-telegram-bot's `AIORateLimiter` keeps the bot to 30 Bot API calls a second "
        "overall, Telegram's limit, which at two calls a step caps the bot near 15 steps a "
        "second whatever the machine: that ceiling is deliberate, and it, not the bot's "
        "work, sets the as-built figures."
    )
    section.text("Where hvconnect's time goes (without the flood limiter), under pyinstrument:")
    section.code(profile)


def _update_row(name: str, found: list[tuple[float, list[float]]], ratio: str) -> tuple[str, ...]:
    return (
        name,
        Spread.of(rate for rate, _ in found).show(0),
        Spread.of(percentile(lat, 50) for _, lat in found).show(2),
        Spread.of(percentile(lat, 99) for _, lat in found).show(2),
        ratio,
    )


async def hvconnect_in_process(
    db: Path, *, flood_limiter: bool = True, now: datetime = NOW
) -> tuple[Any, RecordingRequest]:
    """hvconnect on a new database with one customer manager, answered from memory."""
    await prepare_database(db, now)
    add_staff_member(db, MANAGER_ID, role="customer_manager", district="汉台区", now=now)
    return await open_in_process(db, generate_secret_key(), flood_limiter=flood_limiter, now=now)


async def open_in_process(
    db: Path, secret: str, *, flood_limiter: bool = True, now: datetime = NOW
) -> tuple[Any, RecordingRequest]:
    """hvconnect as production builds it on ``db``, its Bot API calls answered from memory."""
    request = RecordingRequest()
    config = Config(token=TOKEN, db_path=db, secret_key=secret)
    application = await build_application(config, clock=ManualClock(now), request=request)
    if not flood_limiter:
        lift_flood_limiter(application)
    await application.initialize()
    return application, request


async def count_sql(
    application: Any, request: RecordingRequest, moves: Sequence[Any], first_user: int
) -> tuple[float, float]:
    """SQL statements and commits per step, over one customer's walk."""
    traced: list[str] = []
    db = services_of(application).db
    async with db.snapshot() as connection:
        await connection.set_trace_callback(traced.append)
    try:
        await feed(application, request, moves, first_user, 1)
    finally:
        async with db.snapshot() as connection:
            await connection.set_trace_callback(None)  # type: ignore[arg-type]  # sqlite3 takes None
    # The two snapshots' own BEGIN and COMMIT are not the walk's.
    traced = traced[1:-1]
    commits = sum(1 for s in traced if s.strip().upper().startswith("COMMIT"))
    statements = sum(1 for s in traced if not s.strip().upper().startswith(("BEGIN", "COMMIT")))
    return statements / len(moves), commits / len(moves)


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
