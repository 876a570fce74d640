"""Disabling a member from ``/staff``: a button per member, a confirmation, then the deed.

Both buttons carry the member's user id (:class:`MemberPress`: one asks, one confirms) and
are checked again on the server when pressed: only an active admin's press counts, and
nobody disables themselves or an admin named in the configuration (who would be made admin
again on their next message). The deed, with the supervisors' alerts, is
:func:`services.staff.disable`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from telegram import Update
from telegram.ext import ContextTypes, ConversationHandler

from flows import keyboards
from flows.common import answer_button, current_user, drop_buttons, say
from flows.deps import services
from flows.staff.access import ADMINS_ONLY, require_staff, restore_customer_menu
from notifications.callback_data import Press, decode_as, press
from services.staff import DisableRefusal, disable, disable_refusal
from storage.staff.members import Staff


class MemberAction(StrEnum):
    ASK = "dis"  # asks to confirm
    DISABLE = "off"  # the confirmation


@press("stm")
@dataclass(frozen=True)
class MemberPress(Press):
    """An admin's button about one member of the staff list."""

    action: MemberAction
    user_id: int


@press("stkeep")
@dataclass(frozen=True)
class KeepPress(Press):
    """The admin thought better of it: nothing is disabled."""


async def on_member_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int | None:
    """:attr:`MemberAction.ASK` asks to confirm; :attr:`MemberAction.DISABLE` disables."""
    query = update.callback_query
    assert query is not None
    svc = services(context)
    user = await current_user(update, context)
    parsed = decode_as(query.data, MemberPress)
    admin = await svc.staff.get(user.user_id)
    target = await svc.staff.get(parsed.user_id) if parsed else None
    refusal = disable_refusal(admin, target, svc.settings.admins) if admin else None
    if admin is None or refusal is DisableRefusal.NOT_ADMIN:
        await answer_button(query)
        await require_staff(update, context, ADMINS_ONLY)
        return ConversationHandler.END
    if parsed is None or refusal is not None:
        await answer_button(query, svc.texts.label(user.locale, _TOAST[refusal]), alert=True)
        return None
    assert target is not None  # no refusal
    await answer_button(query)
    if parsed.action is MemberAction.ASK:
        await _confirm(update, context, target)
        return None
    await drop_buttons(query)
    outcome = await disable(
        svc.context,
        actor_id=admin.user_id,
        user_id=target.user_id,
        protected=svc.settings.admins,
        now=svc.clock.now(),
    )
    if isinstance(outcome, DisableRefusal):
        return ConversationHandler.END  # another admin was quicker; the button is answered
    member_user = await svc.users.get(target.user_id)
    if member_user is not None:
        await restore_customer_menu(context.bot, member_user.chat_id)
    await say(update, context, "staff/disabled", member=target, returned=len(outcome.returned))
    return ConversationHandler.END


_TOAST: dict[DisableRefusal | None, str] = {
    None: "toast.stale",  # the button itself did not read
    DisableRefusal.NOT_ADMIN: "toast.stale",
    DisableRefusal.NOT_FOUND: "toast.stale",
    DisableRefusal.ALREADY_DISABLED: "toast.already_disabled",
    DisableRefusal.CANNOT_DISABLE: "toast.cannot_disable",
}


async def _confirm(update: Update, context: ContextTypes.DEFAULT_TYPE, target: Staff) -> None:
    svc = services(context)
    user = await current_user(update, context)
    counts = await svc.staff.open_counts()
    texts = svc.texts
    markup = keyboards.inline(
        [
            keyboards.button(
                texts.label(user.locale, "btn.confirm_disable"),
                MemberPress(MemberAction.DISABLE, target.user_id).encode(),
            ),
            keyboards.button(texts.label(user.locale, "btn.keep"), KeepPress().encode()),
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


async def on_keep(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    query = update.callback_query
    assert query is not None
    svc = services(context)
    user = await current_user(update, context)
    await answer_button(query, svc.texts.label(user.locale, "toast.nothing_changed"))
    await drop_buttons(query)
    return None
