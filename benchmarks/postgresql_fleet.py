"""Part 1: the customer's conversation over HTTP on a fleet: SQLite with one instance against
PostgreSQL with one, two and four, in one run.

Each contender has its own Bot API emulator (flood limits off) whose webhook goes to its own
load balancer (:mod:`sandbox.balancer`) in front of its instances, each a
``python -m benchmarks.run_bot hvconnect`` process in webhook mode (the unmodified
``build_application``, its own rate limiter lifted as in the conversation benchmark). The
instances of one contender share its database: a SQLite file, or a PostgreSQL database made
from the same prepared file with :func:`storage.transfer.copy_sqlite_to_postgresql`. The same
customers' walk as :mod:`benchmarks.bench_conversation`, latency taken on the emulator's side.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.common import Section, Spread, percentile
from benchmarks.conversation_http import MANAGER_ID, TOKEN, ratio_text
from benchmarks.datagen import add_staff_member, prepare_database
from benchmarks.datagen_values import NOW
from benchmarks.over_http import BotProcess, EventTimes, RunResult, calibrate, run_customers
from benchmarks.postgresql_server import copied_in
from benchmarks.walk import Move, application_walk
from sandbox.balancer import Balancer
from sandbox.emulator import BotApiEmulator
from sandbox.limits import RateLimits
from storage.sealing.crypto import FieldCipher
from tests.postgres import TestServer
from tests.reliability.fleet_rig import free_port

WEBHOOK_HOST = "bot.example.com"
WEBHOOK_URL = f"https://{WEBHOOK_HOST}/tg/webhook"
WEBHOOK_SECRET = "bench-fleet-webhook-secret-0123456789"
SQLITE_ONE = "SQLite, 1 instance"


def pg_name(instances: int) -> str:
    return f"PostgreSQL, {instances} instance{'s' if instances > 1 else ''}"


@dataclass
class Contender:
    """One database and its instances behind their balancer, with their own emulator."""

    name: str
    instances: int
    api: BotApiEmulator
    times: EventTimes
    balancer: Balancer
    bots: list[BotProcess]
    answers: list[int] = field(default_factory=list)

    async def start(self) -> None:
        await self.balancer.start()
        self.api.route_webhook(WEBHOOK_HOST, self.balancer.address)
        # One after the other, as an operator adds instances: the first start migrates and
        # seals, the others find it done.
        for bot in self.bots:
            await bot.start()

    async def stop(self) -> None:
        for bot in self.bots:
            await bot.stop()
        await self.balancer.stop()


@dataclass
class FleetFigures:
    """Every run of every contender, by (contender, customers)."""

    found: dict[tuple[str, int], list[RunResult]]
    names: list[str]
    counts: Sequence[int]
    repeats: int
    steps: int
    answers: int
    spread: dict[str, Counter[str]]  # updates each instance was handed, per contender


async def fleet_conversation(
    server: TestServer,
    work: Path,
    secret: str,
    *,
    instances: Sequence[int],
    counts: Sequence[int],
    repeats: int,
    calibration_quiet: float,
) -> FleetFigures:
    cipher = FieldCipher.from_secrets(secret)
    prepared = work / "fleet-prepared.db"
    await prepare_database(prepared)
    add_staff_member(prepared, MANAGER_ID, role="customer_manager", district="汉台区")
    sqlite_db = work / "fleet-sqlite.db"
    await asyncio.to_thread(_copy_file, prepared, sqlite_db)
    databases: dict[str, tuple[str, int]] = {SQLITE_ONE: (str(sqlite_db), 1)}
    for size in instances:
        copy = await copied_in(server, prepared, cipher, NOW)
        databases[pg_name(size)] = (copy.url, size)
    moves = application_walk()
    async with contextlib.AsyncExitStack() as stack:
        contenders: dict[str, Contender] = {}
        for index, (name, (database, size)) in enumerate(databases.items()):
            api = await stack.enter_async_context(
                BotApiEmulator(token=TOKEN, limits=RateLimits(enabled=False))
            )
            manager = api.user(MANAGER_ID, first_name="娜", last_name="李")
            api.state.private_chat(manager.info)  # the manager has talked to the bot before
            bots = [
                _instance(api, work / f"fleet-{index}-{i}.log", database, secret)
                for i in range(size)
            ]
            balancer = Balancer(seed=index)
            for bot in bots:
                balancer.add(f"http://{_listen(bot)}")
            contenders[name] = Contender(name, size, api, EventTimes(api), balancer, bots)
        try:
            await asyncio.gather(*(c.start() for c in contenders.values()))
            found_answers = await asyncio.gather(
                *(calibrate(c.api, 1, moves, quiet=calibration_quiet) for c in contenders.values())
            )
            for contender, answers in zip(contenders.values(), found_answers, strict=True):
                contender.answers = answers
            before = {name: Counter(c.balancer.stats.forwarded) for name, c in contenders.items()}
            found = await _measure(contenders, moves, counts, repeats)
        finally:
            for contender in contenders.values():
                await contender.stop()
    spread = {
        name: Counter(c.balancer.stats.forwarded) - before[name] for name, c in contenders.items()
    }
    return FleetFigures(
        found,
        list(contenders),
        counts,
        repeats,
        len(moves),
        sum(contenders[SQLITE_ONE].answers),
        spread,
    )


async def _measure(
    contenders: dict[str, Contender], moves: Sequence[Move], counts: Sequence[int], repeats: int
) -> dict[tuple[str, int], list[RunResult]]:
    """Each count of customers on each contender, one after the other, in an order that
    rotates from run to run; every walk on new customers."""
    found: dict[tuple[str, int], list[RunResult]] = {}
    names = list(contenders)
    next_user = 1_000
    for repeat in range(repeats):
        for n in counts:
            for name in names[repeat % len(names) :] + names[: repeat % len(names)]:
                c = contenders[name]
                result = await run_customers(c.api, c.times, next_user, n, moves, c.answers)
                found.setdefault((name, n), []).append(result)
            next_user += n
    return found


def _instance(api: BotApiEmulator, log: Path, database: str, secret: str) -> BotProcess:
    """One instance in webhook mode on a port of its own, without the rate limiter."""
    return BotProcess(
        "hvconnect", api, log,
        "--db", database,
        f"--secret-key={secret}",  # a key may begin with "-": not a separate argument
        "--start", NOW.isoformat(),
        "--no-flood-limiter",
        "--webhook-url", WEBHOOK_URL,
        "--webhook-secret", WEBHOOK_SECRET,
        "--webhook-listen", f"127.0.0.1:{free_port()}",
    )  # fmt: skip


def _listen(bot: BotProcess) -> str:
    return bot.extra[bot.extra.index("--webhook-listen") + 1]


def _copy_file(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)


def describe(section: Section, figures: FleetFigures, cores: int) -> None:
    pg = [name for name in figures.names if name != SQLITE_ONE]
    section.text(
        "### 1. The conversation over HTTP, on a fleet\n\n"
        f"The walk of the conversation benchmark ({figures.steps} steps, answered with "
        f"{figures.answers} messages and edits) by N new customers at once, each waiting for "
        "the answer to a step before the next. Every contender has its own Bot API emulator "
        "(`sandbox/`, flood limits off, as in the conversation benchmark) delivering updates "
        "to its webhook, which a load balancer (`sandbox/balancer.py`, a random live backend "
        "per request) spreads over its instances: each a `python -m benchmarks.run_bot "
        "hvconnect` process in webhook mode, `build_application()` unmodified but for the "
        "rate limiter lifted (`--no-flood-limiter`, as the conversation benchmark's "
        "*hvconnect*: with it, Telegram's 30 messages a second for the whole bot would set "
        "the pace, not the instances). On PostgreSQL the instances of one contender share "
        "one database, and in it the chat locks, the outbox and its flood budget, and the "
        "leadership of the sweeps. The emulator "
        "posts one chat's updates one at a time, different chats in parallel (up to 40 "
        "requests in flight); an instance answers a request once the update is committed. "
        f"Latency runs from the moment a customer's message is queued to the moment the "
        f"emulator records the bot's first message or edit in answer. Figures: median of "
        f"{figures.repeats} runs (min–max); the contenders take turns, in an order that "
        "rotates from run to run, and all of them stay up (idle) while another is measured."
    )
    rows = []
    for n in figures.counts:
        sqlite = figures.found[SQLITE_ONE, n]
        first_pg = figures.found[pg[0], n]
        for name in figures.names:
            ours = figures.found[name, n]
            rows.append(
                (
                    n,
                    name,
                    Spread.of(r.steps_per_second for r in ours).show(1),
                    Spread.of(_p(r, 50) for r in ours).show(1),
                    Spread.of(_p(r, 99) for r in ours).show(1),
                    "" if name == SQLITE_ONE else _rate_ratio(ours, sqlite),
                    "" if name in (SQLITE_ONE, pg[0]) else _rate_ratio(ours, first_pg),
                    "" if name == SQLITE_ONE else _p99_ratio(ours, sqlite),
                )
            )
    section.text("Steps per second and latency in milliseconds:")
    section.table(
        (
            "customers",
            "database, instances",
            "steps/s",
            "p50",
            "p99",
            "steps/s ÷ SQLite 1",
            f"steps/s ÷ {pg[0]}",
            "p99 ÷ SQLite 1",
        ),
        rows,
    )
    shares = []
    for name in pg:
        given = figures.spread.get(name, Counter())
        total = sum(given.values())
        if total and len(given) > 1:
            shares.append(
                f"{name}: " + " / ".join(f"{count / total:.0%}" for count in given.values())
            )
    if shares:
        section.text(
            "Updates each instance was handed by the balancer over the measured runs: "
            + "; ".join(shares)
            + "."
        )
    section.text(_reading(figures, pg))
    section.text(
        f"On this {cores}-core machine the instances, the PostgreSQL server and the "
        "benchmark's own process (the emulators, the balancers and the customers) share the "
        "same cores: more instances add processes that compete for them rather than "
        "hardware, so what the PostgreSQL rows show is what a fleet costs against one "
        "instance, not the capacity several machines would add."
    )


def _reading(figures: FleetFigures, pg: list[str]) -> str:
    """The figures in words, from the medians of the run-by-run ratios above."""
    parts = []
    for n in figures.counts:
        one = figures.found[pg[0], n]
        against_sqlite = _median_ratio(one, figures.found[SQLITE_ONE, n])
        more = [(name, _median_ratio(figures.found[name, n], one)) for name in pg[1:]]
        grew = any(ratio >= 1.1 for _, ratio in more)
        parts.append(
            f"at {n} customers one PostgreSQL instance made {against_sqlite:.0%} of SQLite's "
            "steps a second, and "
            + ", ".join(f"{name.split(', ')[1]} {ratio:.0%} of one" for name, ratio in more)
            + (": throughput grew with instances" if grew else ": throughput did not grow")
        )
    return (
        "Reading: "
        + "; ".join(parts)
        + ". An instance handles its updates one at a time, and every write transaction of "
        "the fleet queues on one database-wide lock (as writers do on SQLite), so what a "
        "second instance can add is its own Python work overlapping the first's; once the "
        "cores are busy, more instances only add processes sharing them."
    )


def _median_ratio(ours: Sequence[RunResult], theirs: Sequence[RunResult]) -> float:
    return Spread.of(
        o.steps_per_second / t.steps_per_second for o, t in zip(ours, theirs, strict=True)
    ).median


def _p(result: RunResult, pct: float) -> float:
    return percentile([t.first_ms for t in result.timings], pct)


def _rate_ratio(ours: Sequence[RunResult], theirs: Sequence[RunResult]) -> str:
    return ratio_text(
        [o.steps_per_second / t.steps_per_second for o, t in zip(ours, theirs, strict=True)]
    )


def _p99_ratio(ours: Sequence[RunResult], theirs: Sequence[RunResult]) -> str:
    return ratio_text([_p(o, 99) / _p(t, 99) for o, t in zip(ours, theirs, strict=True)], False)
