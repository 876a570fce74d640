"""A simulated Telegram user: everything a person can do to the bot, as plain methods.

The methods build the same updates Telegram would (command entities, contacts with the
sender's own user id, files with real-looking ids, callback queries for pressed buttons)
and queue them for the bot's getUpdates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sandbox.chats import ChatState
from sandbox.inbox import DEFAULT_TIMEOUT, ChatInbox, wait_until
from sandbox.markup import keyboard_button
from sandbox.messages import SentMessage
from sandbox.state import CallbackAnswer, SandboxState
from sandbox.telegram_html import utf16_length

_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w@/])")
_WEBP_PLACEHOLDER = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10"


class ButtonNotFound(AssertionError):
    """The user tried to press a button that the message does not show."""


@dataclass(frozen=True)
class Sent:
    """What a user just sent: its update, its message, and the inbox mark before it."""

    update_id: int
    message_id: int
    mark: int


@dataclass(frozen=True)
class Press:
    """A pressed inline button: the callback query the bot is expected to answer."""

    query_id: str
    update_id: int
    data: str
    message_id: int
    mark: int


def command_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command entities Telegram attaches to ``/commands`` in a user's text."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_length(text[: match.start()]),
            "length": utf16_length(match.group()),
        }
        for match in _COMMAND.finditer(text)
    ]


class FakeUser(ChatInbox):
    """One Telegram user talking to the bot in their private chat (or in a group)."""

    def __init__(
        self, state: SandboxState, user: dict[str, Any], *, phone_number: str = "+8613800138000"
    ) -> None:
        super().__init__(state, int(user["id"]))
        self.info = user
        self.phone_number = phone_number

    @property
    def id(self) -> int:
        return int(self.info["id"])

    # -- sending --------------------------------------------------------------------------

    def _chat_for(self, chat_id: int | None) -> ChatState:
        if chat_id is None:
            return self._state.private_chat(self.info)
        chat = self._state.chats.get(chat_id)
        if chat is None:
            raise ValueError(f"chat {chat_id} is unknown; register it with emulator.group()")
        return chat

    def _post(
        self, content: dict[str, Any], *, chat_id: int | None = None, reply_to: int | None = None
    ) -> Sent:
        chat = self._chat_for(chat_id)
        mark = self.mark()
        message: dict[str, Any] = {
            "message_id": chat.allocate_message_id(),
            "from": self.info,
            "chat": chat.info,
            "date": self._state.now(),
            **content,
        }
        target = chat.find(reply_to) if reply_to is not None else None
        if target is not None:
            message["reply_to_message"] = target.to_api(with_reply=False)
        stored = SentMessage.from_api(message)
        stored.reply_to = target
        self._state.store(chat, stored)
        update_id = self._state.enqueue({"message": message})
        return Sent(update_id, message["message_id"], mark)

    async def send_text(
        self, text: str, *, chat_id: int | None = None, reply_to: int | None = None
    ) -> Sent:
        content: dict[str, Any] = {"text": text}
        entities = command_entities(text)
        if entities:
            content["entities"] = entities
        return self._post(content, chat_id=chat_id, reply_to=reply_to)

    async def send_command(self, command_line: str, *, chat_id: int | None = None) -> Sent:
        """Send ``/command args``; the command gets its bot_command entity."""
        if not command_line.startswith("/"):
            raise ValueError(f"a command starts with '/': {command_line!r}")
        return await self.send_text(command_line, chat_id=chat_id)

    async def send_contact(
        self,
        phone_number: str | None = None,
        *,
        own: bool = True,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> Sent:
        """Share a phone number (by default the user's own, as the share button does)."""
        contact: dict[str, Any] = {
            "phone_number": phone_number or self.phone_number,
            "first_name": first_name or self.info["first_name"],
        }
        if last_name:
            contact["last_name"] = last_name
        if own:
            contact["user_id"] = self.id
        return self._post({"contact": contact})

    async def send_document(
        self,
        filename: str,
        data: bytes,
        mime_type: str = "application/octet-stream",
        *,
        caption: str | None = None,
        declared_size: int | None = None,
    ) -> Sent:
        """Send a file; ``declared_size`` reports a size other than ``len(data)``."""
        stored = self._state.files.add(
            "document", data, file_name=filename, mime_type=mime_type, declared_size=declared_size
        )
        content: dict[str, Any] = {"document": stored.document()}
        if caption is not None:
            content["caption"] = caption
        return self._post(content)

    async def send_photo(
        self, data: bytes, *, caption: str | None = None, declared_size: int | None = None
    ) -> Sent:
        sizes = self._state.files.add_photo(data, declared_size=declared_size)
        content: dict[str, Any] = {"photo": [size.photo_size() for size in sizes]}
        if caption is not None:
            content["caption"] = caption
        return self._post(content)

    async def send_sticker(self, emoji: str = "👍") -> Sent:
        stored = self._state.files.add("sticker", _WEBP_PLACEHOLDER, dimensions=(512, 512))
        sticker = {
            **stored.photo_size(),
            "type": "regular",
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._post({"sticker": sticker})

    async def send_location(self, latitude: float, longitude: float) -> Sent:
        return self._post({"location": {"latitude": latitude, "longitude": longitude}})

    async def send_content(self, content: dict[str, Any], *, chat_id: int | None = None) -> Sent:
        """Send any other kind of message: ``content`` holds its Message fields."""
        return self._post(content, chat_id=chat_id)

    async def edit_text(self, message_id: int, text: str) -> Sent:
        """Edit one of the user's own text messages (an ``edited_message`` update)."""
        chat = self._chat_for(None)
        stored = chat.find(message_id)
        if stored is None or stored.from_bot or stored.text is None:
            raise ValueError(f"message {message_id} is no text message of this user")
        mark = self.mark()
        stored.text = text
        stored.entities = command_entities(text)
        stored.edit_date = self._state.now()
        stored.record_version("edit")
        self._state.record(chat, "edit", stored)
        update_id = self._state.enqueue({"edited_message": stored.to_api()})
        return Sent(update_id, message_id, mark)

    async def tap(self, button_text: str) -> Sent:
        """Tap a button of the reply keyboard currently shown."""
        chat = self._chat_for(None)
        button = keyboard_button(chat.reply_keyboard, button_text)
        if button is None:
            raise ButtonNotFound(
                f"no reply keyboard button {button_text!r}; keyboard: {self.reply_keyboard}"
            )
        if button.get("request_contact"):
            return await self.send_contact()
        return await self.send_text(button_text)

    async def press(self, message: SentMessage | int, button: str) -> Press:
        """Press an inline button, found by its text or its callback data."""
        chat = self._chat_for(None if isinstance(message, int) else message.chat_id)
        message_id = message if isinstance(message, int) else message.message_id
        current = chat.find(message_id)
        if current is None or not current.from_bot:
            raise ButtonNotFound(f"no bot message {message_id} in chat {chat.id}")
        buttons = current.inline_buttons
        chosen = next((b for b in buttons if b.text == button), None) or next(
            (b for b in buttons if b.callback_data == button), None
        )
        if chosen is None or chosen.callback_data is None:
            shown = [(b.text, b.callback_data) for b in buttons]
            raise ButtonNotFound(f"no callback button {button!r} on message {message_id}: {shown}")
        return self._callback(chat, current, message_id, chosen.callback_data)

    async def press_raw(self, message_id: int, data: str, *, chat_id: int | None = None) -> Press:
        """Forge a callback query with any data, for any message id, without checks."""
        chat = self._chat_for(chat_id)
        return self._callback(chat, chat.find(message_id), message_id, data)

    def _callback(
        self, chat: ChatState, message: SentMessage | None, message_id: int, data: str
    ) -> Press:
        mark = self.mark()
        query = self._state.new_callback_query(self.id, message, data)
        if message is not None:
            shown = message.to_api()
        else:
            # What Telegram sends for a message the bot can no longer see.
            shown = {"message_id": message_id, "chat": chat.info, "date": 0}
        update_id = self._state.enqueue(
            {
                "callback_query": {
                    "id": query.query_id,
                    "from": self.info,
                    "message": shown,
                    "chat_instance": str(abs(hash((chat.id, self._state.bot_user["id"])))),
                    "data": data,
                }
            }
        )
        return Press(query.query_id, update_id, data, message_id, mark)

    async def block_bot(self) -> None:
        self._set_blocked(True)

    async def unblock_bot(self) -> None:
        self._set_blocked(False)

    def _set_blocked(self, blocked: bool) -> None:
        chat = self._chat_for(None)
        if chat.blocked == blocked:
            return
        chat.blocked = blocked
        self._state.chat_changed(chat)
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        self._state.enqueue(
            {
                "my_chat_member": {
                    "chat": chat.info,
                    "from": self.info,
                    "date": self._state.now(),
                    "old_chat_member": self._bot_membership(old),
                    "new_chat_member": self._bot_membership(new),
                }
            }
        )

    def _bot_membership(self, status: str) -> dict[str, Any]:
        membership: dict[str, Any] = {"user": self._state.bot_user, "status": status}
        if status == "kicked":
            membership["until_date"] = 0  # Telegram's "forever"
        return membership

    # -- callback answers -----------------------------------------------------------------

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        """The bot's answers to this user's button presses, in press order."""
        return [
            query.answer
            for query in self._state.callbacks.values()
            if query.user_id == self.id and query.answer is not None
        ]

    async def callback_answer(
        self,
        press: Press,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - a deadline, not a cancel scope
    ) -> CallbackAnswer:
        """Wait for the bot to answer this press."""
        query = self._state.callbacks[press.query_id]
        return await wait_until(
            self._state.signal,
            lambda: query.answer,
            timeout,
            lambda: f"callback query {press.data!r} was not answered within {timeout}s",
        )
