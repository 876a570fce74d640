"""Workflow buttons, and the short conversation that collects what an action needs.

A press is decoded and handed to :func:`services.workflow.press`, which performs an action
that needs nothing more at once, or records what is pending (in the database, so a restart
loses nothing) for one that needs a note, survey times, a day or documents; the handler
asks for it, and the next message completes it through :func:`services.workflow.supply`.
``/cancel`` drops it. What the handlers hold is the shape of the chat: which message asks,
which keyboard answers, which state the conversation is in; every rule is in the service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from flows.common import ANSWER, answer_button, current_user, drop_buttons, say
from flows.conversations import cancel_command, conversation
from flows.deps import Services, services
from flows.files import PendingFiles, files_of
from flows.given_up import answer_outside_flows
from flows.workflow.buttons import Early, EarlyEnergizedPress, StageFilesDone, early_markup
from notifications.buttons import StageActionPress, customer_actions_markup, open_card_markup
from notifications.callback_data import decode_as, pattern
from process.clock import today
from process.validators import ValidationError
from process.workflow import ACTIONS, Act, Action, Input, Refusal
from process.workflow_inputs import (
    MAX_RISKS,
    examples,
    parse_energize_day,
    parse_note,
    parse_slots,
)
from services.pending import stop_waiting
from services.workflow import (
    AskEarly,
    AskInput,
    Done,
    KeptSchedule,
    Pressed,
    Refused,
    SlotGone,
    Supplied,
    press,
    supply,
)
from services.workflow_effects import Given
from storage.models import DocumentInput, User
from storage.persistence import conversation_state
from storage.workflow import PendingInput

CONVERSATION_NAME = "workflow"
TYPED = {
    Input.NOTE: "input:note",
    Input.SLOTS: "input:slots",
    Input.RISKS: "input:risks",
    Input.DATE: "input:date",
}
FILES = {Input.DOCUMENTS: "input:files", Input.PLAN: "input:files", Input.CONTRACT: "input:files"}
FIGURES = "input:figures"


async def on_action_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int:
    query = update.callback_query
    assert query is not None
    pressed = decode_as(query.data, StageActionPress)
    assert pressed is not None  # the handler's pattern let only these through
    return await _press(
        update,
        context,
        pressed.action,
        pressed.application_id,
        pressed.version,
        slot_id=pressed.slot_id,
    )


async def on_early_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int:
    """The answer to "energized before the scheduled day?": record today, or keep the plan."""
    query = update.callback_query
    assert query is not None
    answer = decode_as(query.data, EarlyEnergizedPress)
    assert answer is not None  # the handler's pattern let only these through
    return await _press(
        update,
        context,
        Act.ENERGIZED,
        answer.application_id,
        answer.version,
        early=answer.answer is Early.YES,
    )


async def _press(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    action: Act,
    application_id: int,
    version: int,
    *,
    slot_id: int | None = None,
    early: bool | None = None,
) -> str | int:
    query = update.callback_query
    assert query is not None
    svc = services(context)
    user = await current_user(update, context)
    outcome = await press(
        svc.context,
        Pressed(
            actor_id=user.user_id,
            application_id=application_id,
            action=action,
            version=version,
            now=svc.clock.now(),
            slot_id=slot_id,
            early=early,
        ),
    )
    if isinstance(outcome, Refused):
        await _refuse(update, context, user, outcome.reason)
        return ConversationHandler.END
    await answer_button(query)
    if isinstance(outcome, AskEarly):
        await say(
            update,
            context,
            "wf/confirm_early",
            app=outcome.application,
            scheduled=outcome.application.energize_date,
            today=outcome.today,
            reply_markup=early_markup(svc.texts, user.locale, outcome.application, version),
        )
        return ConversationHandler.END
    if isinstance(outcome, SlotGone):
        await say(update, context, "wf/refused", reason=Refusal.WRONG_STEP.value)
        return ConversationHandler.END
    if isinstance(outcome, KeptSchedule):
        await drop_buttons(query)
        await say(
            update,
            context,
            "wf/early_kept",
            app=outcome.application,
            scheduled=outcome.application.energize_date,
            reply_markup=open_card_markup(svc.texts, user.locale, outcome.application),
        )
        return ConversationHandler.END
    if isinstance(outcome, AskInput):
        needs = outcome.action.needs
        await say(
            update,
            context,
            f"wf/ask/{needs.value}",
            action=outcome.action.name,
            app=outcome.application,
            examples=examples(svc.clock.now(), svc.settings.tz, svc.calendar),
            reply_markup=_done_markup(svc, user, outcome.action),
        )
        return TYPED.get(needs) or FILES[needs]
    chosen = keyboards.pressed_label(query) if slot_id is not None else None
    if chosen:
        await keyboards.mark_chosen(query, svc.texts, user.locale, chosen)
    else:
        await drop_buttons(query)
    await _render_done(update, context, svc, user, outcome)
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


class StageFiles(PendingFiles):
    """The documents, plan or contract a stage action waits for; the press hands them to
    :func:`services.workflow.supply` (a plan's key figures are asked for first)."""

    done = StageFilesDone

    def owns(self, pending: PendingInput) -> bool:
        return pending.action in ACTIONS

    async def not_collecting(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
        return await answer_outside_flows(update, context)

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
        await answer_button(query)
        await drop_buttons(query)
        action = _action(pending.action)
        if action.needs is Input.PLAN:
            # The plan's key figures (metering, fees) are typed after its document.
            await say(update, context, "wf/ask/figures")
            return FIGURES
        await _finish(
            update,
            context,
            svc,
            user,
            action,
            pending.application_id,
            pending.version,
            Given(documents=list(files)),
        )
        return ConversationHandler.END

    async def other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
        return await expect_input(update, context)


FILES_COLLECTOR = StageFiles()


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
    documents = files_of(pending)
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


async def ask_again(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Say again what the action in progress waits for, for an input stored before a crash
    cut off its reply (flows.redelivered): the key figures after a plan's files, the files
    counted so far with the button that ends them, or the input itself. False when no
    action waits for anything.
    """
    svc = services(context)
    user = await current_user(update, context)
    pending = await _own_pending(svc, user)
    if pending is None:
        return False
    action = _action(pending.action)
    count = len(pending.data.get("files", []))
    if conversation_state(context.application, update, CONVERSATION_NAME) == FIGURES:
        await say(update, context, "wf/ask/figures")
    elif count:
        markup = FILES_COLLECTOR.done_markup(svc, user.locale)
        await say(update, context, "wf/file_received", count=count, reply_markup=markup)
    else:
        await say(update, context, "wf/expect", action=action.name, needs=action.needs.value)
    return True


async def forget_input(
    context: ContextTypes.DEFAULT_TYPE, svc: Services, user: User
) -> Mapping[str, Any]:
    """/cancel drops the input the action waited for, naming the action it was for."""
    pending = await svc.workflow.pending(user.user_id)
    await stop_waiting(svc.context, user.user_id)
    if pending is None:
        return {"has_draft": False}
    return {"has_draft": False, "flow": "workflow", "action": pending.action}


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
    outcome = await supply(
        svc.context,
        Supplied(
            actor_id=user.user_id,
            application_id=application_id,
            action=action.name,
            version=version,
            given=given,
            now=svc.clock.now(),
        ),
    )
    if isinstance(outcome, Refused):
        await say(update, context, "wf/refused", reason=outcome.reason.value)
        return
    await _render_done(update, context, svc, user, outcome)


async def _render_done(
    update: Update, context: ContextTypes.DEFAULT_TYPE, svc: Services, user: User, done: Done
) -> None:
    """The actor's confirmation: the customer gets their next buttons, staff the card's."""
    result = done.application
    markup = None
    if user.user_id == result.customer_id and result.step != "done":
        markup = customer_actions_markup(
            svc.texts, user.locale, result, done.slots, svc.settings.tz
        )
    elif user.user_id != result.customer_id:
        markup = open_card_markup(svc.texts, user.locale, result)
    await say(update, context, "wf/done", action=done.action, app=result, reply_markup=markup)


async def _refuse(
    update: Update, context: ContextTypes.DEFAULT_TYPE, user: User, reason: Refusal
) -> None:
    query = update.callback_query
    svc = services(context)
    if query is not None:
        await answer_button(
            query, svc.texts.label(user.locale, f"refusal.{reason.value}"), alert=True
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
    return ACTIONS[Act(name)]


def _done_markup(svc: Services, user: User, action: Action) -> Any:
    if action.needs not in FILES:
        return None
    return FILES_COLLECTOR.done_markup(svc, user.locale)


def build_workflow_conversation() -> ConversationHandler[Any]:
    typed: list[BaseHandler[Update, Any, Any]] = [
        MessageHandler(ANSWER & filters.TEXT, on_typed),
        MessageHandler(ANSWER, expect_input),
    ]
    states: dict[object, list[BaseHandler[Update, Any, Any]]] = {
        state: typed for state in TYPED.values()
    }
    states["input:files"] = FILES_COLLECTOR.handlers()
    states[FIGURES] = [
        MessageHandler(ANSWER & filters.TEXT, on_figures),
        MessageHandler(ANSWER, expect_input),
    ]
    return conversation(
        CONVERSATION_NAME,
        entry_points=[
            CallbackQueryHandler(on_action_button, pattern=pattern(StageActionPress)),
            CallbackQueryHandler(on_early_answer, pattern=pattern(EarlyEnergizedPress)),
        ],
        states=states,
        fallbacks=[cancel_command(forget_input)],
    )
