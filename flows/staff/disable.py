"""Disabling a member from ``/staff``: a button per member, a confirmation, then the deed.

Both buttons carry the member's user id (``st:dis:<id>`` asks, ``st:off:<id>`` confirms) and
are checked again on the server when pressed: only an active admin's press counts, and
nobody disables themselves or an admin named in the configuration (who would be made admin
again on their next message). The supervisors' alerts are queued in the same transaction.
"""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import ContextTypes, ConversationHandler

from flows import keyboards
from flows.common import answer_button, current_user, drop_buttons, say
from flows.deps import Services, services
from flows.staff.access import ADMINS_ONLY, require_staff, restore_customer_menu
from process.roles import Role
from services.staff_alerts import alert_overseers
from storage.staff.members import Staff, StaffNotFound

_MEMBER_DATA = re.compile(r"st:(?P<action>dis|off):(?P<user_id>\d{1,15})")


async def on_member_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int | None:
    """``st:dis:<id>`` asks to confirm; ``st:off:<id>`` (the confirmation) disables."""
    query = update.callback_query
    assert query is not None
    svc = services(context)
    user = await current_user(update, context)
    parsed = _MEMBER_DATA.fullmatch(query.data or "")
    admin = await svc.staff.get(user.user_id)
    if admin is None or not admin.active or admin.role is not Role.ADMIN:
        await answer_button(query)
        await require_staff(update, context, ADMINS_ONLY)
        return ConversationHandler.END
    target = await svc.staff.get(int(parsed["user_id"])) if parsed else None
    refusal = _refusal(svc, admin, target)
    if parsed is None or target is None or refusal is not None:
        toast = svc.texts.label(user.locale, refusal or "toast.stale")
        await answer_button(query, toast, alert=True)
        return None
    await answer_button(query)
    if parsed["action"] == "dis":
        await _confirm(update, context, target)
        return None
    await drop_buttons(query)
    await _disable(update, context, admin, target)
    return ConversationHandler.END


def _refusal(svc: Services, admin: Staff, target: Staff | None) -> str | None:
    if target is None:
        return None
    if not target.active:
        return "toast.already_disabled"
    if target.user_id == admin.user_id or target.user_id in svc.settings.admins:
        return "toast.cannot_disable"
    return None


async def _confirm(update: Update, context: ContextTypes.DEFAULT_TYPE, target: Staff) -> None:
    svc = services(context)
    user = await current_user(update, context)
    counts = await svc.staff.open_counts()
    texts = svc.texts
    markup = keyboards.inline(
        [
            keyboards.button(
                texts.label(user.locale, "btn.confirm_disable"), f"st:off:{target.user_id}"
            ),
            keyboards.button(texts.label(user.locale, "btn.keep"), "st:keep"),
        ]
    )
    await say(
        update,
        context,
        "staff/confirm_disable",
        member=target,
        role=target.role.value,
        open_count=counts.get(target.user_id, 0),
        reply_markup=markup,
    )


async def _disable(
    update: Update, context: ContextTypes.DEFAULT_TYPE, admin: Staff, target: Staff
) -> None:
    svc = services(context)
    now = svc.clock.now()
    try:
        returned = await svc.staff.disable(
            target.user_id,
            now,
            by=admin.user_id,
            then=alert_overseers(svc.outbox, target, now, actor_id=admin.user_id),
        )
    except StaffNotFound:
        return
    svc.outbox.wake()
    member_user = await svc.users.get(target.user_id)
    if member_user is not None:
        await restore_customer_menu(context.bot, member_user.chat_id)
    await say(update, context, "staff/disabled", member=target, returned=len(returned))


async def on_keep(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    query = update.callback_query
    assert query is not None
    svc = services(context)
    user = await current_user(update, context)
    await answer_button(query, svc.texts.label(user.locale, "toast.nothing_changed"))
    await drop_buttons(query)
    return None
