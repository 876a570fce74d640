"""A driver that feeds a customer's moves straight into ``Application.process_update``.

Together with :class:`sandbox.recording.RecordingRequest`, which answers the bot's Bot API
calls from memory, this isolates what the bot itself costs per update (handlers, database,
templates, python-telegram-bot's own machinery) from HTTP and the emulator. A press is made
on the newest message the request recorded with that button, as a person would press it.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from telegram import Update
from telegram.ext import Application

from benchmarks.walk import FILES, Move
from sandbox.recording import RecordingRequest
from sandbox.users import command_entities

# One numbering for every customer of the run, as Telegram numbers a bot's updates upwards:
# the bot handles an update id once and takes a repeated one for a redelivery.
_UPDATE_IDS = itertools.count(1)


class InProcessCustomer:
    """One customer whose moves become updates handed to ``process_update``."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        request: RecordingRequest,
        user_id: int,
    ) -> None:
        self.application = application
        self.request = request
        self.user: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": "伟",
            "last_name": "张",
            "language_code": "zh-hans",
        }
        self.chat: dict[str, Any] = {"id": user_id, "type": "private", "first_name": "伟"}
        self._update_id = 0
        self._message_id = 1_000_000

    def update_for(self, move: Move) -> Update:
        self._update_id = next(_UPDATE_IDS)
        if move.kind == "press":
            shown, data = self.request.button_message(self.chat["id"], move.value)
            query = {
                "id": str(self._update_id),
                "from": self.user,
                "message": shown,
                "chat_instance": "1",
                "data": data,
            }
            return Update.de_json(
                {"update_id": self._update_id, "callback_query": query}, self.application.bot
            )
        self._message_id += 1
        message: dict[str, Any] = {
            "message_id": self._message_id,
            "date": int(time.time()),
            "chat": self.chat,
            "from": self.user,
            **_content(move, self.user["id"], self._message_id),
        }
        return Update.de_json(
            {"update_id": self._update_id, "message": message}, self.application.bot
        )


def _content(move: Move, user_id: int, message_id: int) -> dict[str, Any]:
    if move.kind == "text":
        entities = command_entities(move.value)
        return {"text": move.value, **({"entities": entities} if entities else {})}
    if move.kind == "contact":
        return {
            "contact": {"phone_number": "+8613800138000", "first_name": "伟", "user_id": user_id}
        }
    if move.kind == "document":
        return {
            "document": {
                "file_id": f"BQACAgUAAxkB{user_id}_{message_id}",
                "file_unique_id": f"d{user_id}_{message_id}",
                "file_name": move.value,
                "mime_type": "application/pdf",
                "file_size": len(FILES["pdf"]),
            }
        }
    if move.kind == "photo":
        return {
            "photo": [
                {
                    "file_id": f"AgACAgUAAxkB{user_id}_{message_id}_{size}",
                    "file_unique_id": f"p{user_id}_{message_id}_{size}",
                    "width": size,
                    "height": size,
                    "file_size": len(FILES["png"]),
                }
                for size in (90, 320)
            ]
        }
    raise ValueError(f"no update for a {move.kind} move")
