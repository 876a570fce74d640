"""Telegram without a network: a request object that answers every Bot API call at once,
and a driver that feeds a customer's moves straight into ``Application.process_update``.

This isolates what the bot itself costs per update (handlers, database, templates,
python-telegram-bot's own machinery) from HTTP and the emulator. The request still encodes
every call's parameters to JSON, as a real one would, and answers with the JSON Telegram
would send, so python-telegram-bot decodes real-looking results.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from benchmarks.walk import FILES, Move
from sandbox.users import command_entities

BOT_USER: dict[str, Any] = {
    "id": 123456,
    "is_bot": True,
    "first_name": "HV Connect",
    "username": "hvconnect_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
_MESSAGE_METHODS = frozenset(
    {"sendmessage", "senddocument", "sendphoto", "copymessage", "forwardmessage"}
)
_EDIT_METHODS = frozenset({"editmessagetext", "editmessagecaption", "editmessagereplymarkup"})


FILE_CONTENT = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


class RecordingRequest(BaseRequest):
    """Answers Bot API calls from memory and keeps what each chat was sent."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.chats: dict[int, dict[int, dict[str, Any]]] = {}
        self._next_id = 1

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        if "/file/bot" in url:
            # The bot downloads a document to check that it is what it says: every document
            # the walk sends is a PDF.
            self.calls["download"] += 1
            return 200, FILE_CONTENT
        endpoint = url.rsplit("/", 1)[-1].lower()
        self.calls[endpoint] += 1
        params: dict[str, Any] = {}
        if request_data is not None:
            request_data.json_parameters  # noqa: B018 - the encoding a real request pays for
            params = request_data.parameters
        return 200, json.dumps({"ok": True, "result": self._answer(endpoint, params)}).encode()

    def _answer(self, endpoint: str, params: dict[str, Any]) -> object:
        if endpoint == "getme":
            return BOT_USER
        if endpoint in ("getupdates", "getmycommands"):
            return []
        if endpoint == "getfile":
            return {
                "file_id": params.get("file_id"),
                "file_unique_id": "u",
                "file_size": len(FILE_CONTENT),
                "file_path": f"documents/{params.get('file_id')}.pdf",
            }
        if endpoint in _MESSAGE_METHODS:
            return self._store(int(params["chat_id"]), params)
        if endpoint in _EDIT_METHODS and "chat_id" in params:
            chat = self.chats.setdefault(int(params["chat_id"]), {})
            message = chat.get(int(params["message_id"]))
            if message is None:
                return True
            if "text" in params:
                message["text"] = params["text"]
            if "reply_markup" in params or endpoint == "editmessagereplymarkup":
                message.pop("reply_markup", None)
                markup = params.get("reply_markup")
                if isinstance(markup, dict) and "inline_keyboard" in markup:
                    message["reply_markup"] = markup
            return message
        return True

    def _store(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self._next_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
            "text": params.get("text") or params.get("caption") or "",
        }
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            # Telegram shows only inline keyboards on the message it returns.
            message["reply_markup"] = markup
        self._next_id += 1
        self.chats.setdefault(chat_id, {})[message["message_id"]] = message
        return message

    def last_text(self, chat_id: int) -> str:
        """The text of the newest message the chat was sent."""
        chat = self.chats.get(chat_id, {})
        return str(chat[max(chat)]["text"]) if chat else ""

    def button_message(self, chat_id: int, label: str) -> tuple[dict[str, Any], str]:
        """The newest message in the chat with an inline button ``label``, and its data."""
        for message in sorted(self.chats.get(chat_id, {}).values(), key=lambda m: -m["message_id"]):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button.get("text") == label and "callback_data" in button:
                        return message, str(button["callback_data"])
        raise LookupError(f"no button {label!r} in chat {chat_id}")


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
        self._update_id = user_id * 1000
        self._message_id = 1_000_000

    def update_for(self, move: Move) -> Update:
        self._update_id += 1
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
