"""A customer's submission in the chat reaches a subscribed receiver as a signed webhook
posted by the running bot, with the application's number and none of the customer's data."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator

import pytest

from bot.app import services_of
from sandbox.emulator import BotApiEmulator
from storage.webhooks import WebhooksRepo
from tests.e2e.apply_walk import submit_application
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner
from tests.notifications.webhook_rig import Receiver, eventually

SECRET = "whsec_e2e"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def test_a_submission_in_the_chat_is_posted_to_the_subscriber(
    emulator: BotApiEmulator, bot: BotRunner, receiver: Receiver
) -> None:
    assert bot.app is not None
    await WebhooksRepo(services_of(bot.app).db).add(
        client_name="marketing",
        url=receiver.url + "/events",
        event_kinds=["submitted"],
        signing_secret=SECRET,
        now=bot.clock.now(),
    )
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    number = await submit_application(alice)
    await eventually(lambda: len(receiver.accepted) == 1)
    (got,) = receiver.received
    t, v1 = (part.split("=", 1)[1] for part in got.headers["X-Hvconnect-Signature"].split(","))
    expected = hmac.new(SECRET.encode(), f"{t}.".encode() + got.body, hashlib.sha256)
    assert hmac.compare_digest(expected.hexdigest(), v1)
    body = json.loads(got.body)
    assert (body["kind"], body["application"], body["actor_role"]) == (
        "submitted",
        number,
        "customer",
    )
    assert "张伟" not in got.body.decode()
