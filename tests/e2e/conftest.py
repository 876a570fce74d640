from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from process.clock import ManualClock
from sandbox.emulator import BotApiEmulator
from sandbox.limits import RateLimits
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
    emulator: BotApiEmulator, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[BotRunner]:
    runner = BotRunner(emulator, tmp_path / "hv.db", clock)
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()
