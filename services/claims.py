"""Claiming: the customer opens the one-time link of an application typed in for them
(:mod:`services.intake`) and becomes its customer in Telegram.

The link is ``https://t.me/<bot>?start=<code>``; the chat's ``/start <code>`` calls
:func:`claim`. Only the code's SHA-256 is stored: the code is 128 random bits, so a hash
without a salt cannot be reversed by trying codes, and a stolen database hands over no
application. A code works once and until it expires (``[api] claim_days``, 14 days by
default); whoever claimed it may open the link again and sees the card again.

In one transaction the code is spent, the Telegram user replaces the placeholder as the
application's customer, the history says so and the customer manager is told (through the
outbox, in their working hours) that the customer can be reached in the chat. From then on
the customer is like any other: nothing was queued for the placeholder, so there is nothing
stale to deliver; the card they are shown tells where the application stands (and what staff
wrote meanwhile, kept in its thread) and offers the documents still owed,
and the reminders that are due reach them from the next sweep on.

Staff cannot claim: a member of staff is never an application's customer, and one who
opens a customer's link (to try it, or by mistake) is told to hand it to the customer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import aiosqlite

from notifications.buttons import open_card_markup
from process.form import OwedDocument, owed_documents
from services.context import ServiceContext
from storage.applications import application_in
from storage.events import append_event
from storage.intake import claim_code_in, hand_over, is_placeholder
from storage.models import Application
from storage.reminders.reads import open_owed_by_application
from storage.staff.members import member_in
from storage.users import user_in

CLAIMED_EVENT = "claimed"
TO_HOLDER_TEMPLATE = "staff/customer_claimed"


class ClaimRefusal(StrEnum):
    """Why the link did nothing."""

    UNKNOWN = "unknown"  # no such code (mistyped, cut off, or never made)
    USED = "used"  # claimed already, by someone else
    EXPIRED = "expired"  # not claimed in time: the operator makes a new application or link
    STAFF = "staff"  # a member of staff opened a customer's link


@dataclass(frozen=True)
class Claimed:
    """``application`` is the user's now; ``again`` when they had claimed it before."""

    application: Application
    owed: tuple[OwedDocument, ...]
    again: bool = False


def code_hash(code: str) -> str:
    """What is stored of a claim code and looked up by."""
    return hashlib.sha256(code.encode()).hexdigest()


async def claim(
    ctx: ServiceContext, *, user_id: int, code: str, now: datetime
) -> Claimed | ClaimRefusal:
    """Link the application of ``code`` to the Telegram user ``user_id``, in one transaction."""
    async with ctx.db.transaction() as conn:
        found = await claim_code_in(conn, code_hash(code.strip()))
        if found is None:
            return ClaimRefusal.UNKNOWN
        application = await application_in(conn, found.application_id)
        assert application is not None  # the code was made with it
        if found.claimed_at is not None:
            if found.claimed_by != user_id:
                return ClaimRefusal.USED
            owed = owed_documents(
                (await open_owed_by_application(conn, [application.id])).get(application.id, [])
            )
            return Claimed(application, tuple(owed), again=True)
        if now >= found.expires_at:
            return ClaimRefusal.EXPIRED
        member = await member_in(conn, user_id)
        if member is not None and member.active:
            return ClaimRefusal.STAFF
        placeholder = application.customer_id
        assert is_placeholder(placeholder)  # only an unclaimed application has a code unspent
        if not await hand_over(conn, application_id=application.id, customer_id=user_id, now=now):
            return ClaimRefusal.USED  # pragma: no cover - read unspent in this transaction
        await append_event(
            conn,
            application_id=application.id,
            actor_id=user_id,
            actor_role="customer",
            kind=CLAIMED_EVENT,
            now=now,
            data={"placeholder": placeholder},
        )
        claimed = await application_in(conn, application.id)
        assert claimed is not None
        await _tell_holder(ctx, conn, claimed, now)
        owed = owed_documents(
            (await open_owed_by_application(conn, [application.id])).get(application.id, [])
        )
    ctx.outbox.wake()
    return Claimed(claimed, tuple(owed))


async def _tell_holder(
    ctx: ServiceContext, conn: aiosqlite.Connection, application: Application, now: datetime
) -> None:
    """The customer manager learns the customer can be reached in the chat now."""
    holder = application.customer_manager_id
    recipient = await user_in(conn, holder) if holder is not None else None
    if recipient is None:
        return
    await ctx.outbox.message(
        conn,
        key=f"claimed:{application.id}:{recipient.user_id}",
        recipient=recipient,
        template=TO_HOLDER_TEMPLATE,
        now=now,
        not_before=ctx.staff_send_at(now),
        application_id=application.id,
        reply_markup=open_card_markup(ctx.texts, recipient.locale, application),
        params={"app": application},
    )
