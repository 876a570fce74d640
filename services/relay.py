"""Relaying a message between a customer and the staff who hold their application, always
through the bot (一口对外), never from a personal account.

A customer's message goes to whoever hears about the application
(:func:`process.audience.audience`: its customer manager, or the district's overseers while
it has none); a reply from staff goes to the customer. Either way the message is kept in
the application's thread, written as an event, and queued through the outbox with a button
to answer, all in one transaction.

A customer who has not opened the claim link of an application typed in for them (see
:mod:`services.claims`) has no chat yet: a reply from staff is kept in the thread and
``held`` says so, for the flow to tell the member of staff plainly. When the customer claims
the application, :func:`services.claims.catch_up` passes the held replies on through
:func:`queue_to_customer`, under the keys a reply written after the claim would have had.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import aiosqlite

from notifications.buttons import relay_reply_markup
from process.roles import in_reach
from services.context import ServiceContext
from storage.applications import application_in
from storage.events import append_event
from storage.intake import is_placeholder
from storage.models import Application, User
from storage.staff.audience import audience_of
from storage.staff.members import member_in
from storage.staff.models import Staff
from storage.threads import ThreadMessage, add_message
from storage.users import user_in


class Direction(StrEnum):
    TO_STAFF = "contact"  # the customer writes to the holders
    TO_CUSTOMER = "reply"  # a member of staff answers the customer


class RelayRefusal(StrEnum):
    NOT_YOURS = "not_yours"  # not the customer, or staff out of reach (or no such application)


@dataclass(frozen=True)
class Content:
    """What was written: text, a file (``file_kind`` 'document' or 'photo'), or both."""

    text: str | None
    file_id: str | None = None
    file_kind: str | None = None


@dataclass(frozen=True)
class Relayed:
    application: Application
    thread_message_id: int
    queued: int  # messages queued; 0 when nobody could be written to
    # A reply to a customer who has not claimed the application yet: kept for them until then.
    held: bool = False


def may_write(
    direction: Direction, *, user_id: int, member: Staff | None, application: Application
) -> bool:
    """Whether ``user_id`` (``member``: their staff row, if any) may write about
    ``application`` in ``direction``: its customer to the staff, staff in reach to the
    customer."""
    if direction is Direction.TO_STAFF:
        return application.customer_id == user_id
    return in_reach(member, application)


def held_until_claimed(application: Application) -> bool:
    """Whether a message to the customer of ``application`` waits for them to open its
    claim link: it was typed in for them and nobody has claimed it in Telegram yet."""
    return is_placeholder(application.customer_id)


async def relay(
    ctx: ServiceContext,
    *,
    sender_id: int,
    application_id: int,
    direction: Direction,
    content: Content,
    now: datetime,
) -> Relayed | RelayRefusal:
    """Keep ``content`` in the application's thread and pass it on."""
    async with ctx.db.transaction() as conn:
        application = await application_in(conn, application_id)
        member = await member_in(conn, sender_id)
        if application is None or not may_write(
            direction, user_id=sender_id, member=member, application=application
        ):
            return RelayRefusal.NOT_YOURS
        role = (
            member.role.value
            if direction is Direction.TO_CUSTOMER and member is not None
            else "customer"
        )
        message_id = await add_message(
            conn,
            application_id=application.id,
            sender_id=sender_id,
            sender_role=role,
            text=content.text,
            file_id=content.file_id,
            file_kind=content.file_kind,
            now=now,
        )
        await append_event(
            conn,
            application_id=application.id,
            actor_id=sender_id,
            actor_role=role,
            kind="message_to_customer"
            if direction is Direction.TO_CUSTOMER
            else "message_from_customer",
            now=now,
            data={"thread_message": message_id},
        )
        if direction is Direction.TO_CUSTOMER:
            customer = await user_in(conn, application.customer_id)
            assert customer is not None  # applications.customer_id references a user
            if held_until_claimed(application):
                return Relayed(application, message_id, 0, held=True)
            written = ThreadMessage(
                message_id,
                application.id,
                sender_id,
                role,
                content.text,
                content.file_id,
                content.file_kind,
                now,
            )
            queued = int(
                await queue_to_customer(
                    ctx, conn, application=application, recipient=customer, message=written, now=now
                )
            )
        else:
            queued = await _queue_to_staff(ctx, conn, application, message_id, content, now)
    ctx.outbox.wake()
    return Relayed(application, message_id, queued)


async def queue_to_customer(
    ctx: ServiceContext,
    conn: aiosqlite.Connection,
    *,
    application: Application,
    recipient: User,
    message: ThreadMessage,
    now: datetime,
) -> bool:
    """Queue ``message`` of the thread for the customer ``recipient``, with the button to
    answer; False when it was queued for them before (the key is the thread message's)."""
    sender = await user_in(conn, message.sender_id)
    manager = await member_in(conn, application.customer_manager_id)
    return await ctx.outbox.message(
        conn,
        key=f"thread:{message.id}:{recipient.user_id}",
        recipient=recipient,
        template="relay/to_customer",
        now=now,
        application_id=application.id,
        reply_markup=relay_reply_markup(
            ctx.texts, recipient.locale, application.id, to_customer=True
        ),
        document_file_id=message.file_id if message.file_kind == "document" else None,
        photo_file_id=message.file_id if message.file_kind == "photo" else None,
        params={
            "app": application,
            "text": message.text,
            "sender": (sender.first_name if sender else None) or "",
            "manager": manager.name if manager else None,
        },
    )


async def _queue_to_staff(
    ctx: ServiceContext,
    conn: aiosqlite.Connection,
    application: Application,
    message_id: int,
    content: Content,
    now: datetime,
) -> int:
    """Queue the customer's message for whoever hears about the application."""
    sender = await user_in(conn, application.customer_id)
    manager = await member_in(conn, application.customer_manager_id)
    queued = 0
    for heard in await audience_of(conn, application, project_manager_too=False):
        recipient = await user_in(conn, heard.user_id)
        if recipient is None:
            continue
        queued += await ctx.outbox.message(
            conn,
            key=f"thread:{message_id}:{recipient.user_id}",
            recipient=recipient,
            template="relay/to_staff",
            now=now,
            # A customer's message reaches staff in their working hours.
            not_before=ctx.staff_send_at(now),
            application_id=application.id,
            reply_markup=relay_reply_markup(
                ctx.texts, recipient.locale, application.id, to_customer=False
            ),
            document_file_id=content.file_id if content.file_kind == "document" else None,
            photo_file_id=content.file_id if content.file_kind == "photo" else None,
            params={
                "app": application,
                "text": content.text,
                "sender": (sender.first_name if sender else None) or "",
                "manager": manager.name if manager else None,
            },
        )
    return queued
