"""``/staff`` for admins: who is on the staff, inviting new members, disabling members.

Inviting asks for the new member's name and, for roles that work in a district, the
district, then prints a one-time code for the admin to pass on. The conversation is
persistent and its states are strings that carry the role being invited, so a restart in
the middle resumes at the same question; the typed name is kept in memory only, and if a
restart lost it the name is simply asked again. Every press is checked on the server:
only an active admin's counts. Disabling, from the same list, is in
:mod:`flows.staff.disable`; its buttons are entry points too, so they work from any state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from flows import keyboards
from flows.common import answer_button, current_user, drop_buttons, say
from flows.conversations import cancel_command, conversation
from flows.deps import Services, services
from flows.staff.access import ADMINS_ONLY, require_staff, stale_press
from flows.staff.disable import KeepPress, MemberAction, MemberPress, on_keep, on_member_button
from notifications.callback_data import Press, decode_as, pattern, press
from process.roles import Role
from process.validators import ValidationError, validate_person_name
from storage.models import User
from storage.staff.members import INVITE_LIFETIME, Staff

CONVERSATION_NAME = "staff_invite"
MENU = "staff:menu"
DISTRICT_ROLES = frozenset({Role.CUSTOMER_MANAGER, Role.PROJECT_MANAGER, Role.SUPERVISOR})
PENDING_NAME_KEY = "hvconnect.invite_name"
STAFF_SHOWN = 60  # lines of the member list; keeps the message within Telegram's limit
DISABLE_BUTTONS_SHOWN = 40


@press("stinv")
@dataclass(frozen=True)
class InvitePress(Press):
    """Invite someone to ``role``."""

    role: Role


@press("stdist")
@dataclass(frozen=True)
class DistrictPress(Press):
    """The invited member works in the configured district number ``index`` (None: every
    district)."""

    index: int | None


def name_state(role: Role) -> str:
    return f"staff:name:{role.value}"


def district_state(role: Role) -> str:
    return f"staff:district:{role.value}"


async def show_staff(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int:
    admin = await require_staff(update, context, ADMINS_ONLY)
    if admin is None:
        return ConversationHandler.END
    svc = services(context)
    members = await svc.staff.list_all()
    counts = await svc.staff.open_counts()
    await say(
        update,
        context,
        "staff/list",
        members=members,
        shown=members[:STAFF_SHOWN],
        hidden=max(0, len(members) - STAFF_SHOWN),
        counts=counts,
        reply_markup=await _menu_markup(svc, admin, members),
    )
    return MENU


async def _menu_markup(svc: Services, admin: Staff, members: list[Staff]) -> InlineKeyboardMarkup:
    user = await svc.users.get(admin.user_id)
    locale = user.locale if user else svc.settings.default_locale
    texts = svc.texts
    invite = [
        keyboards.button(
            texts.label(locale, f"btn.invite.{role.value}"), InvitePress(role).encode()
        )
        for role in Role
    ]
    # A configured admin would be made admin again on their next message, and nobody
    # should lock themselves out; neither gets a disable button.
    disable = [
        keyboards.button(
            texts.label(locale, "btn.disable", name=m.name),
            MemberPress(MemberAction.ASK, m.user_id).encode(),
        )
        for m in members
        if m.active and m.user_id != admin.user_id and m.user_id not in svc.settings.admins
    ][:DISABLE_BUTTONS_SHOWN]
    return InlineKeyboardMarkup([*keyboards.rows(invite, 2), *keyboards.rows(disable, 2)])


async def on_invite(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int | None:
    query = update.callback_query
    assert query is not None
    invite = decode_as(query.data, InvitePress)
    if invite is None:
        await stale_press(update, context)
        return None
    role = invite.role
    await answer_button(query)
    if await require_staff(update, context, ADMINS_ONLY) is None:
        return ConversationHandler.END
    await say(update, context, "staff/ask_name", role=role.value)
    return name_state(role)


async def on_name(
    update: Update, context: ContextTypes.DEFAULT_TYPE, role: Role
) -> str | int | None:
    message = update.effective_message
    if message is None or message.text is None:
        return None
    if await require_staff(update, context, ADMINS_ONLY) is None:
        return ConversationHandler.END
    svc = services(context)
    user = await current_user(update, context)
    try:
        name = validate_person_name(message.text)
    except ValidationError as error:
        hint = svc.texts.label(user.locale, f"error.{error.code}", **error.params)
        await say(update, context, "staff/name_invalid", error=hint)
        await say(update, context, "staff/ask_name", role=role.value)
        return None
    if role not in DISTRICT_ROLES:
        await _issue(update, context, role, name, None)
        return ConversationHandler.END
    if context.user_data is not None:
        context.user_data[PENDING_NAME_KEY] = name
    await _ask_district(update, context, role, name)
    return district_state(role)


async def _ask_district(
    update: Update, context: ContextTypes.DEFAULT_TYPE, role: Role, name: str
) -> None:
    svc = services(context)
    user = await current_user(update, context)
    buttons = [
        keyboards.button(district, DistrictPress(i).encode())
        for i, district in enumerate(svc.settings.districts)
    ]
    everywhere = keyboards.button(
        svc.texts.label(user.locale, "btn.all_districts"), DistrictPress(None).encode()
    )
    markup = InlineKeyboardMarkup([*keyboards.rows(buttons, 3), [everywhere]])
    await say(
        update, context, "staff/ask_district", role=role.value, name=name, reply_markup=markup
    )


async def on_district(
    update: Update, context: ContextTypes.DEFAULT_TYPE, role: Role
) -> str | int | None:
    query = update.callback_query
    assert query is not None
    svc = services(context)
    districts = svc.settings.districts
    parsed = decode_as(query.data, DistrictPress)
    if parsed is None or (parsed.index is not None and not 0 <= parsed.index < len(districts)):
        await stale_press(update, context)
        return None
    await answer_button(query)
    if await require_staff(update, context, ADMINS_ONLY) is None:
        return ConversationHandler.END
    name = context.user_data.pop(PENDING_NAME_KEY, None) if context.user_data is not None else None
    if not isinstance(name, str):
        # The bot restarted since the name was typed: ask for it again.
        await say(update, context, "staff/ask_name", role=role.value)
        return name_state(role)
    await drop_buttons(query)
    district = None if parsed.index is None else districts[parsed.index]
    await _issue(update, context, role, name, district)
    return ConversationHandler.END


async def _issue(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    role: Role,
    name: str,
    district: str | None,
) -> None:
    svc = services(context)
    user = await current_user(update, context)
    now = svc.clock.now()
    code = await svc.staff.create_invite(
        role=role, name=name, district=district, created_by=user.user_id, now=now
    )
    await say(
        update,
        context,
        "staff/invite_created",
        code=code,
        role=role.value,
        name=name,
        district=district,
        expires_at=now + INVITE_LIFETIME,
    )


async def forget_invitation(
    context: ContextTypes.DEFAULT_TYPE, svc: Services, user: User
) -> Mapping[str, Any]:
    """/cancel drops the name typed for an invitation not yet made."""
    if context.user_data is not None:
        context.user_data.pop(PENDING_NAME_KEY, None)
    return {"has_draft": False}


def _for_role(
    callback: Callable[[Update, ContextTypes.DEFAULT_TYPE, Role], Awaitable[str | int | None]],
    role: Role,
) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, str | int | None]]:
    """``callback`` bound to the role whose invitation the state belongs to."""

    async def bound(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | int | None:
        return await callback(update, context, role)

    return bound


def build_staff_conversation() -> ConversationHandler[Any]:
    text = filters.TEXT & ~filters.COMMAND
    states: dict[object, list[BaseHandler[Update, Any, Any]]] = {MENU: []}
    for role in Role:
        states[name_state(role)] = [MessageHandler(text, _for_role(on_name, role))]
        states[district_state(role)] = [
            CallbackQueryHandler(_for_role(on_district, role), pattern=pattern(DistrictPress))
        ]
    return conversation(
        CONVERSATION_NAME,
        entry_points=[
            CommandHandler("staff", show_staff, filters=filters.ChatType.PRIVATE),
            CallbackQueryHandler(on_invite, pattern=pattern(InvitePress)),
            CallbackQueryHandler(on_member_button, pattern=pattern(MemberPress)),
            CallbackQueryHandler(on_keep, pattern=pattern(KeepPress)),
        ],
        states=states,
        fallbacks=[cancel_command(forget_invitation)],
    )
