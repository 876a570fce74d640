"""What the web chat page shows: personas, their chats as JSON, unread counts, menus.

The page never receives HTML from here. Texts travel with Telegram's entities (UTF-16
offsets, exactly what a Telegram client gets) and the page builds the formatting from
them with DOM calls, so nothing the bot or a user typed can inject markup.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sandbox.chats import ChatState
from sandbox.emulator import BotApiEmulator
from sandbox.messages import SentMessage
from sandbox.webchat.detected import with_detected

CUSTOMER = "customer"
LANGUAGES = {"zh": "zh-hans", "en": "en"}  # the page's choice -> Telegram's language_code
PREVIEW_CHARS = 60


@dataclass(frozen=True)
class Persona:
    """Someone the page can act as: a seeded staff member or a customer added on the page."""

    user_id: int
    name: str
    role: str  # "customer" or a staff role value, e.g. "customer_manager"
    language: str  # a key of LANGUAGES
    note: str = ""  # shown under the name, e.g. why a staff member is not enrolled

    @property
    def language_code(self) -> str:
        return LANGUAGES[self.language]

    def to_view(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "name": self.name,
            "role": self.role,
            "language": self.language,
            "note": self.note,
        }


def mobile_for(user_id: int) -> str:
    """A valid-looking mainland mobile number, different for every persona."""
    return f"+86139{user_id % 100_000_000:08d}"


def chat_summary(emulator: BotApiEmulator, user_id: int, read_seq: int) -> dict[str, Any]:
    """Unread count, last change and a preview line of one persona's chat."""
    chat = emulator.state.chats.get(user_id)
    if chat is None or not chat.events:
        return {"unread": 0, "seq": 0, "preview": "", "date": None}
    unread = sum(
        1 for event in chat.events_after(read_seq) if event.kind == "new" and event.message.from_bot
    )
    visible = [m for m in chat.messages.values() if not m.deleted]
    last = max(visible, key=lambda m: m.message_id, default=None)
    return {
        "unread": unread,
        "seq": chat.events[-1].seq,
        "preview": _preview(last) if last else "",
        "date": last.date if last else None,
    }


def _preview(message: SentMessage) -> str:
    if message.document is not None:
        text = "📄 " + str(message.document.get("file_name") or "")
    elif message.photo is not None:
        text = "🖼 " + (message.caption or "")
    elif "contact" in message.extra:
        text = "📱 " + str(message.extra["contact"].get("phone_number", ""))
    else:
        text = message.content
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def chat_changes(emulator: BotApiEmulator, user_id: int, after: int) -> list[dict[str, Any]]:
    """Messages of the chat that are new or changed after change ``after``, oldest first.

    From 0 that is the whole chat without deleted messages; later, deleted ones come too,
    so that the page can take them away.
    """
    chat = emulator.state.chats.get(user_id)
    if chat is None:
        return []
    if after <= 0:
        messages = sorted(chat.messages.values(), key=lambda m: m.message_id)
        return [message_view(m) for m in messages if not m.deleted]
    touched = {event.message.message_id: event.message for event in chat.events_after(after)}
    return [message_view(touched[key]) for key in sorted(touched)]


def message_view(message: SentMessage) -> dict[str, Any]:
    view: dict[str, Any] = {
        "message_id": message.message_id,
        "from_bot": message.from_bot,
        "date": message.date,
        "edited": message.edit_date is not None,
        "deleted": message.deleted,
        "text": message.text,
        "entities": with_detected(message.text, message.entities),
        "caption": message.caption,
        "caption_entities": with_detected(message.caption, message.caption_entities),
        "buttons": _inline_rows(message.reply_markup),
        "document": _document(message.document),
        "photo": _largest_photo(message.photo),
        "contact": message.extra.get("contact"),
        "reply_to": message.reply_to.message_id if message.reply_to else None,
    }
    if not any(view[k] for k in ("text", "caption", "document", "photo", "contact")):
        # A sticker, location or anything else the page has no drawing for.
        view["other"] = next(iter(message.extra), "message")
    return view


def _inline_rows(markup: dict[str, Any] | None) -> list[list[dict[str, Any]]]:
    if not markup or "inline_keyboard" not in markup:
        return []
    return [
        [
            {"text": b["text"], "data": b.get("callback_data"), "url": b.get("url")}
            for b in row
            if isinstance(b, dict)
        ]
        for row in markup["inline_keyboard"]
    ]


def _document(document: dict[str, Any] | None) -> dict[str, Any] | None:
    if document is None:
        return None
    return {
        "file_id": document["file_id"],
        "file_name": document.get("file_name") or "file",
        "mime_type": document.get("mime_type") or "application/octet-stream",
        "file_size": document.get("file_size"),
    }


def _largest_photo(photo: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    if not photo:
        return None
    largest = photo[-1]  # Telegram lists the sizes smallest first
    return {
        "file_id": largest["file_id"],
        "width": largest.get("width"),
        "height": largest.get("height"),
    }


def reply_keyboard(chat: ChatState | None) -> dict[str, Any] | None:
    """The reply keyboard the persona has, and whether a one-time keyboard was used up."""
    markup = chat.reply_keyboard if chat else None
    if chat is None or not markup or "keyboard" not in markup:
        return None
    rows = [
        [{"text": b, "request_contact": False} if isinstance(b, str) else _key(b) for b in row]
        for row in markup["keyboard"]
    ]
    hidden = False
    if markup.get("one_time_keyboard"):
        # Telegram folds a one-time keyboard away after the user's next message.
        shown_at = max(
            (m.message_id for m in chat.messages.values() if m.reply_markup is markup), default=0
        )
        hidden = any(not m.from_bot and m.message_id > shown_at for m in chat.messages.values())
    return {
        "rows": rows,
        "placeholder": markup.get("input_field_placeholder") or "",
        "hidden": hidden,
    }


def _key(button: dict[str, Any]) -> dict[str, Any]:
    return {"text": button["text"], "request_contact": bool(button.get("request_contact"))}


def command_menu(emulator: BotApiEmulator, persona: Persona) -> list[dict[str, Any]]:
    """The commands Telegram would list for this persona's private chat.

    Telegram takes the narrowest scope that has a list, in the user's language first:
    this chat, then all private chats, then the default scope.
    """
    language = persona.language_code.split("-")[0].lower()
    scopes: list[dict[str, Any]] = [
        {"type": "chat", "chat_id": persona.user_id},
        {"type": "all_private_chats"},
        {"type": "default"},
    ]
    for scope in scopes:
        for code in (language, ""):
            found = emulator.commands(scope, code)
            if found:
                return [dict(command) for command in found]
    return []


def stable_json(value: Any) -> str:
    """JSON with sorted keys, so two snapshots compare by their text."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
