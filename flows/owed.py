"""Documents promised under the commitment rule (告知承诺), sent after submission.

The status card offers one button per document still owed; the customer sends the files and
presses "all files sent". The files join the application, the owed item is settled, and the
customer manager is told — in one transaction (:func:`services.owed.settle_owed_document`).

The conversation holds the chat only while the customer is sending those files: any other
command or button, or text once the files were given up elsewhere, ends it and is handled
as if it had not been there (a survey comment days later must reach the survey).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from telegram import CallbackQuery, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from flows.common import answer_button, current_user, drop_buttons, say
from flows.conversations import cancel_command, conversation, forget_pending
from flows.deps import services
from flows.files import FilesDone, PendingFiles
from notifications.buttons import SendOwed
from notifications.callback_data import decode_as, pattern, press
from process.form import OwedDocument
from services.owed import OwedRefusal, settle_owed_document
from services.pending import stop_waiting, wait_for_input
from storage.models import DocumentInput
from storage.update_handling import hand_back
from storage.workflow import PendingInput

CONVERSATION_NAME = "owed"
FILES = "owed:files"
PENDING_PREFIX = "owed:"  # the pending input of an owed document: "owed:<document>"


async def on_owed_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int:
    query = update.callback_query
    assert query is not None
    svc = services(context)
    user = await current_user(update, context)
    pressed = decode_as(query.data, SendOwed)
    app = await svc.applications.get(pressed.application_id) if pressed else None
    owed = await svc.applications.owed_items(app.id) if app else []
    if (
        pressed is None
        or app is None
        or app.customer_id != user.user_id
        or pressed.document.owed_kind not in {o.kind for o in owed}
    ):
        await answer_button(query, svc.texts.label(user.locale, "toast.expired"), alert=True)
        return ConversationHandler.END
    await answer_button(query)
    await wait_for_input(
        svc.context,
        user_id=user.user_id,
        application_id=app.id,
        action=f"{PENDING_PREFIX}{pressed.document}",
        version=app.version,
        now=svc.clock.now(),
    )
    await say(
        update,
        context,
        "owed/ask",
        kind=pressed.document.value,
        number=app.number,
        reply_markup=FILES_COLLECTOR.done_markup(svc, user.locale),
    )
    return FILES


@press("owdone")
@dataclass(frozen=True)
class OwedFilesDone(FilesDone):
    """All the files of the owed document are sent."""


class OwedFiles(PendingFiles):
    """The owed document's files; the press settles it (:func:`settle_owed_document`)."""

    done = OwedFilesDone

    def owns(self, pending: PendingInput) -> bool:
        return pending.action.startswith(PENDING_PREFIX)

    async def not_collecting(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
        return await step_aside(update, context)

    async def gone(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, query: CallbackQuery
    ) -> object:
        # Given up meanwhile (another flow took over): this button no longer means anything.
        svc = services(context)
        user = await current_user(update, context)
        await answer_button(query, svc.texts.label(user.locale, "toast.expired"), alert=True)
        return ConversationHandler.END

    async def finish(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        pending: PendingInput,
        files: Sequence[DocumentInput],
    ) -> object:
        query = update.callback_query
        assert query is not None
        svc = services(context)
        user = await current_user(update, context)
        document = _pending_document(pending.action)
        outcome = (
            OwedRefusal.NOT_OWED
            if document is None
            else await settle_owed_document(
                svc.context,
                customer_id=user.user_id,
                application_id=pending.application_id,
                document=document,
                files=[replace(f, kind=document.value) for f in files],
                now=svc.clock.now(),
            )
        )
        if isinstance(outcome, OwedRefusal):
            # Not the customer's, or kept already (another chat, a double press): nothing to do.
            await answer_button(query, svc.texts.label(user.locale, "toast.expired"), alert=True)
            await stop_waiting(svc.context, user.user_id)
            return ConversationHandler.END
        await answer_button(query)
        await stop_waiting(svc.context, user.user_id)
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

    async def other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
        """Text or a sticker while files are awaited: say what is expected, unless the files
        were given up meanwhile (another flow took over), when the message is not ours."""
        if not await self.say_awaited(update, context):
            return await step_aside(update, context)
        return None

    async def say_awaited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
        """Say which document's files are awaited and how many came; False when none are.

        Also for a file stored before a crash cut off its reply (flows.redelivered).
        """
        svc = services(context)
        user = await current_user(update, context)
        pending = await self.pending(svc, user)
        if pending is None:
            return False
        count = len(pending.data.get("files", []))
        await say(
            update,
            context,
            "owed/expect",
            kind=pending.action.removeprefix(PENDING_PREFIX),
            count=count,
            reply_markup=self.done_markup(svc, user.locale) if count else None,
        )
        return True


FILES_COLLECTOR = OwedFiles()


async def step_aside(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Another command or button while files are awaited: the customer has moved on. The
    request is given up (saying so when files had been sent, as they were not handed in),
    and the update goes back to the bot, which routes it as if this conversation were not
    there. The card's "send" button starts again at any time."""
    svc = services(context)
    user = await current_user(update, context)
    pending = await svc.workflow.pending(user.user_id)
    if pending is not None and pending.action.startswith(PENDING_PREFIX):
        await stop_waiting(svc.context, user.user_id)
        count = len(pending.data.get("files", []))
        if count:
            await say(
                update,
                context,
                "owed/interrupted",
                kind=pending.action.removeprefix(PENDING_PREFIX),
                count=count,
            )
    await hand_back(context, update)
    return ConversationHandler.END


def _pending_document(action: str) -> OwedDocument | None:
    """The document a pending ``owed:<kind>`` input collects files for."""
    try:
        return OwedDocument(action.removeprefix(PENDING_PREFIX))
    except ValueError:
        return None


def build_owed_conversation() -> ConversationHandler[Any]:
    cancel = cancel_command(forget_pending)
    states: dict[object, list[BaseHandler[Update, Any, Any]]] = {
        FILES: FILES_COLLECTOR.handlers(
            cancel,
            MessageHandler(filters.COMMAND, step_aside),
            CallbackQueryHandler(step_aside),
        )
    }
    return conversation(
        CONVERSATION_NAME,
        entry_points=[CallbackQueryHandler(on_owed_button, pattern=pattern(SendOwed))],
        states=states,
        fallbacks=[cancel],
    )
