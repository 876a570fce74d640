"""Webhook delivery: the emulator posts updates to the bot's webhook as Telegram does.

A tiny receiver (tests/sandbox/receiver.py) stands in for the bot: no bot is needed to see
retries, per-chat order, the connection limit, duplicates and the secret header.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from sandbox import BotApiEmulator, RateLimits
from sandbox.webhook import WebhookRetry, chat_key
from tests.sandbox.helpers import TOKEN, raw_call
from tests.sandbox.receiver import Receiver

HOST = "bot.example.com"
URL = f"https://{HOST}/tg/hook"
SECRET = "s3cret-token_0123456789"


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    # Short delays keep retries quick; the POST timeout is short for the timeout test and
    # still far above what the receiver here takes to answer.
    emu = BotApiEmulator(
        token=TOKEN,
        limits=RateLimits(enabled=False),
        webhook_retry=WebhookRetry(first_delay=0.02, max_delay=0.2, timeout=2.0),
    )
    await emu.start()
    yield emu
    await emu.stop()


@pytest.fixture
async def receiver(emulator: BotApiEmulator) -> AsyncIterator[Receiver]:
    rec = Receiver()
    emulator.route_webhook(HOST, await rec.start())
    yield rec
    await rec.stop()


async def _set_webhook(
    http: aiohttp.ClientSession, emulator: BotApiEmulator, **extra: Any
) -> dict[str, Any]:
    status, body = await raw_call(
        http, emulator, "setWebhook", {"url": URL, "secret_token": SECRET, **extra}
    )
    assert status == 200, body
    return body


async def _info(http: aiohttp.ClientSession, emulator: BotApiEmulator) -> dict[str, Any]:
    status, body = await raw_call(http, emulator, "getWebhookInfo")
    assert status == 200
    result: dict[str, Any] = body["result"]
    return result


async def _drained(emulator: BotApiEmulator, receiver: Receiver) -> None:
    await receiver.wait(lambda: emulator.pending_updates == 0 and emulator.webhook_in_flight == 0)


async def test_each_update_is_posted_with_the_secret_and_acknowledged(
    emulator: BotApiEmulator, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    alice = emulator.user(1001)
    await alice.send_text("before the webhook")  # waits until there is one
    await _set_webhook(http, emulator)
    await alice.send_text("after")
    await _drained(emulator, receiver)
    assert receiver.texts() == ["before the webhook", "after"]
    assert {r.secret for r in receiver.received} == {SECRET}
    assert {r.path for r in receiver.received} == {"/tg/hook"}
    info = await _info(http, emulator)
    assert info["url"] == URL and info["pending_update_count"] == 0
    assert "last_error_date" not in info
    assert emulator.stats.updates_delivered == 2 and emulator.stats.webhook_posts == 2
    assert emulator.webhook_acknowledged == receiver.ids()


async def test_an_error_answer_is_retried_until_acknowledged_and_reported(
    emulator: BotApiEmulator, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    receiver.plan.extend([500, 502, 403])
    await _set_webhook(http, emulator)
    await emulator.user(1001).send_text("persistent")
    await _drained(emulator, receiver)
    assert receiver.texts() == ["persistent"] * 4
    assert emulator.stats.webhook_failures == 3
    info = await _info(http, emulator)
    assert info["pending_update_count"] == 0
    assert info["last_error_message"] == "Wrong response from the webhook: 403 Forbidden"
    assert isinstance(info["last_error_date"], int)


async def test_a_refused_connection_keeps_the_update_until_the_webhook_is_back(
    emulator: BotApiEmulator, http: aiohttp.ClientSession
) -> None:
    down = Receiver()
    emulator.route_webhook(HOST, await down.start())
    await down.stop()  # the port is closed: connections are refused
    await _set_webhook(http, emulator)
    await emulator.user(1001).send_text("waiting")
    await down.wait(lambda: emulator.stats.webhook_failures >= 2)
    info = await _info(http, emulator)
    assert info["pending_update_count"] == 1
    assert info["last_error_message"] == "Connection refused"
    back = Receiver()
    emulator.route_webhook(HOST, await back.start())
    try:
        await _drained(emulator, back)
        assert back.texts() == ["waiting"]
    finally:
        await back.stop()


async def test_an_unrouted_host_fails_as_an_unknown_name(
    emulator: BotApiEmulator, http: aiohttp.ClientSession
) -> None:
    await _set_webhook(http, emulator)
    await emulator.user(1001).send_text("nowhere")
    probe = Receiver()
    await probe.wait(lambda: emulator.stats.webhook_failures >= 1)
    info = await _info(http, emulator)
    assert info["pending_update_count"] == 1
    assert info["last_error_message"].startswith("Failed to resolve host")


async def test_a_post_that_outlives_the_timeout_is_posted_again(
    emulator: BotApiEmulator, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    release = asyncio.Event()

    async def hold(update: dict[str, Any]) -> int:
        await release.wait()  # until the test ends: the emulator gives up first
        return 200

    receiver.plan.append(hold)
    await _set_webhook(http, emulator)
    await emulator.user(1001).send_text("slow")
    try:
        await _drained(emulator, receiver)
    finally:
        release.set()
    assert receiver.texts() == ["slow", "slow"]
    assert (await _info(http, emulator))["last_error_message"] == "Read timeout expired"


async def test_a_chat_gets_its_next_update_only_after_the_previous_was_acknowledged(
    emulator: BotApiEmulator, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    release = asyncio.Event()
    answered: list[str] = []

    async def hold_then_refuse(update: dict[str, Any]) -> int:
        text = update["message"]["text"]
        if text == "a1" and not answered:
            await release.wait()
        answered.append(text)
        return 500 if answered.count("a1") == 1 and text == "a1" else 200

    # alice's first update is held, then refused: her second must wait for it.
    receiver.default = 0
    receiver.plan.extend([hold_then_refuse] * 10)
    alice, bob = emulator.user(1001), emulator.user(1002)
    await alice.send_text("a1")
    await alice.send_text("a2")
    await bob.send_text("b1")
    await _set_webhook(http, emulator)
    # bob is not held up by alice's chat.
    await receiver.wait(lambda: "b1" in receiver.texts())
    assert "a2" not in receiver.texts()
    release.set()
    await _drained(emulator, receiver)
    alice_texts = [t for t in receiver.texts() if t.startswith("a")]
    assert alice_texts == ["a1", "a1", "a2"]


async def test_no_more_than_max_connections_posts_are_in_flight(
    emulator: BotApiEmulator, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    release = asyncio.Event()

    async def hold(update: dict[str, Any]) -> int:
        await release.wait()
        return 200

    receiver.plan.extend([hold] * 6)
    for user_id in range(1001, 1007):
        await emulator.user(user_id).send_text(f"from {user_id}")
    await _set_webhook(http, emulator, max_connections=2)
    assert (await _info(http, emulator))["max_connections"] == 2
    await receiver.wait(lambda: receiver.concurrent == 2)
    assert emulator.webhook_in_flight == 2
    release.set()
    await _drained(emulator, receiver)
    assert len(receiver.received) == 6
    assert receiver.most_concurrent == 2


async def test_the_duplicate_fault_posts_acknowledged_updates_again_in_order(
    emulator: BotApiEmulator, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    emulator.set_webhook_duplicates(0.5, seed=7)
    alice, bob = emulator.user(1001), emulator.user(1002)
    for n in range(10):
        await alice.send_text(f"a{n}")
        await bob.send_text(f"b{n}")
    await _set_webhook(http, emulator)
    await _drained(emulator, receiver)
    duplicates = emulator.stats.webhook_duplicates
    assert 0 < duplicates < 20
    assert len(receiver.received) == 20 + duplicates
    for prefix in ("a", "b"):
        seen = [t for t in receiver.texts() if t.startswith(prefix)]
        # Repeats come straight after the original, never after a later update.
        assert [t for i, t in enumerate(seen) if i == 0 or seen[i - 1] != t] == [
            f"{prefix}{n}" for n in range(10)
        ]
    emulator.clear_faults()
    await alice.send_text("once")
    await _drained(emulator, receiver)
    assert receiver.texts().count("once") == 1


async def test_delete_webhook_stops_delivery_and_get_updates_works_again(
    emulator: BotApiEmulator, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    receiver.default = 500
    alice = emulator.user(1001)
    await _set_webhook(http, emulator)
    await alice.send_text("refused")
    await receiver.wait(lambda: len(receiver.received) >= 1)
    status, _ = await raw_call(http, emulator, "deleteWebhook")
    assert status == 200
    await alice.send_text("polled")
    status, body = await raw_call(http, emulator, "getUpdates", {"timeout": 0})
    assert status == 200
    assert [u["message"]["text"] for u in body["result"]] == ["refused", "polled"]
    assert "polled" not in receiver.texts()
    info = await _info(http, emulator)
    assert info["url"] == "" and info["pending_update_count"] == 2


async def test_allowed_updates_of_set_webhook_filter_what_is_posted(
    emulator: BotApiEmulator, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    alice = emulator.user(1001)
    await _set_webhook(http, emulator, allowed_updates=["callback_query"])
    await alice.send_text("not wanted")
    await _drained(emulator, receiver)
    assert receiver.received == []


def test_updates_are_ordered_by_their_chat_or_user() -> None:
    message = {"update_id": 1, "message": {"chat": {"id": -5}, "from": {"id": 9}}}
    press = {"update_id": 2, "callback_query": {"from": {"id": 9}, "message": {"chat": {"id": 9}}}}
    inline = {"update_id": 3, "inline_query": {"from": {"id": 9}}}
    poll = {"update_id": 4, "poll": {"id": "p"}}
    assert chat_key(message) == ("chat", -5)
    assert chat_key(press) == chat_key(inline) == ("chat", 9)
    assert chat_key(poll) == ("update", 4)
