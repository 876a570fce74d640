"""Telegram without a network: a python-telegram-bot request object that answers every Bot
API call at once from memory and records it.

The emulator (:mod:`sandbox.emulator`) plays Telegram over HTTP, as the bot meets it in
production. Fuzzing feeds thousands of updates straight into ``Application.process_update``,
and the in-process benchmark measures what the bot itself costs per update; going through
HTTP for every call would take minutes in the first case and measure the transport in the
second. So this object stands in for the HTTP client: it still encodes every call's
parameters to JSON, as a real request would, and answers with the JSON Telegram would send,
so python-telegram-bot decodes real-looking results. It keeps every call in order and every
message it "sent" per chat, so a test can see who was told what and a simulated user can
press a button on a message the bot sent.

It lives in the sandbox because it is a stand-in for Telegram, used by tests and benchmarks
alike; like the rest of the sandbox it knows nothing about the bot.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_USER: dict[str, Any] = {
    "id": 123456,
    "is_bot": True,
    "first_name": "HV Connect",
    "username": "hv_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
# Every document a simulated user sends is this PDF when the bot downloads it.
FILE_CONTENT = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
# The date on every message the bot sends: nothing the bot does reads it back.
SENT_DATE = 1_764_200_000
DOWNLOAD = "download"  # the method name recorded for a file download

_SENDS = frozenset({"sendmessage", "senddocument", "sendphoto", "copymessage", "forwardmessage"})
_EDITS = frozenset({"editmessagetext", "editmessagecaption", "editmessagereplymarkup"})


@dataclass(frozen=True)
class Call:
    """One Bot API call as the bot made it: the method as spelled in the URL, its parameters."""

    method: str
    params: dict[str, Any]

    @property
    def chat_id(self) -> int | None:
        raw = self.params.get("chat_id")
        return int(raw) if raw is not None else None

    @property
    def text(self) -> str:
        """Everything a person would read in this call: text, caption, toast, buttons."""
        parts = [str(self.params.get(k, "")) for k in ("text", "caption")]
        markup = self.params.get("reply_markup")
        if markup:
            parts.append(json.dumps(markup, ensure_ascii=False))
        return "\n".join(p for p in parts if p)


class RecordingRequest(BaseRequest):
    """Answers Bot API calls from memory; keeps every call and the messages of each chat."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.chats: dict[int, dict[int, dict[str, Any]]] = {}
        self._message_ids = itertools.count(1000)

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def to_chat(self, chat_id: int) -> list[Call]:
        return [c for c in self.calls if c.chat_id == chat_id]

    def callback_answers(self) -> list[Call]:
        return [c for c in self.calls if c.method == "answerCallbackQuery"]

    def last_text(self, chat_id: int) -> str:
        """The text (or caption) of the newest message the chat was sent."""
        chat = self.chats.get(chat_id, {})
        if not chat:
            return ""
        newest = chat[max(chat)]
        return str(newest.get("text") or newest.get("caption") or "")

    def button_message(self, chat_id: int, label: str) -> tuple[dict[str, Any], str]:
        """The newest message in the chat with an inline button ``label``, and its data."""
        for message in sorted(self.chats.get(chat_id, {}).values(), key=lambda m: -m["message_id"]):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button.get("text") == label and "callback_data" in button:
                        return message, str(button["callback_data"])
        raise LookupError(f"no button {label!r} in chat {chat_id}")

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
            self.calls.append(Call(DOWNLOAD, {"path": url.split("/file/bot", 1)[1]}))
            return 200, FILE_CONTENT
        name = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = {}
        if request_data is not None:
            request_data.json_parameters  # noqa: B018 - the encoding a real request pays for
            params = dict(request_data.parameters)
        self.calls.append(Call(name, params))
        return 200, json.dumps({"ok": True, "result": self._answer(name, params)}).encode()

    def _answer(self, name: str, params: dict[str, Any]) -> object:
        endpoint = name.lower()
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
        if endpoint in _SENDS:
            return self._store(int(params["chat_id"]), endpoint, params)
        if endpoint in _EDITS and "chat_id" in params:
            return self._edit(int(params["chat_id"]), endpoint, params)
        return True

    def _store(self, chat_id: int, endpoint: str, params: dict[str, Any]) -> dict[str, Any]:
        message = _message(chat_id, next(self._message_ids))
        for key in ("text", "caption"):
            if key in params:
                message[key] = params[key]
        if endpoint == "senddocument":
            message["document"] = {"file_id": "DOC", "file_unique_id": "DOCU"}
        if endpoint == "sendphoto":
            message["photo"] = [{"file_id": "PH", "file_unique_id": "PHU", "width": 1, "height": 1}]
        _show_markup(message, params.get("reply_markup"))
        self.chats.setdefault(chat_id, {})[message["message_id"]] = message
        return message

    def _edit(self, chat_id: int, endpoint: str, params: dict[str, Any]) -> dict[str, Any]:
        message_id = int(params["message_id"])
        message = self.chats.setdefault(chat_id, {}).setdefault(
            message_id, _message(chat_id, message_id)
        )
        for key in ("text", "caption"):
            if key in params:
                message[key] = params[key]
        if "reply_markup" in params or endpoint == "editmessagereplymarkup":
            message.pop("reply_markup", None)
            _show_markup(message, params.get("reply_markup"))
        return message


def _message(chat_id: int, message_id: int) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "date": SENT_DATE,
        "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
        "from": BOT_USER,
    }


def _show_markup(message: dict[str, Any], markup: object) -> None:
    # Telegram shows only inline keyboards on the message it returns.
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        message["reply_markup"] = markup
