"""The integration API on a utility's whole data set: how fast other systems read, and
whether the chat keeps its pace while they do.

The bot runs in this process as production builds it, with its API served by uvicorn on
the bot's event loop, over the data set of ``bench_dataset`` (100,000 applications; kept in
``BENCH_DATA_DIR`` as that benchmark keeps it, and copied for the run). A few clients in a
process of their own (:mod:`benchmarks.api_load`) call it over HTTP with httpx, as the
marketing system would: one card again and again (``GET /v1/applications/{number}``), and
the event feed a page at a time (``GET /v1/events``). Beside them, in the same run: the same
card read through the bot's ``/status NUMBER`` inside the process, one after another as
``bench_dataset`` times its commands; the card read with the audit line of each call left
out, to show what that line costs; and the customer's conversation of ``walk.py`` fed to the
bot alone, then again while the clients read cards as fast as they can.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api.settings import ApiSettings
from benchmarks.bench_dataset import KEEP_VARIABLE, _kept, _remove, _settled
from benchmarks.common import Report, Spread, percentile, quick, runs, work_dir
from benchmarks.conversation_http import TOKEN, ratio_text
from benchmarks.conversation_inproc import feed
from benchmarks.datagen import Dataset, DatasetSpec
from benchmarks.datagen_values import NOW
from benchmarks.dataset_probe import commands_for
from benchmarks.recording import InProcessCustomer
from benchmarks.run_bot import lift_flood_limiter
from benchmarks.walk import Move, application_walk
from bot.app import api_server, build_application, services_of
from bot.config.settings import Config
from process.clock import ManualClock
from sandbox.recording import RecordingRequest
from storage.api_clients import ApiClientsRepo

GOAL_SIZE = 100_000
CHAT_GOAL = 0.5  # under API load the chat keeps at least half its pace
NEW_CUSTOMERS = 9_100_000_000  # user ids of the customers who walk the form during the run
# Calls are unlimited for the benchmark's client: its rate is what is measured.
UNLIMITED = ApiSettings(host="127.0.0.1", port=0, rate_per_second=1e9, burst=10**9)


@dataclass(frozen=True)
class Sizes:
    """How much to run; ``BENCH_QUICK=1`` and the smoke test use less."""

    applications: int = GOAL_SIZE
    drafting: int = 10_000  # as bench_dataset generates (and keeps) its data sets
    clients: int = 4
    seconds: float = 8.0  # each load on its own
    runs: int = 3
    status_reads: int = 300  # /status NUMBER, per run
    audit_lines: int = 200  # the audit line timed on its own, per run
    customers: int = 10  # walking the form together, per conversation run

    @classmethod
    def for_mode(cls) -> Sizes:
        # Quick: the smaller data set bench_dataset keeps, so nothing is generated.
        return cls(10_000, 10_000, 4, 1.5, runs(3), 50, 50, 3) if quick() else cls()


@dataclass(frozen=True)
class Reads:
    """One run of a read: calls a second, and each call's milliseconds."""

    rate: float
    latencies_ms: list[float]

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 99)


@dataclass
class Measured:
    dataset: Dataset
    sizes: Sizes
    events: int = 0
    card: list[Reads] = field(default_factory=list)
    card_unaudited: list[Reads] = field(default_factory=list)
    feed_pages: list[Reads] = field(default_factory=list)
    status: list[Reads] = field(default_factory=list)
    audit_line_ms: list[float] = field(default_factory=list)  # median per run
    alone: list[Reads] = field(default_factory=list)  # conversation updates
    loaded: list[Reads] = field(default_factory=list)
    card_beside_chat: list[Reads] = field(default_factory=list)


def run(report: Report, sizes: Sizes | None = None) -> None:
    asyncio.run(_run(report, sizes or Sizes.for_mode()))


async def _run(report: Report, sizes: Sizes) -> None:
    work = work_dir("api")
    try:
        measured = await measure(sizes, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    describe(report, measured)


async def measure(sizes: Sizes, work: Path) -> Measured:
    spec = DatasetSpec(applications=sizes.applications, drafting=sizes.drafting)
    keep = os.environ.get(KEEP_VARIABLE, "").strip()
    if keep:
        settled = await _kept(spec, Path(keep), work)
    else:
        settled = await _settled(spec, work / f"hv-{sizes.applications}.db")
    measured = Measured(settled.dataset, sizes)
    try:
        await _measure_on(measured, settled.secret)
    finally:
        await asyncio.to_thread(_remove, settled.dataset.path)
    return measured


async def _measure_on(m: Measured, secret: str) -> None:
    sizes, dataset = m.sizes, m.dataset
    request = RecordingRequest()
    config = Config(token=TOKEN, db_path=dataset.path, secret_key=secret, api=UNLIMITED)
    application = await build_application(config, clock=ManualClock(NOW), request=request)
    lift_flood_limiter(application)
    server = api_server(application)
    assert server is not None
    await server.start()
    await application.initialize()
    svc = services_of(application)
    try:
        clients = ApiClientsRepo(svc.db)
        _, key = await clients.create("bench", frozenset({"applications:read", "events:read"}), NOW)
        row = await svc.db.fetchone("SELECT MAX(id) AS n FROM events")
        m.events = int(row["n"]) if row is not None and row["n"] is not None else 0
        load = Load(f"http://127.0.0.1:{server.port}", key, sizes.clients, dataset.card_number)
        [status] = [c for c in commands_for(dataset) if c.name == "/status card"]
        moves = application_walk()
        first = NEW_CUSTOMERS
        # Warm up: the card's pages, the feed's, the templates and the walk's handlers.
        await load.run(seconds=0.3)
        await load.run(seconds=0.3, events=m.events)
        await _status_reads(application, request, status.user_id, status.text, 5)
        await feed(application, request, moves, first, 1)
        first += 1
        for _ in range(sizes.runs):
            m.card.append(await load.run(seconds=sizes.seconds))
            with _audit_left_out():
                m.card_unaudited.append(await load.run(seconds=sizes.seconds))
            m.feed_pages.append(await load.run(seconds=sizes.seconds, events=m.events))
            m.status.append(
                await _status_reads(
                    application, request, status.user_id, status.text, sizes.status_reads
                )
            )
            m.audit_line_ms.append(await _audit_line_ms(clients, key, sizes.audit_lines))
            m.alone.append(_reads(*await feed(application, request, moves, first, sizes.customers)))
            first += sizes.customers
            async with load.beside() as beside:
                rate, latencies = await feed(application, request, moves, first, sizes.customers)
            m.loaded.append(_reads(rate, latencies))
            m.card_beside_chat.append(beside.result())
            first += sizes.customers
    finally:
        await server.stop()
        await application.shutdown()
        await svc.db.close()


def _reads(rate: float, latencies: list[float]) -> Reads:
    return Reads(rate, latencies)


RESULT_LINE_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True)
class Load:
    """:mod:`benchmarks.api_load` run against the bot's API."""

    base_url: str
    key: str
    clients: int
    card: str

    def _command(self, seconds: float, events: int) -> list[str]:
        command = [sys.executable, "-m", "benchmarks.api_load", self.base_url, self.key]
        command += ["--clients", str(self.clients), "--seconds", str(seconds)]
        return command + (["--events", str(events)] if events else ["--card", self.card])

    async def run(self, *, seconds: float, events: int = 0) -> Reads:
        child = await self._start(seconds, events)
        return await _finish(child)

    async def _start(self, seconds: float, events: int) -> asyncio.subprocess.Process:
        child = await asyncio.create_subprocess_exec(
            *self._command(seconds, events),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            # The result is one JSON line holding every call's latency: a few seconds of a
            # fast API are well over asyncio's default 64 KiB line.
            limit=RESULT_LINE_LIMIT,
        )
        assert child.stdout is not None
        ready = await child.stdout.readline()
        if ready.strip() != b"ready":
            await child.wait()
            raise RuntimeError(f"the API load did not start: {ready!r}")
        return child

    @contextlib.asynccontextmanager
    async def beside(self) -> AsyncIterator[Beside]:
        """Cards read until the body of the ``async with`` is done."""
        child = await self._start(0, 0)
        outcome = Beside()
        try:
            yield outcome
        finally:
            assert child.stdin is not None
            child.stdin.write(b"stop\n")
            await child.stdin.drain()
            outcome.found = await _finish(child)


@dataclass
class Beside:
    found: Reads | None = None

    def result(self) -> Reads:
        assert self.found is not None
        return self.found


async def _finish(child: asyncio.subprocess.Process) -> Reads:
    assert child.stdout is not None
    line = await child.stdout.readline()
    await child.wait()
    found = json.loads(line)
    if found["failures"]:
        raise RuntimeError(f"{found['failures']} API calls failed: {found['first_failure']}")
    latencies = [float(ms) for ms in found["latencies_ms"]]
    return Reads(len(latencies) / float(found["seconds"]), latencies)


@contextlib.contextmanager
def _audit_left_out() -> Iterator[None]:
    """The API without its audit line: only to measure what that line costs."""
    original = ApiClientsRepo.record_call

    async def left_out(self: ApiClientsRepo, client_id: int, **line: Any) -> None:
        return None

    ApiClientsRepo.record_call = left_out  # type: ignore[method-assign]
    try:
        yield
    finally:
        ApiClientsRepo.record_call = original  # type: ignore[method-assign]


async def _audit_line_ms(clients: ApiClientsRepo, key: str, lines: int) -> float:
    """The median milliseconds of one audit line written on its own."""
    client = await clients.by_key(key)
    assert client is not None
    taken = []
    for _ in range(lines):
        started = time.perf_counter()
        await clients.record_call(
            client.id, method="GET", path="/v1/bench", status=200, application_id=None, now=NOW
        )
        taken.append((time.perf_counter() - started) * 1000)
    return percentile(taken, 50)


async def _status_reads(
    application: Any, request: RecordingRequest, user_id: int, text: str, count: int
) -> Reads:
    """The card through the chat: ``/status NUMBER`` handed to the bot one after another."""
    customer = InProcessCustomer(application, request, user_id)
    taken = []
    started = time.perf_counter()
    for _ in range(count):
        update = customer.update_for(Move("text", text))
        begun = time.perf_counter()
        await application.process_update(update)
        taken.append((time.perf_counter() - begun) * 1000)
    return Reads(count / (time.perf_counter() - started), taken)


def _row(what: str, found: list[Reads], unit: float = 1.0) -> tuple[str, ...]:
    return (
        what,
        Spread.of(r.rate * unit for r in found).show(0),
        Spread.of(r.p50 for r in found).show(2),
        Spread.of(r.p99 for r in found).show(2),
    )


def describe(report: Report, m: Measured) -> None:
    sizes = m.sizes
    section = report.section(
        f"Integration API: {m.dataset.spec.applications:,} applications, read over HTTP"
    )
    section.text(
        f"The bot as production builds it, on `bench_dataset`'s data set "
        f"({m.dataset.spec.applications:,} applications, {m.events:,} events), its API "
        "served by uvicorn on the bot's own event loop; Bot API calls are answered from memory "
        f"(`benchmarks/recording.py`). {sizes.clients} clients in a process of their own "
        "(`benchmarks/api_load.py`, httpx, one keep-alive connection each) call as fast as "
        f"answers come, for {sizes.seconds:g} s a run; every call is authenticated, rate-checked "
        "and written to the audit trail (`api_calls`, one committed row a call) as in "
        f"production. Median of {sizes.runs} runs (min–max); p50 and p99 over each run's "
        "calls, as the clients saw them."
    )
    section.table(
        ("read", "reads/s", "p50 ms", "p99 ms"),
        [
            _row(f"`GET /v1/applications/{{number}}`, {sizes.clients} clients", m.card),
            _row("the same, the audit line left out", m.card_unaudited),
            _row(f"`GET /v1/events?limit=100` pages, {sizes.clients} clients", m.feed_pages),
            _row("the same card by `/status NUMBER` inside the process, one at a time", m.status),
        ],
    )
    card_to_status = [a.rate / s.rate for a, s in zip(m.card, m.status, strict=True)]
    audited = [a.rate / u.rate for a, u in zip(m.card, m.card_unaudited, strict=True)]
    events_per_s = Spread.of(r.rate * 100 for r in m.feed_pages)
    audit_line = Spread.of(m.audit_line_ms)
    section.text(
        "Run by run: the API's card reads "
        f"{ratio_text(card_to_status, percent=False)} as many a second as `/status` answers "
        f"the same card inside the process (which costs no HTTP and no authentication, but "
        "renders a message and sends it); with its audit line the API reads "
        f"{ratio_text(audited)} of what it reads without. One audit line written on its own "
        f"takes {audit_line.show(2, 'ms')} (a commit of its own, which waits for the disk). "
        f"The feed hands out {events_per_s.show(0)} events a second, a hundred a page."
    )
    pace = [loaded.rate / alone.rate for loaded, alone in zip(m.loaded, m.alone, strict=True)]
    section.text(
        f"### The chat while the API is read\n\n{sizes.customers} customers' "
        f"{len(application_walk())} steps of the form (`benchmarks/walk.py`), interleaved and "
        "handed to the bot's `process_update` as `bench_dataset` walks them, first alone, "
        f"then while the {sizes.clients} clients read the card as fast as they can "
        f"(goal: the chat keeps at least {CHAT_GOAL:.0%} of its pace)."
    )
    section.table(
        (
            "conversation",
            "updates/s",
            "p50 ms",
            "p99 ms",
            f"ratio to alone (goal ≥ {CHAT_GOAL:.0%})",
        ),
        [
            (*_row("alone", m.alone), ""),
            (*_row("with the API under load", m.loaded), ratio_text(pace)),
        ],
    )
    beside = m.card_beside_chat
    section.text(
        f"Meanwhile the clients read {Spread.of(r.rate for r in beside).show(0)} cards a second "
        f"(p99 {Spread.of(r.p99 for r in beside).show(2, 'ms')}). The API and the chat share "
        "one event loop and one database connection. The API serves one call at a time "
        "(`api/turns.py`): calls served side by side would answer no sooner, since the "
        "database and the loop take one thing at a time, but each would put its callbacks "
        "between the chat's in every round of the loop, and the chat would get a smaller "
        "share the more clients call."
    )
