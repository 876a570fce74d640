"""Injected faults surface as python-telegram-bot's real exceptions."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TimedOut

from sandbox import BotApiEmulator, FakeUser
from sandbox.faults import FaultInjector


async def test_a_timeout_fault_makes_the_client_time_out_and_sends_nothing(
    bot: Bot, emulator: BotApiEmulator, alice: FakeUser
) -> None:
    await alice.send_text("hi")
    emulator.inject_faults("sendMessage", ["timeout"], 1)
    # The emulator holds the request far longer than 0.3 s, then drops it (a NetworkError):
    # a TimedOut is the client's own read timeout.
    with pytest.raises(TimedOut):
        await bot.send_message(alice.id, "lost", read_timeout=0.3)
    assert alice.messages() == []
    await bot.send_message(alice.id, "retried")
    assert [m.text for m in alice.messages()] == ["retried"]


async def test_timeout_after_delivers_the_message_but_the_client_never_hears(
    bot: Bot, emulator: BotApiEmulator, alice: FakeUser
) -> None:
    await alice.send_text("hi")
    emulator.inject_faults("sendmessage", ["timeout_after"], 1)
    with pytest.raises(TimedOut):
        await bot.send_message(alice.id, "sent twice?", read_timeout=0.3)
    assert [m.text for m in alice.messages()] == ["sent twice?"]


async def test_a_reset_closes_the_connection(
    bot: Bot, emulator: BotApiEmulator, alice: FakeUser
) -> None:
    await alice.send_text("hi")
    emulator.inject_faults(None, ["reset"], 1)
    with pytest.raises(NetworkError, match="disconnected"):
        await bot.send_message(alice.id, "x")
    assert (await bot.send_message(alice.id, "ok")).text == "ok"


@pytest.mark.parametrize(
    ("kind", "text"), [("500", "Internal Server Error"), ("502", "Bad Gateway")]
)
async def test_server_errors_are_network_errors(
    bot: Bot, emulator: BotApiEmulator, alice: FakeUser, kind: str, text: str
) -> None:
    await alice.send_text("hi")
    emulator.inject_faults("sendMessage", [kind], 1)
    with pytest.raises(NetworkError, match=text):
        await bot.send_message(alice.id, "x")


async def test_faults_apply_to_the_next_count_matching_calls_in_kind_order(
    bot: Bot, emulator: BotApiEmulator, alice: FakeUser
) -> None:
    await alice.send_text("hi")
    emulator.inject_faults("sendMessage", ["429", "500"], 3)
    await bot.get_me()  # another method is not affected
    with pytest.raises(RetryAfter):
        await bot.send_message(alice.id, "1")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(alice.id, "2")
    with pytest.raises(RetryAfter):
        await bot.send_message(alice.id, "3")
    await bot.send_message(alice.id, "4")
    assert [m.text for m in alice.messages()] == ["4"]
    assert emulator.faults_injected == {"429": 2, "500": 1}


async def test_file_downloads_can_fail_too(
    bot: Bot, emulator: BotApiEmulator, alice: FakeUser
) -> None:
    await alice.send_document("a.txt", b"abc", "text/plain")
    (update,) = await bot.get_updates()
    telegram_file = await bot.get_file(update.message.document.file_id)  # type: ignore[union-attr]
    emulator.inject_faults("download", ["502"], 1)
    with pytest.raises(NetworkError):
        await telegram_file.download_as_bytearray()
    assert bytes(await telegram_file.download_as_bytearray()) == b"abc"


def test_random_faults_are_repeatable_with_a_seed() -> None:
    def run() -> list[str | None]:
        injector = FaultInjector()
        injector.set_rate(0.5, ["500", "reset"], seed=7)
        return [injector.next_fault("sendMessage") for _ in range(50)]

    first = run()
    assert first == run()
    assert 10 < sum(kind is not None for kind in first) < 40
    assert {"500", "reset"} <= set(first)


def test_random_faults_can_be_limited_to_methods_and_switched_off() -> None:
    injector = FaultInjector()
    injector.set_rate(1.0, ["502"], seed=1, methods=["sendMessage"])
    assert injector.next_fault("getUpdates") is None
    assert injector.next_fault("SENDMESSAGE") == "502"
    injector.set_rate(0.0, ["502"], seed=1)
    assert injector.next_fault("sendMessage") is None


def test_bad_fault_requests_are_refused() -> None:
    injector = FaultInjector()
    with pytest.raises(ValueError, match="fault kinds"):
        injector.inject("sendMessage", ["explode"], 1)
    with pytest.raises(ValueError):
        injector.inject("sendMessage", ["500"], 0)
    with pytest.raises(ValueError):
        injector.set_rate(1.5, ["500"], seed=1)
