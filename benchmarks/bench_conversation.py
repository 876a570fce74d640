"""Items 1 and 2: the customer's application conversation, hvconnect against a bare echo
bot, end to end over HTTP and inside the process.

Over HTTP each bot runs in its own process against its own Bot API emulator (flood limits
off), and 1, 10 and 100 customers walk the whole conversation at once. Inside the process
the same moves are handed to ``Application.process_update`` with a request object that
answers at once, so only the bot's own work is measured. Each ratio comes from one pair of
runs made back to back, and the order of the pair alternates from run to run.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.common import Report, Section, Spread, percentile, quick, runs, work_dir
from benchmarks.datagen import NOW, add_staff_member, prepare_database
from benchmarks.echo_bot import build_echo_application
from benchmarks.over_http import (
    BotProcess,
    EventTimes,
    RunResult,
    StepTiming,
    calibrate,
    run_customers,
)
from benchmarks.profiling import profile_in_process
from benchmarks.recording import InProcessCustomer, RecordingRequest
from benchmarks.run_bot import lift_flood_limiter
from benchmarks.walk import application_walk
from bot.app import build_application, services_of
from bot.config import Config
from process.clock import ManualClock
from sandbox.emulator import BotApiEmulator
from sandbox.limits import RateLimits
from storage.crypto import generate_secret_key

TOKEN = "123456:BENCH"
MANAGER_ID = 500_001  # the customer manager of 汉台区, who is told of every submission
HTTP_GOAL_RATIO = 0.60
HTTP_GOAL_P99 = 2.0
IN_PROCESS_GOAL_RATIO = 0.50


@dataclass(frozen=True)
class Sizes:
    """How much of everything to run; ``BENCH_QUICK=1`` and the smoke test use less."""

    http_customers: tuple[int, ...] = (1, 10, 100)
    http_runs: int = 3
    in_process_customers: int = 40
    in_process_capped: int = 5  # hvconnect as built: 30 calls a second is slow
    in_process_runs: int = 5
    calibration_quiet: float = 0.3

    @classmethod
    def for_mode(cls) -> Sizes:
        if quick():
            return cls((1, 10), runs(3), 10, 3, runs(5), 0.3)
        return cls()


def run(report: Report, sizes: Sizes | None = None) -> None:
    asyncio.run(_run(report, sizes or Sizes.for_mode()))


async def _run(report: Report, sizes: Sizes) -> None:
    work = work_dir("conversation")
    section = report.section("The application conversation: hvconnect against a bare echo bot")
    moves = application_walk()
    section.text(
        f"A new customer's whole conversation is {len(moves)} steps: `/start`, sharing the "
        "phone number, `/apply`, the 14 questions of the form (8 typed, 6 buttons), two "
        "documents and a photo with the buttons between them, Submit, then `/status`. The "
        "baseline is the barest python-telegram-bot bot (`benchmarks/echo_bot.py`): one reply "
        "per message, an answer and one reply per button press, no database, no templates. "
        "hvconnect runs exactly as `build_application()` builds it for production: SQLite "
        "with `synchronous=FULL`, every answer written at once, conversation state persisted "
        "on every step, personal data sealed, the outbox sender running, and "
        "python-telegram-bot's `AIORateLimiter`. A customer manager is enrolled, so every "
        "submission is assigned and announced through the outbox as in production."
    )
    try:
        await _over_http(section, work, sizes)
        await _in_process(section, work, sizes)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# -- item 1: over HTTP, each bot in its own process ---------------------------------------

# The contenders: the echo bot, hvconnect without the client-side flood limiter (its own
# cost), and hvconnect exactly as built, capped at Telegram's 30 calls a second.
ECHO, FREE, BUILT = "echo", "hvconnect", "hvconnect as built"


@dataclass
class Contender:
    name: str
    api: BotApiEmulator
    times: EventTimes
    process: BotProcess
    moves: Sequence[Any] = ()
    answers: Sequence[int] = ()


async def _over_http(section: Section, work: Path, sizes: Sizes) -> None:
    counts, repeats = sizes.http_customers, sizes.http_runs
    limits = RateLimits(enabled=False)
    async with (
        BotApiEmulator(token=TOKEN, limits=limits) as echo_api,
        BotApiEmulator(token=TOKEN, limits=limits) as free_api,
        BotApiEmulator(token=TOKEN, limits=limits) as built_api,
    ):
        contenders = {
            ECHO: Contender(
                ECHO,
                echo_api,
                EventTimes(echo_api),
                BotProcess("echo", echo_api, work / "echo.log"),
            ),
            FREE: await _hvconnect(FREE, free_api, work, "--no-flood-limiter"),
            BUILT: await _hvconnect(BUILT, built_api, work),
        }
        try:
            await asyncio.gather(*(c.process.start() for c in contenders.values()))
            for contender in contenders.values():
                contender.moves = application_walk(echo=contender.name == ECHO)
            found_answers = await asyncio.gather(
                *(
                    calibrate(c.api, 1, c.moves, quiet=sizes.calibration_quiet)
                    for c in contenders.values()
                )
            )
            for contender, answers in zip(contenders.values(), found_answers, strict=True):
                contender.answers = answers
            found: dict[tuple[str, int], list[RunResult]] = {}
            next_user = 1_000
            for repeat in range(repeats):
                for n in counts:
                    # As built, 100 customers take minutes at 30 calls a second: the cap is
                    # plain from 10 customers on.
                    names = [c for c in contenders if not (c == BUILT and n > 10)]
                    for name in names[repeat % len(names) :] + names[: repeat % len(names)]:
                        c = contenders[name]
                        result = await run_customers(
                            c.api, c.times, next_user, n, c.moves, c.answers
                        )
                        found.setdefault((name, n), []).append(result)
                    next_user += n
        finally:
            for contender in contenders.values():
                await contender.process.stop()
    _http_tables(section, found, counts, repeats, contenders)


async def _hvconnect(name: str, api: BotApiEmulator, work: Path, *flags: str) -> Contender:
    slug = "free" if flags else "built"
    db = work / f"http-{slug}.db"
    await prepare_database(db)
    add_staff_member(db, MANAGER_ID, role="customer_manager", district="汉台区")
    manager = api.user(MANAGER_ID, first_name="娜", last_name="李")
    api.state.private_chat(manager.info)  # the manager has talked to the bot before
    process = BotProcess(
        "hvconnect",
        api,
        work / f"hvconnect-{slug}.log",
        "--db",
        str(db),
        "--secret-key",
        generate_secret_key(),
        "--start",
        NOW.isoformat(),
        *flags,
    )
    return Contender(name, api, EventTimes(api), process)


def _p(timings: Sequence[StepTiming], pct: float, full: bool = False) -> float:
    return percentile([t.full_ms if full else t.first_ms for t in timings], pct)


def _ratio(values: Sequence[float], percent: bool = True) -> str:
    spread = Spread.of(values)
    if percent:
        return f"**{spread.median:.0%}** ({spread.low:.0%}–{spread.high:.0%})"
    return f"**{spread.median:.1f}×** ({spread.low:.1f}–{spread.high:.1f})"


def _http_tables(
    section: Section,
    found: dict[tuple[str, int], list[RunResult]],
    counts: Sequence[int],
    repeats: int,
    contenders: dict[str, Contender],
) -> None:
    answers = {name: sum(c.answers) for name, c in contenders.items()}
    section.text(
        "### 1. End to end over HTTP\n\n"
        "Each bot is a separate process (`python -m benchmarks.run_bot`) long-polling its own "
        "Bot API emulator (`sandbox/`, flood limits off) that runs in the benchmark's "
        "process; N new customers walk the conversation at the same time, each waiting for "
        "the answer to a step before taking the next. Latency runs from the moment a "
        "customer's message is queued for the bot to the moment the emulator records the "
        "bot's first message or edit in answer; *whole answer* is until its last one "
        f"(hvconnect answers the {len(contenders[FREE].moves)} steps with {answers[FREE]} "
        f"messages and edits, the echo bot with {answers[ECHO]}). *hvconnect* is "
        "`build_application()` with python-telegram-bot's `AIORateLimiter` lifted "
        "(`--no-flood-limiter`); *as built* keeps it. Figures: median of "
        f"{repeats} runs (min–max); ratios are taken run by run."
    )
    rows = []
    for n in counts:
        echo, free = found[ECHO, n], found[FREE, n]
        built = found.get((BUILT, n))
        rows.append(
            (
                n,
                Spread.of(r.steps_per_second for r in echo).show(1),
                Spread.of(r.steps_per_second for r in free).show(1),
                _ratio(
                    [
                        f.steps_per_second / e.steps_per_second
                        for f, e in zip(free, echo, strict=True)
                    ]
                ),
                Spread.of(r.steps_per_second for r in built).show(1) if built else "—",
                _ratio(
                    [
                        b.steps_per_second / e.steps_per_second
                        for b, e in zip(built, echo, strict=True)
                    ]
                )
                if built
                else "—",
            )
        )
    section.text("Conversation steps per second (goal: hvconnect ≥ 60% of the echo bot):")
    section.table(
        ("customers", "echo bot", "hvconnect", "ratio", "hvconnect as built", "ratio"), rows
    )
    rows = []
    for n in counts:
        echo, free = found[ECHO, n], found[FREE, n]
        built = found.get((BUILT, n))
        rows.append(
            (
                n,
                Spread.of(_p(r.timings, 50) for r in echo).show(1),
                Spread.of(_p(r.timings, 50) for r in free).show(1),
                Spread.of(_p(r.timings, 99) for r in echo).show(1),
                Spread.of(_p(r.timings, 99) for r in free).show(1),
                _ratio(
                    [
                        _p(f.timings, 99) / _p(e.timings, 99)
                        for f, e in zip(free, echo, strict=True)
                    ],
                    percent=False,
                ),
                Spread.of(_p(r.timings, 99, full=True) for r in free).show(1),
                Spread.of(_p(r.timings, 99) for r in built).show(1) if built else "—",
            )
        )
    section.text("Latency in milliseconds (goal: hvconnect's p99 ≤ 2× the echo bot's):")
    section.table(
        (
            "customers",
            "echo p50",
            "hvconnect p50",
            "echo p99",
            "hvconnect p99",
            "p99 ratio",
            "hvconnect p99, whole answer",
            "as built p99",
        ),
        rows,
    )


# -- item 2: inside the process ---------------------------------------------------------


async def _in_process(section: Section, work: Path, sizes: Sizes) -> None:
    customers, capped = sizes.in_process_customers, sizes.in_process_capped
    repeats = sizes.in_process_runs
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
        calls_before = sum(free_request.calls.values())
        profile = await profile_in_process(
            lambda: feed(free, free_request, moves, next_user, customers)
        )
        calls = (sum(free_request.calls.values()) - calls_before) / (customers * len(moves))
        echo_calls = sum(echo_request.calls.values()) / (
            len(echo_moves) * (1 + repeats * customers)
        )
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
        "`Application.process_update()` with a request object (`benchmarks/recording.py`) "
        "that answers every Bot API call at once with the JSON Telegram would send; no "
        f"network. *As built* walks {capped} customers. Median of {repeats} runs (min–max)."
    )
    section.table(
        ("bot", "updates/s", "p50 ms", "p99 ms", "ratio to echo (goal ≥ 50%)"),
        [
            _update_row("echo bot", results[ECHO], ""),
            _update_row("hvconnect", results[FREE], _ratio(ratio)),
            _update_row("hvconnect as built", results[BUILT], _ratio(built_ratio)),
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
            await connection.set_trace_callback(None)
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
