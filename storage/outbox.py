"""The outbox table: messages the bot sends on its own initiative, and their delivery state.

A message is enqueued with :meth:`OutboxRepo.enqueue` on the connection of the transaction
that makes the change it tells about, so the message exists if and only if the change was
committed. Its idempotency key makes enqueueing repeatable: a sweep that runs twice, or a
handler that is retried, enqueues the message once.

The sender (``notifications.sender``) is the only writer after that: it claims the head of
each chat's queue, marks it ``sending`` before the Bot API call and ``sent``, ``failed``,
``dead`` or ``unreachable`` after it.

On SQLite one process sends: it claims row by row (:meth:`OutboxRepo.claim`) and, at
start-up, takes every row left 'sending' to be its own, cut off by a crash
(:meth:`OutboxRepo.requeue_interrupted`). On PostgreSQL every instance of the fleet sends:
:meth:`OutboxRepo.claim_due` claims a batch of heads in one statement with ``FOR UPDATE SKIP
LOCKED`` and a lease, so two instances never hold the same row, and a row whose lease ran
out is claimed again (see its docstring for the duplicate window that leaves).

A message starts 'pending', is 'sending' while Telegram has it, and ends 'sent', 'dead' or
'unreachable'; 'failed' means a transient failure with a retry due at ``next_attempt_at``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NotRequired, TypedDict, Unpack

import aiosqlite

from storage.codec import json_from_db, json_to_db, optional_time_from_db, time_from_db, time_to_db
from storage.db import Database

__all__ = ["NewMessage", "OutboxRepo", "OutboxRow", "OutboxStatus"]


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


MAX_ERROR_LENGTH = 500
# The note on a row sent again because its sender stopped while Telegram had it.
INTERRUPTED = "interrupted while sending; sent again"
_WAITING = "('pending', 'failed')"
# A row in 'sending' still holds its chat's place in the queue.
_QUEUED = "('pending', 'failed', 'sending')"


class MessageFields(TypedDict):
    """The keyword arguments of :meth:`OutboxRepo.enqueue`: :class:`NewMessage`'s fields."""

    key: str
    chat_id: int
    user_id: int | None
    kind: str
    text: str
    now: datetime
    application_id: NotRequired[int | None]
    reply_markup: NotRequired[Mapping[str, Any] | None]
    document_file_id: NotRequired[str | None]
    photo_file_id: NotRequired[str | None]
    not_before: NotRequired[datetime | None]


def _error_text(error: str) -> str:
    return error if len(error) <= MAX_ERROR_LENGTH else error[: MAX_ERROR_LENGTH - 1] + "…"


class OutboxRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- writing messages -----------------------------------------------------------------

    async def enqueue(self, conn: aiosqlite.Connection, **message: Unpack[MessageFields]) -> bool:
        """Add a message inside the caller's transaction; False if ``key`` was already there
        (see :class:`NewMessage` for the fields)."""
        return await self.enqueue_many(conn, [NewMessage(**message)]) == 1

    async def enqueue_many(self, conn: aiosqlite.Connection, messages: Sequence[NewMessage]) -> int:
        """Add messages inside the caller's transaction in one statement (a sweep queues
        thousands at once); returns how many were new, the others' keys being there."""
        if not messages:
            return 0
        # ON CONFLICT on the key only: any other constraint violation must still raise.
        cursor = await conn.executemany(
            """
            INSERT INTO outbox (key, chat_id, user_id, kind, application_id, text,
                                reply_markup, document_file_id, photo_file_id, not_before,
                                next_attempt_at, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, hv_seal(?), ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (key) DO NOTHING
            """,
            [_values(m) for m in messages],
        )
        return cursor.rowcount

    async def enqueue_now(self, **message: Unpack[MessageFields]) -> bool:
        """:meth:`enqueue` in a transaction of its own, for messages that change nothing."""
        async with self._db.transaction() as conn:
            return await self.enqueue(conn, **message)

    # -- the sender's side ----------------------------------------------------------------

    async def requeue_interrupted(self, now: datetime) -> int:
        """Put rows a stopped process left in 'sending' back in the queue; returns how many.

        Whether Telegram delivered them is unknown, so they are sent again: this is the
        at-least-once window of the outbox. SQLite's one process only: on PostgreSQL another
        instance may be sending them right now, and a lease brings back those of an instance
        that died (:meth:`claim_due`).
        """
        return await self._db.execute(
            f"""
            UPDATE outbox
               SET status = CASE WHEN attempts > 0 THEN 'failed' ELSE 'pending' END,
                   last_error = '{INTERRUPTED}', updated_at = ?
             WHERE status = '{OutboxStatus.SENDING}'
            """,
            (time_to_db(now),),
        )

    async def claim_due(
        self, now: datetime, *, claimer: str, lease: timedelta, limit: int
    ) -> tuple[OutboxRow, ...]:
        """Claim up to ``limit`` heads of chats' queues that are due at ``now``, oldest first,
        marking them 'sending' for ``claimer`` until ``now + lease`` (PostgreSQL only).

        One statement, outside the fleet's write lock: the rows are picked ``FOR UPDATE SKIP
        LOCKED``, so instances claiming at the same moment each get other rows, and a row
        another instance has just claimed is seen as such (READ COMMITTED re-reads it), never
        claimed twice. A chat's later messages wait behind a head that is 'sending'.

        A row still 'sending' after its lease belonged to an instance that died (or lost the
        database for longer than the lease): it is claimed again and sent again. That is the
        duplicate window: a message Telegram accepted just before its instance died, whose
        row was not yet marked 'sent', reaches the chat twice — at most one message per
        instance that dies, since an instance has one message in flight at a time. A
        claimed row not sent yet when its instance died is only late, by the lease.

        Chats the fleet's flood budget holds back (``flood_chats``, storage/flood_budget.py:
        their interval or a 429 not over on the database's clock) are left for later, so
        that no instance claims what it could not send now.
        """
        stamp = time_to_db(now)
        rows = await self._db.alone(
            f"""
            UPDATE outbox
               SET status = '{OutboxStatus.SENDING}', claimed_by = ?, claimed_until = ?,
                   updated_at = ?,
                   last_error = CASE WHEN status = '{OutboxStatus.SENDING}'
                                     THEN '{INTERRUPTED}' ELSE last_error END
             WHERE id IN (
                   SELECT id FROM outbox
                    WHERE id IN (SELECT MIN(id) FROM outbox
                                  WHERE status IN {_QUEUED} AND not_before <= ?
                                  GROUP BY chat_id)
                      AND ((status IN {_WAITING} AND next_attempt_at <= ?)
                           OR (status = '{OutboxStatus.SENDING}'
                               AND (claimed_until IS NULL OR claimed_until <= ?)))
                      AND NOT EXISTS (
                          SELECT 1 FROM flood_chats f
                           WHERE f.chat_id = outbox.chat_id
                             AND GREATEST(f.free_at, f.flooded_until)
                                 > extract(epoch FROM clock_timestamp()))
                    ORDER BY id
                    LIMIT ?
                    FOR UPDATE SKIP LOCKED)
            RETURNING {OUTBOX_COLUMNS}
            """,
            (claimer, time_to_db(now + lease), stamp, stamp, stamp, stamp, limit),
        )
        return tuple(sorted((outbox_row_from_row(row) for row in rows), key=lambda r: r.id))

    async def release(self, row_ids: Sequence[int], *, claimer: str, now: datetime) -> int:
        """Hand rows ``claimer`` claimed but did not send back to the queue, unchanged
        (PostgreSQL only: one statement outside the write lock, like the claim)."""
        if not row_ids:
            return 0
        rows = await self._db.alone(
            f"""
            UPDATE outbox
               SET status = CASE WHEN attempts > 0 THEN 'failed' ELSE 'pending' END,
                   claimed_until = NULL, updated_at = ?
             WHERE id = ANY(?) AND status = '{OutboxStatus.SENDING}' AND claimed_by = ?
            RETURNING id
            """,
            (time_to_db(now), list(row_ids), claimer),
        )
        return len(rows)

    async def due(self, now: datetime, limit: int = 100) -> tuple[OutboxRow, ...]:
        """The first waiting message of each chat, if it is due at ``now``, oldest first.

        A chat's messages leave in the order they were written: while its oldest message
        waits for a retry, the later ones wait behind it. Messages held back by
        ``not_before`` take no place in the queue until then.
        """
        stamp = time_to_db(now)
        rows = await self._db.fetchall(
            f"""
            SELECT {OUTBOX_COLUMNS} FROM outbox
             WHERE id IN (SELECT MIN(id) FROM outbox
                           WHERE status IN {_QUEUED} AND not_before <= ?
                           GROUP BY chat_id)
               AND status IN {_WAITING} AND next_attempt_at <= ?
             ORDER BY id
             LIMIT ?
            """,
            (stamp, stamp, limit),
        )
        return tuple(outbox_row_from_row(row) for row in rows)

    async def claim(self, row_id: int, now: datetime) -> bool:
        """Mark a waiting row 'sending' before it is handed to Telegram; False if it is not
        waiting any more (sent, retired, or taken by another sender)."""
        claimed = await self._db.execute(
            f"""
            UPDATE outbox SET status = '{OutboxStatus.SENDING}', updated_at = ?
             WHERE id = ? AND status IN {_WAITING}
            """,
            (time_to_db(now), row_id),
        )
        return claimed == 1

    async def mark_sent(self, row_id: int, *, telegram_message_id: int, now: datetime) -> None:
        stamp = time_to_db(now)
        await self._db.execute(
            f"""
            UPDATE outbox
               SET status = '{OutboxStatus.SENT}', telegram_message_id = ?, sent_at = ?,
                   updated_at = ?
             WHERE id = ?
            """,
            (telegram_message_id, stamp, stamp, row_id),
        )

    async def mark_failed(
        self, row_id: int, *, attempts: int, next_attempt_at: datetime, error: str, now: datetime
    ) -> None:
        """A transient failure: try again at ``next_attempt_at``."""
        await self._db.execute(
            f"""
            UPDATE outbox
               SET status = '{OutboxStatus.FAILED}', attempts = ?, next_attempt_at = ?,
                   last_error = ?, updated_at = ?
             WHERE id = ?
            """,
            (attempts, time_to_db(next_attempt_at), _error_text(error), time_to_db(now), row_id),
        )

    async def postpone(self, row_id: int, *, error: str, now: datetime) -> None:
        """Back in the queue without counting a failure (Telegram's flood control)."""
        await self._db.execute(
            """
            UPDATE outbox
               SET status = CASE WHEN attempts > 0 THEN 'failed' ELSE 'pending' END,
                   last_error = ?, updated_at = ?
             WHERE id = ?
            """,
            (_error_text(error), time_to_db(now), row_id),
        )

    async def mark_dead(self, row_id: int, *, attempts: int, error: str, now: datetime) -> None:
        """Given up: Telegram refused the message, or it failed too often."""
        await self._db.execute(
            f"""
            UPDATE outbox
               SET status = '{OutboxStatus.DEAD}', attempts = ?, last_error = ?, updated_at = ?
             WHERE id = ?
            """,
            (attempts, _error_text(error), time_to_db(now), row_id),
        )

    async def mark_unreachable(self, chat_id: int, *, error: str, now: datetime) -> int:
        """Retire every message still queued for a chat that refuses the bot; returns how many."""
        return await self._db.execute(
            f"""
            UPDATE outbox
               SET status = '{OutboxStatus.UNREACHABLE}', last_error = ?, updated_at = ?
             WHERE chat_id = ? AND status IN {_QUEUED}
            """,
            (_error_text(error), time_to_db(now), chat_id),
        )

    # -- reading --------------------------------------------------------------------------

    async def get(self, row_id: int) -> OutboxRow | None:
        row = await self._db.fetchone(
            f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = ?", (row_id,)
        )
        return None if row is None else outbox_row_from_row(row)

    async def by_key(self, key: str) -> OutboxRow | None:
        row = await self._db.fetchone(f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE key = ?", (key,))
        return None if row is None else outbox_row_from_row(row)

    async def summary(self) -> dict[str, int]:
        """How many messages are in each status (every status present, zeros included)."""
        counts = {status.value: 0 for status in OutboxStatus}
        for row in await self._db.fetchall(
            "SELECT status, COUNT(*) AS n FROM outbox GROUP BY status"
        ):
            counts[row["status"]] = row["n"]
        return counts

    async def list(self, status: str, limit: int = 50) -> tuple[OutboxRow, ...]:
        """Messages in ``status``, oldest first, for the operator's command line."""
        if status not in {member.value for member in OutboxStatus}:
            raise ValueError(f"unknown outbox status {status!r}")
        rows = await self._db.fetchall(
            f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE status = ? ORDER BY id LIMIT ?",
            (status, limit),
        )
        return tuple(outbox_row_from_row(row) for row in rows)


def _values(m: NewMessage) -> tuple[Any, ...]:
    stamp = time_to_db(m.now)
    return (
        m.key,
        m.chat_id,
        m.user_id,
        m.kind,
        m.application_id,
        m.text,
        None if m.reply_markup is None else json_to_db(dict(m.reply_markup)),
        m.document_file_id,
        m.photo_file_id,
        stamp if m.not_before is None else time_to_db(m.not_before),
        stamp,
        stamp,
        stamp,
    )
