"""Documents promised under the commitment rule (告知承诺), sent after submission.

The status card offers one button per document still owed; the customer sends the files and
presses "all files sent". The files join the application, the owed item is settled, and the
customer manager is told — in one transaction (:func:`services.owed.settle_owed_document`).

The conversation holds the chat only while the customer is sending those files: any other
command or button, or text once the files were given up elsewhere, ends it and is handled
as if it had not been there (a survey comment days later must reach the survey).
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from flows import keyboards
from flows.apply.documents import FILE, received_file
from flows.apply.fields import ANSWER
from flows.common import answer_button, current_user, drop_buttons, say
from flows.conversations import cancel_command, conversation, forget_pending
from flows.deps import services
from notifications.buttons import SendOwed
from notifications.callback_data import decode_as, pattern
from process.form import OwedDocument
from services.owed import OwedRefusal, settle_owed_document
from storage.models import DocumentInput

CONVERSATION_NAME = "owed"
FILES = "owed:files"
DONE = "owdone"


async def on_owed_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int:
    query = update.callback_query
    assert query is not None
    svc = services(context)
    user = await current_user(update, context)
    press = decode_as(query.data, SendOwed)
    app = await svc.applications.get(press.application_id) if press else None
    owed = await svc.applications.owed_items(app.id) if app else []
    if (
        press is None
        or app is None
        or app.customer_id != user.user_id
        or press.document.owed_kind not in {o.kind for o in owed}
    ):
        await answer_button(query, svc.texts.label(user.locale, "toast.expired"), alert=True)
        return ConversationHandler.END
    await answer_button(query)
    await svc.workflow.set_pending(
        user_id=user.user_id,
        application_id=app.id,
        action=f"owed:{press.document}",
        version=app.version,
        now=svc.clock.now(),
    )
    await say(
        update,
        context,
        "owed/ask",
        kind=press.document.value,
        number=app.number,
        reply_markup=_done(svc, user.locale),
    )
    return FILES


async def on_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    svc = services(context)
    user = await current_user(update, context)
    pending = await svc.workflow.pending(user.user_id)
    message = update.effective_message
    if pending is None or message is None or not pending.action.startswith("owed:"):
        return await step_aside(update, context)
    doc, problem = await received_file(
        message, pending.action, svc.settings.max_document_bytes, context.bot
    )
    if doc is None:
        await say(
            update,
            context,
            "apply/document_rejected",
            reason=problem,
            max_mb=svc.settings.max_document_bytes // (1024 * 1024),
        )
        return None
    files = [
        *pending.data.get("files", []),
        {
            "file_id": doc.file_id,
            "file_unique_id": doc.file_unique_id,
            "file_name": doc.file_name,
            "mime_type": doc.mime_type,
            "file_size": doc.file_size,
            "sent_as": doc.sent_as,
        },
    ]
    await svc.workflow.update_pending_data(user.user_id, {"files": files})
    await say(
        update, context, "wf/file_received", count=len(files), reply_markup=_done(svc, user.locale)
    )
    return None


async def on_done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int | None:
    query = update.callback_query
    assert query is not None
    svc = services(context)
    user = await current_user(update, context)
    pending = await svc.workflow.pending(user.user_id)
    if pending is None or not pending.action.startswith("owed:"):
        # Given up meanwhile (another flow took over): this button no longer means anything.
        await answer_button(query, svc.texts.label(user.locale, "toast.expired"), alert=True)
        return ConversationHandler.END
    files = pending.data.get("files", [])
    if not files:
        await answer_button(query, svc.texts.label(user.locale, "toast.send_file_first"))
        return None
    document = _pending_document(pending.action)
    outcome = (
        OwedRefusal.NOT_OWED
        if document is None
        else await settle_owed_document(
            svc.context,
            customer_id=user.user_id,
            application_id=pending.application_id,
            document=document,
            files=[DocumentInput(kind=document.value, **f) for f in files],
            now=svc.clock.now(),
        )
    )
    if isinstance(outcome, OwedRefusal):
        # Not the customer's, or kept already (another chat, a double press): nothing to do.
        await answer_button(query, svc.texts.label(user.locale, "toast.expired"), alert=True)
        await svc.workflow.clear_pending(user.user_id)
        return ConversationHandler.END
    await answer_button(query)
    await svc.workflow.clear_pending(user.user_id)
    # Only now: had the files not been taken, the button must stay to try again.
    await drop_buttons(query)
    await say(
        update,
        context,
        "owed/received",
        kind=outcome.document.value,
        number=outcome.application.number,
        manager_told=outcome.manager_told,
    )
    return ConversationHandler.END


async def expect_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """Text or a sticker while files are awaited: say what is expected, unless the files
    were given up meanwhile (another flow took over), when the message is not ours."""
    svc = services(context)
    user = await current_user(update, context)
    pending = await svc.workflow.pending(user.user_id)
    if pending is None or not pending.action.startswith("owed:"):
        return await step_aside(update, context)
    count = len(pending.data.get("files", []))
    await say(
        update,
        context,
        "owed/expect",
        kind=pending.action.removeprefix("owed:"),
        count=count,
        reply_markup=_done(svc, user.locale) if count else None,
    )
    return None


async def step_aside(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Another command or button while files are awaited: the customer has moved on. The
    request is given up (saying so when files had been sent, as they were not handed in),
    and the update goes back to the bot, which routes it as if this conversation were not
    there. The card's "send" button starts again at any time."""
    svc = services(context)
    user = await current_user(update, context)
    pending = await svc.workflow.pending(user.user_id)
    if pending is not None and pending.action.startswith("owed:"):
        await svc.workflow.clear_pending(user.user_id)
        count = len(pending.data.get("files", []))
        if count:
            await say(
                update,
                context,
                "owed/interrupted",
                kind=pending.action.removeprefix("owed:"),
                count=count,
            )
    await context.update_queue.put(update)
    return ConversationHandler.END


def _pending_document(action: str) -> OwedDocument | None:
    """The document a pending ``owed:<kind>`` input collects files for."""
    try:
        return OwedDocument(action.removeprefix("owed:"))
    except ValueError:
        return None


def _done(svc: Any, locale: str) -> Any:
    return keyboards.inline([keyboards.button(svc.texts.label(locale, "btn.files_done"), DONE)])


def build_owed_conversation() -> ConversationHandler[Any]:
    cancel = cancel_command(forget_pending)
    states: dict[object, list[BaseHandler[Update, Any, Any]]] = {
        FILES: [
            MessageHandler(ANSWER & FILE, on_file),
            CallbackQueryHandler(on_done, pattern=f"^{DONE}$"),
            cancel,
            MessageHandler(filters.COMMAND, step_aside),
            CallbackQueryHandler(step_aside),
            MessageHandler(ANSWER, expect_file),
        ]
    }
    return conversation(
        CONVERSATION_NAME,
        entry_points=[CallbackQueryHandler(on_owed_button, pattern=pattern(SendOwed))],
        states=states,
        fallbacks=[cancel],
    )
