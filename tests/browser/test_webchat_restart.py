"""A training session survives stopping and starting the sandbox (only Reset forgets it),
and the page shows when the sandbox is away and picks up again when it is back."""

from __future__ import annotations

import socket
from pathlib import Path

from bot.config.settings import Config
from bot.sandbox.run import SandboxRunner, SandboxSettings
from process.clock import ManualClock
from tests.browser.browser_check import require_browser
from tests.e2e.customer import PDF
from tests.e2e.harness import shanghai
from tests.e2e.webchat_client import FRIDAY_10AM, running_sandbox

require_browser()

from playwright.async_api import Page, expect  # noqa: E402

from tests.browser.chat_page import ChatPage  # noqa: E402

CUSTOMER_MANAGER = 9001


async def test_a_restart_keeps_every_chat_and_reset_empties_them(
    page: Page, tmp_path: Path
) -> None:
    folder = tmp_path / "sandbox"
    chat = ChatPage(page)
    document = tmp_path / "设备清单.pdf"
    document.write_bytes(PDF)
    async with running_sandbox(folder) as first:
        await chat.open(first.url)
        await chat.add_customer("张伟")
        await chat.send("/start", "分享您的手机号")
        await chat.upload(document, "")
        customer = await chat.own_messages.first.get_attribute("data-message-id")
        assert customer is not None
        shown = await chat.bot_messages.all_inner_texts()
        user_id = int(page.url.rsplit("#", 1)[1])

    async with running_sandbox(folder) as second:
        await page.goto(f"{second.url}/#{user_id}")
        await expect(page.get_by_test_id("chat-title")).to_have_text("张伟")
        await expect(chat.bot_messages).to_have_count(len(shown))
        assert await chat.bot_messages.all_inner_texts() == shown
        await expect(chat.own_messages.first.locator(".text")).to_have_text("/start")
        link = chat.own_messages.last.get_by_test_id("document")
        await expect(link).to_contain_text("设备清单.pdf")
        # The one-time keyboard, folded after the upload, can still be opened to share.
        await page.get_by_test_id("keyboard-toggle").click()
        await expect(page.get_by_test_id("share-contact")).to_be_visible()
        # The staff chats are kept too, and the bot goes on answering in the same chat.
        await chat.select(CUSTOMER_MANAGER)
        await expect(chat.bot_messages.first).to_be_visible()
        await chat.select(user_id)
        await chat.send("/help", "/apply")

        await page.get_by_test_id("reset").click()
        await page.get_by_test_id("modal-ok").click()
        await expect(page.get_by_test_id("customer-list").locator("li")).to_have_count(0)

    async with running_sandbox(folder) as third:
        await chat.open(third.url)
        await expect(page.get_by_test_id("customer-list").locator("li")).to_have_count(0)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def runner_on(folder: Path, port: int) -> SandboxRunner:
    settings = SandboxSettings(host="127.0.0.1", port=port, db_path=folder / "sandbox.db")
    return SandboxRunner(
        Config(db_path=folder / "production.db"),
        settings,
        base_clock=ManualClock(shanghai(*FRIDAY_10AM)),
    )


async def test_with_the_server_away_the_page_says_so_and_comes_back_by_itself(
    page: Page, tmp_path: Path, artifacts: Path
) -> None:
    folder, port = tmp_path / "sandbox", free_port()
    chat = ChatPage(page)
    runner = runner_on(folder, port)
    await runner.start()
    try:
        await chat.open(runner.url)
        await chat.add_customer("张伟")
        await chat.send("/start", "分享您的手机号")
    finally:
        await runner.stop()

    banner = page.get_by_test_id("connection")
    await expect(banner).to_be_visible()
    await expect(banner).to_have_text("与沙盒的连接已断开，正在重新连接…")
    await page.get_by_test_id("text-input").fill("/help")
    await page.get_by_test_id("text-input").press("Enter")
    await expect(page.get_by_test_id("toast")).to_contain_text("沙盒没有响应")
    await expect(page.get_by_test_id("toast")).not_to_contain_text("Failed to fetch")
    await page.screenshot(path=artifacts / "offline.png")

    runner = runner_on(folder, port)
    await runner.start()
    try:
        await expect(banner).to_be_hidden()
        await expect(chat.bot_messages.last).to_contain_text("分享您的手机号")
        await chat.send("/help", "/apply")
    finally:
        await runner.stop()
