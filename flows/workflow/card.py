"""``/app NUMBER``: the staff card of one application, with the actions allowed now.

Only a member whose scope holds the application sees it (:func:`process.roles.in_reach`:
its own managers, its district's supervisors, admins); anyone else gets the same answer as
for a number that does not exist.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from flows.common import answer_button, current_user, say
from flows.deps import Services, services
from flows.relay import may_write_to_customer
from flows.status import card_context
from flows.workflow.buttons import DocumentsPress, staff_actions_markup
from notifications.buttons import OpenCardPress
from notifications.callback_data import decode_as
from process.numbers import parse_application_number
from process.roles import OVERSEERS
from services.workflow import StaffCard, staff_card, staff_role
from storage.models import Application, Document, User

log = logging.getLogger("hvconnect.card")


async def app_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    user = await current_user(update, context)
    if await staff_role(svc.context, user.user_id) is None:
        await say(update, context, "common/staff_only")
        return
    raw = " ".join(context.args or [])
    number = parse_application_number(raw)
    card = await staff_card(svc.context, actor_id=user.user_id, number=number) if number else None
    if card is None:
        await say(update, context, "card/not_found", number=raw[:40])
        return
    await _show(update, context, svc, user, card)


async def on_card_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    opened = decode_as(query.data, OpenCardPress)
    assert opened is not None  # the handler's pattern let only these through
    svc = services(context)
    user = await current_user(update, context)
    card = await staff_card(
        svc.context, actor_id=user.user_id, application_id=opened.application_id
    )
    if card is None:
        await answer_button(query, svc.texts.label(user.locale, "toast.expired"), alert=True)
        return
    await answer_button(query)
    await _show(update, context, svc, user, card)


async def on_documents_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Re-send the application's documents: Telegram file ids stay valid for the bot.

    Each file goes with the method of its type (a photo's id is refused by sendDocument and
    a document's by sendPhoto). One file that cannot be sent does not stop the others, and
    the member is told which did not come, so a partial set never looks like the whole.
    """
    query = update.callback_query
    assert query is not None
    wanted = decode_as(query.data, DocumentsPress)
    assert wanted is not None  # the handler's pattern let only these through
    svc = services(context)
    user = await current_user(update, context)
    card = await staff_card(
        svc.context, actor_id=user.user_id, application_id=wanted.application_id
    )
    if card is None:
        await answer_button(query, svc.texts.label(user.locale, "toast.expired"), alert=True)
        return
    await answer_button(query)
    application, documents = card.application, card.documents
    failed: list[Document] = []
    for doc in documents:
        caption = svc.texts.render(
            user.locale, "card/document_caption", number=application.number, kind=doc.kind
        )
        try:
            await _send_file(context, user.chat_id, doc, caption)
        except TelegramError as error:
            log.warning(
                "document %s of %s could not be sent: %s", doc.id, application.number, error
            )
            failed.append(doc)
    if failed:
        await say(
            update,
            context,
            "card/documents_failed",
            number=application.number,
            kinds=[doc.kind for doc in failed],
            total=len(documents),
        )


async def _send_file(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, doc: Document, caption: str
) -> None:
    if doc.sent_as == "photo":
        await context.bot.send_photo(
            chat_id, doc.file_id, caption=caption, parse_mode=ParseMode.HTML
        )
    else:
        await context.bot.send_document(
            chat_id, doc.file_id, caption=caption, parse_mode=ParseMode.HTML
        )


async def send_card(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    svc: Services,
    user: User,
    application: Application,
) -> None:
    """The card of ``application`` as it stands now (after a change made elsewhere)."""
    card = await staff_card(svc.context, actor_id=user.user_id, application_id=application.id)
    if card is None:
        await say(update, context, "card/not_found", number=application.number)
        return
    await _show(update, context, svc, user, card)


async def show_card(
    update: Update, context: ContextTypes.DEFAULT_TYPE, application_id: int
) -> bool:
    """The card of the application as it stands now, for a member whose scope holds it;
    False for anyone else. For a press stored before a crash cut off its reply
    (flows.redelivered): the card shows what the press changed and what comes next.
    """
    svc = services(context)
    user = await current_user(update, context)
    card = await staff_card(svc.context, actor_id=user.user_id, application_id=application_id)
    if card is None:
        return False
    await _show(update, context, svc, user, card)
    return True


async def _show(
    update: Update, context: ContextTypes.DEFAULT_TYPE, svc: Services, user: User, card: StaffCard
) -> None:
    markup = staff_actions_markup(
        svc.texts,
        user.locale,
        card.application,
        card.actions,
        can_attach_project=card.can_attach_project,
        can_reassign=card.can_reassign,
        can_write_to_customer=await may_write_to_customer(svc, user, card.application),
        document_count=len(card.documents),
    )
    await say(
        update,
        context,
        "card/staff",
        reply_markup=markup,
        staff_view=True,
        manager=card.manager,
        project=card.project,
        is_overseer=card.role in OVERSEERS,
        **await card_context(svc, card.application),
    )
