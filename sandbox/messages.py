"""Messages in an emulated chat: what was sent, how it reads now, and how it was edited.

Tests read bot messages through :class:`SentMessage` (plain text as a client shows it, the
HTML exactly as the bot sent it, buttons, keyboards, files, the edit history); the Bot API
side turns the same objects into Telegram ``Message`` JSON.
"""

from __future__ import annotations

import copy
import html
from dataclasses import dataclass, field
from typing import Any

from sandbox.markup import InlineButton, inline_buttons, keyboard_rows

# Keys of a Message object that SentMessage models itself; everything else is kept as is.
_MODELLED_KEYS = frozenset(
    {
        "message_id", "from", "chat", "date", "edit_date", "text", "entities", "caption",
        "caption_entities", "reply_markup", "document", "photo", "reply_to_message",
    }
)  # fmt: skip


@dataclass(frozen=True)
class MessageVersion:
    """The content of a message at one point of its life."""

    text: str | None
    html: str | None
    caption: str | None
    reply_markup: dict[str, Any] | None
    date: int
    method: str


@dataclass(kw_only=True, eq=False)
class SentMessage:
    """One message in a chat, from the bot or from a user."""

    chat: dict[str, Any]
    message_id: int
    date: int
    from_bot: bool
    sender: dict[str, Any] | None
    method: str = "sendMessage"
    text: str | None = None
    html: str | None = None
    parse_mode: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_html: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    document: dict[str, Any] | None = None
    photo: list[dict[str, Any]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    reply_to: SentMessage | None = None
    edit_date: int | None = None
    deleted: bool = False
    versions: list[MessageVersion] = field(default_factory=list)

    @classmethod
    def from_api(cls, message: dict[str, Any], *, from_bot: bool = False) -> SentMessage:
        """Model a Message object that arrived as JSON (from a user or a raw update)."""
        stored = cls(
            chat=message["chat"],
            message_id=message["message_id"],
            date=message["date"],
            from_bot=from_bot,
            sender=message.get("from"),
            method="update",
            text=message.get("text"),
            entities=list(message.get("entities", [])),
            caption=message.get("caption"),
            caption_entities=list(message.get("caption_entities", [])),
            reply_markup=message.get("reply_markup"),
            document=message.get("document"),
            photo=message.get("photo"),
            extra={k: v for k, v in message.items() if k not in _MODELLED_KEYS},
        )
        stored.html = html.escape(stored.text, quote=False) if stored.text is not None else None
        stored.record_version("update")
        return stored

    @property
    def chat_id(self) -> int:
        return int(self.chat["id"])

    @property
    def inline_buttons(self) -> list[InlineButton]:
        return inline_buttons(self.reply_markup)

    @property
    def buttons(self) -> list[str]:
        """Texts of the inline buttons, row by row."""
        return [button.text for button in self.inline_buttons]

    @property
    def button_data(self) -> list[str]:
        """Callback data of the inline buttons that have some."""
        return [b.callback_data for b in self.inline_buttons if b.callback_data is not None]

    @property
    def keyboard(self) -> list[list[str]] | None:
        """Rows of reply keyboard button texts, or None when this message sets none."""
        return keyboard_rows(self.reply_markup)

    @property
    def removes_keyboard(self) -> bool:
        return bool(self.reply_markup and self.reply_markup.get("remove_keyboard"))

    @property
    def edits(self) -> list[MessageVersion]:
        """The versions after the first, oldest first."""
        return self.versions[1:]

    @property
    def content(self) -> str:
        """The text, or the caption of a file: what the user reads."""
        return self.text if self.text is not None else (self.caption or "")

    def record_version(self, method: str) -> None:
        self.versions.append(
            MessageVersion(
                text=self.text,
                html=self.html if self.text is not None else self.caption_html,
                caption=self.caption,
                reply_markup=copy.deepcopy(self.reply_markup),
                date=self.edit_date or self.date,
                method=method,
            )
        )

    def to_api(self, *, with_reply: bool = True) -> dict[str, Any]:
        """This message as a Bot API ``Message`` object."""
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "chat": self.chat,
            "date": self.date,
        }
        if self.sender is not None:
            message["from"] = self.sender
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        if self.text is not None:
            message["text"] = self.text
            if self.entities:
                message["entities"] = self.entities
        if self.caption is not None:
            message["caption"] = self.caption
            if self.caption_entities:
                message["caption_entities"] = self.caption_entities
        if self.document is not None:
            message["document"] = self.document
        if self.photo is not None:
            message["photo"] = self.photo
        message.update(self.extra)
        # Only inline keyboards belong to a message; reply keyboards belong to the chat.
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            message["reply_markup"] = self.reply_markup
        if with_reply and self.reply_to is not None and not self.reply_to.deleted:
            message["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        return message

    def to_view(self) -> dict[str, Any]:
        """A JSON-friendly summary for the sandbox's own HTTP user API."""
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "date": self.date,
            "from_bot": self.from_bot,
            "text": self.text,
            "html": self.html,
            "caption": self.caption,
            "buttons": [
                {"text": b.text, "callback_data": b.callback_data, "url": b.url}
                for b in self.inline_buttons
            ],
            "keyboard": self.keyboard,
            "removes_keyboard": self.removes_keyboard,
            "document": self.document,
            "photo": self.photo,
            "edited": bool(self.edits),
            "deleted": self.deleted,
        }

    def __repr__(self) -> str:
        who = "bot" if self.from_bot else "user"
        return f"<SentMessage {self.chat_id}/{self.message_id} from {who}: {self.content!r}>"
