"""One emulated chat: its messages, its history of changes and its user's standing.

Every new message, edit and deletion is logged with a global sequence number, so a test
can remember "where it was" and wait for whatever the bot does next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sandbox.messages import SentMessage

EventKind = Literal["new", "edit", "delete"]


@dataclass(frozen=True)
class ChatEvent:
    seq: int
    kind: EventKind
    message: SentMessage


@dataclass
class ChatState:
    """A private chat, group or channel the bot can write to."""

    info: dict[str, Any]
    messages: dict[int, SentMessage] = field(default_factory=dict)
    events: list[ChatEvent] = field(default_factory=list)
    next_message_id: int = 1
    blocked: bool = False
    actions: list[str] = field(default_factory=list)
    reply_keyboard: dict[str, Any] | None = None

    @property
    def id(self) -> int:
        return int(self.info["id"])

    @property
    def is_private(self) -> bool:
        return self.info.get("type") == "private"

    def allocate_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def find(self, message_id: int) -> SentMessage | None:
        """A message that still exists in the chat."""
        message = self.messages.get(message_id)
        return None if message is None or message.deleted else message

    def bot_messages(self, *, include_deleted: bool = False) -> list[SentMessage]:
        return [
            m
            for m in sorted(self.messages.values(), key=lambda m: m.message_id)
            if m.from_bot and (include_deleted or not m.deleted)
        ]

    def events_after(self, seq: int) -> list[ChatEvent]:
        # Events are appended in seq order, so scan back from the end.
        index = len(self.events)
        while index > 0 and self.events[index - 1].seq > seq:
            index -= 1
        return self.events[index:]
