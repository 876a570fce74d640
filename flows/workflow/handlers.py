"""Workflow buttons, and the short conversation that collects what an action needs.

A press on an action that needs nothing more is performed at once. One that needs a note,
survey times, a day or documents records what is pending (in the database, so a restart
loses nothing) and asks for it; the next message completes it. ``/cancel`` drops it.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from flows import keyboards
from flows.apply.documents import FILE, received_file
from flows.apply.fields import ANSWER
from flows.common import answer_button, current_user, drop_buttons, say
from flows.deps import Services, services
from flows.given_up import answer_outside_flows
from flows.workflow.buttons import customer_actions_markup, open_card_markup
from process.clock import today
from process.validators import ValidationError
from process.workflow import ACTIONS, Action, Input, Refusal
from process.workflow_inputs import (
    MAX_RISKS,
    examples,
    parse_energize_day,
    parse_note,
    parse_slots,
)
from services.workflow import authorize, parse_press, perform
from services.workflow_effects import Given
from storage.models import Application, DocumentInput, User
from storage.workflow import PendingInput

CONVERSATION_NAME = "workflow"
TYPED = {
    Input.NOTE: "input:note",
    Input.SLOTS: "input:slots",
    Input.RISKS: "input:risks",
    Input.DATE: "input:date",
}
FILES = {Input.DOCUMENTS: "input:files", Input.PLAN: "input:files", Input.CONTRACT: "input:files"}
DONE_DATA = "wfdone"
# "Energized" pressed before the scheduled day: the answer to "really, today?".
EARLY = "wfe:"
EARLY_ANSWER = re.compile(r"wfe:(?P<answer>yes|no):(?P<app>\d{1,12}):(?P<version>\d{1,9})")
FIGURES = "input:figures"


async def on_action_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int:
    query = update.callback_query
    assert query is not None
    svc = services(context)
    user = await current_user(update, context)
    press = parse_press(query.data)
    application = await svc.applications.get(press.application_id) if press else None
    if press is None or application is None:
        await _refuse(update, context, user, Refusal.NOT_YOURS)
        return ConversationHandler.END
    verdict = await authorize(svc, user, application, press.action, press.version)
    if isinstance(verdict, Refusal):
        await _refuse(update, context, user, verdict)
        return ConversationHandler.END
    await answer_button(query)
    if verdict.name == "energized" and _before_schedule(svc, application):
        await _ask_early(update, context, svc, user, application, press.version)
        return ConversationHandler.END
    if verdict.needs in (Input.NONE, Input.SLOT):
        if verdict.needs is Input.SLOT and not await _slot_is_offered(
            svc, application.id, press.slot_id
        ):
            await say(update, context, "wf/refused", reason=Refusal.WRONG_STEP.value)
            return ConversationHandler.END
        chosen = keyboards.pressed_label(query) if verdict.needs is Input.SLOT else None
        if chosen:
            await keyboards.mark_chosen(query, svc.texts, user.locale, chosen)
        else:
            await drop_buttons(query)
        await _finish(
            update,
            context,
            svc,
            user,
            verdict,
            press.application_id,
            press.version,
            Given(slot_id=press.slot_id),
        )
        return ConversationHandler.END
    await svc.workflow.set_pending(
        user_id=user.user_id,
        application_id=application.id,
        action=verdict.name,
        version=press.version,
        now=svc.clock.now(),
    )
    await say(
        update,
        context,
        f"wf/ask/{verdict.needs.value}",
        action=verdict.name,
        app=application,
        examples=examples(svc.clock.now(), svc.settings.tz, svc.calendar),
        reply_markup=_done_markup(svc, user, verdict),
    )
    return TYPED.get(verdict.needs) or FILES[verdict.needs]


def _before_schedule(svc: Services, application: Application) -> bool:
    scheduled = application.energize_date
    return scheduled is not None and today(svc.clock) < scheduled


async def _ask_early(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    svc: Services,
    user: User,
    application: Application,
    version: int,
) -> None:
    """ "Energized" before the scheduled day: a slip of the finger or a real early switch-on.
    Asked, so that the date recorded is the day the power really came on."""
    suffix = f"{application.id}:{version}"
    markup = keyboards.inline(
        [
            keyboards.button(
                svc.texts.label(user.locale, "btn.energized_early"), f"{EARLY}yes:{suffix}"
            )
        ],
        [
            keyboards.button(
                svc.texts.label(user.locale, "btn.energized_keep"), f"{EARLY}no:{suffix}"
            )
        ],
    )
    await say(
        update,
        context,
        "wf/confirm_early",
        app=application,
        scheduled=application.energize_date,
        today=today(svc.clock),
        reply_markup=markup,
    )


async def on_early_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The answer to "energized before the scheduled day?": record today, or keep the plan."""
    query = update.callback_query
    assert query is not None
    svc = services(context)
    user = await current_user(update, context)
    match = EARLY_ANSWER.fullmatch(query.data or "")
    application = await svc.applications.get(int(match["app"])) if match else None
    if match is None or application is None:
        await _refuse(update, context, user, Refusal.NOT_YOURS)
        return ConversationHandler.END
    version = int(match["version"])
    verdict = await authorize(svc, user, application, "energized", version)
    if isinstance(verdict, Refusal):
        await _refuse(update, context, user, verdict)
        return ConversationHandler.END
    await answer_button(query)
    await drop_buttons(query)
    if match["answer"] == "no":
        await say(
            update,
            context,
            "wf/early_kept",
            app=application,
            scheduled=application.energize_date,
            reply_markup=open_card_markup(svc.texts, user.locale, application),
        )
        return ConversationHandler.END
    await _finish(
        update, context, svc, user, verdict, application.id, version, Given(day=today(svc.clock))
    )
    return ConversationHandler.END


async def on_typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int | None:
    svc = services(context)
    user = await current_user(update, context)
    pending = await _own_pending(svc, user)
    message = update.effective_message
    if pending is None or message is None or message.text is None:
        return await answer_outside_flows(update, context)
    action = _action(pending.action)
    try:
        given = _parse(svc, action, message.text)
    except ValidationError as error:
        text = svc.texts.label(user.locale, f"error.{error.code}", **error.params)
        await say(update, context, "wf/invalid", error=text, action=action.name)
        return None
    await _finish(
        update, context, svc, user, action, pending.application_id, pending.version, given
    )
    return ConversationHandler.END


async def on_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    svc = services(context)
    user = await current_user(update, context)
    pending = await _own_pending(svc, user)
    message = update.effective_message
    if pending is None or message is None:
        return await answer_outside_flows(update, context)
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
    files = [*pending.data.get("files", []), _doc_dict(doc)]
    await svc.workflow.update_pending_data(user.user_id, {"files": files})
    await say(
        update,
        context,
        "wf/file_received",
        count=len(files),
        reply_markup=_done_markup(svc, user, _action(pending.action)),
    )
    return None


async def on_files_done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int | None:
    query = update.callback_query
    assert query is not None
    svc = services(context)
    user = await current_user(update, context)
    pending = await _own_pending(svc, user)
    files = pending.data.get("files", []) if pending else []
    if pending is None or not files:
        await answer_button(query, svc.texts.label(user.locale, "toast.send_file_first"))
        return None
    await answer_button(query)
    await drop_buttons(query)
    action = _action(pending.action)
    if action.needs is Input.PLAN:
        # The plan's key figures (metering, fees) are typed after its document.
        await say(update, context, "wf/ask/figures")
        return FIGURES
    documents = [DocumentInput(**f) for f in files]
    await _finish(
        update,
        context,
        svc,
        user,
        action,
        pending.application_id,
        pending.version,
        Given(documents=documents),
    )
    return ConversationHandler.END


async def on_figures(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int | None:
    svc = services(context)
    user = await current_user(update, context)
    pending = await _own_pending(svc, user)
    message = update.effective_message
    if pending is None or message is None or message.text is None:
        return await answer_outside_flows(update, context)
    try:
        figures = parse_note(message.text)
    except ValidationError as error:
        text = svc.texts.label(user.locale, f"error.{error.code}", **error.params)
        await say(update, context, "wf/invalid", error=text, action=pending.action)
        return None
    documents = [DocumentInput(**f) for f in pending.data.get("files", [])]
    await _finish(
        update,
        context,
        svc,
        user,
        _action(pending.action),
        pending.application_id,
        pending.version,
        Given(documents=documents, note=figures),
    )
    return ConversationHandler.END


async def expect_input(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    svc = services(context)
    user = await current_user(update, context)
    pending = await _own_pending(svc, user)
    if pending is None:
        return await answer_outside_flows(update, context)
    action = _action(pending.action)
    await say(update, context, "wf/expect", action=action.name, needs=action.needs.value)
    return None


async def cancel_input(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    svc = services(context)
    user = await current_user(update, context)
    pending = await svc.workflow.pending(user.user_id)
    await svc.workflow.clear_pending(user.user_id)
    if pending is None:
        await say(update, context, "common/cancelled", has_draft=False)
    else:
        await say(
            update,
            context,
            "common/cancelled",
            has_draft=False,
            flow="workflow",
            action=pending.action,
        )
    return ConversationHandler.END


async def _finish(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    svc: Services,
    user: User,
    action: Action,
    application_id: int,
    version: int,
    given: Given,
) -> None:
    await svc.workflow.clear_pending(user.user_id)
    application = await svc.applications.get(application_id)
    if application is None:
        await say(update, context, "wf/refused", reason=Refusal.NOT_YOURS.value)
        return
    verdict = await authorize(svc, user, application, action.name, version)
    if isinstance(verdict, Refusal):
        await say(update, context, "wf/refused", reason=verdict.value)
        return
    result = await perform(
        svc, user=user, application=application, action=verdict, version=version, given=given
    )
    if isinstance(result, Refusal):
        await say(update, context, "wf/refused", reason=result.value)
        return
    markup = None
    if user.user_id == result.customer_id and result.step != "done":
        slots = await svc.workflow.slots(result.id)
        markup = customer_actions_markup(svc.texts, user.locale, result, slots, svc.settings.tz)
    elif user.user_id != result.customer_id:
        markup = open_card_markup(svc.texts, user.locale, result)
    await say(update, context, "wf/done", action=action.name, app=result, reply_markup=markup)


async def _refuse(
    update: Update, context: ContextTypes.DEFAULT_TYPE, user: User, reason: Refusal
) -> None:
    query = update.callback_query
    svc = services(context)
    if query is not None:
        await answer_button(
            query, svc.texts.label(user.locale, f"refusal.{reason.value}"), alert=True
        )


async def _slot_is_offered(svc: Services, application_id: int, slot_id: int | None) -> bool:
    return slot_id is not None and any(
        s.id == slot_id for s in await svc.workflow.slots(application_id)
    )


def _parse(svc: Services, action: Action, text: str) -> Given:
    now = svc.clock.now()
    if action.needs is Input.SLOTS:
        return Given(slots=parse_slots(text, now=now, tz=svc.settings.tz, calendar=svc.calendar))
    if action.needs is Input.DATE:
        return Given(day=parse_energize_day(text, today=today(svc.clock), calendar=svc.calendar))
    if action.needs is Input.RISKS:
        return Given(note=parse_note(text, max_len=MAX_RISKS))
    return Given(note=parse_note(text))


async def _own_pending(svc: Services, user: User) -> PendingInput | None:
    """The user's pending input if it is a workflow action's; another flow's is not ours."""
    pending = await svc.workflow.pending(user.user_id)
    return pending if pending is not None and pending.action in ACTIONS else None


def _action(name: str) -> Action:
    return ACTIONS[name]


def _doc_dict(doc: DocumentInput) -> dict[str, Any]:
    return {
        k: getattr(doc, k)
        for k in (
            "kind",
            "file_id",
            "file_unique_id",
            "file_name",
            "mime_type",
            "file_size",
            "sent_as",
        )
    }


def _done_markup(svc: Services, user: User, action: Action) -> Any:
    if action.needs not in FILES:
        return None
    return keyboards.inline(
        [keyboards.button(svc.texts.label(user.locale, "btn.files_done"), DONE_DATA)]
    )


def build_workflow_conversation() -> ConversationHandler[Any]:
    typed: list[BaseHandler[Update, Any, Any]] = [
        MessageHandler(ANSWER & filters.TEXT, on_typed),
        MessageHandler(ANSWER, expect_input),
    ]
    files: list[BaseHandler[Update, Any, Any]] = [
        MessageHandler(ANSWER & FILE, on_file),
        CallbackQueryHandler(on_files_done, pattern=f"^{DONE_DATA}$"),
        MessageHandler(ANSWER, expect_input),
    ]
    states: dict[object, list[BaseHandler[Update, Any, Any]]] = {
        state: typed for state in TYPED.values()
    }
    states["input:files"] = files
    states[FIGURES] = [
        MessageHandler(ANSWER & filters.TEXT, on_figures),
        MessageHandler(ANSWER, expect_input),
    ]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[
                CallbackQueryHandler(on_action_button, pattern=r"^wf:"),
                CallbackQueryHandler(on_early_answer, pattern=f"^{EARLY}"),
            ],
            states=states,
            fallbacks=[CommandHandler("cancel", cancel_input)],
            name=CONVERSATION_NAME,
            persistent=True,
            allow_reentry=True,
        )
