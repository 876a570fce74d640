"""The outbox's records: a row as the rest of the bot sees it, and the statuses it goes through.

A message starts 'pending', is 'sending' while Telegram has it, and ends 'sent', 'dead' or
'unreachable'; 'failed' means a transient failure with a retry due at ``next_attempt_at``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import aiosqlite

from storage.codec import json_from_db, optional_time_from_db, time_from_db


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to add to the outbox: ``text`` is final HTML in the recipient's language
    (the caption when a document or photo goes with it); ``not_before`` holds it back (e.g.
    past quiet hours), otherwise it is due at once."""

    key: str
    chat_id: int
    user_id: int | None
    kind: str
    text: str
    now: datetime
    application_id: int | None = None
    reply_markup: Mapping[str, Any] | None = None
    document_file_id: str | None = None
    photo_file_id: str | None = None
    not_before: datetime | None = None

    def __post_init__(self) -> None:
        for name, value in (("key", self.key), ("kind", self.kind), ("text", self.text)):
            if not value or not value.strip():
                raise ValueError(f"an outbox message needs a non-empty {name}")
        if self.document_file_id is not None and self.photo_file_id is not None:
            raise ValueError("an outbox message carries a document or a photo, not both")


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    key: str
    chat_id: int
    user_id: int | None
    kind: str
    application_id: int | None
    text: str
    reply_markup: dict[str, Any] | None
    document_file_id: str | None
    photo_file_id: str | None
    not_before: datetime
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    telegram_message_id: int | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None


OUTBOX_COLUMNS = (
    "id, key, chat_id, user_id, kind, application_id, text, reply_markup, document_file_id, "
    "photo_file_id, not_before, status, attempts, next_attempt_at, last_error, "
    "telegram_message_id, created_at, updated_at, sent_at"
)


def outbox_row_from_row(row: aiosqlite.Row) -> OutboxRow:
    markup = row["reply_markup"]
    return OutboxRow(
        id=row["id"],
        key=row["key"],
        chat_id=row["chat_id"],
        user_id=row["user_id"],
        kind=row["kind"],
        application_id=row["application_id"],
        text=row["text"],
        reply_markup=None if markup is None else json_from_db(markup),
        document_file_id=row["document_file_id"],
        photo_file_id=row["photo_file_id"],
        not_before=time_from_db(row["not_before"]),
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=time_from_db(row["next_attempt_at"]),
        last_error=row["last_error"],
        telegram_message_id=row["telegram_message_id"],
        created_at=time_from_db(row["created_at"]),
        updated_at=time_from_db(row["updated_at"]),
        sent_at=optional_time_from_db(row["sent_at"]),
    )
