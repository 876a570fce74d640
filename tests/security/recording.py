"""A Bot API that lives in memory: records every call the bot makes and answers like Telegram.

Fuzzing feeds thousands of updates straight into ``Application.process_update``; going
through HTTP and the emulator for each would take minutes. This request object answers the
calls the bot makes (sending, editing, answering buttons, commands, webhooks) with
plausible results, and keeps them per chat so tests can see who was told what.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_USER = {"id": 123456, "is_bot": True, "first_name": "HV Connect", "username": "hv_bot"}
SENDS = {"sendMessage", "sendDocument", "sendPhoto", "copyMessage"}
EDITS = {"editMessageText", "editMessageReplyMarkup", "editMessageCaption"}


@dataclass
class Call:
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


@dataclass
class RecordingRequest(BaseRequest):
    calls: list[Call] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

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
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data is not None else {}
        self.calls.append(Call(name, dict(params)))
        return 200, json.dumps({"ok": True, "result": self._result(name, params)}).encode()

    def _result(self, name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return BOT_USER
        if name in SENDS or name in EDITS:
            chat_id = int(params.get("chat_id", 0))
            message: dict[str, Any] = {
                "message_id": int(params.get("message_id") or next(self._ids)),
                "date": 1_764_200_000,
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "from": BOT_USER,
            }
            if "text" in params:
                message["text"] = params["text"]
            if "caption" in params:
                message["caption"] = params["caption"]
            if name == "sendDocument":
                message["document"] = {"file_id": "DOC", "file_unique_id": "DOCU"}
            if name == "sendPhoto":
                message["photo"] = [
                    {"file_id": "PH", "file_unique_id": "PHU", "width": 1, "height": 1}
                ]
            return message
        if name == "getFile":
            return {
                "file_id": params.get("file_id"),
                "file_unique_id": "F",
                "file_size": 10,
                "file_path": "documents/file.pdf",
            }
        if name == "getUpdates":
            return []
        return True
