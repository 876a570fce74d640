"""Who holds an application: attaching a project manager, and reassignment by supervisors.

Both are kept to the actor's reach: a supervisor of one district sees, attaches and
reassigns only that district's applications, and is offered only managers who work there
(or in every district). A forged button for any other is refused. The change itself, with
its checks and messages, is :mod:`services.holders`; here the buttons are read and the
outcome shown.
"""

from __future__ import annotations

import re

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from flows import keyboards
from flows.common import answer_button, current_user, drop_buttons, say
from flows.deps import services
from flows.staff.access import in_reach, may_take_over
from flows.workflow.card import send_card
from process.roles import OVERSEERS, Role
from services.holders import HolderRefusal, attach_project_manager, reassign
from storage.models import User

ATTACH = re.compile(r"mg:attach_pm:(?P<app>\d{1,12}):(?P<version>\d{1,9})")
REASSIGN = re.compile(r"mg:reassign:(?P<app>\d{1,12}):(?P<version>\d{1,9})")
TO = re.compile(r"mg:to:(?P<app>\d{1,12}):(?P<version>\d{1,9}):(?P<role>cm|pm):(?P<user>\d{1,15})")
ROLE_OF_CODE = {"cm": Role.CUSTOMER_MANAGER, "pm": Role.PROJECT_MANAGER}


async def on_attach_project(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    svc = services(context)
    user = await current_user(update, context)
    match = ATTACH.fullmatch(query.data or "")
    outcome = (
        await attach_project_manager(
            svc.core,
            actor_id=user.user_id,
            application_id=int(match["app"]),
            version=int(match["version"]),
            now=svc.clock.now(),
        )
        if match
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
    match = REASSIGN.fullmatch(query.data or "")
    app = await svc.applications.get(int(match["app"])) if match else None
    actor = await svc.staff.get(user.user_id)
    if (
        match is None
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
            f"mg:to:{app.id}:{app.version}:{'cm' if m.role is Role.CUSTOMER_MANAGER else 'pm'}"
            f":{m.user_id}",
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
    match = TO.fullmatch(query.data or "")
    if match is None:
        await _refuse(update, context, user)
        return
    outcome = await reassign(
        svc.core,
        actor_id=user.user_id,
        application_id=int(match["app"]),
        version=int(match["version"]),
        target_id=int(match["user"]),
        role=ROLE_OF_CODE[match["role"]],
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
