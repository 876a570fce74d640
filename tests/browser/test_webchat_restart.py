"""A training session survives stopping and starting the sandbox; only Reset forgets it."""

from __future__ import annotations

from pathlib import Path

from tests.browser.browser_check import require_browser
from tests.e2e.customer import PDF
from tests.e2e.webchat_client import running_sandbox

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
