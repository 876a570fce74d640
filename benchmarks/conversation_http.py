"""Item 1: the application conversation end to end over HTTP, each bot in its own process.

The echo bot, hvconnect without the client-side flood limiter and hvconnect exactly as
built each run as ``python -m benchmarks.run_bot`` against their own Bot API emulator, and
the same numbers of customers walk the conversation on each, one contender after the other,
in an order that rotates from run to run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.client_cost import AIOHTTP, HTTPX, CallCost, call_costs
from benchmarks.common import Section, Spread, percentile
from benchmarks.datagen import add_staff_member, prepare_database
from benchmarks.datagen_values import NOW
from benchmarks.over_http import (
    BotProcess,
    EventTimes,
    RunResult,
    StepTiming,
    calibrate,
    run_customers,
)
from benchmarks.walk import application_walk
from notifications.pacing import GLOBAL_PER_SECOND
from sandbox.emulator import BotApiEmulator
from sandbox.limits import RateLimits
from storage.sealing.crypto import generate_secret_key

TOKEN = "123456:BENCH"
CLIENT_COST_CHAT = 900_001  # the chat the client-cost measurement sends its messages to
MANAGER_ID = 500_001  # the customer manager of 汉台区, who is told of every submission

# The contenders: the echo bot, the floor (the echo bot committing one transaction per
# update), hvconnect without the client-side rate limiter (its own cost), and hvconnect
# exactly as built, paced to Telegram's limits on messages.
ECHO, FLOOR, FREE, BUILT = "echo", "floor", "hvconnect", "hvconnect as built"


@dataclass
class Contender:
    name: str
    api: BotApiEmulator
    times: EventTimes
    process: BotProcess
    moves: Sequence[Any] = ()
    answers: Sequence[int] = ()


async def over_http(
    section: Section,
    work: Path,
    *,
    counts: Sequence[int],
    repeats: int,
    calibration_quiet: float,
    built_steps: int | None = None,
    client_calls: int = 2_000,
) -> None:
    limits = RateLimits(enabled=False)
    async with (
        BotApiEmulator(token=TOKEN, limits=limits) as echo_api,
        BotApiEmulator(token=TOKEN, limits=limits) as free_api,
        BotApiEmulator(token=TOKEN, limits=limits) as built_api,
        BotApiEmulator(token=TOKEN, limits=limits) as floor_api,
    ):
        contenders = {
            ECHO: Contender(
                ECHO,
                echo_api,
                EventTimes(echo_api),
                BotProcess("echo", echo_api, work / "echo.log"),
            ),
            FLOOR: Contender(
                FLOOR,
                floor_api,
                EventTimes(floor_api),
                BotProcess("floor", floor_api, work / "floor.log", "--db", str(work / "floor.db")),
            ),
            FREE: await _hvconnect(FREE, free_api, work, "--no-flood-limiter"),
            BUILT: await _hvconnect(BUILT, built_api, work),
        }
        try:
            await asyncio.gather(*(c.process.start() for c in contenders.values()))
            for contender in contenders.values():
                contender.moves = application_walk(echo=contender.name in (ECHO, FLOOR))
            if built_steps:
                contenders[BUILT].moves = contenders[BUILT].moves[:built_steps]
            found_answers = await asyncio.gather(
                *(
                    calibrate(c.api, 1, c.moves, quiet=calibration_quiet)
                    for c in contenders.values()
                )
            )
            for contender, answers in zip(contenders.values(), found_answers, strict=True):
                contender.answers = answers
            found: dict[tuple[str, int], list[RunResult]] = {}
            # Messages (not edits) hvconnect as built sends per step, at each count.
            built_sent_per_step: dict[int, float] = {}
            next_user = 1_000
            for repeat in range(repeats):
                for n in counts:
                    # As built, the rate limiter's 30 calls a second sets the pace whatever
                    # the count, so one run of up to 10.
                    names = [c for c in contenders if not (c == BUILT and (n > 10 or repeat))]
                    for name in names[repeat % len(names) :] + names[: repeat % len(names)]:
                        c = contenders[name]
                        sent_before = c.api.stats.messages_sent
                        result = await run_customers(
                            c.api, c.times, next_user, n, c.moves, c.answers
                        )
                        found.setdefault((name, n), []).append(result)
                        if name == BUILT:
                            sent = c.api.stats.messages_sent - sent_before
                            built_sent_per_step[n] = sent / (n * len(c.moves))
                    next_user += n
            cost_chat = echo_api.user(CLIENT_COST_CHAT, first_name="测")
            echo_api.state.private_chat(cost_chat.info)
            costs = await call_costs(echo_api.base_url, TOKEN, CLIENT_COST_CHAT, client_calls)
        finally:
            for contender in contenders.values():
                await contender.process.stop()
    _http_tables(section, found, counts, repeats, contenders, built_sent_per_step)
    _client_table(section, costs)


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
        # Joined with "=": a key may begin with "-", which argparse would take for an option.
        f"--secret-key={generate_secret_key()}",
        "--start",
        NOW.isoformat(),
        *flags,
    )
    return Contender(name, api, EventTimes(api), process)


def _client_table(section: Section, costs: Sequence[CallCost]) -> None:
    by_name = {cost.client: cost for cost in costs}
    httpx, ours = (by_name[name] for name in (HTTPX, AIOHTTP))
    section.text(
        "What one Bot API call costs a bot's process, in the same run "
        "(`benchmarks/client_cost.py`: a process of its own sends messages to the echo bot's "
        "emulator one at a time with each client in turn, the better of two turns each). The "
        "echo bot and the floor use python-telegram-bot's default client, hvconnect its own "
        "(`bot/aiohttp_request.py`); over HTTP these calls are most of a bot's work, which "
        "is how hvconnect, with more to do per step, can reach a large share of the echo "
        "bot's rate:"
    )
    section.table(
        ("HTTP client", "CPU ms per call", "wall ms per call", "CPU ÷ httpx's"),
        [
            (
                cost.client,
                f"{cost.cpu_ms:.3f}",
                f"{cost.wall_ms:.3f}",
                "" if cost is httpx else f"**{cost.cpu_ms / httpx.cpu_ms:.0%}**",
            )
            for cost in (httpx, ours)
        ],
    )


def _p(timings: Sequence[StepTiming], pct: float, full: bool = False) -> float:
    return percentile([t.full_ms if full else t.first_ms for t in timings], pct)


def ratio_text(values: Sequence[float], percent: bool = True) -> str:
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
    built_sent_per_step: dict[int, float],
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
        f"messages and edits, the echo bot with {answers[ECHO]}). The *floor* is the echo "
        "bot that commits one transaction per update before it answers. *hvconnect* is "
        "`build_application()` with its rate limiter lifted (`--no-flood-limiter`); *as "
        f"built* keeps it and walks {len(contenders[BUILT].moves)} steps, one run. Each bot "
        "takes its updates as it is built to: the echo bot and the floor one at a time, "
        "python-telegram-bot's default; hvconnect up to eight chats at once, each chat's "
        "updates in order (`bot/webhook.py` `UpdatesSettled`). Figures: "
        f"median of {repeats} runs (min–max); ratios are taken run by run."
    )
    rows = []
    for n in counts:
        echo, free, floor = found[ECHO, n], found[FREE, n], found[FLOOR, n]
        built = found.get((BUILT, n))
        rows.append(
            (
                n,
                Spread.of(r.steps_per_second for r in echo).show(1),
                Spread.of(r.steps_per_second for r in floor).show(1),
                Spread.of(r.steps_per_second for r in free).show(1),
                _rate_ratio(free, echo),
                _rate_ratio(free, floor),
                Spread.of(r.steps_per_second for r in built).show(1) if built else "—",
                _rate_ratio(built, echo) if built else "—",
                *_ceiling(built, built_sent_per_step.get(n)),
            )
        )
    section.text("Conversation steps per second (goal: hvconnect ≥ 60% of the echo bot):")
    section.table(
        (
            "customers",
            "echo bot",
            "floor",
            "hvconnect",
            "ratio to echo",
            "ratio to floor",
            "hvconnect as built",
            "ratio to echo",
            "Telegram's ceiling",
            "as built ÷ ceiling",
        ),
        rows,
    )
    section.text(
        "*Telegram's ceiling* is what any bot keeping to Telegram's 30 messages a second "
        "overall can reach with these customers, who answer the instant the bot replies: "
        "30 ÷ the messages hvconnect as built sent per step in that run (its edits and "
        "answers to button presses are not messages sent). The echo bot keeps to no limit. "
        "It holds over a second or more: a walk that ends within its first second fits in "
        "that second's 30 messages, which is how one customer alone can pass it."
    )
    latency_rows = []
    for n in counts:
        echo, free, floor = found[ECHO, n], found[FREE, n], found[FLOOR, n]
        built = found.get((BUILT, n))
        latency_rows.append(
            (
                n,
                Spread.of(_p(r.timings, 50) for r in echo).show(1),
                Spread.of(_p(r.timings, 50) for r in free).show(1),
                Spread.of(_p(r.timings, 99) for r in echo).show(1),
                Spread.of(_p(r.timings, 99) for r in floor).show(1),
                Spread.of(_p(r.timings, 99) for r in free).show(1),
                _p99_ratio(free, echo),
                _p99_ratio(free, floor),
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
            "floor p99",
            "hvconnect p99",
            "p99 ratio to echo",
            "p99 ratio to floor",
            "hvconnect p99, whole answer",
            "as built p99",
        ),
        latency_rows,
    )


def _ceiling(built: Sequence[RunResult] | None, sent_per_step: float | None) -> tuple[str, str]:
    """Steps a second Telegram's overall limit allows at ``sent_per_step`` messages a step,
    and how close the as-built runs came to it."""
    if not built or not sent_per_step:
        return ("—", "—")
    ceiling = GLOBAL_PER_SECOND / sent_per_step
    return (
        f"{ceiling:.1f} ({sent_per_step:.2f} messages a step)",
        # Not in bold: the goal of the table is against the echo bot, not this ceiling.
        ratio_text([r.steps_per_second / ceiling for r in built]).replace("**", ""),
    )


def _rate_ratio(ours: Sequence[RunResult], theirs: Sequence[RunResult]) -> str:
    # Run by run; as built has fewer runs and pairs with the first ones.
    return ratio_text(
        [o.steps_per_second / t.steps_per_second for o, t in zip(ours, theirs, strict=False)]
    )


def _p99_ratio(ours: Sequence[RunResult], theirs: Sequence[RunResult]) -> str:
    return ratio_text(
        [_p(o.timings, 99) / _p(t.timings, 99) for o, t in zip(ours, theirs, strict=False)],
        percent=False,
    )
