"""What the web chat's API says to requests it cannot carry out, and that the bot hears none."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.sandbox.run import SandboxRunner
from tests.e2e.webchat_client import PageClient, running_sandbox


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[SandboxRunner]:
    async with running_sandbox(tmp_path) as runner:
        yield runner


@pytest.fixture
async def page(sandbox: SandboxRunner) -> AsyncIterator[PageClient]:
    async with aiohttp.ClientSession(base_url=sandbox.url) as session:
        yield PageClient(session)


@pytest.fixture
async def customer(page: PageClient) -> int:
    return await page.add_customer()


async def test_unknown_personas_and_files_are_not_found(page: PageClient) -> None:
    for path in ("/api/chats/99999", "/api/chats/abc", "/api/files/BQACAgUAAxkBAAI0001nope"):
        status, body = await page.get(path)
        assert status == 404 and body["ok"] is False, path
    status, body = await page.post("/api/chats/99999/messages", {"text": "hi"})
    assert status == 404 and "no persona 99999" in body["description"]


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"text": ""}, "empty"),
        ({"text": "   "}, "empty"),
        ({}, "empty"),
        ({"text": "x" * 4097}, "at most 4096"),
        (["not", "an", "object"], "JSON object"),
    ],
)
async def test_texts_the_bot_would_never_get_are_refused(
    sandbox: SandboxRunner, page: PageClient, customer: int, body: object, complaint: str
) -> None:
    before = sandbox.emulator.stats.updates_enqueued
    status, answer = await page.post(f"/api/chats/{customer}/messages", body)
    assert status == 400 and complaint in answer["description"]
    assert sandbox.emulator.stats.updates_enqueued == before


async def test_a_body_that_is_not_json_is_refused(page: PageClient, customer: int) -> None:
    status, answer = await page.post(
        f"/api/chats/{customer}/messages",
        data=b"{text:",
        headers={"Content-Type": "application/json"},
    )
    assert status == 400 and "JSON object" in answer["description"]


async def test_buttons_that_are_not_there_cannot_be_pressed_or_tapped(
    sandbox: SandboxRunner, page: PageClient, customer: int
) -> None:
    await page.say(customer, "/start")
    [welcome, *_] = await page.wait_for_bot(customer, lambda ms: len(ms) >= 2)
    before = sandbox.emulator.stats.updates_enqueued
    status, answer = await page.post(
        f"/api/chats/{customer}/press", {"message_id": welcome["message_id"], "data": "lang:fr"}
    )
    assert status == 400 and "no callback button" in answer["description"]
    status, answer = await page.post(f"/api/chats/{customer}/press", {"message_id": "1"})
    assert status == 400 and "message_id" in answer["description"]
    status, answer = await page.post(f"/api/chats/{customer}/tap", {"text": "Not a key"})
    assert status == 400 and "no reply keyboard button" in answer["description"]
    assert sandbox.emulator.stats.updates_enqueued == before


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "名" * 65}, "name"),
        ({"name": "Alice", "language": "fr"}, "language"),
    ],
)
async def test_customers_need_a_name_and_a_known_language(
    page: PageClient, body: dict[str, str], complaint: str
) -> None:
    status, answer = await page.post("/api/personas", body)
    assert status == 400 and answer["description"].startswith(complaint)
    _, snapshot = await page.get("/api/personas")
    assert all(p["role"] != "customer" for p in snapshot["personas"])


async def test_the_clock_knows_only_its_three_steps(
    sandbox: SandboxRunner, page: PageClient
) -> None:
    for body in ({"step": "year"}, {}):
        status, answer = await page.post("/api/clock", body)
        assert status == 400 and "hour, workday, deadline" in answer["description"]
    assert sandbox.clock.offset.total_seconds() == 0


async def test_uploads_need_a_non_empty_file(
    sandbox: SandboxRunner, page: PageClient, customer: int
) -> None:
    before = sandbox.emulator.stats.updates_enqueued
    status, answer = await page.post(f"/api/chats/{customer}/files", {"file": "x"})
    assert status == 400 and "multipart" in answer["description"]
    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field("caption", "no file here")
    status, answer = await page.post(f"/api/chats/{customer}/files", data=form)
    assert status == 400 and "no file" in answer["description"]
    empty = aiohttp.FormData()
    empty.add_field("file", b"", filename="empty.pdf", content_type="application/pdf")
    status, answer = await page.post(f"/api/chats/{customer}/files", data=empty)
    assert status == 400 and "empty" in answer["description"]
    assert sandbox.emulator.stats.updates_enqueued == before


async def test_a_mark_must_be_a_number(page: PageClient, customer: int) -> None:
    for after in ("abc", "-1"):
        status, answer = await page.get(f"/api/chats/{customer}?after={after}")
        assert status == 400 and "after" in answer["description"]
