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
from dataclasses import dataclass

from benchmarks.common import Report, quick, runs, work_dir
from benchmarks.conversation_http import over_http
from benchmarks.conversation_inproc import in_process
from benchmarks.walk import application_walk


@dataclass(frozen=True)
class Sizes:
    """How much of everything to run; ``BENCH_QUICK=1`` and the smoke test use less."""

    http_customers: tuple[int, ...] = (1, 10, 100)
    http_runs: int = 3
    in_process_customers: int = 40
    in_process_capped: int = 5  # hvconnect as built: 30 calls a second across chats
    in_process_runs: int = 5
    calibration_quiet: float = 0.3
    built_steps: int | None = None  # as built walks this many steps (None: all)
    client_calls: int = 2_000  # Bot API calls per client in the client-cost measurement

    @classmethod
    def for_mode(cls) -> Sizes:
        if quick():
            return cls((1, 10), runs(3), 10, 3, runs(5), 0.3, 8, 200)
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
        "per message, an answer and one reply per button press, no database, no templates; "
        "the floor is that bot committing one transaction per update before it answers. "
        "hvconnect runs exactly as `build_application()` builds it for production: SQLite "
        "with `synchronous=FULL`, every answer written at once, conversation state persisted "
        "on every step, personal data sealed, the outbox sender running, and its rate "
        "limiter (`notifications/pacing.py`: messages sent, 30 a second overall, in one "
        "budget with the outbox). A customer manager is "
        "enrolled, so every submission is assigned and announced through the outbox as in "
        "production."
    )
    try:
        await over_http(
            section,
            work,
            counts=sizes.http_customers,
            repeats=sizes.http_runs,
            calibration_quiet=sizes.calibration_quiet,
            built_steps=sizes.built_steps,
            client_calls=sizes.client_calls,
        )
        await in_process(
            section,
            work,
            customers=sizes.in_process_customers,
            capped=sizes.in_process_capped,
            repeats=sizes.in_process_runs,
            built_steps=sizes.built_steps,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
