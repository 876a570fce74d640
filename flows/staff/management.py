"""Who holds an application: attaching a project manager, and reassignment by supervisors.

Both are kept to the actor's reach: a supervisor of one district sees, attaches and
reassigns only that district's applications, and is offered only managers who work there
(or in every district). A forged button for any other is refused. The change itself, with
its checks and messages, is :mod:`services.holders`; here the buttons are read and the
outcome shown.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from flows import keyboards
from flows.common import answer_button, current_user, drop_buttons, say
from flows.deps import services
from flows.workflow.card import send_card
from notifications.buttons import HandOverPress, HeldAs, HolderChange, ManagePress
from notifications.callback_data import decode_as, pattern
from process.roles import OVERSEERS, Role, in_reach, may_take_over
from services.holders import HolderRefusal, attach_project_manager, reassign
from storage.models import User


async def on_attach_project(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    svc = services(context)
    user = await current_user(update, context)
    press = decode_as(query.data, ManagePress)
    outcome = (
        await attach_project_manager(
            svc.context,
            actor_id=user.user_id,
            application_id=press.application_id,
            version=press.version,
            now=svc.clock.now(),
        )
        if press is not None and press.change is HolderChange.ATTACH_PROJECT
        else HolderRefusal.NOT_ALLOWED
    )
    # A button made before the application changed is refused like a forged one: what it
    # offered to attach to may no longer be there.
    if outcome in (HolderRefusal.NOT_ALLOWED, HolderRefusal.STALE):
        await _refuse(update, context, user)
        return
    await answer_button(query)
    await drop_buttons(query)
    if isinstance(outcome, HolderRefusal):
        await say(update, context, "manage/nobody", role=Role.PROJECT_MANAGER.value)
        return
    await send_card(update, context, svc, user, outcome.application)


async def on_reassign(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A supervisor picks the new holder from the active customer and project managers."""
    query = update.callback_query
    assert query is not None
    svc = services(context)
    user = await current_user(update, context)
    press = decode_as(query.data, ManagePress)
    app = await svc.applications.get(press.application_id) if press else None
    actor = await svc.staff.get(user.user_id)
    if (
        press is None
        or press.change is not HolderChange.REASSIGN
        or app is None
        or actor is None
        or actor.role not in OVERSEERS
        or not in_reach(actor, app)
    ):
        await _refuse(update, context, user)
        return
    await answer_button(query)
    members = [m for m in await svc.staff.list_all() if may_take_over(actor, m, app)]
    buttons = [
        keyboards.button(
            f"{svc.texts.label(user.locale, 'role.' + m.role.value)} · {m.name}"[:60],
            HandOverPress(app.id, app.version, HeldAs.of(m.role), m.user_id).encode(),
        )
        for m in members
        if m.user_id not in (app.customer_manager_id, app.project_manager_id)
    ]
    if not buttons:
        await say(update, context, "manage/nobody", role=Role.CUSTOMER_MANAGER.value)
        return
    await say(
        update,
        context,
        "manage/choose",
        app=app,
        reply_markup=InlineKeyboardMarkup(keyboards.rows(buttons, 1)),
    )


async def on_reassign_to(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    svc = services(context)
    user = await current_user(update, context)
    press = decode_as(query.data, HandOverPress)
    if press is None:
        await _refuse(update, context, user)
        return
    outcome = await reassign(
        svc.context,
        actor_id=user.user_id,
        application_id=press.application_id,
        version=press.version,
        target_id=press.user_id,
        role=press.held_as.role,
        now=svc.clock.now(),
    )
    if outcome is HolderRefusal.NOT_ALLOWED:
        await _refuse(update, context, user)
        return
    await answer_button(query)
    await drop_buttons(query)
    if isinstance(outcome, HolderRefusal):
        await say(update, context, "wf/refused", reason="wrong_step")
        return
    await send_card(update, context, svc, user, outcome.application)


async def _refuse(update: Update, context: ContextTypes.DEFAULT_TYPE, user: User) -> None:
    query = update.callback_query
    if query is not None:
        svc = services(context)
        await answer_button(query, svc.texts.label(user.locale, "refusal.not_yours"), alert=True)


# The card's buttons and the overseer's choice, for the bot's wiring.
HANDLERS = (
    (on_attach_project, pattern(ManagePress, lambda p: p.change is HolderChange.ATTACH_PROJECT)),
    (on_reassign, pattern(ManagePress, lambda p: p.change is HolderChange.REASSIGN)),
    (on_reassign_to, pattern(HandOverPress)),
)
