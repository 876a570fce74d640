"""Webhook mode: only requests carrying Telegram's secret header are taken as updates."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.config.settings import Webhook
from bot.webhook import SECRET_HEADER, WebhookServer
from tests.security.offline import OfflineBot, offline_bot

SECRET = "Sx7-secret_token-0123456789"


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[OfflineBot, WebhookServer]]:
    async with offline_bot(tmp_path / "hv.db") as bot:
        settings = Webhook(
            url="https://bot.example.com/telegram/hook", secret=SECRET, host="127.0.0.1", port=0
        )
        server = WebhookServer(bot.app, settings)
        await server.start()
        await bot.app.start()  # takes updates off the queue
        try:
            yield bot, server
        finally:
            await server.stop()
            await bot.app.stop()


async def _answered(bot: OfflineBot, chat_id: int) -> bool:
    """Until the bot answered the chat; the ceiling is generous for a loaded machine."""
    deadline = asyncio.get_running_loop().time() + 60
    while asyncio.get_running_loop().time() < deadline:
        if any(c.method == "sendMessage" for c in bot.request.to_chat(chat_id)):
            return True
        await asyncio.sleep(0.01)
    return False


async def test_the_webhook_is_registered_with_its_secret(
    served: tuple[OfflineBot, WebhookServer],
) -> None:
    bot, server = served
    [registered] = [c for c in bot.request.calls if c.method == "setWebhook"]
    assert registered.params["url"] == "https://bot.example.com/telegram/hook"
    assert registered.params["secret_token"] == SECRET
    assert server.address.endswith("/telegram/hook")


async def test_requests_without_the_secret_are_refused_and_never_read(
    served: tuple[OfflineBot, WebhookServer],
) -> None:
    bot, server = served
    update = bot.message(1001, "/start")
    update["update_id"] = 77
    body = json.dumps(update)
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET[:-1]}):
            async with http.post(server.address, data=body, headers=headers) as response:
                assert response.status == 403
        async with http.get(server.address, headers={SECRET_HEADER: SECRET}) as response:
            assert response.status == 405
    await asyncio.sleep(0.1)
    assert bot.request.to_chat(1001) == []  # nothing forged got through


async def test_telegram_updates_with_the_secret_are_answered(
    served: tuple[OfflineBot, WebhookServer],
) -> None:
    bot, server = served
    update = bot.message(1001, "/start")
    update["update_id"] = 78
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as http:
        async with http.post(server.address, data="{not json", headers=headers) as response:
            assert response.status == 400
        async with http.post(server.address, data="[1, 2]", headers=headers) as response:
            assert response.status == 400
        async with http.post(server.address, json=update, headers=headers) as response:
            assert response.status == 200
    assert await _answered(bot, 1001)
    assert bot.errors == []
