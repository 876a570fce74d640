"""Settling a document promised under the commitment rule (告知承诺), sent after submission.

The customer sends the files and says they are all there; in one transaction the promise is
kept (the owed item settled), the files join the application, the history says so and the
customer manager is told. The owed item is settled first and only if still open, so a
second "all files sent" for the same document, from a double press or another chat, changes
nothing at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from notifications.buttons import open_card_markup
from process.form import OwedDocument
from services.context import ServiceContext
from storage.events import append_event
from storage.models import Application, DocumentInput
from storage.survey import application_in
from storage.users import user_in
from storage.workflow import add_document, resolve_owed

SUPPLIED_EVENT = "owed_document_supplied"
TO_MANAGER_TEMPLATE = "owed/to_staff"


class OwedRefusal(StrEnum):
    """Why nothing was written."""

    NOT_YOURS = "not_yours"  # no such application, or another customer's
    NOT_OWED = "not_owed"  # not (or no longer) owed: settled before, or never promised
    NO_FILES = "no_files"  # nothing was sent yet


@dataclass(frozen=True)
class Settled:
    application: Application
    document: OwedDocument
    files: int
    manager_told: bool  # False when no manager holds the application yet


async def settle_owed_document(
    ctx: ServiceContext,
    *,
    customer_id: int,
    application_id: int,
    document: OwedDocument,
    files: Sequence[DocumentInput],
    now: datetime,
) -> Settled | OwedRefusal:
    """Hand in ``files`` for the promised ``document``; they are filed as that document.

    Only the application's customer may, and only while the document is owed. The
    application's version is not checked: the promise stands whatever step the application
    has reached meanwhile, and is kept by whichever send comes first.
    """
    if not files:
        return OwedRefusal.NO_FILES
    async with ctx.db.transaction() as conn:
        application = await application_in(conn, application_id)
        if application is None or application.customer_id != customer_id:
            return OwedRefusal.NOT_YOURS
        if not await resolve_owed(conn, application.id, document.owed_kind, now):
            return OwedRefusal.NOT_OWED
        for sent in files:
            await add_document(
                conn,
                application_id=application.id,
                kind=document.value,
                file_id=sent.file_id,
                file_unique_id=sent.file_unique_id,
                file_name=sent.file_name,
                mime_type=sent.mime_type,
                file_size=sent.file_size,
                sent_as=sent.sent_as,
                caption=None,
                uploaded_by=customer_id,
                now=now,
            )
        await append_event(
            conn,
            application_id=application.id,
            actor_id=customer_id,
            actor_role="customer",
            kind=SUPPLIED_EVENT,
            now=now,
            data={"kind": document.value, "files": len(files)},
        )
        holder = application.customer_manager_id
        recipient = await user_in(conn, holder) if holder is not None else None
        if recipient is not None:
            await ctx.outbox.message(
                conn,
                key=f"owed:{application.id}:{document.value}:{recipient.user_id}:{now.isoformat()}",
                recipient=recipient,
                template=TO_MANAGER_TEMPLATE,
                now=now,
                not_before=ctx.staff_send_at(now),
                application_id=application.id,
                reply_markup=open_card_markup(ctx.texts, recipient.locale, application),
                params={"app": application, "kind": document.value, "count": len(files)},
            )
    return Settled(application, document, len(files), manager_told=recipient is not None)
