"""The outbox table: messages the bot sends on its own initiative, and their delivery state.

A message is enqueued with :meth:`OutboxRepo.enqueue` on the connection of the transaction
that makes the change it tells about, so the message exists if and only if the change was
committed. Its idempotency key makes enqueueing repeatable: a sweep that runs twice, or a
handler that is retried, enqueues the message once.

The sender (``notifications.sender``) is the only writer after that: it claims the head of
each chat's queue, marks it ``sending`` before the Bot API call and ``sent``, ``failed``,
``dead`` or ``unreachable`` after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import aiosqlite

from storage.codec import json_to_db, time_to_db
from storage.db import Database, run
from storage.outbox_rows import OUTBOX_COLUMNS, OutboxRow, OutboxStatus, outbox_row_from_row

__all__ = ["OutboxRepo", "OutboxRow", "OutboxStatus"]

MAX_ERROR_LENGTH = 500
_WAITING = "('pending', 'failed')"
# A row in 'sending' still holds its chat's place in the queue.
_QUEUED = "('pending', 'failed', 'sending')"


def _error_text(error: str) -> str:
    return error if len(error) <= MAX_ERROR_LENGTH else error[: MAX_ERROR_LENGTH - 1] + "…"


class OutboxRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- writing messages -----------------------------------------------------------------

    async def enqueue(
        self,
        conn: aiosqlite.Connection,
        *,
        key: str,
        chat_id: int,
        user_id: int | None,
        kind: str,
        text: str,
        now: datetime,
        application_id: int | None = None,
        reply_markup: Mapping[str, Any] | None = None,
        document_file_id: str | None = None,
        photo_file_id: str | None = None,
        not_before: datetime | None = None,
    ) -> bool:
        """Add a message inside the caller's transaction; False if ``key`` was already there.

        ``text`` is final HTML in the recipient's language (the caption when a document or
        photo goes with it); ``not_before`` holds it back (e.g. past quiet hours), otherwise
        it is due at once.
        """
        for name, value in (("key", key), ("kind", kind), ("text", text)):
            if not value or not value.strip():
                raise ValueError(f"an outbox message needs a non-empty {name}")
        if document_file_id is not None and photo_file_id is not None:
            raise ValueError("an outbox message carries a document or a photo, not both")
        stamp = time_to_db(now)
        # ON CONFLICT on the key only: any other constraint violation must still raise.
        changed = await run(
            conn,
            """
            INSERT INTO outbox (key, chat_id, user_id, kind, application_id, text,
                                reply_markup, document_file_id, photo_file_id, not_before,
                                next_attempt_at, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, hv_seal(?), ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (key) DO NOTHING
            """,
            (
                key,
                chat_id,
                user_id,
                kind,
                application_id,
                text,
                None if reply_markup is None else json_to_db(dict(reply_markup)),
                document_file_id,
                photo_file_id,
                stamp if not_before is None else time_to_db(not_before),
                stamp,
                stamp,
                stamp,
            ),
        )
        return changed == 1

    async def enqueue_now(
        self,
        *,
        key: str,
        chat_id: int,
        user_id: int | None,
        kind: str,
        text: str,
        now: datetime,
        application_id: int | None = None,
        reply_markup: Mapping[str, Any] | None = None,
        document_file_id: str | None = None,
        photo_file_id: str | None = None,
        not_before: datetime | None = None,
    ) -> bool:
        """:meth:`enqueue` in a transaction of its own, for messages that change nothing."""
        async with self._db.transaction() as conn:
            return await self.enqueue(
                conn,
                key=key,
                chat_id=chat_id,
                user_id=user_id,
                kind=kind,
                text=text,
                now=now,
                application_id=application_id,
                reply_markup=reply_markup,
                document_file_id=document_file_id,
                photo_file_id=photo_file_id,
                not_before=not_before,
            )

    # -- the sender's side ----------------------------------------------------------------

    async def requeue_interrupted(self, now: datetime) -> int:
        """Put rows a stopped process left in 'sending' back in the queue; returns how many.

        Whether Telegram delivered them is unknown, so they are sent again: this is the
        at-least-once window of the outbox.
        """
        return await self._db.execute(
            f"""
            UPDATE outbox
               SET status = CASE WHEN attempts > 0 THEN 'failed' ELSE 'pending' END,
                   last_error = 'interrupted while sending; sent again', updated_at = ?
             WHERE status = '{OutboxStatus.SENDING}'
            """,
            (time_to_db(now),),
        )

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
