"""The application conversation: ``/apply`` to Submit, resumable and restart-proof.

The conversation is persistent (its state is written to SQLite on every step) and every
accepted answer is already in the draft table, so neither a restart nor ``/cancel`` loses
what the customer typed. Submission turns the draft into an application in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
)

from flows import keyboards
from flows.apply.buttons import Resume, ResumePress, SummaryAction, SummaryPress, resume_choice
from flows.apply.documents import document_handlers
from flows.apply.fields import field_handlers, stale_button
from flows.apply.steps import (
    CONVERSATION_NAME,
    RESUME,
    SUMMARY,
    advance,
    ask_document,
    ask_field,
    document_state,
    draft_revision,
    field_state,
    show_summary,
    where_next,
)
from flows.common import ANSWER, answer_button, current_user, drop_buttons, say
from flows.conversations import cancel_command, conversation
from flows.deps import Services, services
from notifications.callback_data import decode_as, pattern
from process.form import (
    DOCUMENTS,
    DOCUMENTS_BY_KIND,
    FIELDS,
    FIELDS_BY_NAME,
)
from services.submission import SubmitRefusal
from services.submission import submit as submit_application
from storage.models import User
from storage.persistence import conversation_state


async def start_apply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    svc = services(context)
    user = await current_user(update, context)
    draft = await svc.drafts.get(user.user_id)
    if draft is not None and (draft.fields or draft.documents or draft.deferred):
        await say(
            update,
            context,
            "apply/resume_prompt",
            reply_markup=resume_choice(svc.texts, user.locale),
            answered=len(draft.fields),
            total=len(FIELDS),
            documents=len(draft.documents),
        )
        return RESUME
    return await _fresh(update, context)


async def _fresh(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    svc = services(context)
    user = await current_user(update, context)
    draft = await svc.drafts.start(user.user_id, svc.clock.now())
    await say(update, context, "apply/intro", documents=DOCUMENTS, total=len(FIELDS))
    return await advance(update, context, draft)


async def ask_again(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Ask again the question the form stands at, for an answer stored before a crash cut
    off its reply (flows.redelivered); False when the form stands at none.

    Only where the draft leads to the state on disk: then the customer's next answer goes
    to the question asked. A customer editing from the summary, or a state a crash left
    behind the draft, gets no question the form is not at.
    """
    state = conversation_state(context.application, update, CONVERSATION_NAME)
    if state is None or update.effective_user is None:
        return False
    draft = await services(context).drafts.get(update.effective_user.id)
    if draft is None or where_next(draft) != state:
        return False
    await advance(update, context, draft)
    return True


async def on_resume_choice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int | None:
    query = update.callback_query
    assert query is not None
    await answer_button(query)
    svc = services(context)
    user = await current_user(update, context)
    pressed = decode_as(query.data, ResumePress)
    assert pressed is not None  # the handler's pattern let only these through
    restart = pressed.choice is Resume.RESTART
    chosen = svc.texts.label(user.locale, "btn.restart" if restart else "btn.resume")
    await keyboards.mark_chosen(query, svc.texts, user.locale, chosen)
    if restart:
        return await _fresh(update, context)
    draft = await svc.drafts.get(user.user_id) or await svc.drafts.start(
        user.user_id, svc.clock.now()
    )
    return await advance(update, context, draft)


async def on_summary_action(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int | None:
    query = update.callback_query
    assert query is not None
    pressed = decode_as(query.data, SummaryPress)
    assert pressed is not None  # the handler's pattern let only these through
    action, target = pressed.action, pressed.target
    if action is SummaryAction.EDIT and target in FIELDS_BY_NAME:
        await answer_button(query)
        await ask_field(update, context, FIELDS_BY_NAME[target], editing=True)
        return field_state(target, editing=True)
    if action is SummaryAction.EDIT_DOCUMENT and target in DOCUMENTS_BY_KIND:
        await answer_button(query)
        svc = services(context)
        user = await current_user(update, context)
        draft = await svc.drafts.get(user.user_id)
        if draft is None:
            return await _gone(update, context)
        await ask_document(update, context, target, draft, editing=True)
        return document_state(target, editing=True)
    if action is SummaryAction.SUBMIT and target:
        return await _submit_pressed(update, context, shown_revision=target)
    await stale_button(update, context)
    return None


async def _submit_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, *, shown_revision: str
) -> str | int | None:
    """Submit what the pressed summary showed; a summary the draft has since moved past is
    answered with an alert and the current summary, and nothing is submitted."""
    query = update.callback_query
    assert query is not None
    svc = services(context)
    user = await current_user(update, context)
    draft = await svc.drafts.get(user.user_id)
    if draft is None:
        await answer_button(query)
        return await _gone(update, context)
    if draft_revision(draft) != shown_revision:
        await answer_button(
            query, svc.texts.label(user.locale, "toast.summary_outdated"), alert=True
        )
        await drop_buttons(query)
        await show_summary(update, context, draft)
        return SUMMARY
    await answer_button(query)
    await drop_buttons(query)
    return await submit(update, context)


async def on_summary_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    user = await current_user(update, context)
    draft = await svc.drafts.get(user.user_id)
    await say(update, context, "apply/use_buttons")
    if draft is not None:
        await show_summary(update, context, draft)


async def submit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int:
    """Turn the draft into an application, or send the customer back to what is missing."""
    svc = services(context)
    user = await current_user(update, context)
    draft = await svc.drafts.get(user.user_id)
    if draft is None:
        return await _gone(update, context)
    outcome = await submit_application(svc.context, customer_id=user.user_id, now=svc.clock.now())
    if outcome is SubmitRefusal.INCOMPLETE:
        return await advance(update, context, draft)
    if outcome is SubmitRefusal.WANTED_DATE_PAST:
        message = svc.texts.label(user.locale, "error.date.past")
        await say(update, context, "apply/invalid", error=message, field="wanted_date")
        await ask_field(update, context, FIELDS_BY_NAME["wanted_date"], editing=True)
        return field_state("wanted_date", editing=True)
    if isinstance(outcome, SubmitRefusal):
        return await _gone(update, context)
    application = outcome.application
    await say(
        update,
        context,
        "apply/submitted",
        number=application.number,
        stage=application.stage,
        plan_due=application.plan_due_date,
        provisional=application.plan_due_provisional,
        owed=sorted(draft.deferred, key=[d.kind for d in DOCUMENTS].index),
        manager=outcome.manager_name,
    )
    return ConversationHandler.END


async def _gone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The draft is no longer there: it was submitted from another press of the button."""
    await say(update, context, "apply/already_submitted")
    return ConversationHandler.END


async def keep_draft(
    context: ContextTypes.DEFAULT_TYPE, svc: Services, user: User
) -> Mapping[str, Any]:
    """/cancel keeps the draft: the customer is told how much of it waits for them."""
    draft = await svc.drafts.get(user.user_id)
    return {
        "flow": "apply",
        "has_draft": draft is not None,
        "answered": len(draft.fields) if draft else 0,
        "documents": len(draft.documents) if draft else 0,
    }


def build_apply_conversation() -> ConversationHandler[Any]:
    states: dict[object, list[BaseHandler[Update, Any, Any]]] = {
        RESUME: [
            CallbackQueryHandler(on_resume_choice, pattern=pattern(ResumePress)),
            MessageHandler(ANSWER, start_apply),
            CallbackQueryHandler(stale_button),
        ],
        SUMMARY: [
            CallbackQueryHandler(on_summary_action, pattern=pattern(SummaryPress)),
            MessageHandler(ANSWER, on_summary_text),
            CallbackQueryHandler(stale_button),
        ],
    }
    for field in FIELDS:
        for editing in (False, True):
            states[field_state(field.name, editing)] = field_handlers(field, editing=editing)
    for spec in DOCUMENTS:
        for editing in (False, True):
            states[document_state(spec.kind, editing)] = document_handlers(
                spec.kind, editing=editing
            )
    return conversation(
        CONVERSATION_NAME,
        entry_points=[CommandHandler("apply", start_apply)],
        states=states,
        fallbacks=[cancel_command(keep_draft)],
    )
