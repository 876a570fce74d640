"""The production application fed updates directly, its Bot API calls recorded in memory."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.app import BotApplication, build_application, services_of
from bot.config.settings import Config
from flows.deps import Services
from process.clock import ManualClock
from sandbox.recording import BOT_USER, RecordingRequest
from tests.e2e.harness import shanghai
from tests.keys import TEST_SECRET_KEY

TOKEN = "123456:OFFLINE"
# One numbering for every bot of the test run, as Telegram numbers a bot's updates upwards:
# a bot opened again on the same database must not see an update id it already handled.
_UPDATE_IDS = itertools.count(1)


@dataclass
class OfflineBot:
    app: BotApplication
    request: RecordingRequest
    clock: ManualClock
    errors: list[BaseException] = field(default_factory=list)
    _update_ids: itertools.count[int] = field(default_factory=lambda: _UPDATE_IDS)
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def svc(self) -> Services:
        return services_of(self.app)

    async def feed(self, update: dict[str, Any]) -> Update:
        """Process one raw update as Telegram would send it; returns the parsed update."""
        update.setdefault("update_id", next(self._update_ids))
        parsed = Update.de_json(update, self.app.bot)
        assert parsed is not None
        await self.app.process_update(parsed)
        return parsed

    def message(
        self,
        user_id: int,
        text: str | None = None,
        *,
        chat: dict[str, Any] | None = None,
        kind: str = "message",
        language: str = "zh-hans",
        **content: Any,
    ) -> dict[str, Any]:
        """A raw update carrying a message from ``user_id`` (private chat unless ``chat``)."""
        body: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(self.clock.now().timestamp()),
            "chat": chat or {"id": user_id, "type": "private", "first_name": f"U{user_id}"},
            "from": {
                "id": user_id,
                "is_bot": False,
                "first_name": f"U{user_id}",
                "language_code": language,
            },
            **content,
        }
        if text is not None:
            body["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if kind == "edited_message":
            body["edit_date"] = body["date"]
        return {kind: body}

    def press(self, user_id: int, data: str, message_id: int = 1) -> dict[str, Any]:
        """A raw callback query: ``user_id`` pressed a button carrying ``data``."""
        return {
            "callback_query": {
                "id": f"q{next(self._update_ids)}",
                "from": {"id": user_id, "is_bot": False, "first_name": f"U{user_id}"},
                "chat_instance": "ci",
                "data": data,
                "message": {
                    "message_id": message_id,
                    "date": int(self.clock.now().timestamp()),
                    "chat": {"id": user_id, "type": "private"},
                    "from": BOT_USER,
                    "text": "…",
                },
            }
        }


@asynccontextmanager
async def offline_bot(
    location: Path | str,
    *,
    request: RecordingRequest | None = None,
    clock: ManualClock | None = None,
    **config: Any,
) -> AsyncIterator[OfflineBot]:
    """The bot on ``location`` (a SQLite file, or a PostgreSQL URL as HVCONNECT_DB takes).

    Instances of one fleet share a ``request`` (one Telegram) and a ``clock``."""
    request = request or RecordingRequest()
    clock = clock or ManualClock(shanghai(2026, 11, 27, 10, 0))
    where = {"db_url": location} if isinstance(location, str) else {"db_path": location}
    app = await build_application(
        Config(token=TOKEN, secret_key=TEST_SECRET_KEY, **where, **config),
        clock=clock,
        request=request,
    )
    bot = OfflineBot(app, request, clock)

    async def record(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if context.error is not None:
            bot.errors.append(context.error)

    app.add_error_handler(record)
    await app.initialize()
    try:
        yield bot
    finally:
        await app.shutdown()
        await services_of(app).sender.bot.shutdown()
        await services_of(app).db.close()
