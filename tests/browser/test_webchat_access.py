"""The page on a phone and with the keyboard only, audited by axe-core at both sizes."""

from __future__ import annotations

from pathlib import Path

from bot.sandbox.run import SandboxRunner
from tests.browser.browser_check import require_browser

require_browser()

from playwright.async_api import Page, expect  # noqa: E402

from tests.browser.access import (  # noqa: E402
    DESKTOP,
    PHONE,
    focus_ring_shows,
    focused_test_id,
    scrolls_sideways,
    serious_violations,
    tab_to,
)
from tests.browser.chat_page import ChatPage  # noqa: E402


async def test_on_a_phone_the_list_and_the_chat_take_turns_and_the_clock_folds_away(
    sandbox: SandboxRunner, page: Page, artifacts: Path
) -> None:
    await page.set_viewport_size(PHONE)
    chat = ChatPage(page)
    await chat.open(sandbox.url)
    assert not await scrolls_sideways(page)
    await expect(page.get_by_test_id("chat")).to_be_hidden()
    await expect(page.get_by_test_id("clock-hour")).to_be_hidden()
    assert await serious_violations(page) == []

    await page.get_by_test_id("panel-toggle").click()
    await expect(page.get_by_test_id("clock-hour")).to_be_visible()
    await expect(page.get_by_test_id("reset")).to_be_in_viewport()
    await expect(page.get_by_test_id("ui-language")).to_be_in_viewport()
    assert not await scrolls_sideways(page)
    await page.screenshot(path=artifacts / "phone-menu.png")
    await page.keyboard.press("Escape")
    await expect(page.get_by_test_id("clock-hour")).to_be_hidden()

    await chat.add_customer("张伟")
    await expect(page.get_by_test_id("staff-list")).to_be_hidden()
    await chat.send("/start", "分享您的手机号")
    box = await page.get_by_test_id("chat").bounding_box()
    assert box is not None and box["width"] == PHONE["width"]
    text_box = await page.get_by_test_id("text-input").bounding_box()
    assert text_box is not None and text_box["width"] >= 150
    for control in ("back", "menu-button", "attach", "send", "share-contact"):
        await expect(page.get_by_test_id(control)).to_be_in_viewport()
    assert not await scrolls_sideways(page)
    assert await serious_violations(page) == []
    await page.screenshot(path=artifacts / "phone-chat.png")

    await page.get_by_test_id("back").click()
    await expect(page.get_by_test_id("chat")).to_be_hidden()
    await expect(chat.persona(10_001)).to_be_visible()
    await expect(chat.persona(10_001).get_by_test_id("persona-time")).to_be_visible()
    await page.screenshot(path=artifacts / "phone-list.png")


async def test_a_customer_starts_with_the_keyboard_only(
    sandbox: SandboxRunner, page: Page, artifacts: Path
) -> None:
    await page.set_viewport_size(DESKTOP)
    chat = ChatPage(page)
    await chat.open(sandbox.url)
    assert await serious_violations(page) == []

    # Every persona is a Tab stop.
    await tab_to(page, "persona-button")
    assert await focus_ring_shows(page)

    await tab_to(page, "customer-name")
    await page.keyboard.type("李娜")
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("chat-title")).to_have_text("李娜")

    await tab_to(page, "text-input")
    await page.keyboard.type("/start")
    before = await chat.bot_messages.count()
    await page.keyboard.press("Enter")
    await expect(chat.bot_messages.nth(before)).to_be_attached()
    await expect(chat.bot_messages.last).to_contain_text("分享您的手机号")
    await expect(page.get_by_test_id("share-contact")).to_be_visible()

    # The reply keyboard, then one stop for every inline button of the chat.
    presses = await tab_to(page, "share-contact", backwards=True)
    assert presses <= 3
    await page.keyboard.press("Shift+Tab")
    assert await focused_test_id(page) == "inline-button"
    assert await focus_ring_shows(page)
    await page.keyboard.press("Shift+Tab")
    assert await focused_test_id(page) != "inline-button"

    await tab_to(page, "share-contact")
    await chat.after_new_message(lambda: page.keyboard.press("Enter"), "139****0001")

    # Arrow keys move among the inline buttons; Enter presses one.
    await tab_to(page, "inline-button", backwards=True)
    await page.keyboard.press("Home")
    await expect(page.locator(":focus")).to_have_text("中文")
    await page.keyboard.press("ArrowRight")
    await expect(page.locator(":focus")).to_have_text("English")
    await page.keyboard.press("ArrowLeft")
    await page.keyboard.press("Enter")
    await expect(chat.bot_messages.last).to_be_visible()

    # The command menu opens with Enter and closes with Escape, focus coming back.
    await tab_to(page, "menu-button")
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("command-menu")).to_be_visible()
    assert await focused_test_id(page) == "menu-command"
    await page.keyboard.press("Escape")
    await expect(page.get_by_test_id("command-menu")).to_be_hidden()
    assert await focused_test_id(page) == "menu-button"

    # The paperclip is a button too.
    await tab_to(page, "attach")
    await expect(page.get_by_test_id("attach")).to_be_focused()
    # Whether Chromium then shows its file dialog depends on window focus, which a loaded
    # headless machine does not always give; that Enter reaches the file input is the point.
    await page.get_by_test_id("file-input").evaluate(
        "(e) => e.addEventListener('click', (event) => { event.preventDefault();"
        " e.dataset.opened = 'yes'; })"
    )
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("file-input")).to_have_attribute("data-opened", "yes")

    # Reset asks first: Escape answers no and the focus is back on Reset.
    await tab_to(page, "reset", backwards=True)
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("modal")).to_be_visible()
    assert await focused_test_id(page) == "modal-cancel"
    assert await serious_violations(page) == []
    await page.keyboard.press("Tab")
    assert await focused_test_id(page) == "modal-ok"
    await page.keyboard.press("Tab")
    assert await focused_test_id(page) == "modal-cancel"
    await page.keyboard.press("Escape")
    await expect(page.get_by_test_id("modal")).to_be_hidden()
    assert await focused_test_id(page) == "reset"
    await expect(chat.persona(10_001)).to_be_visible()

    assert await serious_violations(page) == []
    await page.screenshot(path=artifacts / "desktop-chat.png")
