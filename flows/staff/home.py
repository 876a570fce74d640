"""What a staff member sees outside any task: their own welcome on /start, and a staff answer
to free text. Both are the customers' handlers for everyone else.

Staff are not customers: asking a customer manager for a phone number "so that your
customer manager can reach you", or reading their ``accept HV-2026-000001`` as a badly typed
mobile number, tells them the bot does not know who they are.
"""

from __future__ import annotations

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import ContextTypes

from flows import keyboards
from flows import start as start_flow
from flows.claim import open_claim_link
from flows.common import current_user, say
from flows.deps import services
from flows.staff.access import STAFF_COMMANDS
from process.numbers import parse_application_number
from storage.staff.members import Staff


async def _active_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Staff | None:
    svc = services(context)
    user = await current_user(update, context)
    member = await svc.staff.get(user.user_id)
    return member if member is not None and member.active else None


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start: a member's welcome names their role and commands; customers get theirs.
    With a payload it is a claim link (:mod:`flows.claim`), whoever opens it."""
    if context.args:
        await open_claim_link(update, context, context.args[0])
        return
    member = await _active_member(update, context)
    if member is None:
        await start_flow.start(update, context)
        return
    svc = services(context)
    user = await current_user(update, context)
    await say(
        update,
        context,
        "staff/welcome",
        member=member,
        role=member.role.value,
        commands=STAFF_COMMANDS[member.role],
        reply_markup=keyboards.language_choice(svc.texts, user.locale),
    )


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Free text outside any flow: for staff, what they can do (and, if they named an
    application, the command that opens it); for customers, the customers' answer."""
    member = await _active_member(update, context)
    if member is None:
        await start_flow.on_text(update, context)
        return
    await _what_staff_can_do(update, context, member)


async def unexpected_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A file, sticker or location outside any flow: staff hear what they can do, not the
    customers' "/apply to start an application"."""
    member = await _active_member(update, context)
    if member is None:
        await start_flow.unexpected_message(update, context)
        return
    await _what_staff_can_do(update, context, member)


async def _what_staff_can_do(
    update: Update, context: ContextTypes.DEFAULT_TYPE, member: Staff
) -> None:
    message = update.effective_message
    text = message.text if message is not None and message.text else ""
    number = next(
        (found for word in text.split() if (found := parse_application_number(word))), None
    )
    await say(
        update,
        context,
        "staff/free_text",
        role=member.role.value,
        commands=STAFF_COMMANDS[member.role],
        number=number,
        # A share-phone keyboard left from before enrolment has nothing to do here.
        reply_markup=ReplyKeyboardRemove(),
    )
