"""Details a trainee notices: command links, the edited mark, the empty chat, the list, Reset.

Some messages are sent straight through the emulator's Bot API, as the bot would send
them, to show exactly the formatting that matters without walking the whole process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.sandbox.run import SandboxRunner
from tests.browser.browser_check import require_browser

require_browser()

from playwright.async_api import Page, ViewportSize, expect  # noqa: E402

from tests.browser.access import DESKTOP, PHONE, serious_violations  # noqa: E402
from tests.browser.chat_page import ChatPage  # noqa: E402
from tests.browser.test_webchat_walk import identity_card_png  # noqa: E402


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


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
async def test_the_box_grows_days_are_marked_and_news_below_is_announced(
    sandbox: SandboxRunner, page: Page, artifacts: Path, size: ViewportSize
) -> None:
    await page.set_viewport_size(size)
    chat = ChatPage(page)
    await chat.open(sandbox.url)
    await chat.add_customer("王芳")
    user_id = int(page.url.rsplit("#", 1)[1])

    box = page.get_by_test_id("text-input")
    one_line = await box.evaluate("(e) => e.clientHeight")
    await box.fill("第一行\n第二行\n第三行")
    await box.dispatch_event("input")
    await expect(box).to_have_js_property("scrollTop", 0)
    grown = await box.evaluate("(e) => e.clientHeight")
    assert grown >= 2.5 * one_line * 0.8
    assert await box.evaluate("(e) => e.scrollHeight <= e.clientHeight + 2")
    await box.fill("")

    await chat.send("/start", "分享您的手机号")
    await expect(page.get_by_test_id("day")).to_have_count(1)
    await expect(page.get_by_test_id("day").first).to_have_text("2026-11-27 周五")
    phone = size == PHONE
    if phone:  # the clock panel is folded into the ⋯ menu
        await page.get_by_test_id("panel-toggle").click()
    await expect(page.get_by_test_id("clock-offset")).to_be_hidden()
    await page.get_by_test_id("clock-workday").click()
    await expect(page.get_by_test_id("clock-offset")).to_have_text("已快进 3 天")
    if phone:
        await page.keyboard.press("Escape")
        await expect(page.get_by_test_id("clock-workday")).to_be_hidden()
    await chat.send("/help", "/apply")
    await expect(page.get_by_test_id("day")).to_have_count(2)
    await expect(page.get_by_test_id("day").last).to_have_text("2026-11-30 周一")

    # Scrolled up, a new reply is marked and counted on the jump button.
    for number in range(12):
        await bot_api(sandbox, "sendMessage", chat_id=user_id, text=f"第 {number} 条\n\n\n\n")
    await expect(chat.bot_messages.filter(has_text="第 11 条")).to_be_attached()
    messages = page.get_by_test_id("messages")
    await messages.evaluate("(e) => { e.scrollTop = 0; }")
    await expect(page.get_by_test_id("jump")).to_be_visible()
    await bot_api(sandbox, "sendMessage", chat_id=user_id, text="新的回复")
    await expect(page.get_by_test_id("jump-count")).to_have_text("1")
    await expect(page.get_by_test_id("new-marker")).to_be_attached()
    await expect(chat.bot_messages.last).not_to_be_in_viewport()
    # With its count showing, the button's name still holds what it shows.
    await expect(page.get_by_role("button", name="跳到最新消息 1")).to_be_visible()
    assert await serious_violations(page) == []
    await page.screenshot(path=artifacts / f"jump-{size['width']}.png")
    await page.get_by_test_id("jump").click()
    await expect(chat.bot_messages.last).to_be_in_viewport()
    await expect(page.get_by_test_id("jump")).to_be_hidden()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
async def test_a_photo_opens_in_a_viewer(
    sandbox: SandboxRunner, page: Page, tmp_path: Path, size: ViewportSize
) -> None:
    await page.set_viewport_size(size)
    chat = ChatPage(page)
    await chat.open(sandbox.url)
    await chat.add_customer("赵六")
    picture = tmp_path / "chart.png"
    picture.write_bytes(identity_card_png(540, 243))
    await page.get_by_test_id("file-input").set_input_files(picture)
    opener = chat.own_messages.last.get_by_test_id("open-photo")
    await expect(opener).to_be_visible()
    await opener.focus()
    await page.keyboard.press("Enter")
    viewer = page.get_by_test_id("viewer")
    await expect(viewer).to_be_visible()
    await expect(page.get_by_test_id("viewer-close")).to_be_focused()
    image = page.get_by_test_id("viewer-image")
    await expect(image).to_have_js_property("complete", True)
    width = await image.evaluate("(e) => e.getBoundingClientRect().width")
    assert width >= min(540, 0.9 * size["width"])  # full size, or the whole screen's width
    await page.keyboard.press("Escape")
    await expect(viewer).to_be_hidden()
    await expect(opener).to_be_focused()
    await opener.click()
    await expect(viewer).to_be_visible()
    await page.get_by_test_id("viewer-close").click()
    await expect(viewer).to_be_hidden()
