"""Details a trainee notices: command links, the edited mark, the empty chat, the list, Reset.

Some messages are sent straight through the emulator's Bot API, as the bot would send
them, to show exactly the formatting that matters without walking the whole process.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.sandbox.run import SandboxRunner
from tests.browser.browser_check import require_browser

require_browser()

from playwright.async_api import Page, expect  # noqa: E402

from tests.browser.chat_page import ChatPage  # noqa: E402


async def bot_api(sandbox: SandboxRunner, method: str, **params: Any) -> dict[str, Any]:
    """Call the emulator's Bot API as the bot does, and return its result."""
    emulator = sandbox.emulator
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{emulator.api_url}{emulator.token}/{method}", json=params) as response,
    ):
        body = await response.json()
    assert body["ok"], body
    result: dict[str, Any] = body["result"]
    return result


async def test_only_the_bots_commands_are_links_and_edited_follows_the_language(
    sandbox: SandboxRunner, page: Page
) -> None:
    chat = ChatPage(page)
    await chat.open(sandbox.url)
    await chat.add_customer("李娜")
    user_id = int(await page.get_by_test_id("persona").last.get_attribute("data-user-id") or 0)

    sent = await bot_api(
        sandbox,
        "sendMessage",
        chat_id=user_id,
        text="总体满意度 <b>2</b>/5\n发送 /help 查看命令，或 <code>/status</code>",
        parse_mode="HTML",
    )
    message = chat.bot_messages.last
    await expect(message).to_contain_text("总体满意度 2/5")
    # "/5" follows the bold "2": no command; "/help" is one; code stays code.
    await expect(message.locator(".command")).to_have_count(1)
    await expect(message.locator(".command")).to_have_text("/help")

    await bot_api(
        sandbox,
        "editMessageText",
        chat_id=user_id,
        message_id=sent["message_id"],
        text="总体满意度 <b>4</b>/5",
        parse_mode="HTML",
    )
    await expect(message.get_by_test_id("edited")).to_have_text("已编辑")
    await page.get_by_test_id("ui-language").click()
    await expect(message.get_by_test_id("edited")).to_have_text("edited")


async def test_a_reloaded_chat_keeps_its_hint_and_the_list_shows_times_and_reset_is_red(
    sandbox: SandboxRunner, page: Page
) -> None:
    chat = ChatPage(page)
    await chat.open(sandbox.url)
    await chat.add_customer("张伟")
    await expect(page.get_by_test_id("empty-hint")).to_have_text("还没有消息。发送 /start 开始。")
    await page.reload()
    await expect(page.get_by_test_id("chat-title")).to_have_text("张伟")
    await expect(page.get_by_test_id("empty-hint")).to_have_text("还没有消息。发送 /start 开始。")

    await chat.send("/start", "分享您的手机号")
    customer = page.get_by_test_id("persona").filter(has_text="张伟")
    # The test's clock stands at Friday 10:00 in Beijing.
    await expect(customer.get_by_test_id("persona-time")).to_have_text("10:00")

    await page.get_by_test_id("reset").click()
    ok = page.get_by_test_id("modal-ok")
    await expect(ok).to_have_text("全部删除")
    await expect(ok).to_have_class("danger")
    await expect(ok).to_have_css("background-color", "rgb(198, 40, 40)")
    await page.get_by_test_id("modal-cancel").click()
    await expect(page.get_by_test_id("modal")).to_be_hidden()
