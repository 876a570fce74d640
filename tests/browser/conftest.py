"""Playwright in the system's Chromium against the sandbox web chat, run in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.sandbox.run import SandboxRunner
from tests.browser.browser_check import CHROMIUM, require_browser
from tests.e2e.webchat_client import running_sandbox

if TYPE_CHECKING:
    from playwright.async_api import Page

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser"


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[SandboxRunner]:
    async with running_sandbox(tmp_path / "sandbox") as runner:
        yield runner


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[Page]:
    require_browser()
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh profile every time
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            locale="zh-CN",
            viewport={"width": 1280, "height": 860},
        )
        # Every wait ends when the page shows what is expected; the ceiling is for a loaded
        # machine (Chromium beside the bot and the rest of the suite), not a measure.
        context.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)
        try:
            yield context.pages[0] if context.pages else await context.new_page()
        finally:
            await context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
