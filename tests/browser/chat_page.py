"""The web chat as a person uses it: pick a persona, type, press, tap, attach a file."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from playwright.async_api import Locator, Page, expect


class ChatPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.bot_messages = page.locator("[data-testid=bot-message]")
        self.own_messages = page.locator("[data-testid=own-message]")

    async def open(self, url: str) -> None:
        await self.page.goto(url)
        await expect(self.page.locator("[data-testid=persona]").first).to_be_visible()

    def persona(self, user_id: int) -> Locator:
        return self.page.locator(f"[data-testid=persona][data-user-id='{user_id}']")

    async def add_customer(self, name: str) -> None:
        await self.page.get_by_test_id("customer-name").fill(name)
        await self.page.get_by_test_id("add-customer").locator("button").click()
        await expect(self.page.get_by_test_id("chat-title")).to_have_text(name)

    async def select(self, user_id: int) -> None:
        await self.persona(user_id).click()
        await expect(self.persona(user_id)).to_have_class("persona active")

    async def after_new_message(self, action: Callable[[], Awaitable[None]], text: str) -> Locator:
        """Do ``action``, wait for a new bot message, then for the last to contain ``text``."""
        before = await self.bot_messages.count()
        await action()
        await expect(self.bot_messages.nth(before)).to_be_attached()
        await expect(self.bot_messages.last).to_contain_text(text)
        return self.bot_messages.last

    async def send(self, text: str, expect_text: str) -> Locator:
        async def type_it() -> None:
            await self.page.get_by_test_id("text-input").fill(text)
            await self.page.get_by_test_id("text-input").press("Enter")

        return await self.after_new_message(type_it, expect_text)

    async def press(self, button: str, expect_text: str, message: Locator | None = None) -> Locator:
        target = (message or self.bot_messages.last).get_by_role("button", name=button, exact=True)
        return await self.after_new_message(target.click, expect_text)

    async def upload(self, path: Path, expect_text: str) -> Locator:
        async def attach() -> None:
            await self.page.get_by_test_id("file-input").set_input_files(path)

        return await self.after_new_message(attach, expect_text)

    async def prompt(self, text: str) -> Locator:
        """The latest bot message that contains ``text``, once it is there."""
        found = self.bot_messages.filter(has_text=text).last
        await expect(found).to_be_visible()
        return found
