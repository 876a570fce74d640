"""What the flows call to say something on the bot's own initiative.

A stage change, a reminder or a staff alert is written with :meth:`Outbox.message` on the
connection of the transaction that makes the change, so the message is sent if and only if
the change is committed. The text is rendered here, at enqueue time, in the recipient's
language: what is sent later is what was true when it was written.

A customer who has no chat yet (the placeholder of an application typed in for them, see
:mod:`storage.intake`) is sent nothing: their messages are dropped here, as if already sent.
What they miss meanwhile, they find on the application's card when they claim it, and the
reminders that are still due reach them from then on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

import aiosqlite
from telegram import InlineKeyboardMarkup

from notifications.render import Texts
from storage.intake import is_placeholder
from storage.models import User
from storage.outbox import NewMessage, OutboxRepo


class Outbox:
    """Renders messages for a recipient and queues them for the sender."""

    def __init__(
        self,
        repo: OutboxRepo,
        texts: Texts,
        *,
        tz: tzinfo,
        wake: Callable[[], None] | None = None,
    ) -> None:
        self._repo = repo
        self._texts = texts
        self._tz = tz
        self._wake = wake

    def connect(self, wake: Callable[[], None]) -> None:
        """Tell the outbox whom to nudge when a message was queued (the sender's ``wake``)."""
        self._wake = wake

    async def message(self, conn: aiosqlite.Connection, **fields: Any) -> bool:
        """Queue one message inside the caller's transaction: ``fields`` as for
        :meth:`draft` (the template, its recipient and key, and the template's ``params``).

        Returns False when a message with that key was queued before (nothing changes then).
        """
        return await self.queue(conn, [self.draft(**fields)]) == 1

    def draft(
        self,
        *,
        key: str,
        recipient: User,
        template: str,
        now: datetime,
        params: Mapping[str, Any] | None = None,
        application_id: int | None = None,
        reply_markup: InlineKeyboardMarkup | None = None,
        not_before: datetime | None = None,
        document_file_id: str | None = None,
        photo_file_id: str | None = None,
        kind: str | None = None,
    ) -> NewMessage:
        """``template`` rendered now for ``recipient``, for :meth:`queue` to write (with others).

        ``params`` go to the template, which also gets ``tz``. They are one mapping, never
        keyword arguments of this method: a template's ``kind`` or ``now`` must reach the
        template, not be taken for the outbox's own ``kind`` or ``now``. A parameter the
        template names but ``params`` lacks raises :class:`MissingTemplateParameter` here,
        where the message is drafted, not later in the sender.

        ``kind`` (the message's kind in the outbox) defaults to the template name with dots
        (``customer/stage_changed`` -> ``customer.stage_changed``). With
        ``document_file_id`` or ``photo_file_id`` (Telegram file ids) the file is sent with
        the text as its caption; ``not_before`` holds the message back.
        """
        return NewMessage(
            key=key,
            chat_id=recipient.chat_id,
            user_id=recipient.user_id,
            kind=kind or template.replace("/", "."),
            text=self._texts.render(
                recipient.locale, template, **{"tz": self._tz, **(params or {})}
            ),
            now=now,
            application_id=application_id,
            reply_markup=None if reply_markup is None else reply_markup.to_dict(),
            document_file_id=document_file_id,
            photo_file_id=photo_file_id,
            not_before=not_before,
        )

    async def queue(self, conn: aiosqlite.Connection, drafts: Sequence[NewMessage]) -> int:
        """Write drafted messages inside the caller's transaction, in one statement; returns
        how many were new (a key queued before is left as it was; a placeholder customer's
        message is not written at all)."""
        reachable = [d for d in drafts if not is_placeholder(d.user_id)]
        if not reachable:
            return 0
        queued = await self._repo.enqueue_many(conn, reachable)
        if queued:
            # Safe before the commit: the sender reads through the same connection, so it
            # waits for this transaction and then sees the rows, or nothing if it rolled back.
            self.wake()
        return queued

    def wake(self) -> None:
        """Nudge the sender to look at the queue now instead of at its next poll."""
        if self._wake is not None:
            self._wake()
