from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from api.settings import ApiSettings
from process.clock import ManualClock
from sandbox.emulator import BotApiEmulator
from sandbox.limits import RateLimits
from tests.e2e.api_harness import Api, api_of
from tests.e2e.harness import BotRunner, shanghai


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    # Conversations here are a user and the bot taking turns; the rate-limit behaviour of
    # the emulator has its own tests.
    async with BotApiEmulator(limits=RateLimits(enabled=False), strict_html=True) as emu:
        yield emu


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(shanghai(2026, 11, 27, 10, 0))  # a Friday


@pytest.fixture
async def bot(
    emulator: BotApiEmulator, database_location: Path | str, clock: ManualClock
) -> AsyncIterator[BotRunner]:
    runner = BotRunner(emulator, database_location, clock)
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()


@pytest.fixture
async def api_bot(
    emulator: BotApiEmulator, database_location: Path | str, clock: ManualClock
) -> AsyncIterator[BotRunner]:
    """The bot with its integration API on a free port (HVCONNECT_API_LISTEN=127.0.0.1:0)."""
    settings = ApiSettings(host="127.0.0.1", port=0, burst=100_000, feed_poll_seconds=0.05)
    runner = BotRunner(emulator, database_location, clock, api=settings)
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()


@pytest.fixture
async def api_client(api_bot: BotRunner) -> AsyncIterator[Api]:
    async with api_of(api_bot) as api:
        yield api
