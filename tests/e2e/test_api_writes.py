"""The integration API's writes end to end: an application filed for a customer through
``POST /v1/applications`` and claimed in the emulator's chat through its link, and stage
actions recorded through ``POST /v1/applications/{number}/actions``, racing a button."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any

from api.settings import ApiSettings
from process.clock import ManualClock
from process.roles import Role
from sandbox.emulator import BotApiEmulator
from sandbox.params import Params
from sandbox.state import SandboxState
from tests.e2e.api_harness import Api, api_of
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner
from tests.e2e.staffing import enrol
from tests.e2e.test_five_stages import open_card
from tests.e2e.test_owed_documents import text_of
from tests.postgres import database_in
from tests.services.intake_samples import FORM

PROBLEM = "application/problem+json"
WRITER = "applications:read,applications:write"
BODY = dataclasses.asdict(FORM)


async def _create(api: Api, key: str, idempotency_key: str = "call-1") -> dict[str, object]:
    answer = await api.post(
        "/v1/applications", key, BODY, headers={"Idempotency-Key": idempotency_key}
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, object] = answer.json()
    return body


async def test_an_application_filed_through_the_api_is_claimed_in_the_chat(
    emulator: BotApiEmulator, api_client: Api
) -> None:
    bot = api_client.runner
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    key = await api_client.key("hotline", WRITER)

    created = await _create(api_client, key)
    number = created["number"]
    assert isinstance(number, str)
    assert created["stage"] == "accept" and created["status"] == "active"
    assert created["customer_manager"] == "王经理"
    link = created["claim_link"]
    assert isinstance(link, str) and link.startswith("https://t.me/hvconnect_bot?start=")
    # The customer manager is told of the new application through the outbox.
    await manager.user.wait_for(lambda m: number in (m.text or "") and "新申请" in (m.text or ""))

    # The same request again answers the first result with 200: nothing new was filed.
    again = await api_client.post(
        "/v1/applications", key, BODY, headers={"Idempotency-Key": "call-1"}
    )
    assert again.status_code == 200, again.text
    assert again.json() == created
    rows = await bot.query("SELECT number FROM applications")
    assert [r["number"] for r in rows] == [number]

    # The customer opens the link in Telegram: /start CODE, and sees the card.
    alice = Customer(emulator, emulator.user(1001, first_name="张伟", language_code="zh-hans"))
    card = await alice.say(f"/start {link.split('start=', 1)[1]}")
    assert number in text_of(card) and "营业厅或 95598 代客户受理" in text_of(card)
    await manager.user.wait_for(lambda m: "已通过链接关联 Telegram" in (m.text or ""))
    assert number in text_of(await alice.say("/status"))


async def test_bad_requests_to_create_are_problems_naming_what_is_wrong(
    api_client: Api,
) -> None:
    key = await api_client.key("hotline", WRITER)
    reader = await api_client.key("website", "applications:read")
    await _create(api_client, key, "call-1")

    other = BODY | {"project_name": "另一个工程"}
    reused = await api_client.post(
        "/v1/applications", key, other, headers={"Idempotency-Key": "call-1"}
    )
    assert reused.status_code == 409 and reused.headers["content-type"] == PROBLEM
    assert reused.json()["type"] == "urn:hvconnect:problem:idempotency-key-reused"
    assert reused.json()["number"] == "HV-2026-000001"

    bad = BODY | {"uscc": "91610700MA6YB12340", "contact_mobile": "12", "district": "火星"}
    invalid = await api_client.post(
        "/v1/applications", key, bad, headers={"Idempotency-Key": "call-2"}
    )
    assert invalid.status_code == 422 and invalid.headers["content-type"] == PROBLEM
    problem = invalid.json()
    assert problem["type"] == "urn:hvconnect:problem:invalid"
    assert {e["field"] for e in problem["errors"]} == {"uscc", "district", "contact_mobile"}
    assert all(e["code"] for e in problem["errors"])

    missing = await api_client.post("/v1/applications", key, BODY)
    assert missing.status_code == 400 and missing.json()["type"].endswith(":bad-request")
    long_key = {"Idempotency-Key": "k" * 201}
    too_long = await api_client.post("/v1/applications", key, BODY, headers=long_key)
    assert too_long.status_code == 400 and too_long.json()["field"] == "Idempotency-Key"

    no_scope = await api_client.post(
        "/v1/applications", reader, BODY, headers={"Idempotency-Key": "call-3"}
    )
    assert no_scope.status_code == 403 and no_scope.json()["type"].endswith(":forbidden")
    rows = await api_client.runner.query("SELECT number FROM applications")
    assert len(rows) == 1

    # Numbers may come as JSON numbers.
    numeric = BODY | {"voltage_kv": 10, "capacity_kva": 2500}
    filed = await api_client.post(
        "/v1/applications", key, numeric, headers={"Idempotency-Key": "call-4"}
    )
    assert filed.status_code == 201, filed.text


async def test_an_api_action_tells_the_customer_as_the_button_would(
    emulator: BotApiEmulator, api_client: Api
) -> None:
    bot = api_client.runner
    await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    key = await api_client.key("marketing", WRITER)
    created = await _create(api_client, key)
    number, version = created["number"], created["version"]
    alice = Customer(emulator, emulator.user(1001, first_name="张伟", language_code="zh-hans"))
    await alice.say(f"/start {str(created['claim_link']).split('start=', 1)[1]}")

    path = f"/v1/applications/{number}/actions"
    stale = await api_client.post(path, key, {"action": "accept", "version": 0})
    assert stale.status_code == 409 and stale.json()["type"].endswith(":conflict")
    assert stale.json()["current_version"] == version

    done = await api_client.post(path, key, {"action": "accept", "version": version})
    assert done.status_code == 200, done.text
    assert done.json()["stage"] == "plan" and done.json()["version"] > version
    accepted = await alice.user.wait_for(lambda m: "已受理" in (m.text or ""))
    assert "王经理" in text_of(accepted)

    current = done.json()["version"]
    refusals = [
        (await api_client.post(path, key, {"action": "accept", "version": current}), 409),
        (await api_client.post(path, key, {"action": "confirm_plan", "version": current}), 409),
        (await api_client.post(path, key, {"action": "send_plan", "version": current}), 403),
        (await api_client.post(path, key, {"action": "fly", "version": current}), 422),
        (
            await api_client.post(
                path, key, {"action": "propose_slots", "version": current, "slots": []}
            ),
            422,
        ),
        (
            await api_client.post(
                "/v1/applications/HV-2026-999999/actions", key, {"action": "accept", "version": 1}
            ),
            404,
        ),
    ]
    for answer, status in refusals:
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == PROBLEM
    assert refusals[0][0].json()["reason"] == "wrong_step"
    assert refusals[2][0].json()["reason"] == "not_recordable"
    assert refusals[3][0].json()["field"] == "action"
    assert refusals[4][0].json()["field"] == "slots"


async def test_an_api_action_and_a_button_press_race_and_exactly_one_wins(
    emulator: BotApiEmulator, api_client: Api, api_bot: BotRunner
) -> None:
    manager = await enrol(emulator, api_bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    key = await api_client.key("marketing", WRITER)
    created = await _create(api_client, key)
    number = str(created["number"])
    card = await open_card(manager, number)
    pressed, answer = await asyncio.gather(
        manager.user.press(card, "受理"),
        api_client.post(
            f"/v1/applications/{number}/actions",
            key,
            {"action": "accept", "version": created["version"]},
        ),
    )
    await emulator.wait_idle(quiet=0.2, timeout=60)
    [press_answer] = [a for a in manager.user.callback_answers if a.query_id == pressed.query_id]
    # Exactly one transition, whichever came first.
    rows = await api_bot.query("SELECT data FROM events WHERE kind = 'accept'")
    assert len(rows) == 1
    [application] = await api_bot.query("SELECT step, version FROM applications")
    assert application["step"] == "survey_propose" and application["version"] == 2
    if answer.status_code == 200:
        # The API won: the event names it, and the button was answered as out of date.
        assert json.loads(rows[0]["data"])["via"] == "marketing"
        assert press_answer.show_alert
    else:
        # The button won: the API's call changed nothing and names the version now.
        assert answer.status_code == 409, answer.text
        assert answer.json()["type"] == "urn:hvconnect:problem:conflict"
        assert answer.json()["current_version"] == 2
        assert "via" not in json.loads(rows[0]["data"])
        assert "已完成：受理" in text_of(manager.user.last_message())


async def test_a_button_pressed_after_an_api_action_is_answered_as_stale(
    emulator: BotApiEmulator, api_client: Api, api_bot: BotRunner
) -> None:
    manager = await enrol(emulator, api_bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    key = await api_client.key("marketing", WRITER)
    created = await _create(api_client, key)
    number = str(created["number"])
    card = await open_card(manager, number)
    done = await api_client.post(
        f"/v1/applications/{number}/actions",
        key,
        {"action": "accept", "version": created["version"]},
    )
    assert done.status_code == 200, done.text
    pressed = await manager.user.press(card, "受理")
    await emulator.wait_idle(quiet=0.2, timeout=60)
    [answer] = [a for a in manager.user.callback_answers if a.query_id == pressed.query_id]
    assert answer.show_alert
    rows = await api_bot.query("SELECT data FROM events WHERE kind = 'accept'")
    assert [json.loads(r["data"])["via"] for r in rows] == ["marketing"]


async def test_filing_before_the_bot_knows_its_username_is_a_503_then_succeeds(
    emulator: BotApiEmulator, tmp_path: Path, clock: ManualClock
) -> None:
    """The API listens before the bot has asked Telegram who it is (bot.app.start): a
    filing then has no claim link to give and is answered 503 with Retry-After, and the
    very same request succeeds once the bot's getMe has been answered."""
    handlers = emulator._server._handlers
    name, get_me = handlers["getme"]
    asked, answer = asyncio.Event(), asyncio.Event()

    async def held_get_me(state: SandboxState, params: Params) -> Any:
        asked.set()
        await answer.wait()
        return await get_me(state, params)

    handlers["getme"] = (name, held_get_me)
    settings = ApiSettings(host="127.0.0.1", port=0, burst=100_000)
    runner = BotRunner(emulator, database_in(tmp_path, "hv.db"), clock, api=settings)
    starting = asyncio.create_task(runner.start())
    try:
        await asyncio.wait_for(asked.wait(), 60)  # the API is listening: it starts first
        async with api_of(runner) as api:
            key = await api.key("hotline", WRITER)
            early = await api.post("/v1/applications", key, BODY, headers={"Idempotency-Key": "k"})
            assert early.status_code == 503, early.text
            assert early.headers["content-type"] == PROBLEM
            assert early.headers["retry-after"] == "1"
            problem = early.json()
            assert problem["type"] == "urn:hvconnect:problem:unavailable"
            assert problem["status"] == 503 and "starting" in problem["detail"]
            assert await runner.query("SELECT number FROM applications") == []

            answer.set()
            await starting
            later = await api.post("/v1/applications", key, BODY, headers={"Idempotency-Key": "k"})
            assert later.status_code == 201, later.text
            assert str(later.json()["claim_link"]).startswith("https://t.me/hvconnect_bot?start=")
    finally:
        answer.set()
        handlers["getme"] = (name, get_me)
        if not starting.done():
            await starting
        await runner.stop()
