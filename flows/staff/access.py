"""Who counts as staff right now, what each member may see, the command menu each role
sees, and the staff /help.

Every staff command starts with :func:`require_staff`, which reads the member's row fresh,
so a member disabled a second ago is refused at once. The refusal is the same polite line
for customers and for disabled members: it says nothing about what the command would do.

Every read of one application and every action on it (``/app``, card buttons, workflow
buttons, replies, attaching and reassigning) asks :func:`may_see` or
:func:`process.roles.in_reach`, which apply :func:`process.roles.within_reach`: a manager
what they hold, a supervisor their district, admins and supervisors of every district
everything. An application out of reach
gets the same answer as one that does not exist.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from telegram import Bot, BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from flows import start as start_flow
from flows.common import answer_button, current_user, say
from flows.deps import Services, services
from notifications.render import Texts
from process.roles import Reach, Role, in_reach, reach_of
from storage.models import Application, User
from storage.staff.members import Staff

log = logging.getLogger("hvconnect.staff")
ADMINS_ONLY = frozenset({Role.ADMIN})

_EVERYONE = ("help", "lang", "cancel")
_MANAGER = ("queue", "app", "find")
_OVERSEER = ("queue", "app", "find", "stats", "overdue", "export")
STAFF_COMMANDS: dict[Role, tuple[str, ...]] = {
    Role.CUSTOMER_MANAGER: (*_MANAGER, *_EVERYONE),
    Role.PROJECT_MANAGER: (*_MANAGER, *_EVERYONE),
    Role.SUPERVISOR: (*_OVERSEER, *_EVERYONE),
    Role.ADMIN: (*_OVERSEER, "staff", *_EVERYONE),
}


async def require_staff(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    roles: Collection[Role] | None = None,
) -> Staff | None:
    """The speaker as an active member with one of ``roles`` (any role if None).

    Anyone else is told politely that this is for staff, and None is returned. A disabled
    member also gets the customer's command menu back, in case removing it failed before.
    """
    svc = services(context)
    user = await current_user(update, context)
    member = await svc.staff.get(user.user_id)
    if member is not None and member.active and (roles is None or member.role in roles):
        return member
    if member is not None and member.active and roles is not None:
        # Staff, but of another role: say whose command it is, not "for staff".
        await say(
            update, context, "staff/role_only", command=_command(update), roles=_ranked(roles)
        )
        return None
    await say(update, context, "common/staff_only")
    if member is not None and not member.active:
        await restore_customer_menu(context.bot, user.chat_id)
    return None


def _command(update: Update) -> str | None:
    """The command the speaker typed (``stats`` for ``/stats 2026``), if they typed one."""
    message = update.effective_message
    text = message.text if message is not None and message.text else ""
    if not text.startswith("/"):
        return None
    return text.split()[0].removeprefix("/").split("@")[0] or None


def _ranked(roles: Collection[Role]) -> list[str]:
    return [role.value for role in Role if role in roles]


async def may_see(svc: Services, user: User, application: Application) -> bool:
    """:func:`in_reach` for ``user``, their staff row read fresh."""
    return in_reach(await svc.staff.get(user.user_id), application)


def district_of_reach(member: Staff) -> str | None:
    """The one district ``member``'s reports and lists are kept to (None: every district).

    Only a supervisor of one district has one; an admin sees every district even if enrolled
    with one before being made admin."""
    return member.district if reach_of(member.role, member.district) is Reach.DISTRICT else None


def may_take_over(actor: Staff, target: Staff, application: Application) -> bool:
    """Whether ``actor`` may hand ``application`` to ``target``: a supervisor of one district
    only to managers who work there (or in every district); the target must be an active
    customer or project manager."""
    if not in_reach(actor, application) or not target.active:
        return False
    if target.role not in (Role.CUSTOMER_MANAGER, Role.PROJECT_MANAGER):
        return False
    if reach_of(actor.role, actor.district) is Reach.EVERY:
        return True
    return target.district in (None, application.district)


def staff_menu(texts: Texts, locale: str, role: Role) -> list[BotCommand]:
    return [
        BotCommand(name, texts.label(locale, f"command.{name}")) for name in STAFF_COMMANDS[role]
    ]


async def publish_staff_menu(
    bot: Bot, texts: Texts, *, chat_id: int, locale: str, role: Role
) -> None:
    """The command menu of ``role`` for this one chat, in the member's language."""
    try:
        await bot.set_my_commands(
            staff_menu(texts, locale, role), scope=BotCommandScopeChat(chat_id)
        )
    except TelegramError:
        # The menu is a convenience; the commands work without it and the role is checked
        # on every use, so a failure here must not undo an enrolment.
        log.warning("could not set the staff command menu for chat %s", chat_id, exc_info=True)


async def restore_customer_menu(bot: Bot, chat_id: int) -> None:
    """Drop the chat's own menu, so the customers' menu for all private chats applies."""
    try:
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))
    except TelegramError:
        log.warning("could not restore the customer menu for chat %s", chat_id, exc_info=True)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Staff see their role's commands; everyone else the customer's help."""
    svc = services(context)
    user = await current_user(update, context)
    member = await svc.staff.get(user.user_id)
    if member is None or not member.active:
        await start_flow.help_command(update, context)
        return
    await say(
        update, context, "staff/help", role=member.role.value, commands=STAFF_COMMANDS[member.role]
    )


async def stale_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button that no longer means anything: answered with a notice, nothing done."""
    query = update.callback_query
    assert query is not None
    svc = services(context)
    user = await current_user(update, context)
    await answer_button(query, svc.texts.label(user.locale, "toast.stale"), alert=True)
