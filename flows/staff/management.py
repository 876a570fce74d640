"""Who holds an application: attaching a project manager, and reassignment by supervisors.

Both are kept to the actor's reach (:mod:`flows.staff.access`): a supervisor of one district
sees, attaches and reassigns only that district's applications, and offers only managers
who work there (or in every district). A forged button for any other is refused.

Both check the role and the application's version on the server, write an event, and tell
everyone concerned through the outbox: the new holder, the one who lost it, the customer.
"""

from __future__ import annotations

import re
from typing import Any

import aiosqlite
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from flows import keyboards
from flows.common import answer_button, current_user, drop_buttons, say
from flows.deps import Services, services
from flows.staff.access import may_take_over
from flows.workflow.card import send_card
from notifications.buttons import open_card_markup
from process.roles import OVERSEERS, Role, in_reach
from storage.events import append_event
from storage.models import Application, User
from storage.staff.assign import pick
from storage.users import user_in
from storage.workflow import StaleVersion, set_holder

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
    app = await svc.applications.get(int(match["app"])) if match else None
    actor = await svc.staff.get(user.user_id)
    role = actor.role if actor is not None and actor.active else None
    allowed = (
        app is not None
        and app.project_manager_id is None
        and in_reach(actor, app)
        and role in (*OVERSEERS, Role.CUSTOMER_MANAGER)
    )
    if match is None or app is None or not allowed or app.version != int(match["version"]):
        await _refuse(update, context, user)
        return
    await answer_button(query)
    await drop_buttons(query)
    now = svc.clock.now()
    by = await _name_of(svc, user.user_id)
    try:
        async with svc.db.transaction() as conn:
            member = await pick(conn, Role.PROJECT_MANAGER, district=app.district, now=now)
            if member is None:
                raise LookupError
            updated = await set_holder(
                conn,
                application_id=app.id,
                expected_version=app.version,
                role="project_manager",
                user_id=member.user_id,
                now=now,
            )
            await append_event(
                conn,
                application_id=app.id,
                actor_id=user.user_id,
                actor_role=role.value if role else "",
                kind="project_attached",
                now=now,
                note=member.name,
                data={"to": member.user_id},
            )
            await _tell(
                svc,
                conn,
                member.user_id,
                updated,
                "manage/attached",
                role=Role.PROJECT_MANAGER.value,
                by=by,
            )
    except LookupError:
        await say(update, context, "manage/nobody", role=Role.PROJECT_MANAGER.value)
        return
    except StaleVersion:
        await say(update, context, "wf/refused", reason="wrong_step")
        return
    svc.outbox.wake()
    await send_card(update, context, svc, user, updated)


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
    app = await svc.applications.get(int(match["app"])) if match else None
    actor = await svc.staff.get(user.user_id)
    actor_role = actor.role if actor is not None and actor.active else None
    target = await svc.staff.get(int(match["user"])) if match else None
    if (
        match is None
        or app is None
        or actor is None
        or actor_role not in OVERSEERS
        or target is None
        or not may_take_over(actor, target, app)
        or target.role is not ROLE_OF_CODE[match["role"]]
    ):
        await _refuse(update, context, user)
        return
    await answer_button(query)
    await drop_buttons(query)
    role = target.role.value
    previous = (
        app.customer_manager_id
        if target.role is Role.CUSTOMER_MANAGER
        else (app.project_manager_id)
    )
    now = svc.clock.now()
    by = await _name_of(svc, user.user_id)
    try:
        async with svc.db.transaction() as conn:
            updated = await set_holder(
                conn,
                application_id=app.id,
                expected_version=int(match["version"]),
                role=role,
                user_id=target.user_id,
                now=now,
            )
            await append_event(
                conn,
                application_id=app.id,
                actor_id=user.user_id,
                actor_role=actor_role.value if actor_role else "",
                kind="reassigned",
                now=now,
                note=target.name,
                data={"role": role, "from": previous, "to": target.user_id},
            )
            await _tell(
                svc,
                conn,
                target.user_id,
                updated,
                "manage/attached",
                role=role,
                by=by,
            )
            if previous:
                await _tell(
                    svc, conn, previous, updated, "manage/taken_away", role=role, new=target.name
                )
            await _tell(
                svc,
                conn,
                app.customer_id,
                updated,
                "manage/customer_told",
                role=role,
                new=target.name,
            )
    except StaleVersion:
        await say(update, context, "wf/refused", reason="wrong_step")
        return
    svc.outbox.wake()
    await send_card(update, context, svc, user, updated)


async def _name_of(svc: Services, user_id: int) -> str:
    """The acting member's name, as their colleagues know it."""
    member = await svc.staff.get(user_id)
    return member.name if member else ""


async def _tell(
    svc: Services,
    conn: aiosqlite.Connection,
    user_id: int,
    app: Application,
    template: str,
    **params: Any,
) -> None:
    recipient = await user_in(conn, user_id)
    if recipient is None:
        return
    markup = (
        None
        if recipient.user_id == app.customer_id
        else open_card_markup(svc.texts, recipient.locale, app)
    )
    now = svc.clock.now()
    await svc.outbox.message(
        conn,
        key=f"holder:{app.id}:{app.version}:{recipient.user_id}:{template}",
        recipient=recipient,
        template=template,
        now=now,
        not_before=None if recipient.user_id == app.customer_id else svc.staff_send_at(now),
        application_id=app.id,
        reply_markup=markup,
        params={
            "app": app,
            **params,
        },
    )


async def _refuse(update: Update, context: ContextTypes.DEFAULT_TYPE, user: User) -> None:
    query = update.callback_query
    if query is not None:
        svc = services(context)
        await answer_button(query, svc.texts.label(user.locale, "refusal.not_yours"), alert=True)
