"""Claiming: the customer opens the one-time link of an application typed in for them
(:mod:`services.intake`) and becomes its customer in Telegram.

The link is ``https://t.me/<bot>?start=<code>``; the chat's ``/start <code>`` calls
:func:`claim`. Only the code's SHA-256 is stored: the code is 128 random bits, so a hash
without a salt cannot be reversed by trying codes, and a stolen database hands over no
application. A code works once and until it expires (``[api] claim_days``, 14 days by
default); whoever claimed it may open the link again and sees the card again.

In one transaction the code is spent, the Telegram user replaces the placeholder as the
application's customer, the history says so and the customer manager is told (through the
outbox, in their working hours) that the customer can be reached in the chat. An application
completed before it was claimed gets its satisfaction survey now: the sweep sends nothing to
a placeholder, so the survey it may have opened for one is handed to the customer as if
invited today, or one is opened for them.

What the placeholder was not sent, the customer is shown when they claim:

* the card (the flow shows it first) tells where the application stands and carries the
  buttons of everything that waits for the customer: the documents still owed, the site
  survey times to pick from, the plan or the contract to confirm;
* then :func:`catch_up` passes on, in order, what staff wrote meanwhile, each reply as its own
  message, as it would have arrived (with its file and the button to answer), rather than
  inside the card: a card lists a thread's last lines without the files, and a reply on its
  own is one the customer can answer where they read it;
* and last, a completed application's survey: its first question, as the sweep invites.

Each goes through the outbox under the key it would have had (``thread:<message>:<user>``,
``survey:invite:<application>``), so it reaches the customer once, however often they open
the link again. From then on the customer is like any other: the reminders that are due
reach them from the next sweep on.

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
from notifications.survey_questions import queue_invitation
from process.form import OwedDocument, owed_documents
from services.context import ServiceContext
from services.relay import queue_to_customer
from storage.applications import application_in
from storage.events import append_event
from storage.intake import claim_code_in, claim_code_of, hand_over, is_placeholder
from storage.models import Application, User
from storage.reminders.reads import open_owed_by_application
from storage.staff.members import member_in
from storage.survey import SurveyState, hand_over_survey, invite, staff_in, survey_of
from storage.threads import staff_messages_until
from storage.users import user_in

CLAIMED_EVENT = "claimed"
TO_HOLDER_TEMPLATE = "staff/customer_claimed"
DONE = "done"  # the status of a completed application


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
        await _survey_for_claimant(conn, claimed, placeholder=placeholder, now=now)
        owed = owed_documents(
            (await open_owed_by_application(conn, [application.id])).get(application.id, [])
        )
    ctx.outbox.wake()
    return Claimed(claimed, tuple(owed))


@dataclass(frozen=True)
class CaughtUp:
    """What :func:`catch_up` queued: staff's replies, and whether the survey's invitation."""

    messages: int = 0
    survey: bool = False


async def catch_up(
    ctx: ServiceContext, *, application_id: int, customer_id: int, now: datetime
) -> CaughtUp:
    """Queue for the customer who claimed ``application_id`` what they must be shown after
    its card: staff's replies written before the claim, then the survey's first question if
    the application is completed and its survey not begun. Idempotent: every message has the
    key it would have had, so calling it again (the link opened again) queues nothing new."""
    async with ctx.db.transaction() as conn:
        application = await application_in(conn, application_id)
        code = await claim_code_of(conn, application_id)
        recipient = await user_in(conn, customer_id)
        if (
            application is None
            or application.customer_id != customer_id
            or code is None
            or code.claimed_at is None
            or recipient is None
        ):
            return CaughtUp()
        messages = 0
        for written in await staff_messages_until(conn, application.id, code.claimed_at):
            messages += await queue_to_customer(
                ctx, conn, application=application, recipient=recipient, message=written, now=now
            )
        surveyed = await _invite_to_survey(ctx, conn, application, recipient, now)
    ctx.outbox.wake()
    return CaughtUp(messages, surveyed)


async def _survey_for_claimant(
    conn: aiosqlite.Connection, application: Application, *, placeholder: int, now: datetime
) -> None:
    """A completed application's survey becomes the claiming customer's, invited now."""
    if application.status != DONE:
        return
    if not await hand_over_survey(
        conn,
        application_id=application.id,
        placeholder_id=placeholder,
        customer_id=application.customer_id,
        now=now,
    ):
        # Nothing for the stand-in: open one unless the survey exists (answered) already.
        await invite(
            conn,
            application_id=application.id,
            customer_id=application.customer_id,
            invited_at=now,
            now=now,
        )


async def _invite_to_survey(
    ctx: ServiceContext,
    conn: aiosqlite.Connection,
    application: Application,
    recipient: User,
    now: datetime,
) -> bool:
    """The survey's first question, under the sweep's invitation key: sent once, whether the
    sweep invited the customer (who claimed before power came on) or the claim did."""
    survey = await survey_of(conn, application.id)
    if (
        survey is None
        or survey.customer_id != recipient.user_id
        or survey.state is not SurveyState.OPEN
        or survey.started_at is not None
    ):
        return False
    manager = await staff_in(conn, application.customer_manager_id)
    return await queue_invitation(
        conn,
        ctx.outbox,
        ctx.texts,
        application=application,
        recipient=recipient,
        manager=None if manager is None else manager.name,
        now=now,
    )


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
