"""The crawler's rig: the emulator as Telegram, the production bot with an admin configured,
and the two probes (handled updates, ERROR records) installed before the first update."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import build_application, services_of, start
from process.clock import ManualClock
from sandbox.emulator import BotApiEmulator
from sandbox.limits import RateLimits
from tests.crawl.probe import HandledUpdates, LogTrap
from tests.crawl.world import ADMIN, SEED_AT
from tests.e2e.harness import BotRunner


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(limits=RateLimits(enabled=False), strict_html=True) as emu:
        yield emu


@pytest.fixture
def handled() -> HandledUpdates:
    return HandledUpdates()


@pytest.fixture
def trap() -> LogTrap:
    return LogTrap()


@pytest.fixture
async def crawl_bot(
    emulator: BotApiEmulator, tmp_path: Path, handled: HandledUpdates, trap: LogTrap
) -> AsyncIterator[BotRunner]:
    root = logging.getLogger()
    root.addHandler(trap)
    runner = BotRunner(
        emulator, tmp_path / "hv.db", ManualClock(SEED_AT), admins=frozenset({ADMIN})
    )
    await start_watched(runner, handled)
    try:
        yield runner
    finally:
        await runner.stop()
        root.removeHandler(trap)


@pytest.fixture
async def bot(
    emulator: BotApiEmulator, tmp_path: Path, handled: HandledUpdates
) -> AsyncIterator[BotRunner]:
    """The bot as the e2e tests run it, on the crawl's seeding day."""
    runner = BotRunner(emulator, tmp_path / "hv.db", ManualClock(SEED_AT))
    await start_watched(runner, handled)
    try:
        yield runner
    finally:
        await runner.stop()


async def start_watched(runner: BotRunner, handled: HandledUpdates) -> None:
    """``BotRunner.start`` with the probe of handled updates installed first."""
    app = await build_application(runner.config, clock=runner.clock)
    handled.install(app)
    # Flood control is off in this emulator; pacing each chat to a message a second would
    # only make the rig wait (the sender's pacing has its own tests).
    services_of(app).sender._per_chat_interval = 0.0
    await start(app, poll_timeout=1)
    runner.app = app
