"""The sandbox web chat's API against the real bot: personas, chats, buttons, files, stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import aiosqlite
import pytest

from bot.sandbox import seed as sandbox_seed
from bot.sandbox.run import SandboxRunner
from bot.sandbox.seed import StaffSeed
from bot.secure_db import sandbox_key
from sandbox.webchat.server import WebChat
from storage.sealing.columns import row_factory
from storage.sealing.crypto import FieldCipher
from tests.e2e.customer import PDF, PNG
from tests.e2e.webchat_client import PageClient, next_snapshot, running_sandbox

WEB_FILES = (
    "index.html",
    "app.js",
    "api.js",
    "clock.js",
    "entities.js",
    "i18n.js",
    "messages.js",
    "personas.js",
    "story.js",
    "player.js",
    "style.css",
)


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[SandboxRunner]:
    async with running_sandbox(tmp_path) as runner:
        yield runner


@pytest.fixture
async def page(sandbox: SandboxRunner) -> AsyncIterator[PageClient]:
    async with aiohttp.ClientSession(base_url=sandbox.url) as session:
        yield PageClient(session)


async def query(runner: SandboxRunner, sql: str) -> list[aiosqlite.Row]:
    # Personal data is sealed with the sandbox's own key, kept beside its database.
    key = sandbox_key(runner.settings.db_path.with_suffix(".key"))
    async with aiosqlite.connect(runner.settings.db_path) as conn:
        conn.row_factory = row_factory(FieldCipher.from_secrets(key))  # type: ignore[assignment]
        async with conn.execute(sql) as cursor:
            return list(await cursor.fetchall())


async def test_the_page_and_its_scripts_are_served_without_network(
    sandbox: SandboxRunner, page: PageClient
) -> None:
    async with page.session.get("/") as response:
        html = await response.text()
    assert response.status == 200 and "hvconnect" in html
    for name in WEB_FILES[1:]:
        async with page.session.get(f"/static/{name}") as response:
            body = await response.text()
        assert response.status == 200, name
        assert "http://" not in body and "https://" not in body, name  # no CDN, no network
        assert ".innerHTML" not in body, name  # text goes in as text nodes only
    assert "https://" not in html and "http://" not in html


async def test_staff_are_seeded_and_enrolled_through_join(
    sandbox: SandboxRunner, page: PageClient
) -> None:
    status, snapshot = await page.get("/api/personas")
    assert status == 200
    staff = [p for p in snapshot["personas"] if p["role"] != "customer"]
    assert [p["role"] for p in staff] == [
        "customer_manager",
        "project_manager",
        "supervisor",
        "admin",
    ]
    assert all(p["note"] == "" for p in staff), staff
    assert all(p["unread"] == 0 for p in staff)  # the /join answers count as read
    rows = await query(sandbox, "SELECT user_id, role, active FROM staff ORDER BY user_id")
    assert [(r["user_id"], r["role"], r["active"]) for r in rows] == [
        (p["user_id"], p["role"], 1) for p in staff
    ]


async def test_a_staff_member_whose_join_fails_is_shown_with_the_bots_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    join = sandbox_seed._join

    async def admin_types_a_wrong_code(webchat: WebChat, seed: StaffSeed, code: str) -> str:
        return await join(webchat, seed, "AAAA-BBBB-CC" if seed.role == "admin" else code)

    monkeypatch.setattr(sandbox_seed, "_join", admin_types_a_wrong_code)
    async with running_sandbox(tmp_path) as sandbox:
        admin = sandbox.webchat.persona(9004)
        manager = sandbox.webchat.persona(9001)
        [answer] = sandbox.emulator.messages(9004)
    assert admin is not None and manager is not None
    assert admin.note == f"not enrolled: {answer.content.splitlines()[0]}"
    assert manager.note == ""


async def test_each_persona_gets_the_command_menu_of_its_chat_and_language(
    sandbox: SandboxRunner, page: PageClient
) -> None:
    chinese = await page.add_customer("张伟", "zh")
    english = await page.add_customer("Alice", "en")
    zh_menu = {c["command"]: c["description"] for c in (await page.chat(chinese))["commands"]}
    en_menu = {c["command"]: c["description"] for c in (await page.chat(english))["commands"]}
    assert en_menu["apply"] == "Apply for a high-voltage supply" != zh_menu["apply"]
    assert "queue" not in zh_menu
    staff_menu = [c["command"] for c in (await page.chat(9001))["commands"]]
    assert "queue" in staff_menu  # set for the manager's own chat when they joined


async def test_a_customer_starts_and_shares_the_phone_with_the_contact_button(
    sandbox: SandboxRunner, page: PageClient
) -> None:
    customer = await page.add_customer("张伟")
    await page.say(customer, "/start")
    messages = await page.wait_for_bot(customer, lambda ms: len(ms) >= 2)
    welcome = messages[0]
    assert "张伟" in welcome["text"] and "高压用电报装服务" in welcome["text"]
    assert any(e["type"] == "bold" for e in welcome["entities"])
    assert [b["text"] for b in welcome["buttons"][0]] == ["中文", "English"]
    chat = await page.chat(customer)
    assert chat["messages"][0]["text"] == "/start" and not chat["messages"][0]["from_bot"]
    [[share]] = chat["keyboard"]["rows"]
    assert share["request_contact"] is True
    assert "apply" in [c["command"] for c in chat["commands"]]

    status, _ = await page.post(f"/api/chats/{customer}/tap", {"text": share["text"]})
    assert status == 200
    await page.wait_for_bot(customer, lambda ms: "已保存您的手机号" in (ms[-1]["text"] or ""))
    [user] = await query(
        sandbox, f"SELECT phone, phone_verified FROM users WHERE user_id = {customer}"
    )
    assert (user["phone"], user["phone_verified"]) == (f"139{customer:08d}", 1)


async def test_pressing_an_inline_button_changes_the_language(
    sandbox: SandboxRunner, page: PageClient
) -> None:
    customer = await page.add_customer("Alice")
    await page.say(customer, "/start")
    [welcome, *_] = await page.wait_for_bot(customer, lambda ms: len(ms) >= 2)
    [english] = [b for b in welcome["buttons"][0] if b["text"] == "English"]
    status, pressed = await page.post(
        f"/api/chats/{customer}/press",
        {"message_id": welcome["message_id"], "data": english["data"]},
    )
    assert status == 200 and "answer" in pressed
    await page.wait_for_bot(customer, lambda ms: "speaks English" in (ms[-1]["text"] or ""))
    [user] = await query(sandbox, f"SELECT locale FROM users WHERE user_id = {customer}")
    assert user["locale"] == "en"


async def test_files_go_both_ways_through_the_emulators_storage(
    sandbox: SandboxRunner, page: PageClient
) -> None:
    customer = await page.add_customer()
    form = aiohttp.FormData()
    form.add_field("file", PDF, filename="营业执照.pdf", content_type="application/pdf")
    status, sent = await page.post(f"/api/chats/{customer}/files", data=form)
    assert status == 201
    photo_form = aiohttp.FormData()
    photo_form.add_field("file", PNG, filename="page1.png", content_type="image/png")
    status, _ = await page.post(f"/api/chats/{customer}/files", data=photo_form)
    assert status == 201
    await page.wait_for_bot(customer, lambda ms: len(ms) >= 2)  # the bot answered both
    own = [m for m in (await page.chat(customer))["messages"] if not m["from_bot"]]
    document, photo = own[0]["document"], own[1]["photo"]
    assert document["file_name"] == "营业执照.pdf" and own[0]["message_id"] == sent["message_id"]
    assert photo["width"] == 1 and own[1]["document"] is None
    async with page.session.get(f"/api/files/{document['file_id']}") as response:
        assert response.status == 200 and await response.read() == PDF
        assert response.content_type == "application/pdf"
        assert "attachment" in response.headers["Content-Disposition"]
    async with page.session.get(f"/api/files/{photo['file_id']}") as response:
        assert await response.read() == PNG and response.content_type == "image/png"


async def test_the_stream_sends_a_snapshot_when_the_bot_answers(
    sandbox: SandboxRunner, page: PageClient
) -> None:
    customer = await page.add_customer()
    async with page.session.get("/api/events") as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        first = await next_snapshot(stream.content)
        [mine] = [p for p in first["personas"] if p["user_id"] == customer]
        assert mine["unread"] == 0
        await page.say(customer, "/help")
        while True:
            snapshot = await next_snapshot(stream.content)
            [mine] = [p for p in snapshot["personas"] if p["user_id"] == customer]
            if mine["unread"] >= 1:
                break
        assert mine["preview"]  # the bot's answer, shortened for the persona list
        await page.chat(customer)  # the page opens the chat: read
        while mine["unread"]:
            snapshot = await next_snapshot(stream.content)
            [mine] = [p for p in snapshot["personas"] if p["user_id"] == customer]


async def test_reading_only_what_changed_after_a_mark(
    sandbox: SandboxRunner, page: PageClient
) -> None:
    customer = await page.add_customer()
    await page.say(customer, "/help")
    await page.wait_for_bot(customer, lambda ms: len(ms) >= 1)
    mark = (await page.chat(customer))["mark"]
    assert (await page.chat(customer, after=mark))["messages"] == []
    await page.say(customer, "/lang")
    await page.wait_for_bot(customer, lambda ms: len(ms) >= 2)
    changed = (await page.chat(customer, after=mark))["messages"]
    assert changed[0]["text"] == "/lang"
    assert all(m["message_id"] > 2 for m in changed)


async def test_customers_come_back_after_a_restart_on_the_same_database(tmp_path: Path) -> None:
    async with running_sandbox(tmp_path) as first:
        async with aiohttp.ClientSession(base_url=first.url) as session:
            page = PageClient(session)
            customer = await page.add_customer("李娜", "en")
            await page.say(customer, "/start")
            await page.wait_for_bot(customer, lambda ms: len(ms) >= 2)
            await page.post("/api/clock", {"step": "hour"})
    async with running_sandbox(tmp_path) as second:
        async with aiohttp.ClientSession(base_url=second.url) as session:
            _, snapshot = await PageClient(session).get("/api/personas")
            _, clock = await PageClient(session).get("/api/clock")
    [again] = [p for p in snapshot["personas"] if p["user_id"] == customer]
    assert (again["name"], again["role"]) == ("李娜", "customer")
    assert clock["time"] == "11:00" and clock["offset_seconds"] == 3600
