"""The page itself: typed markup stays text, menus, downloads, language, reset."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.sandbox.run import SandboxRunner
from tests.browser.browser_check import require_browser
from tests.e2e.customer import PDF

require_browser()

from playwright.async_api import Page, expect  # noqa: E402

from tests.browser.chat_page import ChatPage  # noqa: E402


async def test_the_page_shows_typed_markup_as_text_and_starts_over_on_reset(
    sandbox: SandboxRunner, page: Page, tmp_path: Path, artifacts: Path
) -> None:
    chat = ChatPage(page)
    await chat.open(sandbox.url)
    await chat.add_customer("李娜")

    typed = '<b>不是粗体</b> <img src=x onerror="document.title=1"> <script>x()</script>'
    await chat.send(typed, "")
    mine = chat.own_messages.last
    await expect(mine).to_contain_text(typed)
    assert await mine.locator("b, img, script").count() == 0
    assert await page.title() == "hvconnect sandbox"

    await page.get_by_test_id("menu-button").click()
    help_command = page.get_by_test_id("menu-command").filter(has_text="/help")
    await chat.after_new_message(help_command.click, "/apply")
    await expect(chat.own_messages.last.locator(".text")).to_have_text("/help")
    # Commands in the bot's text can be clicked, as in Telegram.
    in_text = chat.bot_messages.last.locator(".command", has_text="/status")
    await chat.after_new_message(in_text.first.click, "")
    await expect(chat.own_messages.last.locator(".text")).to_have_text("/status")

    document = tmp_path / "设备清单.pdf"
    document.write_bytes(PDF)
    await chat.upload(document, "")
    link = chat.own_messages.last.get_by_test_id("document")
    await expect(link).to_contain_text("设备清单.pdf")
    async with page.expect_download() as download_info:
        await link.click()
    download = await download_info.value
    assert download.suggested_filename == "设备清单.pdf"
    saved = await download.path()
    assert await asyncio.to_thread(Path(saved).read_bytes) == PDF

    await page.get_by_test_id("ui-language").click()
    await expect(page.get_by_test_id("reset")).to_have_text("Reset sandbox")
    await page.get_by_test_id("reset").click()
    await expect(page.get_by_test_id("modal-text")).to_contain_text("Reset the sandbox?")
    await page.get_by_test_id("modal-ok").click()
    await expect(page.get_by_test_id("customer-list").locator("li")).to_have_count(0)
    await expect(page.get_by_test_id("staff-list").locator("li")).to_have_count(4)
    await expect(page.get_by_test_id("chat-title")).to_have_text("")
    await page.screenshot(path=artifacts / "4-after-reset.png")
