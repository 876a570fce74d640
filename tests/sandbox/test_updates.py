"""getUpdates long polling, confirmation by offset, filtering, webhook and idleness."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Conflict

from sandbox import BotApiEmulator, FakeUser, WaitTimeout
from tests.sandbox.helpers import raw_call


async def test_a_long_poll_returns_as_soon_as_an_update_arrives(bot: Bot, alice: FakeUser) -> None:
    async def write_later() -> None:
        await asyncio.sleep(0.2)
        await alice.send_text("来了")

    writer = asyncio.create_task(write_later())
    # A poll of 600 s that ends well within the ceiling was ended by the update.
    updates = await asyncio.wait_for(bot.get_updates(timeout=600, read_timeout=630), 60)
    await writer
    assert [u.message.text for u in updates] == ["来了"]  # type: ignore[union-attr]


async def test_a_long_poll_with_nothing_to_deliver_ends_after_its_timeout(bot: Bot) -> None:
    started = time.monotonic()
    # Held for its second at least; a server that held on past the client's read timeout
    # (3 s beyond the poll's) would end in TimedOut instead of an empty answer.
    assert await bot.get_updates(timeout=1) == ()
    assert time.monotonic() - started >= 0.9


async def test_updates_stay_until_a_higher_offset_confirms_them(
    bot: Bot, emulator: BotApiEmulator, alice: FakeUser
) -> None:
    for text in ("1", "2", "3"):
        await alice.send_text(text)
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first] == ["1", "2"]  # type: ignore[union-attr]
    assert first[1].update_id == first[0].update_id + 1
    again = await bot.get_updates()
    assert [u.message.text for u in again] == ["1", "2", "3"]  # type: ignore[union-attr]
    rest = await bot.get_updates(offset=first[1].update_id + 1)
    assert [u.message.text for u in rest] == ["3"]  # type: ignore[union-attr]
    await bot.get_updates(offset=rest[0].update_id + 1)
    assert emulator.pending_updates == 0


async def test_a_negative_offset_keeps_only_the_latest_updates(bot: Bot, alice: FakeUser) -> None:
    for text in ("1", "2", "3"):
        await alice.send_text(text)
    latest = await bot.get_updates(offset=-1)
    assert [u.message.text for u in latest] == ["3"]  # type: ignore[union-attr]


async def test_allowed_updates_filters_and_persists(bot: Bot, alice: FakeUser) -> None:
    await alice.send_text("text")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="a")]])
    sent = await bot.send_message(alice.id, "pick", reply_markup=keyboard)
    await alice.press(sent.message_id, "a")
    updates = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.callback_query.data for u in updates] == ["a"]  # type: ignore[union-attr]
    await alice.send_text("ignored now")
    assert await bot.get_updates(offset=updates[0].update_id + 1) == ()


async def test_a_second_poller_ends_the_first_with_conflict(
    emulator: BotApiEmulator, http: aiohttp.ClientSession
) -> None:
    # The first poll would hold for a minute: only the second can end it within the test.
    first = asyncio.create_task(raw_call(http, emulator, "getUpdates", {"timeout": 60}))
    deadline = asyncio.get_running_loop().time() + 60
    while not emulator.stats.requests.get("getUpdates"):  # until the emulator has it
        assert asyncio.get_running_loop().time() < deadline, "the first poll never arrived"
        await asyncio.sleep(0.01)
    second = asyncio.create_task(raw_call(http, emulator, "getUpdates", {"timeout": 0}))
    status, body = await first
    assert status == 409
    assert body["description"] == (
        "Conflict: terminated by other getUpdates request; make sure that only one bot "
        "instance is running"
    )
    assert (await second)[0] == 200


async def test_webhook_is_stored_and_blocks_get_updates(bot: Bot, alice: FakeUser) -> None:
    await alice.send_text("pending")
    assert await bot.set_webhook("https://example.com/hook") is True
    info = await bot.get_webhook_info()
    assert info.url == "https://example.com/hook"
    assert info.pending_update_count == 1
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook(drop_pending_updates=True) is True
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.get_updates() == ()


async def test_wait_idle_returns_once_the_bot_fetched_everything_and_went_quiet(
    bot: Bot, emulator: BotApiEmulator, alice: FakeUser
) -> None:
    await alice.send_text("hi")
    with pytest.raises(WaitTimeout, match="1 updates not fetched"):
        await emulator.wait_idle(timeout=0.3)

    async def poll_and_reply() -> None:
        updates = await bot.get_updates()
        await bot.send_message(alice.id, "hello")
        await bot.get_updates(offset=updates[-1].update_id + 1)

    await poll_and_reply()
    await emulator.wait_idle(quiet=0.1, timeout=60)
    assert [m.text for m in alice.messages()] == ["hello"]
    assert emulator.stats.updates_delivered == 1
