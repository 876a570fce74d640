"""``/app NUMBER``: the staff card of one application, with the actions allowed now.

Only a member whose scope holds the application sees it (:func:`flows.staff.access.may_see`:
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
from flows.staff.access import may_see
from flows.status import card_context
from flows.workflow.buttons import staff_actions_markup
from process.numbers import parse_application_number
from process.roles import OVERSEERS, Role
from process.workflow import Step, actors_for, available
from services.workflow import role_of
from storage.models import Application, Document, User

log = logging.getLogger("hvconnect.card")


async def app_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    user = await current_user(update, context)
    if await role_of(svc, user.user_id) is None:
        await say(update, context, "common/staff_only")
        return
    raw = " ".join(context.args or [])
    number = parse_application_number(raw)
    application = await svc.applications.get_by_number(number) if number else None
    if application is None or not await may_see(svc, user, application):
        await say(update, context, "card/not_found", number=raw[:40])
        return
    await send_card(update, context, svc, user, application)


async def on_card_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    svc = services(context)
    user = await current_user(update, context)
    target = query.data.removeprefix("card:")
    application = await svc.applications.get(int(target)) if _is_id(target) else None
    if application is None or not await may_see(svc, user, application):
        await answer_button(query, svc.texts.label(user.locale, "toast.expired"), alert=True)
        return
    await answer_button(query)
    await send_card(update, context, svc, user, application)


async def on_documents_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Re-send the application's documents: Telegram file ids stay valid for the bot.

    Each file goes with the method of its type (a photo's id is refused by sendDocument and
    a document's by sendPhoto). One file that cannot be sent does not stop the others, and
    the member is told which did not come, so a partial set never looks like the whole.
    """
    query = update.callback_query
    assert query is not None and query.data is not None
    svc = services(context)
    user = await current_user(update, context)
    target = query.data.removeprefix("docs:")
    application = await svc.applications.get(int(target)) if _is_id(target) else None
    if application is None or not await may_see(svc, user, application):
        await answer_button(query, svc.texts.label(user.locale, "toast.expired"), alert=True)
        return
    await answer_button(query)
    documents = await svc.applications.documents(application.id)
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
    role = await role_of(svc, user.user_id)
    actors = actors_for(
        user_id=user.user_id,
        role=role,
        customer_id=application.customer_id,
        customer_manager_id=application.customer_manager_id,
        project_manager_id=application.project_manager_id,
    )
    staff_actors = actors - {a for a in actors if a.value == "customer"}
    actions = available(Step(application.step), frozenset(staff_actors))
    documents = await svc.applications.documents(application.id)
    markup = staff_actions_markup(
        svc.texts,
        user.locale,
        application,
        actions,
        can_attach_project=application.project_manager_id is None
        and (role in OVERSEERS or user.user_id == application.customer_manager_id),
        can_reassign=role in OVERSEERS,
        document_count=len(documents),
    )
    names = {}
    for key, staff_id in (
        ("manager", application.customer_manager_id),
        ("project", application.project_manager_id),
    ):
        member = await svc.staff.get(staff_id) if staff_id else None
        names[key] = member.name if member else None
    await say(
        update,
        context,
        "card/staff",
        reply_markup=markup,
        staff_view=True,
        manager=names["manager"],
        project=names["project"],
        is_overseer=role in OVERSEERS or role is Role.ADMIN,
        **await card_context(svc, application),
    )


def _is_id(text: str) -> bool:
    """A row id as button data carries it; forged data ("²", 30 digits) is no id."""
    return text.isdecimal() and len(text) <= 12
