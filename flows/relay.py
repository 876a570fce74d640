"""``/contact``: the customer writes to their customer manager, the manager replies, always
through the bot (一口对外) — never from a personal account.

The customer's message goes to the assigned customer manager, or to the district's
supervisors while nobody is assigned, with a reply button; the reply comes back to the
customer with a button to answer again. A member of staff who may answer the customer may
also write first, from the application's card (:class:`WritePress`): the same message, the
same way, since an application typed in for a customer has no message of theirs to answer.
Both directions are stored in the application's thread and go out through the outbox
(:func:`services.relay.relay`). A message to a customer who has not opened the claim link
of an application typed in for them is kept, and the member of staff is told so before
writing and again once it is kept.

What people write is kept as they wrote it (emoji, ``<``, links with query strings, any
script) and escaped where it is shown; only what cannot be stored or shown is refused, and
the answer names it (:func:`process.workflow_inputs.parse_note`). A document must be what
its type says (:func:`flows.files.content_problem`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from telegram import Message, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from flows import keyboards
from flows.common import ANSWER, answer_button, current_user, say
from flows.conversations import cancel_command, conversation, forget_pending
from flows.deps import Services, services
from flows.files import FILE, content_problem
from flows.given_up import answer_outside_flows
from notifications.buttons import ContactPress, ReplyPress
from notifications.callback_data import Press, decode_as, pattern, press
from process.validators import ValidationError
from process.workflow_inputs import parse_note
from services.pending import stop_waiting, wait_for_input
from services.relay import (
    Content,
    Direction,
    RelayRefusal,
    held_until_claimed,
    may_write,
    relay,
)
from storage.models import Application, User

CONVERSATION_NAME = "relay"
COMPOSE = "relay:compose"
MAX_MESSAGE = 2000


@press("wr")
@dataclass(frozen=True)
class WritePress(Press):
    """A member of staff writes first to the customer of ``application_id``, from its card
    (:func:`flows.workflow.buttons.staff_actions_markup`); answered like a reply."""

    application_id: int


async def contact_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int:
    svc = services(context)
    user = await current_user(update, context)
    applications = [a for a in await svc.applications.list_for_customer(user.user_id)]
    if not applications:
        await say(update, context, "relay/no_application")
        return ConversationHandler.END
    open_ones = [a for a in applications if a.status == "active"] or applications
    if len(open_ones) == 1:
        return await _start(update, context, svc, user, open_ones[0], "contact")
    markup = keyboards.inline(
        *[
            [keyboards.button(f"{a.number} {a.project_name}"[:60], ContactPress(a.id).encode())]
            for a in open_ones[:10]
        ]
    )
    await say(update, context, "relay/choose", reply_markup=markup)
    return ConversationHandler.END


async def on_contact_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int:
    query = update.callback_query
    assert query is not None and query.data is not None
    svc = services(context)
    user = await current_user(update, context)
    pressed = decode_as(query.data, ContactPress)
    application = await svc.applications.get(pressed.application_id) if pressed else None
    if application is None or application.customer_id != user.user_id:
        await answer_button(query, svc.texts.label(user.locale, "toast.expired"), alert=True)
        return ConversationHandler.END
    await answer_button(query)
    return await _start(update, context, svc, user, application, "contact")


async def on_reply_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int:
    query = update.callback_query
    assert query is not None and query.data is not None
    pressed = decode_as(query.data, ReplyPress)
    return await _to_customer(update, context, pressed.application_id if pressed else None)


async def on_write_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int:
    query = update.callback_query
    assert query is not None and query.data is not None
    pressed = decode_as(query.data, WritePress)
    return await _to_customer(update, context, pressed.application_id if pressed else None)


async def may_write_to_customer(svc: Services, user: User, application: Application) -> bool:
    """Whether ``user`` may write to the customer of ``application`` now (their staff row
    read fresh): who sees the card's write button, and who may press it or a reply."""
    return may_write(
        Direction.TO_CUSTOMER,
        user_id=user.user_id,
        member=await svc.staff.get(user.user_id),
        application=application,
    )


async def _to_customer(
    update: Update, context: ContextTypes.DEFAULT_TYPE, application_id: int | None
) -> str | int:
    """A reply or a first message to the customer: refused like a stale button to anyone
    who may not write to them (or for an application that is not there)."""
    query = update.callback_query
    assert query is not None
    svc = services(context)
    user = await current_user(update, context)
    application = await svc.applications.get(application_id) if application_id else None
    if application is None or not await may_write_to_customer(svc, user, application):
        await answer_button(query, svc.texts.label(user.locale, "toast.expired"), alert=True)
        return ConversationHandler.END
    await answer_button(query)
    return await _start(update, context, svc, user, application, "reply")


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int | None:
    svc = services(context)
    user = await current_user(update, context)
    pending = await svc.workflow.pending(user.user_id)
    message = update.effective_message
    if pending is None or message is None or pending.action not in ("contact", "reply"):
        return await answer_outside_flows(update, context)
    application = await svc.applications.get(pending.application_id)
    direction = Direction(pending.action)
    allowed = application is not None and may_write(
        direction,
        user_id=user.user_id,
        member=await svc.staff.get(user.user_id),
        application=application,
    )
    if application is None or not allowed:
        await stop_waiting(svc.context, user.user_id)
        await say(update, context, "wf/refused", reason="not_yours")
        return ConversationHandler.END
    try:
        text, file_id, file_kind = _content(message)
    except ValidationError as error:
        await say(
            update,
            context,
            "relay/invalid",
            error=svc.texts.label(user.locale, f"error.{error.code}", **error.params),
        )
        return None
    problem = (
        await content_problem(context.bot, message.document)
        if file_kind == "document" and message.document is not None
        else ""
    )
    if problem:
        refused = svc.texts.label(user.locale, f"error.file.{problem}")
        await say(update, context, "relay/invalid", error=refused)
        return None
    outcome = await relay(
        svc.context,
        sender_id=user.user_id,
        application_id=application.id,
        direction=direction,
        content=Content(text, file_id, file_kind),
        now=svc.clock.now(),
    )
    await stop_waiting(svc.context, user.user_id)
    if isinstance(outcome, RelayRefusal):  # lost their reach since the check above
        await say(update, context, "wf/refused", reason="not_yours")
        return ConversationHandler.END
    if outcome.held:
        await say(update, context, "relay/held", number=application.number)
        return ConversationHandler.END
    await say(
        update,
        context,
        "relay/sent",
        number=application.number,
        to_customer=pending.action == "reply",
    )
    return ConversationHandler.END


async def expect_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await say(update, context, "relay/expect")


async def forget_message(
    context: ContextTypes.DEFAULT_TYPE, svc: Services, user: User
) -> Mapping[str, Any]:
    """/cancel drops the message being written; the relay has nothing else to keep."""
    return {**await forget_pending(context, svc, user), "flow": "relay"}


async def _start(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    svc: Services,
    user: User,
    application: Application,
    action: str,
) -> str:
    await wait_for_input(
        svc.context,
        user_id=user.user_id,
        application_id=application.id,
        action=action,
        version=application.version,
        now=svc.clock.now(),
    )
    manager = (
        await svc.staff.get(application.customer_manager_id)
        if application.customer_manager_id
        else None
    )
    await say(
        update,
        context,
        "relay/compose",
        number=application.number,
        to_customer=action == "reply",
        manager=manager.name if manager else None,
        unclaimed=action == "reply" and held_until_claimed(application),
    )
    return COMPOSE


def _content(message: Message) -> tuple[str | None, str | None, str | None]:
    if message.photo:
        caption = parse_note(message.caption, max_len=MAX_MESSAGE) if message.caption else None
        return caption, message.photo[-1].file_id, "photo"
    if message.document:
        caption = parse_note(message.caption, max_len=MAX_MESSAGE) if message.caption else None
        return caption, message.document.file_id, "document"
    return parse_note(message.text or "", max_len=MAX_MESSAGE), None, None


def build_relay_conversation() -> ConversationHandler[Any]:
    compose: list[BaseHandler[Update, Any, Any]] = [
        MessageHandler(ANSWER & (filters.TEXT | FILE), on_message),
        MessageHandler(ANSWER, expect_message),
    ]
    return conversation(
        CONVERSATION_NAME,
        entry_points=[
            CommandHandler("contact", contact_command, filters=filters.ChatType.PRIVATE),
            CallbackQueryHandler(on_contact_button, pattern=pattern(ContactPress)),
            CallbackQueryHandler(on_reply_button, pattern=pattern(ReplyPress)),
            CallbackQueryHandler(on_write_button, pattern=pattern(WritePress)),
        ],
        states={COMPOSE: compose},
        fallbacks=[cancel_command(forget_message)],
    )
