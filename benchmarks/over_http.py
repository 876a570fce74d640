"""Customers talking to a bot in another process, over HTTP, through the Bot API emulator.

The bot runs as ``python -m benchmarks.run_bot`` and long-polls the emulator that runs in
the benchmark's process, like a bot polling Telegram. Latency is measured on the
emulator's side: from the moment a customer's message is queued for the bot to the moment
the emulator records the bot's answer, so the customers' own scheduling does not count.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.walk import FILES, Move
from sandbox.chats import ChatEvent, EventKind
from sandbox.emulator import BotApiEmulator
from sandbox.inbox import WaitTimeout
from sandbox.messages import SentMessage
from sandbox.notify import sleep_on
from sandbox.users import FakeUser

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STEP_TIMEOUT = 60.0


class EventTimes:
    """When the emulator recorded each change to any chat, by its sequence number."""

    def __init__(self, emulator: BotApiEmulator) -> None:
        self.at: dict[int, float] = {}
        state = emulator.state
        original = state.record

        def record(chat: Any, kind: EventKind, message: SentMessage) -> None:
            original(chat, kind, message)
            self.at[state.seq] = time.perf_counter()

        state.record = record  # type: ignore[method-assign]


@dataclass(frozen=True)
class StepTiming:
    first_ms: float  # until the bot's first message or edit in answer
    full_ms: float  # until the last one


@dataclass(frozen=True)
class RunResult:
    customers: int
    steps: int
    seconds: float
    timings: tuple[StepTiming, ...]

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds


class BotProcess:
    """One bot in a child process, started against an emulator and stopped with SIGTERM."""

    def __init__(self, kind: str, emulator: BotApiEmulator, log_path: Path, *extra: str) -> None:
        self.kind = kind
        self.emulator = emulator
        self.log_path = log_path
        self.extra = extra
        self.process: asyncio.subprocess.Process | None = None
        self.phases: dict[str, float] = {}

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self, timeout: float = 60.0) -> float:  # noqa: ASYNC109 - a deadline
        """Start the bot; returns the seconds until it said it was polling."""
        started = time.perf_counter()
        env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "benchmarks.run_bot",
                self.kind,
                "--api-url",
                self.emulator.base_url,
                "--token",
                self.emulator.token,
                *self.extra,
                cwd=PROJECT_ROOT,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
            )
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        if not line.startswith(b"ready "):
            await self.process.wait()
            raise RuntimeError(f"{self.kind} bot did not start; see {self.log_path}")
        self.phases = json.loads(line[len(b"ready ") :])
        return time.perf_counter() - started

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


async def make(user: FakeUser, move: Move) -> None:
    """Do ``move`` as ``user``; a press finds the newest message showing that button."""
    if move.kind == "text":
        await user.send_text(move.value)
    elif move.kind == "contact":
        await user.send_contact()
    elif move.kind == "document":
        await user.send_document(move.value, FILES["pdf"], "application/pdf")
    elif move.kind == "photo":
        await user.send_photo(FILES["png"])
    else:
        await _press(user, move.value)


async def _press(user: FakeUser, label: str) -> None:
    """Press the newest ``label``; if no message shows it yet, wait for one that does.

    On a loaded machine the bot may still be sending the previous answer when the walk
    moves on; the button's arrival is the signal, with the step's generous ceiling.
    """

    def shows(message: SentMessage) -> bool:
        return any(button.text == label for button in message.inline_buttons)

    for attempt in range(2):
        mark = user.mark()
        for message in reversed(user.messages()):
            if shows(message):
                await user.press(message, label)
                return
        if attempt == 0:
            with contextlib.suppress(WaitTimeout):
                await user.wait_for(shows, after=mark, timeout=STEP_TIMEOUT)
    raise LookupError(f"no button {label!r} for user {user.id}")


def bot_events(emulator: BotApiEmulator, chat_id: int, after: int) -> list[ChatEvent]:
    chat = emulator.state.chats.get(chat_id)
    if chat is None:
        return []
    return [e for e in chat.events_after(after) if e.kind != "delete" and e.message.from_bot]


async def wait_events(
    emulator: BotApiEmulator,
    chat_id: int,
    after: int,
    count: int,
    timeout: float = STEP_TIMEOUT,  # noqa: ASYNC109 - a deadline, not a cancel scope
) -> list[ChatEvent]:
    """The first ``count`` bot messages or edits in the chat after change ``after``."""
    signal = emulator.state.chat_signal(chat_id)
    deadline = time.perf_counter() + timeout
    while True:
        ticket = signal.ticket()
        found = bot_events(emulator, chat_id, after)
        if len(found) >= count:
            return found[:count]
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            raise TimeoutError(f"chat {chat_id}: {len(found)} of {count} answers after {timeout}s")
        await sleep_on(ticket, remaining)


async def calibrate(
    emulator: BotApiEmulator, user_id: int, moves: Sequence[Move], *, quiet: float = 0.3
) -> list[int]:
    """How many messages and edits the bot answers each move with, walking it alone."""
    user = emulator.user(user_id, first_name="伟", last_name="张", phone_number="+8613800138000")
    counts = []
    for move in moves:
        mark = user.mark()
        await make(user, move)
        await wait_events(emulator, user.id, mark, 1)
        await emulator.wait_idle(quiet=quiet, timeout=STEP_TIMEOUT)
        counts.append(len(bot_events(emulator, user.id, mark)))
    return counts


async def walk(
    emulator: BotApiEmulator,
    times: EventTimes,
    user: FakeUser,
    moves: Sequence[Move],
    answers: Sequence[int],
) -> list[StepTiming]:
    timings = []
    for move, count in zip(moves, answers, strict=True):
        mark = user.mark()
        sent = time.perf_counter()
        await make(user, move)
        events = await wait_events(emulator, user.id, mark, count)
        first, last = times.at[events[0].seq], times.at[events[-1].seq]
        timings.append(StepTiming((first - sent) * 1000, (last - sent) * 1000))
    return timings


async def run_customers(
    emulator: BotApiEmulator,
    times: EventTimes,
    first_user_id: int,
    customers: int,
    moves: Sequence[Move],
    answers: Sequence[int],
) -> RunResult:
    """``customers`` new customers walk the conversation at the same time."""
    users = [
        emulator.user(first_user_id + i, first_name="伟", last_name="张") for i in range(customers)
    ]
    started = time.perf_counter()
    walks = await asyncio.gather(*(walk(emulator, times, u, moves, answers) for u in users))
    seconds = time.perf_counter() - started
    timings = tuple(t for one in walks for t in one)
    return RunResult(customers, len(timings), seconds, timings)
