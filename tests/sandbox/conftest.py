"""Fixtures: a running emulator, python-telegram-bot's own Bot pointed at it, and users."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import Bot

from sandbox import BotApiEmulator, FakeUser, RateLimits
from tests.sandbox.helpers import TOKEN, FakeMonotonic, local_request


@pytest.fixture
def monotonic() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
async def emulator(monotonic: FakeMonotonic) -> AsyncIterator[BotApiEmulator]:
    # Flood control is off here; the rate-limit tests switch it on explicitly.
    emu = BotApiEmulator(
        token=TOKEN,
        limits=RateLimits(enabled=False),
        clock=monotonic,
        # A held request outlives any client read timeout used here by far, so a TimedOut is
        # the client giving up on its own, however slow the machine; stopping releases it.
        fault_hold_seconds=60.0,
    )
    await emu.start()
    yield emu
    await emu.stop()


@pytest.fixture
async def bot(emulator: BotApiEmulator) -> AsyncIterator[Bot]:
    client = Bot(
        TOKEN,
        request=local_request(connection_pool_size=8, read_timeout=3.0),
        get_updates_request=local_request(read_timeout=3.0),
        **emulator.bot_kwargs(),
    )
    await client.initialize()
    yield client
    await client.shutdown()


@pytest.fixture
def alice(emulator: BotApiEmulator) -> FakeUser:
    return emulator.user(1001, first_name="张伟", language_code="zh-hans")


@pytest.fixture
def bob(emulator: BotApiEmulator) -> FakeUser:
    return emulator.user(1002, first_name="李娜", username="lina")


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
